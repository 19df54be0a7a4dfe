"""Source health: what each pass says about each source, backoff, and the admin notices.

A feed that starts answering 403 just stops producing news, quietly. This module turns each
pass's report into per-source health (last success, consecutive failures, last error, last new
article), decides when a failing source may be tried again (exponential backoff), and queues
"source down", "recovered" and "source silent" notices in the outbox for the `admin_channel:`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable

from pipeline.config import Config, SourceConfig
from pipeline.models import CrawlReport, Notice
from pipeline.service.schedule import backoff_s
from pipeline.store.clock import iso, parse_iso
from pipeline.store.sqlite import Store


def record_pass(
    store: Store, config: Config, report: CrawlReport, now: datetime,
    interval_of: Callable[[SourceConfig], float],
) -> list[Notice]:
    """Fold one pass's per-source outcome into source health; queue (and return) new notices."""
    notices: list[Notice] = []
    known = {s.name: s for s in config.sources}
    updates: dict[str, dict[str, Any]] = {}
    for name, outcome in report.sources.items():
        state = store.source_health(name)
        update: dict[str, Any] = {"health_since": state["health_since"] or iso(now)}
        if outcome.was_read:
            update.update(consecutive_failures=0, last_success=iso(now), next_attempt=None,
                          down_since=None)
            if outcome.new_articles:
                update.update(last_new_article=iso(now), silent_since=None)
            if state["down_since"]:
                notices.append(Notice(name, "recovered",
                                      f"{name} is read again (down since {state['down_since']})."))
        else:
            failures = (state["consecutive_failures"] or 0) + 1
            source = known.get(name)
            wait = backoff_s(failures, interval_of(source)) if source else 0.0
            update.update(consecutive_failures=failures, last_error=outcome.reason,
                          next_attempt=iso(now + timedelta(seconds=wait)) if wait else None)
            if failures >= config.source_down_after and not state["down_since"]:
                update["down_since"] = iso(now)
                notices.append(Notice(
                    name, "down", f"{name} failed {failures} times in a row. Last error: {outcome.reason}",
                ))
        updates[name] = update
    with store.transaction():
        store.update_source_health(updates)
        for notice in notices:
            store.queue_notice(notice, now)
    return notices


def check_silent(store: Store, config: Config, now: datetime) -> list[Notice]:
    """Queue "source silent" once for each source quiet for longer than its `expect_new_within`."""
    notices = []
    with store.transaction():
        for source in config.sources_to_read():
            if source.expect_new_within is None:
                continue
            state = store.source_health(source.name)
            since = parse_iso(state["last_new_article"] or state["health_since"])
            if since is None or state["silent_since"] or state["down_since"]:  # down says it already
                continue
            if now - since > timedelta(seconds=source.expect_new_within):
                what = "no new article" if state["last_new_article"] else "no article yet"
                notice = Notice(source.name, "silent",
                                f"{source.name}: {what} since {iso(since)} "
                                f"(expected one within {source.expect_new_within:g}s).")
                store.update_source_health({source.name: {"silent_since": iso(now)}})
                store.queue_notice(notice, now)
                notices.append(notice)
    return notices


def may_try(store: Store, name: str, now: datetime) -> bool:
    """False while a failing source is backing off."""
    until = parse_iso(store.source_health(name)["next_attempt"])
    return until is None or until <= now
