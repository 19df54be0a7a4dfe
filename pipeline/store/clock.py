"""Timestamps as the database keeps them: ISO 8601 in UTC, to the second."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> str:
    return iso(datetime.now(timezone.utc))


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def parse_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
