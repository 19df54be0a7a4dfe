"""The source spider: a conditional GET of each source's listing, then a request per new article.

A listing is parsed by its kind's parser (`crawler.listings`); a sitemap index's children and a
section's "next" pages are read as further listing pages of the same source. A `site:` source
reads the listing found by discovery (`crawler.discovery`, done on the homepage when none is
remembered). Decisions (validators, which links are new, what a failure means for the source)
live in `pipeline.ingest.session.CrawlSession`; this module only speaks Scrapy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler import discovery
from crawler.failures import describe_failure
from crawler.headers import HEADERS_META, HOST_META
from crawler.listings import PARSERS, Entry, Listing, ListingPage, fresh_first
from crawler.probing import Prober, header
from pipeline.config import SourceConfig
from pipeline.ingest.session import CrawlSession
from pipeline.models import FetchedPage


def validators(response: Response) -> dict[str, str]:
    return {"etag": header(response, "ETag"), "last_modified": header(response, "Last-Modified")}


class SourceSpider(Prober, scrapy.Spider):
    name = "newswatch-sources"

    def __init__(self, session: CrawlSession, **kwargs: Any):
        super().__init__(**kwargs)
        self.session = session
        self.by_name = {s.name: s for s in session.sources}

    # --- requests -------------------------------------------------------------------------

    def source_meta(self, source: SourceConfig, **extra: Any) -> dict[str, Any]:
        return {"source": source.name, HEADERS_META: source.headers,
                HOST_META: urlsplit(source.url).hostname or "", **extra}

    def listing_request(self, source: SourceConfig, kind: str, url: str, depth: int = 0) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.listing_failed,
            headers=self.session.listing_headers(source.name, url if depth else None),
            meta=self.source_meta(source, kind=kind, listing_depth=depth, handle_httpstatus_list=[304]),
            dont_filter=depth == 0,
        )

    def article_request(self, source: str, entry: Entry) -> scrapy.Request:
        return scrapy.Request(
            entry.url,
            callback=self.parse_page,
            errback=self.page_failed,
            meta=self.source_meta(self.by_name[source], entry=entry),
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.session.sources:
            if source.kind != "site":
                yield self.listing_request(source, source.kind, source.url)
                continue
            remembered = self.session.discovered(source.name)
            if remembered is not None:
                self.session.reading(source.name, f"{remembered[0]} {remembered[1]} (discovered earlier)")
                yield self.listing_request(source, *remembered)
            else:
                yield scrapy.Request(source.url, callback=self.discover, errback=self.listing_failed,
                                     meta=self.source_meta(source), dont_filter=True)

    # --- listings -------------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Any:
        source = self.by_name[response.meta["source"]]
        kind, depth = response.meta["kind"], response.meta.get("listing_depth", 0)
        if response.status == 304:
            if depth == 0:
                self.session.listing_not_modified(source.name)
            return
        page = ListingPage(response.body, response.url, header(response, "Content-Type"), depth,
                           source.links.css if source.links else None,
                           source.links.regex if source.links else None)
        yield from self.read_listing(source, kind, page, response.status, validators(response))

    def read_listing(self, source: SourceConfig, kind: str, page: ListingPage, status: int,
                     found: dict[str, str]) -> Any:
        listing = PARSERS[kind](page)
        if listing.problem:
            if page.depth == 0:
                self.session.listing_unusable(source.name, listing.problem, status)
                if source.kind == "site":
                    self.session.forget_discovery(source.name)
            else:
                self.session.page_failed(source.name, listing.problem)
            return
        self.session.listing_notes(source.name, listing.notes)
        if page.depth == 0:
            self.session.listing_read(source.name, found, status)
        else:
            self.session.listing_page_read(source.name, page.url, found)
        yield from self.new_articles(source, kind, listing)
        yield from self.further_pages(source, kind, listing, page.depth)

    def new_articles(self, source: SourceConfig, kind: str, listing: Listing) -> Any:
        entries = listing.entries
        if kind == "sitemap":
            entries, skipped = fresh_first(entries, datetime.now(timezone.utc).replace(microsecond=0),
                                           source.max_age)
            self.session.skipped_entries(source.name, skipped)
        for entry in entries:
            if self.session.take(source.name, entry.url, entry.guid, entry.updated):
                yield self.article_request(source.name, entry)

    def further_pages(self, source: SourceConfig, kind: str, listing: Listing, depth: int) -> Any:
        if kind == "section" and depth + 1 >= source.pages:
            return
        for url in listing.follow:
            if self.session.first_visit(source.name, url):
                yield self.listing_request(source, kind, url, depth + 1)

    # --- discovery of a site's listing --------------------------------------------------------

    async def discover(self, response: Response) -> AsyncIterator[Any]:
        source = self.by_name[response.meta["source"]]
        home = ListingPage(response.body, response.url, header(response, "Content-Type"))
        candidates = await self.site_candidates(home, self.source_meta(source))
        choice = discovery.best(candidates)
        if choice is None:
            tried = "; ".join(f"{c.url}: {c.problem or 'no articles'}" for c in candidates)
            self.session.listing_unusable(source.name, f"no usable feed, sitemap or article links at "
                                                       f"{source.url} (tried {tried})")
            return
        self.session.remember_discovery(source.name, choice.kind, choice.url, choice.found, choice.label)
        if choice.kind == "section":
            for item in self.read_listing(source, "section", home, response.status, {}):
                yield item
        else:
            yield self.listing_request(source, choice.kind, choice.url)

    # --- articles ---------------------------------------------------------------------------

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
            entry_summary=entry.summary or entry.keywords,
        )

    def listing_failed(self, failure: Failure) -> None:
        request = failure.request
        name = request.meta["source"]
        if request.meta.get("listing_depth"):
            self.session.page_failed(name, describe_failure(failure.value, request.url)[1])
            return
        self.session.listing_failed(name, *describe_failure(failure.value, request.url))
        if self.by_name[name].kind == "site":
            self.session.forget_discovery(name)

    def page_failed(self, failure: Failure) -> None:
        request = failure.request
        self.session.page_failed(request.meta["source"], describe_failure(failure.value, request.url)[1])
