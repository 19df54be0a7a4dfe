"""When the daemon runs things: steady interval triggers, jitter, backoff.

What a configured schedule means (cron, time zones, digests) is `pipeline.config.schedules`; this
module holds the arithmetic of running sources on them, testable without a clock.
"""

from __future__ import annotations

import math
import random
from datetime import datetime

from apscheduler.triggers.interval import IntervalTrigger

JITTER_FRACTION = 0.05  # of the interval
MAX_JITTER_S = 30.0
MAX_BACKOFF_S = 6 * 3600.0


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
