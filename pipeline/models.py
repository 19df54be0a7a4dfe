"""The data every step hands to the next, and the one interface every channel implements.

This module imports nothing from newswatch and nothing heavy, so that `alerts/` (which needs only
these types, plus text folding for highlighting) and the crawl child can import it for free.

The flow these types follow: the crawler fetches a `FetchedPage`; analysis turns it into an
`Article` with its `Mention`s and `RuleHit`s; the commit stores them with pending alerts (the
outbox); delivery builds an `AlertMessage`, `DigestMessage` or `Notice` and hands it to a
`Channel`. A crawl pass reports what happened per source in a `CrawlReport`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Protocol, Sequence, Union

# --- fetched and analysed -------------------------------------------------------------------


@dataclass(frozen=True)
class FetchedPage:
    """What the crawler fetched: the page, and what the source's listing said about it.

    The `entry_*` fields come from the listing the link was found in (a feed item today): its
    title, dates, author and summary are the fallback when the page itself does not say.
    """

    source: str
    url: str  # the final URL after redirects
    requested_url: str
    html: bytes
    entry_title: str | None = None
    entry_published: str | None = None
    guid: str | None = None
    entry_updated: str | None = None  # the item's <updated>/pubDate: a later one means "changed"
    entry_author: str | None = None
    entry_summary: str | None = None


@dataclass(frozen=True)
class Article:
    """An article as extraction finds it and the store keeps it.

    `extract` fills what the page says (`url` and `source` empty); ingest sets the canonical
    `url` it is stored under and the `source` that found it.
    """

    title: str
    text: str
    author: str | None = None
    published: str | None = None
    language: str | None = None
    paywalled: bool = False
    canonical_link: str | None = None  # <link rel="canonical"> as the page declares it
    url: str = ""
    source: str = ""


@dataclass(frozen=True)
class Mention:
    entity: str
    alias: str
    field: str
    position: int  # character offset in the original field text
    length: int
    snippet: str
    weak: bool = False


@dataclass(frozen=True)
class RuleHit:
    """A rule that alerts on an article, the channels it goes to, and why (one line)."""

    rule: str
    channels: tuple[str, ...]
    reason: str
    entities: tuple[str, ...] = ()  # the rule's entities the article mentions


# --- messages to channels -------------------------------------------------------------------


class RuleEntities(frozenset):
    """A rule's entities (a set of names), and the time zone its messages show times in.

    What `Config.entities_by_rule()` maps each rule name to and message building reads: a set, so
    every caller that only asks "is this entity the rule's?" is unchanged."""

    timezone: str | None

    def __new__(cls, names: Iterable[str] = (), timezone: str | None = None) -> "RuleEntities":
        scope = super().__new__(cls, names)
        scope.timezone = timezone
        return scope


class DeliveryError(Exception):
    """A channel could not deliver; the message is recorded on the row and retried later.

    `pause` is true when the channel itself is in trouble (it timed out, it rate-limits us): the
    rest of this pass's messages to it wait, instead of each waiting out the same timeout.
    `retry_after` (seconds) is how long the channel asked us to wait (HTTP Retry-After).
    """

    def __init__(self, message: str, *, pause: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.pause = pause or retry_after is not None
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (a webhook that no longer exists, an archived channel, a refused
    mailbox): the row is marked failed at once and the admin channel is told."""


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
    timezone: str | None = None  # the rule's IANA zone: times are shown in it (None: UTC)
    key: str = ""  # idempotency key: the same for every send of this alert (see pipeline.outbox.keys)
    rules: Sequence[str] = ()  # every rule this one message stands for (`rule` names them all)


@dataclass(frozen=True)
class DigestGroup:
    entity: str
    messages: Sequence[AlertMessage]  # newest first


@dataclass(frozen=True)
class DigestMessage:
    rule: str
    schedule: str
    groups: Sequence[DigestGroup]
    key: str = ""  # idempotency key of this digest (its rule, channel and alerts)

    @property
    def count(self) -> int:
        return sum(len(g.messages) for g in self.groups)

    @property
    def timezone(self) -> str | None:
        """The rule's zone, as its alerts carry it (a digest holds one rule's alerts)."""
        return next((m.timezone for g in self.groups for m in g.messages), None)


@dataclass(frozen=True)
class Notice:
    """An operator message about a source: kind is 'down', 'recovered' or 'silent'."""

    source: str
    kind: str
    text: str
    key: str = ""  # idempotency key, set when the notice is delivered

    @property
    def headline(self) -> str:
        label = {"down": "source down", "recovered": "source recovered", "silent": "source silent",
                 "channel": "channel refuses messages"}
        return f"{label.get(self.kind, self.kind)}: {self.source}"


Message = Union[AlertMessage, DigestMessage, Notice]


class Channel(Protocol):
    """One destination. `send` raises DeliveryError when the message did not get through.

    A message may be sent more than once (a pass killed after the channel accepted it but before
    it was marked sent); every copy has the same `key`, and a channel passes it on (the e-mail
    Message-ID, a field of a webhook payload) so the receiver can drop the second copy.
    """

    name: str

    def send(self, message: Message) -> None: ...


# --- what a crawl pass reports --------------------------------------------------------------

READ, NOT_MODIFIED, FAILED, REFUSED = "read", "not_modified", "failed", "refused"


@dataclass
class SourceReport:
    name: str
    status: str = "pending"
    reason: str = ""
    http_status: int | None = None
    new_articles: int = 0
    updated_articles: int = 0
    rejected_pages: int = 0
    failed_pages: int = 0
    alerts: int = 0
    page_errors: list[str] = field(default_factory=list)
    validators: dict[str, str] = field(default_factory=dict)
    listing: str = ""  # what was read when it is not the configured URL ("feed https://…, discovered")
    notes: list[str] = field(default_factory=list)  # limits hit, levels not followed
    skipped_entries: int = 0  # sitemap entries older than max_age (or undated)
    held_back: int = 0  # stored and matched, not alerted: a first pass's backlog, or --no-alert
    held_because: str = ""  # "first pass" or "--no-alert"
    first_pass: bool = False
    page_validators: dict[str, dict[str, str]] = field(default_factory=dict)  # further listing pages

    @property
    def was_read(self) -> bool:
        return self.status in (READ, NOT_MODIFIED)


@dataclass
class CrawlReport:
    """What the crawl child writes (JSON) and its parent, the daemon and source health read."""

    sources: dict[str, SourceReport] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({name: asdict(r) for name, r in self.sources.items()}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "CrawlReport":
        data = json.loads(text)
        return cls({name: SourceReport(**values) for name, values in data.items()})

    def write(self, path: Path) -> None:
        path.write_text(self.to_json(), encoding="utf-8")

    @property
    def any_read(self) -> bool:
        return any(r.was_read for r in self.sources.values())
