"""Durations as people write them in a config or on the command line: `30s`, `15m`, `1h30m`, `2d`, `1w`.

One parser for every duration newswatch reads (source `every`, `expect_new_within`, the stories
window, digest `every 6h`), so that each accepts the same forms and rejects the same mistakes.
"""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)", re.IGNORECASE)
_WHOLE = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*[wdhms]\s*)+$", re.IGNORECASE)
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(value: str | int | float) -> float:
    """Seconds in '30s', '15m', '2h', '1d', '1w' or a compound such as '1h30m' (a bare number is seconds)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration such as 30s, 15m, 2h or 1d")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = str(value).strip()
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            seconds = float(text)
        elif _WHOLE.match(text):
            seconds = sum(float(n) * UNITS[unit.lower()] for n, unit in _PART.findall(text))
        else:
            raise ValueError(f"{value!r} is not a duration such as 30s, 15m, 2h, 1d or 1h30m")
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest plain form: 90 -> '1m30s', 86400 -> '1d', 2.5 -> '2.5s'."""
    if seconds != int(seconds) or seconds < 1:
        return f"{seconds:g}s"
    left, parts = int(seconds), []
    for unit in ("w", "d", "h", "m", "s"):
        count, left = divmod(left, UNITS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
