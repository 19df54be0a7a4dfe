"""Deliver the outbox: one loop for alerts, digests and admin notices.

Runs after the crawl, never inside it. Each producer below turns outbox rows into `Outgoing`
items (a message and the rows it stands for); `deliver` claims each item's rows (so no other pass
sends them meanwhile), hands the message to its channel and marks the rows sent, or records the
error so they are retried (up to MAX_ATTEMPTS attempts in all).

The guarantee: a row is marked sent only after its channel accepted the message, so no alert is
lost; a pass killed between the two leaves its claim to expire (CLAIM_S), and the row is sent
once more, with the same key (`pipeline.outbox.keys`) and counted in `possible_resends`.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable, Iterator, Mapping

from pipeline.config import Config
from pipeline.models import Channel, DeliveryError, DigestMessage, Message, Notice, PermanentDeliveryError
from pipeline.outbox.digests import digest_rules, due_groups, group_messages
from pipeline.outbox.keys import digest_key, notice_key
from pipeline.outbox.messages import build_message, build_story_message
from pipeline.store.sqlite import Claim, PendingAlert, Store

MAX_ATTEMPTS = 10  # per row, for alerts, digests and notices alike
# How long a claim holds: longer than any one send takes (channels time out after 30 s by
# default, an e-mail is a handful of round trips), short enough that the message of a pass that
# died mid-send is retried within minutes.
CLAIM_S = 120.0
log = logging.getLogger("newswatch.deliver")

Clock = Callable[[], datetime]


def never() -> bool:
    return False


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_holder() -> str:
    """Who claims: host, process and a token per pass (one process runs many passes)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


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
    resend: bool = False  # taken over from a pass that died mid-send: the channel may have it twice


@dataclass(frozen=True)
class Failed:
    outgoing: Outgoing
    error: str
    permanent: bool = False  # marked failed for good: retrying cannot help
    pause: bool = False  # the channel is in trouble: the rest of this pass waits for it
    retry_after: float | None = None


@dataclass
class DeliveryReport:
    sent: list[Sent] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)
    logged: int = 0  # notices with no admin channel to go to
    skipped: int = 0  # items another pass had claimed
    waiting: dict[str, str] = field(default_factory=dict)  # channel -> why its messages wait
    held_back: int = 0  # messages not tried because their channel waits

    def extend(self, other: "DeliveryReport") -> "DeliveryReport":
        self.sent += other.sent
        self.failed += other.failed
        self.logged += other.logged
        self.skipped += other.skipped
        self.waiting.update(other.waiting)
        self.held_back += other.held_back
        return self

    def of_kind(self, kind: str) -> "DeliveryReport":
        return DeliveryReport([s for s in self.sent if s.outgoing.kind == kind],
                              [f for f in self.failed if f.outgoing.kind == kind])

    @property
    def resends(self) -> int:
        return sum(1 for s in self.sent if s.resend)


def deliver(
    store: Store, channels: Mapping[str, Channel], outgoing: Iterable[Outgoing], stop: Callable[[], bool] = never,
    clock: Clock = utc_now,
) -> DeliveryReport:
    """Claim, send and mark each item; `stop` ends the loop between two messages.

    A channel that timed out or rate-limited us is paused for the rest of the pass (its messages
    stay pending, untried), and held in the store until its Retry-After; other channels go on. A
    permanent failure is marked failed for good and the admin channel is told once per channel.
    """
    report = DeliveryReport()
    holder = new_holder()
    told: set[str] = set()
    for item in outgoing:
        if stop():
            break
        now = clock()
        why = report.waiting.get(item.channel) or waiting_reason(store.channel_hold(item.channel, now))
        if why:
            report.waiting[item.channel] = why
            report.held_back += 1
            continue
        claim = store.claim_delivery(item.table, item.ids, holder, now + timedelta(seconds=CLAIM_S), now,
                                     MAX_ATTEMPTS)
        if claim is None:
            report.skipped += 1
            continue
        result = send_claimed(store, channels.get(item.channel), item, claim)
        if isinstance(result, Sent):
            report.sent.append(result)
            continue
        report.failed.append(result)
        if result.pause:
            report.waiting[item.channel] = pause_channel(store, item.channel, result, now)
        if result.permanent and item.kind != "notice" and item.channel not in told:
            told.add(item.channel)
            store.queue_notice(Notice(item.channel, "channel", channel_notice(item, result)), now)
    return report


def waiting_reason(hold: tuple[str, str] | None) -> str:
    return f"{hold[1]} (held until {hold[0]})" if hold else ""


def pause_channel(store: Store, channel: str, failure: "Failed", now: datetime) -> str:
    """The rest of this pass waits; with a Retry-After, every pass does until then."""
    if failure.retry_after:
        until = now + timedelta(seconds=failure.retry_after)
        store.hold_channel(channel, until, failure.error)
        return f"{failure.error} (held until {until.replace(microsecond=0).isoformat()})"
    return f"{failure.error} (its other messages wait for the next pass)"


def channel_notice(item: Outgoing, failure: "Failed") -> str:
    return (f"Channel {item.channel} refused {item.label} for good: {failure.error}. It is marked failed "
            "and will not be retried; fix the channel's settings, then `newswatch channels test "
            f"{item.channel}`.")


