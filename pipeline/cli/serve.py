"""`newswatch serve`: Datasette on the newswatch database, opened on the questions people ask.

The metadata (titles, column descriptions, facets, sort order, labels, full-text search and canned
queries) is built here and handed to Datasette as a file; Datasette runs as its own process.
Datasette 0.65 has no write API and we add no writing plugin or canned write query, so the
database is read-only through it; `--public` also turns off arbitrary SQL and database download.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from pipeline.cli.common import open_config, open_store

LATEST_MENTIONS = """
select m.entity, a.title as headline, a.source, a.published, m.snippet, a.url as link,
       a.paywalled, m.field
from mentions m join articles a on a.id = m.article_id
where (:entity = '' or m.entity = :entity)
order by coalesce(a.published, a.fetched_at) desc, m.id
limit 500
"""

MENTIONS_PER_DAY = """
select substr(coalesce(a.published, a.fetched_at), 1, 10) as day, m.entity,
       count(*) as mentions, count(distinct a.id) as articles
from mentions m join articles a on a.id = m.article_id
group by day, m.entity
order by day desc, mentions desc
"""

ALERTS_SENT_AND_FAILED = """
select al.status, al.rule, al.channel, a.title as headline, a.url as link, al.attempts,
       al.created_at, al.sent_at, al.last_error
from alerts al join articles a on a.id = al.article_id
where (:status = '' or al.status = :status)
order by al.created_at desc, al.id desc
"""

SOURCE_HEALTH = """
select s.name as source,
       case when s.down_since is not null then 'down' when s.silent_since is not null then 'silent'
            when s.consecutive_failures > 0 then 'failing' else 'ok' end as health,
       s.consecutive_failures, s.last_success, s.last_error, s.last_status, s.last_checked,
       s.next_attempt, s.last_new_article,
       (select count(*) from articles a where a.source = s.name) as articles,
       (select count(*) from articles a where a.source = s.name
          and a.fetched_at >= datetime('now', '-1 day')) as articles_last_day
from sources s
order by s.consecutive_failures desc, s.name
"""

STORIES_SEVERAL_OUTLETS = """
select s.id as story, s.title, s.first_seen, count(distinct a.source) as outlets,
       count(*) as articles, group_concat(distinct a.source) as sources,
       (select a2.url from articles a2 where a2.story_id = s.id order by a2.id limit 1) as first_link
from stories s join articles a on a.story_id = s.id
group by s.id
having count(distinct a.source) > 1
order by s.first_seen desc
limit 500
"""


def metadata(database: str) -> dict[str, Any]:
    """Datasette metadata for a newswatch database named `database` (the file's stem)."""
    return {
        "title": "newswatch",
        "description": "Articles that mention watched companies, the mentions found, and the alerts sent.",
        "databases": {
            database: {
                "tables": {
                    "articles": {
                        "title": "Articles",
                        "description": "Every article stored, newest first. Search the title and text.",
                        "sort_desc": "published",
                        "facets": ["source", "language", "paywalled"],
                        "label_column": "title",
                        "fts_table": "articles_fts",
                        "fts_pk": "id",
                        "columns": {
                            "url": "Canonical URL of the article",
                            "source": "The configured source that found it first",
                            "published": "Publication time (ISO 8601): the feed's, else the page's",
                            "fetched_at": "When newswatch stored it",
                            "language": "Language code of the page",
                            "text": "Article text, without paywall, subscription and widget text",
                            "paywalled": "1 when the page declares non-free content or shows a paywall",
                            "story_id": "The story: copies of the same text share one",
                        },
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
                            "status": "pending, sent or failed (failed ones are retried)",
                            "attempts": "Delivery attempts so far",
                            "last_error": "Why the last attempt failed",
                            "story_id": "The story alerted on (article_id is its copy that alerted)",
                        },
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
                    "story_signatures": {"hidden": True},
                    "seen": {"hidden": True},
                    "notices": {
                        "title": "Admin notices",
                        "description": "Source down, recovered and silent notices sent to the admin channel.",
                        "sort_desc": "created_at",
                        "facets": ["kind", "status", "source"],
                    },
                    "boilerplate_lines": {
                        "title": "Learned boilerplate",
                        "description": "Per site, how many distinct articles carried each line.",
                        "sort_desc": "articles",
                    },
                },
                "queries": {
                    "latest_mentions": {
                        "title": "Latest mentions",
                        "description": "Newest mentions first: entity, headline, source, date, snippet, link.",
                        "sql": LATEST_MENTIONS.strip(),
                        "params": ["entity"],
                    },
                    "mentions_per_entity_per_day": {
                        "title": "Mentions per entity per day",
                        "sql": MENTIONS_PER_DAY.strip(),
                    },
                    "alerts_sent_and_failed": {
                        "title": "Alerts sent and failed",
                        "description": "Every alert with its status and, for failures, the error.",
                        "sql": ALERTS_SENT_AND_FAILED.strip(),
                        "params": ["status"],
                    },
                    "stories_several_outlets": {
                        "title": "Stories covered by several outlets",
                        "description": "Stories carried by more than one source, newest first.",
                        "sql": STORIES_SEVERAL_OUTLETS.strip(),
                    },
                    "source_health": {
                        "title": "Source health",
                        "description": "Failing sources first.",
                        "sql": SOURCE_HEALTH.strip(),
                    },
                },
            }
        },
    }


def datasette_command(database: Path, metadata_path: Path, host: str, port: int, public: bool) -> list[str]:
    command = [
        sys.executable, "-m", "datasette", "serve", str(database),
        "--metadata", str(metadata_path), "--host", host, "--port", str(port),
        "--setting", "sql_time_limit_ms", "3000",
        "--setting", "facet_time_limit_ms", "500",
        "--setting", "truncate_cells_html", "400",  # article text stays readable in tables
    ]
    if public:
        command += ["--setting", "default_allow_sql", "off", "--setting", "allow_download", "off"]
    return command


def write_metadata(database: Path) -> Path:
    """The metadata file beside the database, rewritten on every start."""
    path = database.with_name(database.stem + ".datasette.json")
    path.write_text(json.dumps(metadata(database.stem), ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def exec_datasette(database: Path, host: str, port: int, public: bool) -> None:
    """Replace this process with Datasette (same PID: a service manager or test can stop it)."""
    command = datasette_command(database, write_metadata(database), host, port, public)
    os.execv(command[0], command)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--public", is_flag=True, help="Also turn off arbitrary SQL and database download.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, public: bool) -> None:
    """Browse and search the database with Datasette."""
    config, _ = open_config(ctx)
    open_store(config).close()
    click.echo(f"Datasette on http://{host}:{port}/ for {config.database_path}", err=True)
    exec_datasette(config.database_path, host, port, public)
