"""What a listing parser is given and what it returns (shared by every source kind's parser)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Entry:
    """One article a listing names, with what the listing says about it."""

    url: str
    guid: str | None = None
    title: str | None = None
    published: str | None = None  # ISO 8601, UTC
    updated: str | None = None  # when the listing says it last changed: a later one is refetched
    author: str | None = None
    summary: str | None = None
    language: str | None = None
    keywords: str | None = None


@dataclass(frozen=True)
class ListingPage:
    """A fetched listing and where it stands: the source's own URL is depth 0."""

    body: bytes
    url: str
    content_type: str = ""
    depth: int = 0
    links_css: str | None = None  # section pages: the configured article-link selector
    links_regex: str | None = None


@dataclass(frozen=True)
class Listing:
    entries: list[Entry] = field(default_factory=list)
    problem: str | None = None  # why the listing is unusable (entries is then empty)
    follow: list[str] = field(default_factory=list)  # more listing URLs of this source to read
    notes: list[str] = field(default_factory=list)  # limits hit, levels not followed: said, not failed
