"""The thin item pipeline: hand each fetched page to the crawl session, turn a refusal into DropItem.

The session is the spider's (`SourceSpider.session`), taken once when the spider opens: the
pipeline holds it from then on instead of reaching through the crawler for every item.
"""

from __future__ import annotations

from typing import Any

from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured

from pipeline.ingest.session import CrawlSession
from pipeline.models import FetchedPage


class IngestPipeline:
    def __init__(self) -> None:
        self.session: CrawlSession | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> "IngestPipeline":
        pipeline = cls()
        crawler.signals.connect(pipeline.spider_opened, signal=signals.spider_opened)
        return pipeline

    def spider_opened(self, spider: Any) -> None:
        session = getattr(spider, "session", None)
        if not isinstance(session, CrawlSession):
            raise NotConfigured(f"spider {spider.name} has no crawl session to ingest into")
        self.session = session

    def process_item(self, item: FetchedPage) -> FetchedPage:
        assert self.session is not None, "spider_opened gives the pipeline its session"
        result = self.session.ingest(item)
        if result.status == "rejected":
            raise DropItem(f"{item.url}: {result.reason}")
        return item
