"""Fetch a few URLs with the crawl's own settings: `python -m crawler.fetch CONFIG OUTDIR URL...`.

Used by `newswatch match URL`: the same Scrapy stack as a crawl (robots.txt, private-network
guard, size and time limits), so a user's test sees what the crawl would see. Writes each body
to OUTDIR/N.html and OUTDIR/manifest.json with the final URL or the error of each.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from twisted.python.failure import Failure

from crawler.failures import describe_failure
from crawler.settings import build_settings
from pipeline.config import load_config


class PageSpider(scrapy.Spider):
    name = "newswatch-pages"

    def __init__(self, urls: list[str], outdir: Path, manifest: dict[str, Any], **kwargs: Any):
        super().__init__(**kwargs)
        self.urls, self.outdir, self.manifest = urls, outdir, manifest

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for index, url in enumerate(self.urls):
            yield scrapy.Request(url, callback=self.save, errback=self.failed,
                                 meta={"index": index}, dont_filter=True)

    def save(self, response: scrapy.http.Response) -> None:
        index = response.meta["index"]
        (self.outdir / f"{index}.html").write_bytes(response.body)
        self.manifest[str(index)] = {"url": self.urls[index], "final_url": response.url}

    def failed(self, failure: Failure) -> None:
        index = failure.request.meta["index"]
        self.manifest[str(index)] = {
            "url": self.urls[index], "error": describe_failure(failure.value, self.urls[index])[1]}


def main(argv: list[str]) -> int:
    config_path, outdir, *urls = argv
    config = load_config(config_path)
    settings = build_settings(config.fetch)
    settings["ITEM_PIPELINES"] = {}
    manifest: dict[str, Any] = {}
    process = CrawlerProcess(settings)
    process.crawl(PageSpider, urls=urls, outdir=Path(outdir), manifest=manifest)
    process.start()
    (Path(outdir) / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
