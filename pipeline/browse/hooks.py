"""The Datasette plugin of `newswatch serve`: the landing page, the article pages, one search box
over both full-text indexes, entity and date filters, links and marks in cells.

Loaded by `datasette --plugins-dir` (pipeline/browse/plugins/), so a plain `datasette` run elsewhere
is unaffected; every hook does nothing for a database without the newswatch plugin settings that
`newswatch serve` writes into the metadata. Read-only: it only runs SELECTs through Datasette.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import datasette_atom
from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils.asgi import BadRequest, Response
from feedgen.feed import FeedGenerator
from markupsafe import Markup

from pipeline.browse import charts, queries, search
from pipeline.browse.forms import Filters, FormError, window
from pipeline.browse.highlight import article_html, marked, snippet_html
from pipeline.browse.metadata import PLUGIN

ARTICLE_TABLES = ("articles", "article_list")
TEXT_PREVIEW = 280  # characters of article text in lists; the article's page has all of it
STORIES_ON_LANDING = 15
MAX_PICKER_ENTITIES = 2000  # beyond this the picker offers the entities that have mentions


def settings(datasette: Any, database: str | None) -> dict[str, Any] | None:
    """Our settings for this database, or None when it is not a newswatch database being served."""
    if not database:
        return None
    return datasette.plugin_config(PLUGIN, database=database)


def newswatch_database(datasette: Any) -> str | None:
    return next((name for name in datasette.databases if settings(datasette, name) is not None), None)


async def picker_entities(datasette: Any, database: str) -> list[str]:
    """The names the entity pickers offer: the watchlist's, or those mentioned if it is huge."""
    configured = (settings(datasette, database) or {}).get("entities") or []
    if configured and len(configured) <= MAX_PICKER_ENTITIES:
        return list(configured)
    rows = await datasette.get_database(database).execute(queries.MENTIONED_ENTITIES)
    return [row[0] for row in rows][:MAX_PICKER_ENTITIES]


def _filters(args: Any, entities: list[str], prefix: str) -> Filters:
    try:
        return Filters.from_args(args, entities, prefix=prefix)
    except FormError as error:
        raise BadRequest(str(error)) from None


# --- table pages: the one search box, entity and date range ---------------------------------


def article_filter_sql(filters: Filters, table: str) -> tuple[list[str], dict[str, str]]:
    """Conditions on `id` (an article id) for the filters; both indexes behind the search."""
    clauses, params = search.where_clauses(search.parse(filters.q)) if filters.q else ([], {})
    # article_list's `published` already falls back to when the article was stored.
    day = "substr(published, 1, 10)" if table == "article_list" else "substr(coalesce(published, fetched_at), 1, 10)"
    if filters.entity:
        clauses.append("id in (select article_id from mentions where entity = :nw_entity collate nocase)")
        params["nw_entity"] = filters.entity
    if filters.since:
        clauses.append(f"{day} >= :nw_since")
        params["nw_since"] = filters.since
    if filters.until:
        clauses.append(f"{day} <= :nw_until")
        params["nw_until"] = filters.until
    return clauses, params


@hookimpl(trylast=True)  # last, so that our `supports_search` replaces Datasette's own
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    if table not in ARTICLE_TABLES or settings(datasette, database) is None:
        return None

    async def inner() -> FilterArguments:
        filters = _filters(request.args, await picker_entities(datasette, database), "_")
        clauses, params = article_filter_sql(filters, table)
        # Our search box (`_q`, both indexes) replaces Datasette's (`_search`, words only).
        return FilterArguments(clauses, params, filters.descriptions(),
                               extra_context={"supports_search": False, "newswatch_filters": filters})

    return inner


# --- cells --------------------------------------------------------------------------------


def _keys(row: Any) -> set[str]:
    return set(row.keys()) if hasattr(row, "keys") else set()


