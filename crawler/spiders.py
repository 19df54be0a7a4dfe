"""The feed spider: conditional GET of each source's feed, then a request per new item's page.

Decisions (which validators to send, which links are new, what a failure means) live in
`pipeline.session.CrawlSession`; this module only speaks Scrapy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from calendar import timegm
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from pipeline.ingest import FetchedPage
from pipeline.session import CrawlSession


def _iso(parsed: Any) -> str | None:
    return datetime.fromtimestamp(timegm(parsed), timezone.utc).isoformat() if parsed else None


def entry_published(entry: Any) -> str | None:
    """The feed item's own timestamp, ISO 8601 in UTC."""
    return _iso(entry.get("published_parsed") or entry.get("updated_parsed"))


def entry_updated(entry: Any) -> str | None:
    """When the feed says the item last changed (<updated>, else its pubDate): a later one is refetched."""
    return _iso(entry.get("updated_parsed") or entry.get("published_parsed"))


class FeedSpider(scrapy.Spider):
    name = "newswatch-feeds"

    def __init__(self, session: CrawlSession, **kwargs: Any):
        super().__init__(**kwargs)
        self.session = session

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.session.sources:
            yield scrapy.Request(
                source.feed,
                callback=self.parse_feed,
                errback=self.feed_failed,
                headers=self.session.feed_headers(source.name),
                meta={"source": source.name, "handle_httpstatus_list": [304]},
                dont_filter=True,
            )

    def parse_feed(self, response: Response) -> Any:
        source = response.meta["source"]
        if response.status == 304:
            self.session.feed_not_modified(source)
            return
        parsed = feedparser.parse(
            response.body,
            response_headers={
                "content-location": response.url,
                "content-type": response.headers.get("Content-Type", b"").decode("latin-1"),
            },
        )
        if not parsed.entries and (parsed.bozo or not parsed.get("version")):
            problem = parsed.get("bozo_exception") or "no items and no feed markup"
            self.session.feed_unusable(source, f"not a usable feed at {response.url}: {problem}")
            return
        self.session.feed_read(
            source,
            {
                "etag": response.headers.get("ETag", b"").decode("latin-1"),
                "last_modified": response.headers.get("Last-Modified", b"").decode("latin-1"),
            },
        )
        limit = self.settings.getint("NEWSWATCH_MAX_ITEMS_PER_FEED", 200)
        for entry in parsed.entries[:limit]:
            link = urljoin(response.url, (entry.get("link") or "").strip())
            if urlsplit(link).scheme not in ("http", "https"):
                continue
            guid = entry.get("id") or None
            updated = entry_updated(entry)
            if not self.session.is_new(source, link, guid, updated):
                continue
            yield scrapy.Request(
                link,
                callback=self.parse_page,
                errback=self.page_failed,
                meta={
                    "source": source,
                    "guid": guid,
                    "feed_title": entry.get("title"),
                    "feed_published": entry_published(entry),
                    "feed_updated": updated,
                    "requested_url": link,
                },
            )

    def parse_page(self, response: Response) -> Any:
        meta = response.meta
        yield FetchedPage(
            source=meta["source"],
            url=response.url,
            requested_url=meta["requested_url"],
            html=response.body,
            feed_title=meta.get("feed_title"),
            feed_published=meta.get("feed_published"),
            guid=meta.get("guid"),
            feed_updated=meta.get("feed_updated"),
        )

    def feed_failed(self, failure: Failure) -> None:
        request = failure.request
        self.session.feed_failed(request.meta["source"], failure.value, request.url)

    def page_failed(self, failure: Failure) -> None:
        request = failure.request
        self.session.page_failed(request.meta["source"], failure.value, request.url)
