"""Vega-Lite specifications of the landing page's charts, with their data inline. Pure.

The page draws them with Vega, Vega-Lite and vega-embed as served by the installed
datasette-dashboards package (nothing is fetched from the web). Each chart is a function of the
rows of its query, so the same data shows with or without `--public`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier; never fetched


def _per_day(rows: Iterable[Mapping[str, Any]], value: str, series: str, title: str,
             mark: dict[str, Any], stack: bool) -> dict[str, Any]:
    values = [{"day": r["day"], series: r[series], value: r[value]} for r in rows]
    y: dict[str, Any] = {"field": value, "type": "quantitative", "title": value}
    if not stack:
        y["stack"] = None
    return {
        "$schema": SCHEMA,
        "description": title,
        "width": "container",
        "height": 220,
        "data": {"values": values},
        "mark": mark,
        "encoding": {
            # Days as categories: one band per day that has data, labelled as stored (YYYY-MM-DD).
            "x": {"field": "day", "type": "ordinal", "title": "day", "axis": {"labelAngle": -30, "labelOverlap": True}},
            "y": y,
            "color": {"field": series, "type": "nominal", "title": series},
            "tooltip": [{"field": "day", "type": "ordinal"},
                        {"field": series, "type": "nominal"},
                        {"field": value, "type": "quantitative"}],
        },
    }


def every_day(rows: Iterable[Mapping[str, Any]], value: str, series: str) -> list[dict[str, Any]]:
    """The rows with a 0 for each (day, series) missing, every calendar day from the first to the
    last: a line drawn from 3 to 6 must not hide the day in between that had none."""
    rows = list(rows)
    if not rows:
        return []
    have = {(r["day"], r[series]): r[value] for r in rows}
    names = sorted({r[series] for r in rows})
    first, last = date.fromisoformat(min(have)[0]), date.fromisoformat(max(have)[0])
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    return [{"day": day, series: name, value: have.get((day, name), 0)} for day in days for name in names]


def mentions_per_entity(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A line per entity, a point per day (0 on the days it was not mentioned)."""
    return _per_day(every_day(rows, "mentions", "entity"), "mentions", "entity", "Mentions per entity per day",
                    {"type": "line", "point": {"size": 60}, "strokeWidth": 2}, stack=False)


def alerts_per_channel(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Stacked bars: alerts written per day, by channel."""
    return _per_day(rows, "alerts", "channel", "Alerts per channel per day", {"type": "bar"}, stack=True)


def articles_per_source(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Stacked bars: articles per day, by source."""
    return _per_day(rows, "articles", "source", "Articles per source per day", {"type": "bar"}, stack=True)
