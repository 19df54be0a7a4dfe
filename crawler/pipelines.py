"""The thin item pipeline: hand each fetched page to pipeline/ and turn a refusal into DropItem."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem

from pipeline.ingest import FetchedPage


class IngestPipeline:
    def __init__(self, crawler: Any):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> "IngestPipeline":
        return cls(crawler)

    def process_item(self, item: FetchedPage) -> FetchedPage:
        result = self.crawler.spider.session.ingest(item)
        if result.status == "rejected":
            raise DropItem(f"{item.url}: {result.reason}")
        return item
