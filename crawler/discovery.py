"""`site:` sources and `newswatch add`: which listing a homepage offers, and the best one to read.

A homepage advertises feeds (`<link rel="alternate" type="application/rss+xml">`), robots.txt
names sitemaps (`Sitemap:` lines), and news sites often serve a news sitemap at a common path.
Each candidate is fetched and parsed by its kind's parser; the best usable one wins: a news
sitemap (dated, titled, the freshest list a site keeps), then a feed, then another dated sitemap,
then the homepage itself read as a section page.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from lxml.etree import ParserError

from crawler.listing_types import Entry, Listing, ListingPage
from crawler.sections import html_tree

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
COMMON_NEWS_SITEMAPS = ("/news-sitemap.xml", "/sitemap_news.xml", "/sitemap-news.xml", "/news_sitemap.xml")
MAX_ADVERTISED = 3
MAX_ROBOTS_SITEMAPS = 5
SAMPLE = 5
MIN_SECTION_LINKS = 2  # fewer article links on a page than this is not a listing
_RANK = {"news-sitemap": 0, "feed": 1, "sitemap": 2, "section": 3}


@dataclass(frozen=True)
class Candidate:
    kind: str  # feed | sitemap | section (the source kind that reads it)
    url: str
    found: str  # how: "advertised on the homepage", "robots.txt Sitemap:", "common path", "homepage"
    entries: int = 0
    news: bool = False  # a sitemap with news: fields
    dated: int = 0
    problem: str | None = None
    sample: tuple[Entry, ...] = ()  # the newest few entries, for a preview

    @property
    def label(self) -> str:
        return "news-sitemap" if self.kind == "sitemap" and self.news else self.kind

    @property
    def usable(self) -> bool:
        return self.problem is None and (self.entries > 0 or self.kind == "sitemap")


def advertised_feeds(home: ListingPage) -> list[str]:
    """Feeds the homepage links as alternates, absolute, in page order (at most three)."""
    try:
        tree = html_tree(home)
    except (ParserError, ValueError):
        return []
    if tree is None:
        return []
    found = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in FEED_TYPES and link.get("href"):
            found.append(urljoin(home.url, link.get("href").strip()))
    return list(dict.fromkeys(found))[:MAX_ADVERTISED]


def robots_sitemaps(text: str, base: str) -> list[str]:
    """The `Sitemap:` lines of a robots.txt (at most five)."""
    found = []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and value.strip():
            found.append(urljoin(base, value.strip()))
    return list(dict.fromkeys(found))[:MAX_ROBOTS_SITEMAPS]


def common_sitemaps(home_url: str) -> list[str]:
    return [urljoin(home_url, path) for path in COMMON_NEWS_SITEMAPS]


def newest(entries: list[Entry], count: int = SAMPLE) -> tuple[Entry, ...]:
    """The newest `count` entries (dated ones by date, newest first; then in listing order)."""
    dated = sorted((e for e in entries if e.published), key=lambda e: e.published or "", reverse=True)
    return tuple((dated + [e for e in entries if not e.published])[:count])


def judge(kind: str, url: str, found: str, listing: Listing) -> Candidate:
    """What a fetched candidate offers, from its parsed listing."""
    return Candidate(
        kind=kind, url=url, found=found, entries=len(listing.entries),
        news=kind == "sitemap" and any(e.title for e in listing.entries),
        dated=sum(1 for e in listing.entries if e.published),
        problem=listing.problem, sample=newest(listing.entries),
    )


def best(candidates: list[Candidate]) -> Candidate | None:
    """The candidate to read: by kind (news sitemap, feed, sitemap, section), then most entries."""
    usable = [c for c in candidates if c.usable and (c.kind != "section" or c.entries >= MIN_SECTION_LINKS)]
    if not usable:
        return None
    return min(usable, key=lambda c: (_RANK[c.label], -c.dated, -c.entries))