def _preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_PREVIEW else text[:TEXT_PREVIEW].rstrip() + "…"


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if settings(datasette, database) is None:
        return None
    keys = _keys(row)
    if table in ARTICLE_TABLES and column == "text" and isinstance(value, str):
        return _preview(value)
    article_id = row["id"] if table == "article_list" else row["article_id"] if "article_id" in keys else None
    if column in ("headline", "atom_title") and article_id is not None and (table == "article_list" or table is None):
        href = datasette.urls.row(database, "articles", article_id)
        mark = Markup(' <span class="nw-paywalled" title="paywalled">paywalled</span>') \
            if "paywalled" in keys and row["paywalled"] else ""
        return Markup('<a href="{}">{}</a>').format(href, value or "(no headline)") + mark
    if column == "snippet" and "alias" in keys and isinstance(value, str):
        return snippet_html(value, row["alias"])
    return None


# --- template variables -------------------------------------------------------------------


async def _rows(datasette: Any, database: str, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    results = await datasette.get_database(database).execute(sql, params or {})
    return [dict(row) for row in results.rows]


async def _chart(datasette: Any, database: str, filters: Filters, newest_sql: str, sql: str,
                 build: Any) -> dict[str, Any]:
    newest = (await _rows(datasette, database, newest_sql))
    newest_day = next(iter(newest[0].values())) if newest else None
    since, until = window(newest_day, filters.since, filters.until)
    rows = await _rows(datasette, database, sql, {"since": since, "until": until, "entity": filters.entity})
    series = {k for row in rows for k, v in row.items() if k not in ("day",) and isinstance(v, str)}
    return {"spec": build(rows), "since": since, "until": until, "rows": len(rows), "series": sorted(series)}


NEWEST_ARTICLE_DAY = "select max(substr(coalesce(published, fetched_at), 1, 10)) from articles"
NEWEST_ALERT_DAY = "select max(substr(created_at, 1, 10)) from alerts"


async def landing(datasette: Any, request: Any) -> dict[str, Any]:
    """Everything the landing page shows, for the entity and date range asked for."""
    database = newswatch_database(datasette)
    if database is None:
        return {}
    entities = await picker_entities(datasette, database)
    filters = _filters(request.args, entities, "")
    args = {"entity": filters.entity, "limit": STORIES_ON_LANDING}
    stories = await _rows(datasette, database, queries.NEWEST_ALERTED_STORIES, args)
    chart_list = [
        ("mentions", "Mentions per entity per day", "mentions_per_entity_per_day",
         await _chart(datasette, database, filters, NEWEST_ARTICLE_DAY, queries.MENTIONS_PER_DAY_CHART,
                      charts.mentions_per_entity)),
        ("alerts", "Alerts per channel per day", "alerts_per_channel_per_day",
         await _chart(datasette, database, filters, NEWEST_ALERT_DAY, queries.ALERTS_PER_DAY_CHART,
                      charts.alerts_per_channel)),
        ("articles", "Articles per source per day", "articles_per_source",
         await _chart(datasette, database, filters, NEWEST_ARTICLE_DAY, queries.ARTICLES_PER_SOURCE_CHART,
                      charts.articles_per_source)),
    ]
    health = await _rows(datasette, database, queries.SOURCE_HEALTH)
    canned = await datasette.get_canned_queries(database, request.actor)
    configured_rules = (settings(datasette, database) or {}).get("rules") or []
    alerted_rules = [row["rule"] for row in await _rows(datasette, database, queries.ALERTED_RULES)]
    db = datasette.get_database(database)
    hidden = set(await db.hidden_table_names())
    table_names = [t for t in await db.table_names() if t not in hidden] + await db.view_names()
    tables = [{"name": name, "title": datasette.table_metadata(database, name).get("title") or name}
              for name in table_names]
    return {
        "newswatch": {
            "database": database,
            "filters": filters,
            "entities": entities,
            "stories": stories,
            "charts": chart_list,
            "health": health,
            "queries": [{"name": name, **query} for name, query in canned.items()],
            "rules": list(dict.fromkeys([*configured_rules, *alerted_rules])),
            "tables": tables,
        }
    }


async def article_page(datasette: Any, database: str, request: Any) -> dict[str, Any]:
    """The article's text with its mentions marked, its story's copies and the alerts on it."""
    pks = request.url_vars.get("pks", "")
    if not pks.isdigit():
        return {}
    article_id = int(pks)
    found = await _rows(datasette, database, "select * from articles where id = :id", {"id": article_id})
    if not found:
        return {}
    article = found[0]
    mentions = await _rows(datasette, database, queries.MENTIONS_OF_ARTICLE, {"id": article_id})
    counts: dict[str, int] = {}
    for mention in mentions:
        counts[mention["entity"]] = counts.get(mention["entity"], 0) + 1
    return {
        "newswatch_article": {
            "article": article,
            "title_html": marked(article.get("title") or "", mentions, "title"),
            "text_html": article_html(article.get("text") or "", mentions),
            "entities": sorted(counts.items(), key=lambda item: (-item[1], item[0])),
            "mentions": mentions,
            "copies": await _rows(datasette, database, queries.STORY_COPIES, {"id": article_id}),
            "alerts": await _rows(datasette, database, queries.ALERTS_OF_ARTICLE, {"id": article_id}),
        }
    }


@hookimpl
def extra_template_vars(template: str, database: str | None, table: str | None, columns: Any,
                        view_name: str, request: Any, datasette: Any) -> Any:
    if request is None:
        return None

    async def inner() -> dict[str, Any]:
        if template == "index.html":
            return await landing(datasette, request)
        if settings(datasette, database) is None:
            return {}
        if template == "row.html" and table == "articles":
            return await article_page(datasette, database, request)
        if template in ("table.html", "query.html"):
            return {"newswatch_entities": await picker_entities(datasette, database),
                    "newswatch_article_tables": ARTICLE_TABLES}
        return {}

    return inner


# --- the alerts feed -----------------------------------------------------------------------


def empty_feed(url: str, title: str) -> str:
    """A valid Atom feed with no entry (its `updated` is now: nothing was alerted yet)."""
    feed = FeedGenerator()
    feed.id(url)
    feed.link(href=url, rel="self")
    feed.title(title)
    feed.updated(datetime.now(timezone.utc))
    return feed.atom_str(pretty=True).decode()


def render_atom(datasette: Any, request: Any, sql: str, columns: list[str], rows: list[Any], database: str,
                table: str | None, query_name: str | None, view_name: str, data: dict[str, Any]) -> Response:
    """datasette-atom's feed, except that a rule with no alert yet gets an empty feed: datasette-atom
    0.9 takes the newest `atom_updated` of no row and answers 500, which a feed reader reports as
    a broken feed."""
    if rows:
        return datasette_atom.render_atom(datasette, request, sql, columns, rows, database, table,
                                          query_name, view_name, data)
    queries_ = datasette.metadata("queries", database=database) or {}
    title = (queries_.get(query_name) or {}).get("title") or "newswatch"
    return Response(empty_feed(request.url, title), content_type="application/xml; charset=utf-8")


@hookimpl(trylast=True)  # last, so that this "atom" replaces datasette-atom's own
def register_output_renderer(datasette: Any) -> dict[str, Any]:
    return {"extension": "atom", "render": render_atom, "can_render": datasette_atom.can_render_atom}


@hookimpl
def menu_links(datasette: Any, actor: Any, request: Any) -> Any:
    database = newswatch_database(datasette)
    if database is None:
        return None
    return [{"href": datasette.urls.table(database, "article_list"), "label": "Articles"},
            {"href": datasette.urls.query(database, "latest_mentions"), "label": "Latest mentions"}]


__all__ = ["extra_template_vars", "filters_from_request", "menu_links", "register_output_renderer",
           "render_cell"]
