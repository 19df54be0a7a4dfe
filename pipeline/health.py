"""Source health: what each pass says about each source, backoff, and the admin notices.

A feed that starts answering 403 just stops producing news, quietly. This module turns each pass's
report into per-source health (last success, consecutive failures, last error, last new article),
decides when a failing source may be tried again (exponential backoff), and writes "source down",
"recovered" and "source silent" notices into their own outbox (`notices`), delivered after the
pass to the `admin_channel:` and retried like alerts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping, Protocol

from pipeline.config import Config, SourceConfig
from pipeline.message import DeliveryError
from pipeline.schedule import backoff_s
from pipeline.report import CrawlReport
from pipeline.store import Store

MAX_NOTICE_ATTEMPTS = 10
log = logging.getLogger("newswatch.health")


@dataclass(frozen=True)
class Notice:
    """An operator message about a source: kind is 'down', 'recovered' or 'silent'."""

    source: str
    kind: str
    text: str

    @property
    def headline(self) -> str:
        label = {"down": "source down", "recovered": "source recovered", "silent": "source silent"}
        return f"{label.get(self.kind, self.kind)}: {self.source}"


class NoticeChannel(Protocol):
    name: str

    def send_notice(self, notice: Notice) -> None: ...


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def parse_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _state(store: Store, name: str) -> dict:
    row = store.db.execute(
        "select consecutive_failures, down_since, health_since, last_new_article, silent_since"
        " from sources where name = ?", [name],
    ).fetchone()
    keys = ("consecutive_failures", "down_since", "health_since", "last_new_article", "silent_since")
    return dict(zip(keys, row)) if row else {k: None for k in keys}


def queue_notice(store: Store, notice: Notice, now: datetime) -> None:
    store.db["notices"].insert(
        {"source": notice.source, "kind": notice.kind, "text": notice.text, "status": "pending",
         "attempts": 0, "created_at": iso(now)}
    )


def record_pass(
    store: Store, config: Config, report: CrawlReport, now: datetime,
    interval_of: Callable[[SourceConfig], float],
) -> list[Notice]:
    """Fold one pass's per-source outcome into `sources`; queue (and return) new notices."""
    notices: list[Notice] = []
    known = {s.name: s for s in config.sources}
    with store.transaction():
        for name, outcome in report.sources.items():
            state = _state(store, name)
            update: dict = {"health_since": state["health_since"] or iso(now)}
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
                        name, "down",
                        f"{name} failed {failures} times in a row. Last error: {outcome.reason}",
                    ))
            store.db["sources"].upsert({"name": name, **update}, pk="name")
        for notice in notices:
            queue_notice(store, notice, now)
    return notices


def check_silent(store: Store, config: Config, now: datetime) -> list[Notice]:
    """Queue "source silent" once for each source quiet for longer than its `expect_new_within`."""
    notices = []
    with store.transaction():
        for source in config.sources:
            if source.expect_new_within is None:
                continue
            state = _state(store, source.name)
            since = parse_iso(state["last_new_article"] or state["health_since"])
            if since is None or state["silent_since"] or state["down_since"]:  # down says it already
                continue
            if now - since > timedelta(seconds=source.expect_new_within):
                what = "no new article" if state["last_new_article"] else "no article yet"
                notice = Notice(source.name, "silent",
                                f"{source.name}: {what} since {iso(since)} "
                                f"(expected one within {source.expect_new_within:g}s).")
                store.db["sources"].upsert({"name": source.name, "silent_since": iso(now)}, pk="name")
                queue_notice(store, notice, now)
                notices.append(notice)
    return notices


def may_try(store: Store, name: str, now: datetime) -> bool:
    """False while a failing source is backing off."""
    row = store.db.execute("select next_attempt from sources where name = ?", [name]).fetchone()
    until = parse_iso(row[0]) if row else None
    return until is None or until <= now


def deliver_notices(
    store: Store, channels: Mapping[str, NoticeChannel], admin_channel: str | None,
    stop: Callable[[], bool] = lambda: False,
) -> tuple[int, int]:
    """Send pending notices to the admin channel; (sent, failed). Without one they are only logged."""
    rows = store.db.execute(
        "select id, source, kind, text from notices where status in ('pending', 'failed')"
        " and attempts < ? order by id", [MAX_NOTICE_ATTEMPTS],
    ).fetchall()
    sent = failed = 0
    channel = channels.get(admin_channel) if admin_channel else None
    for notice_id, source, kind, text in rows:
        if stop():
            break
        notice = Notice(source, kind, text)
        if channel is None:
            log.warning("%s (no admin_channel configured): %s", notice.headline, text)
            _mark(store, notice_id, "logged", None)
            continue
        try:
            channel.send_notice(notice)
        except DeliveryError as exc:
            _mark(store, notice_id, "failed", str(exc))
            failed += 1
            continue
        _mark(store, notice_id, "sent", None)
        sent += 1
    return sent, failed


def _mark(store: Store, notice_id: int, status: str, error: str | None) -> None:
    with store.transaction():
        store.db.execute(
            "update notices set status = ?, attempts = attempts + 1, last_error = ?,"
            " sent_at = case when ? = 'sent' then ? else sent_at end where id = ?",
            [status, error, status, iso(datetime.now(timezone.utc)), notice_id],
        )
