"""Deliver the outbox: one loop for alerts, digests and admin notices.

Runs after the crawl, never inside it. Each producer below turns outbox rows into `Outgoing`
items (a message and the rows it stands for); `deliver` hands each to its channel and marks its
rows sent, or records the error so they are retried (up to MAX_ATTEMPTS attempts in all).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable, Iterator, Mapping

from pipeline.config import Config
from pipeline.models import Channel, DeliveryError, DigestMessage, Message
from pipeline.outbox.digests import digest_rules, due_groups, group_messages
from pipeline.outbox.messages import build_message
from pipeline.store.sqlite import PendingAlert, Store

MAX_ATTEMPTS = 10  # per row, for alerts, digests and notices alike
log = logging.getLogger("newswatch.deliver")


def never() -> bool:
    return False


@dataclass(frozen=True)
class Outgoing:
    """One message to send and the outbox rows it stands for."""

    kind: str  # alert | digest | notice
    table: str  # alerts | notices
    ids: tuple[int, ...]
    channel: str
    build: Callable[[], Message]  # built just before sending: a stopped pass builds nothing more
    rule: str | None = None

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def label(self) -> str:
        return f"digest {self.rule}" if self.kind == "digest" else f"{self.kind} {self.ids[0]}"


@dataclass(frozen=True)
class Sent:
    outgoing: Outgoing
    message: Message


@dataclass(frozen=True)
class Failed:
    outgoing: Outgoing
    error: str


@dataclass
class DeliveryReport:
    sent: list[Sent] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)
    logged: int = 0  # notices with no admin channel to go to

    def extend(self, other: "DeliveryReport") -> "DeliveryReport":
        self.sent += other.sent
        self.failed += other.failed
        self.logged += other.logged
        return self

    def of_kind(self, kind: str) -> "DeliveryReport":
        return DeliveryReport([s for s in self.sent if s.outgoing.kind == kind],
                              [f for f in self.failed if f.outgoing.kind == kind])


def deliver(
    store: Store, channels: Mapping[str, Channel], outgoing: Iterable[Outgoing], stop: Callable[[], bool] = never,
) -> DeliveryReport:
    """Send each item to its channel and mark its rows; `stop` ends the loop between two messages."""
    report = DeliveryReport()
    for item in outgoing:
        if stop():
            break
        channel = channels.get(item.channel)
        if channel is None:
            error = f"channel {item.channel!r} is not configured"
            store.mark_delivery(item.table, item.ids, "failed", error)
            report.failed.append(Failed(item, error))
            continue
        message = item.build()
        try:
            channel.send(message)
        except DeliveryError as exc:
            store.mark_delivery(item.table, item.ids, "failed", str(exc))
            report.failed.append(Failed(item, str(exc)))
            log.warning("%s to %s failed: %s", item.label, item.channel, exc)
            continue
        store.mark_delivery(item.table, item.ids, "sent")
        report.sent.append(Sent(item, message))
    return report


# --- producers ----------------------------------------------------------------------------


def pending_alerts(
    store: Store, rule_entities: Mapping[str, set[str]],
    include: Callable[[PendingAlert], bool] | None = None,
) -> Iterator[Outgoing]:
    """Every pending (or failed, retryable) alert that `include` lets through, one message each."""
    for alert in store.pending_alerts(MAX_ATTEMPTS):
        if include is None or include(alert):
            yield Outgoing("alert", "alerts", (alert.id,), alert.channel,
                           lambda alert=alert: build_message(store, alert, rule_entities), alert.rule)


def due_digests(
    store: Store, config: Config, now: datetime, retry_failed: bool = False,
) -> Iterator[Outgoing]:
    """Every digest due now, one message per (rule, channel); failed ones only when retrying."""
    schedules = digest_rules(config)
    rule_entities = config.entities_by_rule()
    for rule, channel, held in due_groups(store.held_alerts(list(schedules), MAX_ATTEMPTS),
                                          schedules, now, retry_failed):
        def build(rule: str = rule, held: list = held) -> DigestMessage:
            items = [(build_message(store, h.alert, rule_entities), h.when) for h in held]
            return DigestMessage(rule, schedules[rule].text, group_messages(items))

        yield Outgoing("digest", "alerts", tuple(h.alert.id for h in held), channel, build, rule)


def pending_notices(store: Store, admin_channel: str | None, report: DeliveryReport) -> Iterator[Outgoing]:
    """Pending notices for the admin channel; without one they are logged (and counted) instead."""
    for notice_id, notice in store.pending_notices(MAX_ATTEMPTS):
        if admin_channel is None:
            log.warning("%s (no admin_channel configured): %s", notice.headline, notice.text)
            store.mark_delivery("notices", [notice_id], "logged")
            report.logged += 1
            continue
        yield Outgoing("notice", "notices", (notice_id,), admin_channel, lambda notice=notice: notice)


# --- what callers run -----------------------------------------------------------------------


def deliver_alerts(
    store: Store, channels: Mapping[str, Channel], rule_entities: Mapping[str, set[str]] | None = None,
    include: Callable[[PendingAlert], bool] | None = None, stop: Callable[[], bool] = never,
) -> DeliveryReport:
    """Instant alerts (`include` skips those a digest holds)."""
    return deliver(store, channels, pending_alerts(store, rule_entities or {}, include), stop)


def deliver_digests(
    store: Store, config: Config, channels: Mapping[str, Channel], now: datetime,
    retry_failed: bool = False, stop: Callable[[], bool] = never,
) -> DeliveryReport:
    return deliver(store, channels, due_digests(store, config, now, retry_failed), stop)


def deliver_notices(
    store: Store, channels: Mapping[str, Channel], admin_channel: str | None, stop: Callable[[], bool] = never,
) -> DeliveryReport:
    logged = DeliveryReport()
    return deliver(store, channels, pending_notices(store, admin_channel, logged), stop).extend(logged)
