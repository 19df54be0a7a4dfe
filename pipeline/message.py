"""The alert as channels see it, and the small interface every channel implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence


class DeliveryError(Exception):
    """A channel could not deliver; the message is recorded on the alert and retried later."""


@dataclass(frozen=True)
class MentionLine:
    entity: str
    alias: str
    field: str
    snippet: str


@dataclass(frozen=True)
class Outlet:
    """One copy of the alert's story: which source carried it, where, under which headline."""

    source: str
    url: str
    title: str


@dataclass(frozen=True)
class AlertMessage:
    rule: str
    entities: Sequence[str]
    title: str
    url: str
    source: str
    published: str | None
    paywalled: bool
    mentions: Sequence[MentionLine]
    why: str
    outlets: Sequence[Outlet] = ()  # every copy of the story known when the alert is sent


class Channel(Protocol):
    """One destination. `send` raises DeliveryError when the message did not get through."""

    name: str

    def send(self, message: AlertMessage) -> None: ...
