"""`newswatch stats`: source health and daily volumes, as plain tables an operator can read or grep.

Read-only queries over the same database Datasette shows; computed at call time so there is no
second copy of the numbers to drift.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import click

from pipeline.cli.common import open_config, open_store
from pipeline.config import Config
from pipeline.store.sqlite import Store


@dataclass(frozen=True)
class SourceHealth:
    name: str
    state: str
    last_success: str | None
    failures: int
    last_error: str | None
    last_new_article: str | None
    articles_per_day: float


def source_state(row: dict, now: datetime) -> str:
    if row["down_since"]:
        return "DOWN"
    if row["consecutive_failures"]:
        until = row["next_attempt"]
        if until and datetime.fromisoformat(until) > now:
            return f"failing, backing off until {until[11:19]}Z"
        return "failing"
    if row["silent_since"]:
        return "silent"
    return "ok" if row["last_success"] else "never read"


def source_health(store: Store, config: Config, now: datetime, days: int = 7) -> list[SourceHealth]:
    """One row per configured source (and any source seen in the database but since removed)."""
    counts = store.articles_per_source((now - timedelta(days=days)).isoformat())
    stored = store.all_source_health()
    names = [s.name for s in config.sources] + sorted(set(stored) - {s.name for s in config.sources})
    rows = []
    for name in names:
        row = stored.get(name) or dict.fromkeys(("last_success", "consecutive_failures", "last_error",
                                                 "last_new_article", "down_since", "next_attempt",
                                                 "silent_since"))
        failures = row["consecutive_failures"] or 0
        rows.append(SourceHealth(
            name, source_state({**row, "consecutive_failures": failures}, now), row["last_success"], failures,
            row["last_error"], row["last_new_article"], counts.get(name, 0) / days,
        ))
    return rows


def daily_volumes(store: Store, now: datetime, days: int = 7) -> list[tuple[str, int, int, int, int]]:
    """(day, articles, mentions, alerts created, alerts sent) for the last `days` days (UTC)."""
    counts = store.daily_counts((now - timedelta(days=days - 1)).date().isoformat())
    out = []
    for offset in range(days - 1, -1, -1):
        day = (now - timedelta(days=offset)).date().isoformat()
        out.append((day, *(counts[k].get(day, 0) for k in ("articles", "mentions", "created", "sent"))))
    return out


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain, aligned text table."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def render_stats(store: Store, config: Config, days: int = 7, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    health = source_health(store, config, now, days)
    short = lambda value: (value or "-")[:19].replace("T", " ")  # noqa: E731
    sources = table(
        ["source", "state", "last success", "failures", "last new article", "articles/day", "last error"],
        [[h.name, h.state, short(h.last_success), str(h.failures), short(h.last_new_article),
          f"{h.articles_per_day:.1f}", (h.last_error or "")[:60]] for h in health],
    )
    volumes = table(
        ["day (UTC)", "articles", "mentions", "alerts", "sent"],
        [[day, *map(str, counts)] for day, *counts in daily_volumes(store, now, days)],
    )
    period = "the last day" if days == 1 else f"{days} days"
    return f"Sources (articles/day over {period})\n{sources}\n\nPer day\n{volumes}\n"


@click.command()
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 366),
              help="How many days of history.")
@click.pass_context
def stats(ctx: click.Context, days: int) -> None:
    """Source health and articles, mentions and alerts per day."""
    config, _ = open_config(ctx)
    with closing(open_store(config)) as store:
        click.echo(render_stats(store, config, days), nl=False)
