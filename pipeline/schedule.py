"""When things happen: source schedules (`every` / `cron:`), digest schedules, backoff, jitter.

Pure functions over APScheduler 3 triggers, so that config validation, the daemon and `crawl` from
cron all read a schedule the same way, and the arithmetic can be tested without a clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import math
import random

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

DEFAULT_TIMEZONE = "UTC"
JITTER_FRACTION = 0.05  # of the interval
MAX_JITTER_S = 30.0
MAX_BACKOFF_S = 6 * 3600.0
_DAILY = re.compile(r"^daily\s+([01]?\d|2[0-3]):([0-5]\d)$")
_EVERY = re.compile(r"^every\s+(\d+(?:\.\d+)?)\s*(s|m|h|d)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def zone(name: str | None) -> ZoneInfo:
    """An IANA time zone (default UTC); ValueError names a bad one."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone such as UTC or Europe/Oslo") from None


def cron_trigger(expression: str, tz: str | None = None) -> CronTrigger:
    """A five-field crontab expression ('0 8 * * 1-5'); ValueError says what is wrong."""
    if len(expression.split()) != 5:
        raise ValueError(f"{expression!r} is not a cron expression of five fields (min hour day month weekday)")
    try:
        return CronTrigger.from_crontab(expression, timezone=zone(tz))
    except ValueError as exc:
        raise ValueError(f"{expression!r} is not a valid cron expression: {exc}") from None


def trigger_interval(trigger: BaseTrigger, now: datetime) -> float:
    """Seconds between two consecutive fire times: the 'interval' of a cron schedule."""
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
    if first is None or second is None:
        return 86400.0
    return max((second - first).total_seconds(), 1.0)


class SteadyIntervalTrigger(IntervalTrigger):
    """An interval trigger whose jitter does not accumulate.

    APScheduler 3's IntervalTrigger adds the interval to the previous *jittered* fire time, so
    the jitter random-walks: every cycle each source drifts later by half the jitter on average and
    sources that started together spread further apart. Here fire times are always
    start + n * interval + a fresh jitter.
    """

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        start, length = self.start_date.timestamp(), self.interval_length
        if previous_fire_time is not None:  # the slot after the one that fired (jitter < interval)
            slot = math.floor((previous_fire_time.timestamp() - start) / length + 1e-9) + 1
        else:
            slot = max(0, math.ceil((now.timestamp() - start) / length))
        fire = start + slot * length + (random.uniform(0, self.jitter) if self.jitter else 0.0)
        if self.end_date and fire > self.end_date.timestamp():
            return None
        return datetime.fromtimestamp(fire, tz=self.timezone)


def jitter_for(interval_s: float) -> float:
    """A little jitter (5% of the interval, at most 30 s) so sources do not all fire together."""
    return min(interval_s * JITTER_FRACTION, MAX_JITTER_S)


def backoff_s(consecutive_failures: int, interval_s: float) -> float:
    """How long a failing source rests after its last attempt.

    The first failure keeps the normal schedule (a blip should cost nothing); from the second on
    the wait doubles: interval * 2**(n-1), capped at 6 h (or the interval, if that is longer).
    """
    if consecutive_failures <= 1:
        return 0.0
    return min(interval_s * 2 ** (consecutive_failures - 1), max(MAX_BACKOFF_S, interval_s))


@dataclass(frozen=True)
class DigestSchedule:
    """When a rule's held alerts go out.

    `every 6h`: the oldest held alert waits at most that long. `hourly`, `daily 08:00` and cron
    expressions are wall-clock times in `tz`. A digest is due when the first scheduled time after
    its oldest held alert has passed, so a daemon that was down at digest time sends it on start.
    """

    text: str
    interval_s: float | None = None
    trigger: CronTrigger | None = None

    def due_at(self, oldest_held: datetime) -> datetime:
        if self.interval_s is not None:
            return oldest_held + timedelta(seconds=self.interval_s)
        assert self.trigger is not None
        fire = self.trigger.get_next_fire_time(None, oldest_held)
        return fire if fire is not None else datetime.max.replace(tzinfo=timezone.utc)

    def is_due(self, oldest_held: datetime, now: datetime) -> bool:
        return self.due_at(oldest_held) <= now


def parse_digest(text: str, tz: str | None = None) -> DigestSchedule:
    """'hourly', 'daily HH:MM', 'every 6h' or a five-field cron expression, in time zone `tz`."""
    spec = " ".join(str(text).strip().lower().split())
    if spec == "hourly":
        return DigestSchedule(text, trigger=cron_trigger("0 * * * *", tz))
    daily = _DAILY.match(spec)
    if daily:
        hour, minute = int(daily.group(1)), int(daily.group(2))
        return DigestSchedule(text, trigger=cron_trigger(f"{minute} {hour} * * *", tz))
    every = _EVERY.match(spec)
    if every:
        seconds = float(every.group(1)) * _UNITS[every.group(2)]
        if seconds <= 0:
            raise ValueError("a digest interval must be positive")
        return DigestSchedule(text, interval_s=seconds)
    if len(spec.split()) == 5:
        return DigestSchedule(text, trigger=cron_trigger(spec, tz))
    raise ValueError(
        f"{text!r} is not a digest schedule: use 'hourly', 'daily 08:00', 'every 6h' or a cron expression"
    )
