"""The spider and the crawl session without a reactor: Scrapy responses built in memory.

What a crawl decides (which validators to send, which links are new, what a 304 or a broken
listing means, what is stored) is tested here against a real database file; the fetching itself
is tested end to end in test_crawl_end_to_end.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.listings import PARSERS, ListingPage
from crawler.pipelines import IngestPipeline
from crawler.spiders import SourceSpider
from pipeline.config import parse_config
from pipeline.ingest.session import CrawlSession
from pipeline.models import FetchedPage
from pipeline.store.sqlite import Store
from tests.conftest import rows

CONFIG = """
alert_backlog: 10000d
sources:
  - {name: abw, feed: "https://abw.example/feed.xml"}
watchlist:
  - name: Hikvision
rules:
  - {name: team, channels: [inbox]}
channels:
  inbox: {type: console}
"""
FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>ABW</title>
<item><title>Hikvision wins a contract</title><link>/a.html</link><guid>g-a</guid>
<pubDate>Tue, 12 Mar 2024 09:30:00 GMT</pubDate><author>desk@abw.example (Desk)</author></item>
<item><title>Other news</title><link>javascript:alert(1)</link><guid>g-x</guid></item>
<item><title>Weather</title><link>https://abw.example/b.html</link><guid>g-b</guid></item>
</channel></rss>"""
PAGE = (b"<html><body><article><h1>Hikvision wins a contract</h1><p>Hikvision, the camera maker, said on"
        b" Monday it had won a contract to supply surveillance systems to a city abroad.</p></article>"
        b"</body></html>")


@pytest.fixture
def session(tmp_path: Path):
    config = parse_config(CONFIG, tmp_path)
    store = Store.open(tmp_path / "news.db")
    yield CrawlSession(config, store, config.sources)
    store.close()


def spider_for(session: CrawlSession) -> SourceSpider:
    crawler = get_crawler(SourceSpider, {"NEWSWATCH_MAX_ITEMS_PER_SOURCE": 200})
    return SourceSpider.from_crawler(crawler, session=session)


def listing_response(body: bytes, status: int = 200, headers: dict | None = None) -> Response:
    request = Request("https://abw.example/feed.xml", meta={"source": "abw", "kind": "feed"})
    return TextResponse(request.url, status=status, body=body, request=request,
                        headers={"Content-Type": "application/rss+xml", **(headers or {})})


def test_feed_links_become_requests_resolved_and_http_only(session):
    requests = list(spider_for(session).parse_listing(
        listing_response(FEED, headers={"ETag": '"v1"'})))
    assert [r.url for r in requests] == ["https://abw.example/a.html", "https://abw.example/b.html"]
    entry = requests[0].meta["entry"]
    assert entry.guid.endswith("g-a") and entry.title == "Hikvision wins a contract"
    assert entry.published == "2024-03-12T09:30:00+00:00" and entry.author
    assert session.report.sources["abw"].status == "read"


def test_304_marks_the_source_not_modified_and_asks_for_nothing(session):
    assert list(spider_for(session).parse_listing(listing_response(b"", status=304))) == []
    assert rows(session.store, "select last_status, http_status from sources") == [("not_modified", 304)]


def test_a_page_that_is_not_a_feed_is_reported_by_name(session):
    assert list(spider_for(session).parse_listing(listing_response(b"<html><p>hello</p>"))) == []
    report = session.report.sources["abw"]
    assert report.status == "failed" and "not a usable feed at https://abw.example/feed.xml" in report.reason


def test_fetched_page_is_stored_with_its_alert_and_its_feed_validators_after_a_full_pass(session):
    spider = spider_for(session)
    [request, _] = spider.parse_listing(listing_response(FEED, headers={"ETag": '"v1"'}))
    response = HtmlResponse("https://abw.example/a.html", body=PAGE, request=request)
    [page] = spider.parse_page(response)
    assert isinstance(page, FetchedPage) and page.entry_title == "Hikvision wins a contract"
    pipeline = IngestPipeline()
    pipeline.spider_opened(spider)
    pipeline.process_item(page)
    report = session.finish()
    assert report.sources["abw"].new_articles == 1 and report.sources["abw"].alerts == 1
    assert rows(session.store, "select title, published from articles") == [
        ("Hikvision wins a contract", "2024-03-12T09:30:00+00:00")]
    assert rows(session.store, "select rule, channel, status from alerts") == [("team", "inbox", "pending")]
    assert rows(session.store, "select etag, last_status from sources") == [('"v1"', "read")]
    # The same listing in the next pass: the stored article is not asked for a second time.
    next_pass = CrawlSession(session.config, session.store, session.sources)
    again = [r.url for r in spider_for(next_pass).parse_listing(listing_response(FEED))]
    assert again == ["https://abw.example/b.html"]
    assert next_pass.listing_headers("abw") == {"If-None-Match": '"v1"'}


def test_a_failed_page_keeps_the_validators_unset_so_the_pass_is_retried(session):
    spider = spider_for(session)
    [request, _] = spider.parse_listing(listing_response(FEED, headers={"ETag": '"v1"'}))
    failure = Failure(TimeoutError("took too long"))
    failure.request = request
    spider.page_failed(failure)
    report = session.finish()
    assert report.sources["abw"].failed_pages == 1
    assert rows(session.store, "select etag, last_error from sources")[0][0] is None
    assert "1 page(s) failed" in rows(session.store, "select last_error from sources")[0][0]


@pytest.mark.parametrize("kind", sorted(PARSERS))
def test_listing_parsers_never_raise_on_garbage(kind):
    for body in (b"", b"\x00\xff" * 100, b"<rss><channel><item><link>", b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
                 b"\x1f\x8b\x08\x00garbage", b"<urlset><url><loc>ftp://x</loc></url></urlset>"):
        listing = PARSERS[kind](ListingPage(body, "https://abw.example/feed.xml"))
        assert listing.entries == [] or listing.problem is None
