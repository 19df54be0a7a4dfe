"""The source spider: a conditional GET of each source's listing, then a request per new article.

The listing is parsed by its kind's parser (`crawler.listings`); decisions (which validators to
send, which links are new, what a failure means for the source) live in
`pipeline.ingest.session.CrawlSession`. This module only speaks Scrapy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.failures import describe_failure
from crawler.listings import PARSERS, Entry
from pipeline.ingest.session import CrawlSession
from pipeline.models import FetchedPage


def header(response: Response, name: str) -> str:
    return response.headers.get(name, b"").decode("latin-1")


class SourceSpider(scrapy.Spider):
    name = "newswatch-sources"

    def __init__(self, session: CrawlSession, **kwargs: Any):
        super().__init__(**kwargs)
        self.session = session

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.session.sources:
            yield scrapy.Request(
                source.url,
                callback=self.parse_listing,
                errback=self.listing_failed,
                headers=self.session.listing_headers(source.name),
                meta={"source": source.name, "kind": source.kind, "handle_httpstatus_list": [304]},
                dont_filter=True,
            )

    def parse_listing(self, response: Response) -> Any:
        source = response.meta["source"]
        if response.status == 304:
            self.session.listing_not_modified(source)
            return
        listing = PARSERS[response.meta["kind"]](response.body, response.url, header(response, "Content-Type"))
        if listing.problem:
            self.session.listing_unusable(source, listing.problem, response.status)
            return
        self.session.listing_read(
            source, {"etag": header(response, "ETag"), "last_modified": header(response, "Last-Modified")},
            response.status,
        )
        limit = self.settings.getint("NEWSWATCH_MAX_ITEMS_PER_SOURCE", 200)
        for entry in listing.entries[:limit]:
            if self.session.is_new(source, entry.url, entry.guid, entry.updated):
                yield self.article_request(source, entry)

    def article_request(self, source: str, entry: Entry) -> scrapy.Request:
        return scrapy.Request(
            entry.url,
            callback=self.parse_page,
            errback=self.page_failed,
            meta={"source": source, "entry": entry},
        )

    def parse_page(self, response: Response) -> Any:
        entry: Entry = response.meta["entry"]
        yield FetchedPage(
            source=response.meta["source"],
            url=response.url,
            requested_url=entry.url,
            html=response.body,
            entry_title=entry.title,
            entry_published=entry.published,
            guid=entry.guid,
            entry_updated=entry.updated,
            entry_author=entry.author,
            entry_summary=entry.summary,
        )

    def listing_failed(self, failure: Failure) -> None:
        request = failure.request
        self.session.listing_failed(request.meta["source"], *describe_failure(failure.value, request.url))

    def page_failed(self, failure: Failure) -> None:
        request = failure.request
        self.session.page_failed(request.meta["source"], describe_failure(failure.value, request.url)[1])
