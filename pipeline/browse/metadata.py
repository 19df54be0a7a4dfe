"""Datasette metadata for a newswatch database: titles, column descriptions, facets, sort orders,
labels, canned queries, which tables are internal, and the newswatch plugin's own settings.

Built by `newswatch serve` from the config (the watchlist's names for the entity pickers, the
rules for their feeds) and written beside the database on each start.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipeline.browse import queries

PLUGIN = "newswatch"  # the key of our settings under "plugins" in the metadata
# Datasette lists these under "hidden tables" only: they are newswatch's own bookkeeping.
INTERNAL_TABLES = ("_sqlite_migrations", "story_signatures", "seen", "boilerplate_lines", "articles_cjk_fts",
                   "listing_pages", "newswatch_meta")

ARTICLE_COLUMNS = {
    "url": "Canonical URL of the article",
    "source": "The configured source that found it first",
    "published": "Publication time (ISO 8601): the feed's, else the page's",
    "fetched_at": "When newswatch stored it",
    "language": "Language code of the page",
    "text": "Article text, without paywall, subscription and widget text (cut short here: the article's page has all of it)",
    "paywalled": "1 when the page declares non-free content or shows a paywall",
    "story_id": "The story: copies of the same text share one",
}


def _query(title: str, description: str, sql: str, params: Sequence[str] = ()) -> dict[str, Any]:
    query: dict[str, Any] = {"title": title, "description": description, "sql": sql.strip()}
    if params:
        query["params"] = list(params)
    return query


CANNED_QUERIES = {
    "latest_mentions": _query(
        "Latest mentions",
        "Where was a watched company named lately? One row per mention, newest first: entity, "
        "headline, source, date, the words around it, link. Pick an entity (any case).",
        queries.LATEST_MENTIONS, ["entity"]),
    "mentions_per_entity_per_day": _query(
        "Mentions per entity per day",
        "How often is each company in the news? Mentions and articles per entity per day.",
        queries.MENTIONS_PER_DAY, ["entity"]),
    "alerts_sent_and_failed": _query(
        "Alerts sent and failed",
        "Did the alerts go out? Every alert with its status and, for failures, the error "
        "(status: pending, sent or failed).",
        queries.ALERTS_SENT_AND_FAILED, ["status"]),
    "alerts_per_channel_per_day": _query(
        "Alerts per channel per day",
        "How many alerts each channel got per day, by status.",
        queries.ALERTS_PER_CHANNEL_PER_DAY),
    "articles_per_source": _query(
        "Articles per source",
        "Which sources deliver? Articles, paywalled ones, stories and articles with mentions per source.",
        queries.ARTICLES_PER_SOURCE),
    "stories_several_outlets": _query(
        "Stories covered by several outlets",
        "Which stories spread? Stories carried by more than one source, newest first.",
        queries.STORIES_SEVERAL_OUTLETS),
    "source_health": _query(
        "Source health",
        "Is every source being read? Failing sources first, with the last error.",
        queries.SOURCE_HEALTH),
    "alerts_feed": _query(
        "Alerts feed",
        "The alerted stories as an Atom feed for a feed reader: add .atom to this page's address "
        "(one feed per rule with ?rule=NAME).",
        queries.ALERTS_FEED, ["rule"]),
}


def tables() -> dict[str, Any]:
    found: dict[str, Any] = {
        "article_list": {
            "title": "Articles",
            "description": "One row per article, newest first: the watched entities it mentions, how "
                           "many mentions, how many outlets carry its story. The headline opens the "
                           "article with its mentions marked. Search covers Chinese and Japanese too.",
            "sort_desc": "published",
            "facets": ["source", "language", "paywalled"],
            "columns": {
                "headline": "The article's headline: opens its page, with the whole text and its mentions marked",
                "entities": "Watched entities it mentions",
                "mentions": "How many mentions were found in it",
                "outlets": "How many sources carry its story",
                "published": "Publication time: the feed's, else the page's, else when it was stored",
                "text": "The beginning of the text (the article's page has all of it)",
            },
        },
        "articles": {
            "title": "Articles (stored rows)",
            "description": "Every article as stored, newest first. Its page shows the whole text with the mentions marked.",
            "sort_desc": "published",
            "facets": ["source", "language", "paywalled"],
            "label_column": "title",
            "columns": ARTICLE_COLUMNS,
        },
        "mentions": {
            "title": "Mentions",
            "description": "Each place a watched entity was found, with the words around it.",
            "sort_desc": "id",
            "facets": ["entity", "field"],
            "columns": {
                "entity": "Watched entity (watchlist name)",
                "alias": "The alias that matched",
                "field": "title or text",
                "position": "Character offset of the mention in its field",
                "snippet": "The words around the mention",
            },
        },
        "alerts": {
            "title": "Alerts",
            "description": "One row per (rule, channel, story): pending, sent or failed. Later copies of a story do not alert again.",
            "sort_desc": "created_at",
            "facets": ["status", "channel", "rule"],
            "columns": {
                "status": "pending, sending (claimed by a pass), sent or failed (failed ones are retried)",
                "attempts": "Delivery attempts so far",
                "last_error": "Why the last attempt failed",
                "story_id": "The story alerted on (article_id is its copy that alerted)",
                "claimed_by": "The pass sending it now (while status is sending)",
                "claimed_until": "When that claim expires: a pass that died leaves the row to be sent again",
                "possible_resends": "Times its claim expired: the channel may have received it once more",
                "new_entity": "A follow-up because an update named this entity for the first time ('' otherwise)",
            },
        },
        "channel_holds": {
            "title": "Channels waiting",
            "description": "Channels that asked newswatch to wait (HTTP 429 Retry-After): no message goes to one before `until`.",
            "columns": {"until": "No message to this channel before this time (UTC)",
                        "reason": "What the channel answered", "since": "When it asked"},
        },
        "sources": {
            "title": "Sources",
            "description": "Per-source fetch state and health (failures, backoff, last new article).",
            "facets": ["last_status"],
        },
        "stories": {
            "title": "Stories",
            "description": "Copies of the same text (a wire story and its rewrites) grouped into one story; one alert per story.",
            "sort_desc": "first_seen",
            "label_column": "title",
            "columns": {
                "first_seen": "When newswatch stored the story's first copy",
                "title": "Headline of the first copy",
                "article_count": "How many articles (copies) the story has",
            },
        },
        "notices": {
            "title": "Admin notices",
            "description": "Source down, recovered and silent notices sent to the admin channel.",
            "sort_desc": "created_at",
            "facets": ["kind", "status", "source"],
        },
    }
    found.update({name: {"hidden": True} for name in INTERNAL_TABLES})
    return found


def metadata(database: str, entities: Sequence[str] = (), rules: Sequence[str] = ()) -> dict[str, Any]:
    """Datasette metadata for a newswatch database named `database` (the file's stem).

    `entities` (the watchlist's names) fill the entity pickers, `rules` the list of feeds."""
    return {
        "title": "newswatch",
        "description": "Articles that mention watched companies, the mentions found, and the alerts sent.",
        "databases": {
            database: {
                "tables": tables(),
                "queries": CANNED_QUERIES,
                "plugins": {PLUGIN: {"entities": list(entities), "rules": list(rules)}},
            }
        },
        "plugins": {"datasette-atom": {"allow_unsafe_html_in_canned_queries": False}},
    }
