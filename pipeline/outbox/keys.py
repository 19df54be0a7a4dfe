"""Idempotency keys: the same message always carries the same key, so a receiver can drop a resend.

Delivery is at least once: a pass killed after its channel accepted a message but before the row
was marked sent leaves the row to be sent again. The resend carries the key of the first copy
(the e-mail Message-ID, a field of the webhook payload), so a mail system or a receiver that has
seen the key can drop it. A key is a hash of the database's random identity and what the message
stands for:

- an alert: its (rule, channel, story), the triple newswatch alerts once for, so a follow-up
  about the same story can name the first alert (In-Reply-To) without storing anything;
- a digest: its (rule, channel) and the exact alerts in it (a resend after a crash repeats the
  same alerts, see `pipeline.outbox.digests.due_groups`);
- a notice: its row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

PREFIX = "nw1-"  # a version: a change of recipe must not collide with keys already sent


def _key(instance: str, *parts: object) -> str:
    text = "\x1f".join(str(p) for p in (instance, *parts))
    return PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def alert_key(instance: str, rule: str, channel: str, story_id: int, new_entity: str = "") -> str:
    """A story update's follow-up for a newly named entity is a message of its own: its own key."""
    if new_entity:
        return _key(instance, "alert", rule, channel, story_id, new_entity)
    return _key(instance, "alert", rule, channel, story_id)


def alerts_key(instance: str, alert_ids: Iterable[int]) -> str:
    """One message for several rules' alerts on one story: keyed by exactly those alerts."""
    return _key(instance, "alerts", ",".join(map(str, sorted(alert_ids))))


def digest_key(instance: str, rule: str, channel: str, alert_ids: Iterable[int]) -> str:
    return _key(instance, "digest", rule, channel, ",".join(map(str, sorted(alert_ids))))


def notice_key(instance: str, notice_id: int) -> str:
    return _key(instance, "notice", notice_id)
