"""What the browsing pages' forms ask for (text, entity, date range), read from a request's
arguments and checked. Pure: the Datasette hooks pass in a mapping of arguments."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
WINDOW_DAYS = 90  # what the landing page's charts show when no range is asked for


class FormError(ValueError):
    """A form value that cannot be used; the message names the field and what it expects."""


def _day(name: str, value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    if not _DAY.fullmatch(value):
        raise FormError(f"{name}: expected a date like 2024-03-12, got {value!r}")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise FormError(f"{name}: {value!r} is not a date") from None
    return value


def resolve_entity(typed: str, entities: Sequence[str]) -> str:
    """The watchlist's spelling of an entity typed in any case (`zte` -> `ZTE`), else as typed."""
    typed = typed.strip()
    wanted = typed.casefold()
    return next((name for name in entities if name.casefold() == wanted), typed)


@dataclass(frozen=True)
class Filters:
    """`q` (search), `entity`, `since`/`until` (days, inclusive). Empty means "any"."""

    q: str = ""
    entity: str = ""
    since: str = ""
    until: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str], entities: Sequence[str] = (), prefix: str = "") -> "Filters":
        """From `?q=&entity=&since=&until=` (with `prefix`: `?_q=&_entity=…` on table pages)."""
        get = lambda name: (args.get(prefix + name) or "")  # noqa: E731
        return cls(
            q=get("q").strip(),
            entity=resolve_entity(get("entity"), entities) if get("entity").strip() else "",
            since=_day(prefix + "since", get("since")),
            until=_day(prefix + "until", get("until")),
        )

    def descriptions(self) -> list[str]:
        """How Datasette says what the rows were filtered by ("search matches 紫金")."""
        found = []
        if self.q:
            found.append(f'search matches "{self.q}"')
        if self.entity:
            found.append(f"mentions {self.entity}")
        if self.since:
            found.append(f"published on or after {self.since}")
        if self.until:
            found.append(f"published on or before {self.until}")
        return found


def window(newest: str | None, since: str, until: str, days: int = WINDOW_DAYS) -> tuple[str, str]:
    """The days a chart shows: those asked for, else the `days` ending on its newest data."""
    if since and until:
        return since, until
    end = until or newest or date.today().isoformat()
    start = since or (date.fromisoformat(end[:10]) - timedelta(days=days - 1)).isoformat()
    return start, end[:10]
