"""Digests: a rule with `digest:` holds its alerts and sends them as one message per channel.

One alert per article floods an inbox on a busy day. A digest rule's alerts are written to the
outbox like any other (so nothing is lost), but instant delivery skips them; when the rule's
schedule comes due they are gathered per (rule, channel), grouped by entity, newest first, and
sent as one message. Dueness is computed from the oldest held alert, not from a timer, so a
digest whose time passed while nothing was running goes out at the next start or `crawl`.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Mapping, Protocol, Sequence

from pipeline.config import Config
from pipeline.deliver import MAX_ATTEMPTS, build_message
from pipeline.message import AlertMessage, DeliveryError
from pipeline.schedule import DigestSchedule, parse_digest
from pipeline.store import PendingAlert, Store

log = logging.getLogger("newswatch.digest")


@dataclass(frozen=True)
class DigestGroup:
    entity: str
    messages: Sequence[AlertMessage]  # newest first


@dataclass(frozen=True)
class DigestMessage:
    rule: str
    schedule: str
    groups: Sequence[DigestGroup]

    @property
    def count(self) -> int:
        return sum(len(g.messages) for g in self.groups)


class DigestChannel(Protocol):
    name: str

    def send_digest(self, digest: DigestMessage) -> None: ...


@dataclass
class DigestReport:
    sent: list[tuple[str, str, int]] = field(default_factory=list)  # rule, channel, articles
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # rule, channel, error


def digest_rules(config: Config) -> dict[str, DigestSchedule]:
    return {r.name: parse_digest(r.digest, r.timezone) for r in config.alerts if r.digest}


def instant_only(config: Config) -> Callable[[PendingAlert], bool]:
    """The filter instant delivery uses: alerts of digest rules wait for their digest."""
    held = frozenset(digest_rules(config))
    return lambda alert: alert.rule not in held


def primary_entity(message: AlertMessage) -> str:
    """The entity an article is filed under: most mentions, then first mentioned."""
    counts = Counter(m.entity for m in message.mentions)
    order = list(message.entities)
    if not order:
        return message.rule
    return max(order, key=lambda e: (counts[e], -order.index(e)))


def group_messages(items: Sequence[tuple[AlertMessage, str]]) -> list[DigestGroup]:
    """(message, when) pairs -> groups by entity; newest first within and across groups."""
    by_entity: dict[str, list[tuple[str, AlertMessage]]] = defaultdict(list)
    for message, when in items:
        by_entity[primary_entity(message)].append((when, message))
    groups = []
    for entity, entries in by_entity.items():
        entries.sort(key=lambda e: e[0], reverse=True)
        groups.append((entries[0][0], entity, [m for _, m in entries]))
    groups.sort(key=lambda g: (g[0], g[1]), reverse=True)
    return [DigestGroup(entity, messages) for _, entity, messages in groups]


def _held(store: Store, rules: Sequence[str]) -> dict[tuple[str, str], list[tuple[PendingAlert, str, str, str]]]:
    if not rules:
        return {}
    marks = ",".join("?" * len(rules))
    rows = store.db.execute(
        "select a.id, a.rule, a.channel, a.article_id, a.attempts, a.status, a.created_at,"
        " coalesce(ar.published, a.created_at)"
        f" from alerts a join articles ar on ar.id = a.article_id where a.rule in ({marks})"
        " and a.status in ('pending', 'failed') and a.attempts < ? order by a.id",
        [*rules, MAX_ATTEMPTS],
    ).fetchall()
    held: dict[tuple[str, str], list[tuple[PendingAlert, str, str, str]]] = defaultdict(list)
    for alert_id, rule, channel, article_id, attempts, status, created, when in rows:
        alert = PendingAlert(alert_id, rule, channel, article_id, attempts)
        held[(rule, channel)].append((alert, status, created, when))
    return held


def deliver_digests(
    store: Store,
    config: Config,
    channels: Mapping[str, DigestChannel],
    rule_entities: Mapping[str, set[str]],
    now: datetime,
    retry_failed: bool = False,
    stop: Callable[[], bool] = lambda: False,
) -> DigestReport:
    """Send every digest that is due; a failed one is retried (`retry_failed`) on the retry schedule."""
    schedules = digest_rules(config)
    report = DigestReport()
    for (rule, channel_name), held in _held(store, list(schedules)).items():
        if stop():
            break
        waiting = [created for _, status, created, _ in held if status == "pending" or retry_failed]
        if not waiting or not schedules[rule].is_due(datetime.fromisoformat(min(waiting)), now):
            continue
        ids = [alert.id for alert, *_ in held]
        channel = channels.get(channel_name)
        if channel is None:
            _mark_failed(store, ids, f"channel {channel_name!r} is not configured")
            report.failed.append((rule, channel_name, "channel not configured"))
            continue
        items = [(build_message(store, alert, rule_entities), when) for alert, _, _, when in held]
        digest = DigestMessage(rule, schedules[rule].text, group_messages(items))
        try:
            channel.send_digest(digest)
        except DeliveryError as exc:
            _mark_failed(store, ids, str(exc))
            report.failed.append((rule, channel_name, str(exc)))
            log.warning("digest %s to %s failed: %s", rule, channel_name, exc)
            continue
        with store.transaction():
            for alert_id in ids:
                store.mark_sent(alert_id)
        report.sent.append((rule, channel_name, len(ids)))
    return report


def _mark_failed(store: Store, ids: Sequence[int], error: str) -> None:
    with store.transaction():
        for alert_id in ids:
            store.mark_failed(alert_id, error)
