"""Listing parsers, one per source kind: `(body, url, content_type) -> Listing(entries, problem)`.

A listing is what a source publishes to say which articles exist: an RSS or Atom feed today. Each
parser is pure (bytes in, entries out) and never raises, in feedparser's style: a listing that
cannot be used comes back with no entries and a `problem` naming why, which the spider reports.
A new source kind is one function here, one entry in PARSERS and one config key.
"""

from __future__ import annotations

from calendar import timegm
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urljoin, urlsplit

import feedparser


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


@dataclass(frozen=True)
class Listing:
    entries: list[Entry] = field(default_factory=list)
    problem: str | None = None  # why the listing is unusable (entries is then empty)


def _iso(parsed: Any) -> str | None:
    return datetime.fromtimestamp(timegm(parsed), timezone.utc).isoformat() if parsed else None


def entry_published(entry: Any) -> str | None:
    """The feed item's own timestamp, ISO 8601 in UTC."""
    return _iso(entry.get("published_parsed") or entry.get("updated_parsed"))


def entry_updated(entry: Any) -> str | None:
    """When the feed says the item last changed (<updated>, else its pubDate)."""
    return _iso(entry.get("updated_parsed") or entry.get("published_parsed"))


def parse_feed(body: bytes, url: str, content_type: str = "") -> Listing:
    """RSS 2.0, RSS 1.0 or Atom (feedparser); links resolved against the feed's URL, http(s) only."""
    parsed = feedparser.parse(body, response_headers={"content-location": url, "content-type": content_type})
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        problem = parsed.get("bozo_exception") or "no items and no feed markup"
        return Listing(problem=f"not a usable feed at {url}: {problem}")
    entries = []
    for item in parsed.entries:
        link = urljoin(url, (item.get("link") or "").strip())
        if urlsplit(link).scheme not in ("http", "https"):
            continue
        entries.append(Entry(
            url=link,
            guid=item.get("id") or None,
            title=item.get("title"),
            published=entry_published(item),
            updated=entry_updated(item),
            author=item.get("author") or None,
            summary=item.get("summary") or None,
        ))
    return Listing(entries)


PARSERS: dict[str, Callable[[bytes, str, str], Listing]] = {"feed": parse_feed}