def send_claimed(store: Store, channel: Channel | None, item: Outgoing, claim: Claim) -> Sent | Failed:
    """Send one claimed item and mark its rows with the outcome."""
    if channel is None:
        return failed(store, item, claim, f"channel {item.channel!r} is not configured")
    try:
        message = item.build()
    except Exception as exc:  # a row the message cannot be built from: fail it, go on with the rest
        log.exception("%s to %s: cannot build the message", item.label, item.channel)
        return failed(store, item, claim, f"cannot build the message: {type(exc).__name__}: {exc}")
    resend = bool(claim.resumed)
    if resend:
        log.warning("%s to %s: sent again after a pass died while sending it (key %s)",
                    item.label, item.channel, getattr(message, "key", ""))
    try:
        channel.send(message)
    except PermanentDeliveryError as exc:  # reported by the caller: one line per failure
        store.mark_delivery(claim, "failed", f"permanent: {exc}", give_up_at=MAX_ATTEMPTS)
        return Failed(item, str(exc), permanent=True)
    except DeliveryError as exc:
        store.mark_delivery(claim, "failed", str(exc))
        return Failed(item, str(exc), pause=exc.pause, retry_after=exc.retry_after)
    except Exception as exc:  # a channel's bug: the row is retried like any failure
        log.exception("%s to %s: the channel raised", item.label, item.channel)
        return failed(store, item, claim, f"{type(exc).__name__}: {exc}")
    if store.mark_delivery(claim, "sent") < len(claim.ids):
        log.warning("%s to %s: its claim expired while sending; another pass may send it again (key %s)",
                    item.label, item.channel, getattr(message, "key", ""))
    return Sent(item, message, resend)


def failed(store: Store, item: Outgoing, claim: Claim, error: str) -> Failed:
    store.mark_delivery(claim, "failed", error)
    return Failed(item, error)


# --- producers ----------------------------------------------------------------------------


def pending_alerts(
    store: Store, rule_entities: Mapping[str, set[str]],
    include: Callable[[PendingAlert], bool] | None = None, retry_failed: bool = True, clock: Clock = utc_now,
) -> Iterator[Outgoing]:
    """Every pending alert (and failed one, when retrying) that `include` lets through: one message
    per (story, channel), naming every rule that alerts on the story (and each rule's reason, a
    follow-up for a newly named entity included)."""
    groups: dict[tuple[int, str], list[PendingAlert]] = {}
    for alert in store.pending_alerts(MAX_ATTEMPTS, clock(), retry_failed):
        if include is None or include(alert):
            target = (alert.story_id or -alert.article_id, alert.channel)
            groups.setdefault(target, []).append(alert)
    for alerts in groups.values():
        yield Outgoing("alert", "alerts", tuple(a.id for a in alerts), alerts[0].channel,
                       lambda alerts=alerts: build_story_message(store, alerts, rule_entities),
                       ", ".join(dict.fromkeys(a.rule for a in alerts)))


def due_digests(
    store: Store, config: Config, now: datetime, retry_failed: bool = False, clock: Clock = utc_now,
) -> Iterator[Outgoing]:
    """Every digest due at `now`, one message per (rule, channel); failed ones only when retrying.

    `clock` is the real time claims are judged by (`now` may be a schedule's time).
    """
    schedules = digest_rules(config)
    rule_entities = config.entities_by_rule()
    held_alerts = store.held_alerts(list(schedules), MAX_ATTEMPTS, clock())
    for rule, channel, held in due_groups(held_alerts, schedules, now, retry_failed):
        ids = tuple(h.alert.id for h in held)

        def build(rule: str = rule, channel: str = channel, held: list = held, ids: tuple = ids) -> DigestMessage:
            items = [(build_message(store, h.alert, rule_entities), h.when) for h in held]
            return DigestMessage(rule, schedules[rule].text, group_messages(items),
                                 key=digest_key(store.instance_id(), rule, channel, ids))

        yield Outgoing("digest", "alerts", ids, channel, build, rule)


def pending_notices(
    store: Store, admin_channel: str | None, report: DeliveryReport, retry_failed: bool = True,
    clock: Clock = utc_now,
) -> Iterator[Outgoing]:
    """Pending notices for the admin channel; without one they are logged (and counted) instead."""
    holder = new_holder()
    for notice_id, notice in store.pending_notices(MAX_ATTEMPTS, clock(), retry_failed):
        if admin_channel is None:
            moment = clock()
            claim = store.claim_delivery("notices", [notice_id], holder, moment + timedelta(seconds=CLAIM_S),
                                         moment, MAX_ATTEMPTS)
            if claim is not None:
                log.warning("%s (no admin_channel configured): %s", notice.headline, notice.text)
                store.mark_delivery(claim, "logged")
                report.logged += 1
            continue
        key = notice_key(store.instance_id(), notice_id)
        yield Outgoing("notice", "notices", (notice_id,), admin_channel,
                       lambda notice=notice, key=key: replace(notice, key=key))


# --- what callers run -----------------------------------------------------------------------


def deliver_alerts(
    store: Store, channels: Mapping[str, Channel], rule_entities: Mapping[str, set[str]] | None = None,
    include: Callable[[PendingAlert], bool] | None = None, stop: Callable[[], bool] = never,
    retry_failed: bool = True, clock: Clock = utc_now,
) -> DeliveryReport:
    """Instant alerts (`include` skips those a digest holds); failed ones too when `retry_failed`."""
    return deliver(store, channels, pending_alerts(store, rule_entities or {}, include, retry_failed, clock),
                   stop, clock)


def deliver_digests(
    store: Store, config: Config, channels: Mapping[str, Channel], now: datetime,
    retry_failed: bool = False, stop: Callable[[], bool] = never, clock: Clock = utc_now,
) -> DeliveryReport:
    return deliver(store, channels, due_digests(store, config, now, retry_failed, clock), stop, clock)


def deliver_notices(
    store: Store, channels: Mapping[str, Channel], admin_channel: str | None, stop: Callable[[], bool] = never,
    retry_failed: bool = True, clock: Clock = utc_now,
) -> DeliveryReport:
    logged = DeliveryReport()
    items = pending_notices(store, admin_channel, logged, retry_failed, clock)
    return deliver(store, channels, items, stop, clock).extend(logged)
