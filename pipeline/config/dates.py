"""Dates as people type them on the command line: ISO 8601, or a duration back from now.

`rematch --since 2025-03-05`, `--since 2025-03-05T10:00` (UTC unless an offset is given) or
`--since 7d` / `1h30m` (that long before now). Anything else is refused with what is accepted:
`05-03-2025` (day and month order is a guess), `2025-13-45` (no such date), `yesterday` (a word).
Pure: the caller passes `now`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from pipeline.config.durations import parse_duration

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_DAY_FIRST = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$")
ACCEPTED = ("write a date as 2025-03-05 or 2025-03-05T10:00 (UTC unless it ends with an offset such as "
            "+08:00), or a time back from now such as 7d, 12h or 1h30m")


def parse_since(text: str, now: datetime) -> datetime:
    """The moment `text` names, as an aware UTC datetime; ValueError says what is accepted."""
    value = text.strip()
    if _ISO.match(value):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a real date ({exc}): {ACCEPTED}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    try:
        return now.astimezone(timezone.utc) - timedelta(seconds=parse_duration(value))
    except ValueError:
        pass
    hint = " (is it day-month-year? write year-month-day)" if _DAY_FIRST.match(value) else ""
    raise ValueError(f"{text!r} is not a date or a duration{hint}: {ACCEPTED}")
