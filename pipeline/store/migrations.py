"""Every schema step of the newswatch database, in the order it runs (sqlite-utils `Migrations`).

Rules for adding one:

- Append; never edit or renumber a step that has shipped: a database remembers each step by its
  name in `_sqlite_migrations`, and an edited step never runs again where it already ran.
- Name it `NNNN_what_it_does`: NNNN is four digits, higher than every step before it, in the
  decade of the issue or release that added it (0001-0009 the first schema, 0010 stories, 0020
  running unattended, 0030 the restructuring); the digits only order the steps, gaps are fine.
- One concern per step, so a failure names what could not be done. Each step runs in its own
  transaction: it applies completely or not at all.
- A step that repairs an earlier one must also be right on databases where that earlier step
  already did the work. (The one edit ever made: 0010 also added a column to `seen`; the
  restructuring moved that into 0011, which adds it only where 0010 did not.)
"""

from __future__ import annotations

import sqlite3
import uuid

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("newswatch")


def _columns(db: Database, table: str) -> set[str]:
    return {column.name for column in db[table].columns}


@MIGRATIONS(name="0001_initial")
def _initial(db: Database) -> None:
    db["articles"].create(
        {
            "id": int, "url": str, "source": str, "title": str, "author": str, "published": str,
            "fetched_at": str, "language": str, "text": str, "paywalled": int,
        },
        pk="id",
        not_null={"url", "source", "fetched_at", "text", "paywalled"},
        defaults={"paywalled": 0},
    )
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["published"])
    db["mentions"].create(
        {
            "id": int, "article_id": int, "entity": str, "alias": str, "field": str,
            "position": int, "snippet": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
        not_null={"article_id", "entity", "alias", "field", "position"},
    )
    db["mentions"].create_index(["article_id"])
    db["mentions"].create_index(["entity"])
    db["alerts"].create(
        {
            "id": int, "rule": str, "channel": str, "article_id": int, "status": str,
            "attempts": int, "created_at": str, "sent_at": str, "last_error": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
        not_null={"rule", "channel", "article_id", "status", "attempts", "created_at"},
        defaults={"status": "pending", "attempts": 0},
    )
    db["alerts"].create_index(["rule", "channel", "article_id"], unique=True)
    db["alerts"].create_index(["status"])
    db["sources"].create(
        {
            "name": str, "etag": str, "last_modified": str, "last_checked": str,
            "last_status": str, "last_error": str,
        },
        pk="name",
    )
    # URLs and listing GUIDs already fetched, so a re-listed article is not fetched again.
    db["seen"].create(
        {"key": str, "source": str, "first_seen": str, "article_id": int},
        pk="key",
    )
    db["articles"].enable_fts(["title", "text"], create_triggers=True, tokenize="unicode61")


@MIGRATIONS(name="0002_boilerplate_lines")
def _boilerplate_lines(db: Database) -> None:
    # Per-site line counts: a line that recurs across many different articles is boilerplate.
    db["boilerplate_lines"].create(
        {"site": str, "line_key": str, "line": str, "articles": int, "first_seen": str, "last_seen": str},
        pk=("site", "line_key"),
        not_null={"site", "line_key", "articles"},
    )
    db["boilerplate_lines"].create_index(["site", "articles"])


@MIGRATIONS(name="0003_alert_reason")
def _alert_reason(db: Database) -> None:
    # Why the rule alerted ("海康威视 in the title; 4 mentions; query matched Xinjiang").
    db["alerts"].add_column("reason", str)


@MIGRATIONS(name="0010_stories")
def _stories(db: Database) -> None:
    # One story per group of copies of the same text (pipeline.match.stories). Existing articles
    # each become their own story (same id), so their alerts keep meaning what they meant.
    db["stories"].create(
        {"id": int, "first_seen": str, "title": str, "article_count": int},
        pk="id",
        not_null={"first_seen", "article_count"},
        defaults={"article_count": 1},
    )
    db.execute("insert into stories (id, first_seen, title, article_count)"
               " select id, fetched_at, title, 1 from articles")
    db.execute("alter table articles add column story_id integer references stories(id)")
    db.execute("update articles set story_id = id")
    db["articles"].create_index(["story_id"])
    # Alerts are per (rule, channel, story): later copies of a story do not alert again.
    db.execute("alter table alerts add column story_id integer references stories(id)")
    db.execute("update alerts set story_id = article_id")
    db.execute("drop index if exists idx_alerts_rule_channel_article_id")
    db["alerts"].create_index(["rule", "channel", "story_id"], unique=True)
    db["alerts"].create_index(["article_id"])
    # MinHash signatures, so a later crawl (a new process) can join copies to stored stories.
    db["story_signatures"].create(
        {"article_id": int, "seen_at": str, "seen_epoch": float, "shingles": int, "minhash": bytes},
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
        not_null={"seen_at", "seen_epoch", "shingles", "minhash"},
    )
    db["story_signatures"].create_index(["seen_epoch"])


@MIGRATIONS(name="0011_seen_feed_updated")
def _seen_feed_updated(db: Database) -> None:
    # A listing item's own timestamp: a later one for a known URL or GUID means the article
    # changed. (Databases made before the restructuring got this column from 0010.)
    if "feed_updated" not in _columns(db, "seen"):
        db.execute("alter table seen add column feed_updated text")


@MIGRATIONS(name="0020_source_health")
def _source_health(db: Database) -> None:
    # What `newswatch stats`, backoff and the admin notices need to know about each source.
    sources = db["sources"]
    for column, kind in (
        ("last_success", str), ("last_new_article", str), ("next_attempt", str),
        ("down_since", str), ("silent_since", str), ("health_since", str),
    ):
        sources.add_column(column, kind)
    sources.add_column("consecutive_failures", int, not_null_default=0)


@MIGRATIONS(name="0021_admin_notices")
def _admin_notices(db: Database) -> None:
    # "source down" / "recovered" / "source silent": an outbox of its own, retried like alerts.
    db["notices"].create(
        {
            "id": int, "source": str, "kind": str, "text": str, "status": str, "attempts": int,
            "created_at": str, "sent_at": str, "last_error": str,
        },
        pk="id",
        not_null={"source", "kind", "text", "status", "attempts", "created_at"},
        defaults={"status": "pending", "attempts": 0},
    )
    db["notices"].create_index(["status"])


@MIGRATIONS(name="0030_seen_listing_updated")
def _seen_listing_updated(db: Database) -> None:
    # Sources are no longer only feeds: the item timestamp belongs to any listing.
    db.execute("alter table seen rename column feed_updated to listing_updated")


@MIGRATIONS(name="0031_sources_http_status")
def _sources_http_status(db: Database) -> None:
    # last_status in words (read, not_modified, failed, refused), the HTTP status on its own.
    db["sources"].add_column("http_status", int)
    db.execute("update sources set http_status = cast(last_status as integer),"
               " last_status = case last_status when '304' then 'not_modified' else 'read' end"
               " where last_status glob '[0-9][0-9][0-9]'")


# Characters of scripts written without spaces (the matcher's `is_cjk`: kana, CJK ideographs,
# Hangul, Thai, half-width katakana) as one SQLite GLOB class. Frozen with the triggers below.
CJK_GLOB = "*[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u0e00-\u0e7f\U00020000-\U0002fa1f\uff66-\uff9f]*"
_HAS_CJK = f"(coalesce(new.title, '') || ' ' || coalesce(new.text, '')) glob '{CJK_GLOB}'"


@MIGRATIONS(name="0050_articles_cjk_fts")
def _articles_cjk_fts(db: Database) -> None:
    # unicode61 (articles_fts) takes a run of Chinese characters as one word: 紫金 is not found in
    # 紫金矿业, nor 中兴通讯 in 中兴通讯等中国企业. A second index with FTS5's trigram tokenizer finds
    # any substring of three characters or more; articles_fts keeps word matching and its ranking
    # for spaced scripts. It holds only articles with such characters (its own copy of their title
    # and text, so a one- or two-character search scans those rows only) and is kept by triggers.
    if sqlite3.sqlite_version_info < (3, 34):
        raise RuntimeError(f"SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer (3.34 or later needed)")
    db.execute("create virtual table articles_cjk_fts using fts5(title, text, tokenize='trigram')")
    db.execute(
        f"create trigger articles_cjk_fts_ai after insert on articles when {_HAS_CJK} begin"
        " insert into articles_cjk_fts (rowid, title, text) values (new.id, new.title, new.text); end")
    db.execute(
        "create trigger articles_cjk_fts_ad after delete on articles begin"
        " delete from articles_cjk_fts where rowid = old.id; end")
    db.execute(
        "create trigger articles_cjk_fts_au after update of title, text on articles begin"
        " delete from articles_cjk_fts where rowid = old.id;"
        " insert into articles_cjk_fts (rowid, title, text)"
        f" select new.id, new.title, new.text where {_HAS_CJK}; end")
    db.execute("insert into articles_cjk_fts (rowid, title, text) select id, title, text from articles"
               f" where {_HAS_CJK.replace('new.', '')}")


@MIGRATIONS(name="0051_article_list_view")
def _article_list_view(db: Database) -> None:
    # One row per article for browsing (mentions has one row per mention, so a headline repeated
    # five times): the watched entities it mentions, how many mentions, how many outlets carry its
    # story. Computed per row shown, so it never goes stale.
    db.execute("""
        create view article_list as
        select a.id, coalesce(a.published, a.fetched_at) as published, a.title as headline,
               a.source,
               (select group_concat(entity, ', ') from
                  (select distinct entity from mentions m where m.article_id = a.id order by entity)
               ) as entities,
               (select count(*) from mentions m where m.article_id = a.id) as mentions,
               (select count(distinct b.source) from articles b where b.story_id = a.story_id) as outlets,
               a.paywalled, a.language, a.text, a.url
        from articles a
    """)


def _add_claim_columns(db: Database, table: str) -> None:
    # A row being sent is claimed first: status 'sending', who holds it and until when. A claim
    # whose holder died expires and the row is sent again; `possible_resends` counts those times
    # (the dead holder may have handed the message over before it died).
    db[table].add_column("claimed_by", str)
    db[table].add_column("claimed_until", str)
    db[table].add_column("possible_resends", int, not_null_default=0)


@MIGRATIONS(name="0060_alert_claims")
def _alert_claims(db: Database) -> None:
    _add_claim_columns(db, "alerts")


@MIGRATIONS(name="0061_notice_claims")
def _notice_claims(db: Database) -> None:
    _add_claim_columns(db, "notices")


@MIGRATIONS(name="0062_instance_id")
def _instance_id(db: Database) -> None:
    # A random identity per database, part of every message's idempotency key, so that two
    # newswatch databases sending to one inbox never produce the same key for different alerts
    # (story ids and rule names repeat across databases). A copied or restored database keeps it.
    db["newswatch_meta"].create({"key": str, "value": str}, pk="key", not_null={"value"})
    db["newswatch_meta"].insert({"key": "instance_id", "value": uuid.uuid4().hex})


@MIGRATIONS(name="0080_listing_pages")
def _listing_pages(db: Database) -> None:
    # Validators of a source's further listing pages (a sitemap index's children, a section's
    # next pages), so a second pass asks each with a conditional GET.
    db["listing_pages"].create(
        {"url": str, "source": str, "etag": str, "last_modified": str, "last_read": str},
        pk="url",
        not_null={"source"},
    )
    db["listing_pages"].create_index(["source"])


@MIGRATIONS(name="0081_sources_discovered")
def _sources_discovered(db: Database) -> None:
    # What a `site:` source's discovery chose: the listing read, its kind, how it was found, when.
    for column in ("discovered_kind", "discovered_url", "discovered_how", "discovered_at"):
        db["sources"].add_column(column, str)


@MIGRATIONS(name="0090_alerts_new_entity")
def _alerts_new_entity(db: Database) -> None:
    # A story update that names a rule's entity for the first time alerts again, once per entity:
    # alerts are unique per (rule, channel, story, new_entity); '' is the story's first alert.
    db["alerts"].add_column("new_entity", str, not_null_default="")
    db.execute("drop index if exists idx_alerts_rule_channel_story_id")
    db["alerts"].create_index(["rule", "channel", "story_id", "new_entity"], unique=True)


@MIGRATIONS(name="0140_channel_holds")
def _channel_holds(db: Database) -> None:
    # A channel that asked us to wait (HTTP 429 Retry-After): no message goes to it before `until`,
    # from any pass or process. (Numbered past the other steps of its wave: issue 12's channel half.)
    db["channel_holds"].create({"channel": str, "until": str, "reason": str, "since": str}, pk="channel",
                               not_null={"until"})
