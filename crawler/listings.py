"""Listing parsers, one per source kind: `(ListingPage) -> Listing(entries, problem, follow)`.

A listing is what a source publishes to say which articles exist: an RSS or Atom feed, a sitemap,
a section page (a `site:` source reads whichever of these its homepage leads to, see
`crawler.discovery`). Each parser is pure (bytes in, entries out) and never raises, in
feedparser's style: a listing that cannot be used comes back with no entries and a `problem`
naming why, which the spider reports. A new source kind is one function here, one entry in
PARSERS and one config key (`pipeline.config.schema.SOURCE_KINDS`).
"""

from __future__ import annotations

from calendar import timegm
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable
from urllib.parse import urljoin, urlsplit

import feedparser

from crawler.listing_types import Entry, Listing, ListingPage
from crawler.sections import parse_section
from crawler.sitemaps import parse_sitemap

__all__ = ["PARSERS", "Entry", "Listing", "ListingPage", "fresh_first", "parse_feed"]


def _iso(parsed: Any) -> str | None:
    return datetime.fromtimestamp(timegm(parsed), timezone.utc).isoformat() if parsed else None


def entry_published(entry: Any) -> str | None:
    """The feed item's own timestamp, ISO 8601 in UTC."""
    return _iso(entry.get("published_parsed") or entry.get("updated_parsed"))


def entry_updated(entry: Any) -> str | None:
    """When the feed says the item last changed (<updated>, else its pubDate)."""
    return _iso(entry.get("updated_parsed") or entry.get("published_parsed"))


def parse_feed(page: ListingPage) -> Listing:
    """RSS 2.0, RSS 1.0 or Atom (feedparser); links resolved against the feed's URL, http(s) only."""
    parsed = feedparser.parse(page.body, response_headers={"content-location": page.url,
                                                           "content-type": page.content_type})
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        problem = parsed.get("bozo_exception") or "no items and no feed markup"
        return Listing(problem=f"not a usable feed at {page.url}: {problem}")
    entries = []
    for item in parsed.entries:
        link = urljoin(page.url, (item.get("link") or "").strip())
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


def fresh_first(entries: Iterable[Entry], now: datetime, max_age_s: float) -> tuple[list[Entry], int]:
    """Sitemap entries dated within `max_age_s`, newest first; (entries, how many were too old or undated).

    A sitemap lists everything a site ever published; only its dates say what is news.
    """
    horizon = (now - timedelta(seconds=max_age_s)).isoformat()
    kept, skipped = [], 0
    for entry in entries:
        if entry.published and entry.published >= horizon:
            kept.append(entry)
        else:
            skipped += 1
    kept.sort(key=lambda e: e.published or "", reverse=True)
    return kept, skipped


PARSERS: dict[str, Callable[[ListingPage], Listing]] = {
    "feed": parse_feed,
    "sitemap": parse_sitemap,
    "section": parse_section,
}
