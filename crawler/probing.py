"""Fetching a site's candidate listings from inside a spider, for discovery (`crawler.discovery`).

Shared by the source spider (a `site:` source with nothing remembered) and by `newswatch add`'s
probe: each candidate is fetched through the downloader with every middleware (robots.txt, the
private-network guard, size caps) and judged by its kind's parser.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response

from crawler import discovery
from crawler.failures import describe_failure
from crawler.listings import PARSERS, ListingPage
from crawler.sitemaps import parse_sitemap


def header(response: Response, name: str) -> str:
    return response.headers.get(name, b"").decode("latin-1")


class Prober:
    """Mixed into a spider (`crawler` is Scrapy's); `meta` is every probe request's meta (the
    source's name and headers)."""

    crawler: Any

    async def fetch(self, url: str, meta: dict[str, Any]) -> Response | str:
        """A 200 response, or why there is none (refused, failed, HTTP status)."""
        request = scrapy.Request(url, meta=dict(meta), dont_filter=True)
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as exc:  # refusals and network errors alike: the candidate is unusable
            return describe_failure(exc, url)[1]
        return response if response.status == 200 else f"HTTP {response.status} from {url}"

    async def candidate(self, kind: str, url: str, how: str, meta: dict[str, Any]) -> discovery.Candidate:
        response = await self.fetch(url, meta)
        if isinstance(response, str):
            return discovery.Candidate(kind, url, how, problem=response)
        listing = PARSERS[kind](ListingPage(response.body, response.url, header(response, "Content-Type")))
        if kind == "sitemap" and listing.follow and not listing.entries:  # an index: judge a child
            child = await self.fetch(listing.follow[0], meta)
            if not isinstance(child, str):
                listing = parse_sitemap(ListingPage(child.body, child.url, depth=1))
        return discovery.judge(kind, url, how, listing)

    async def site_candidates(self, home: ListingPage, meta: dict[str, Any]) -> list[discovery.Candidate]:
        """The homepage as a section, its advertised feeds, robots.txt's and common sitemaps."""
        candidates = [discovery.judge("section", home.url, "homepage", PARSERS["section"](home))]
        for url in discovery.advertised_feeds(home):
            candidates.append(await self.candidate("feed", url, "advertised on the homepage", meta))
        robots = await self.fetch(urljoin(home.url, "/robots.txt"), meta)
        listed = discovery.robots_sitemaps(robots.text, home.url) if not isinstance(robots, str) else []
        common = [u for u in discovery.common_sitemaps(home.url) if u not in listed]
        for url, how in [(u, "robots.txt Sitemap:") for u in listed] + [(u, "common path") for u in common]:
            candidates.append(await self.candidate("sitemap", url, how, meta))
        return candidates
