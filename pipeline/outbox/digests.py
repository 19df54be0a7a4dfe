"""Digests: a rule with `digest:` holds its alerts and sends them as one message per channel.

One alert per article floods an inbox on a busy day. A digest rule's alerts are written to the
outbox like any other (so nothing is lost), but instant delivery skips them; when the rule's
schedule comes due they are gathered per (rule, channel), grouped by entity, newest first, and
sent as one message. Dueness is computed from the oldest held alert, not from a timer, so a
digest whose time passed while nothing was running goes out at the next start or `crawl`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Callable, Sequence

from pipeline.config import Config
from pipeline.config.schedules import DigestSchedule, parse_digest
from pipeline.models import AlertMessage, DigestGroup
from pipeline.store.sqlite import HeldAlert, PendingAlert


def digest_rules(config: Config) -> dict[str, DigestSchedule]:
    return {r.name: parse_digest(r.digest, r.timezone) for r in config.rules if r.digest}


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


def due_groups(
    held: Sequence[HeldAlert], schedules: dict[str, DigestSchedule], now: datetime, retry_failed: bool,
) -> list[tuple[str, str, list[HeldAlert]]]:
    """(rule, channel, alerts) for every digest due now; a failed one only when retrying.

    Alerts whose digest was being sent by a pass that died (an expired claim) go out again as
    that same digest, on their own and at once: the same alerts make the same key, so a receiver
    that got the first copy can drop this one. Alerts held since then wait for their own digest.
    """
    by_target: dict[tuple[str, str], list[HeldAlert]] = defaultdict(list)
    interrupted: dict[tuple[str, str, str], list[HeldAlert]] = defaultdict(list)
    for item in held:
        if item.claimed_by is not None:
            interrupted[(item.alert.rule, item.alert.channel, item.claimed_by)].append(item)
        else:
            by_target[(item.alert.rule, item.alert.channel)].append(item)
    due = [(rule, channel, items) for (rule, channel, _), items in interrupted.items()]
    for (rule, channel), items in by_target.items():
        waiting = [i.created_at for i in items if i.status == "pending" or retry_failed]
        if waiting and schedules[rule].is_due(datetime.fromisoformat(min(waiting)), now):
            due.append((rule, channel, items))
    return due
