"""What a schedule in the config means: time zones, cron expressions and digest schedules.

Pure functions over APScheduler 3 triggers, so that config validation, the daemon and `crawl`
from cron all read a schedule the same way, and the arithmetic can be tested without a clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from pipeline.config.durations import parse_duration

DEFAULT_TIMEZONE = "UTC"
_DAILY = re.compile(r"^daily\s+([01]?\d|2[0-3]):([0-5]\d)$")
_EVERY = re.compile(r"^every\s+(.+)$")


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
        try:
            return DigestSchedule(text, interval_s=parse_duration(every.group(1)))
        except ValueError:
            pass
    elif len(spec.split()) == 5:
        return DigestSchedule(text, trigger=cron_trigger(spec, tz))
    raise ValueError(
        f"{text!r} is not a digest schedule: use 'hourly', 'daily 08:00', 'every 6h' or a cron expression"
    )
