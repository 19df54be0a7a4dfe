"""What a URL offers as a source: `python -m crawler.probe CONFIG OUTDIR URL` (for `newswatch add`).

The URL is fetched with the crawl's own settings (robots.txt, private-network guard, size caps).
It may itself be a feed or a sitemap; otherwise it is read as a homepage: its advertised feeds,
robots.txt's and common sitemaps, and the page itself as a section page are judged
(`crawler.discovery`). The newest few articles of the best listing are fetched too, for a
preview. Writes OUTDIR/manifest.json and OUTDIR/N.html.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler import discovery
from crawler.failures import describe_failure
from crawler.listings import PARSERS, ListingPage
from crawler.probing import Prober, header
from crawler.settings import build_settings
from pipeline.config import load_config


class ProbeSpider(Prober, scrapy.Spider):
    name = "newswatch-probe"

    def __init__(self, url: str, outdir: Path, manifest: dict[str, Any], **kwargs: Any):
        super().__init__(**kwargs)
        self.url, self.outdir, self.manifest = url, outdir, manifest

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.url, callback=self.probe, errback=self.failed, dont_filter=True)

    async def probe(self, response: Response) -> AsyncIterator[Any]:
        page = ListingPage(response.body, response.url, header(response, "Content-Type"))
        candidates = [discovery.judge(kind, response.url, "the URL itself", PARSERS[kind](page))
                      for kind in ("feed", "sitemap")]
        candidates = [c for c in candidates if c.problem is None]
        if not candidates:
            candidates = await self.site_candidates(page, {})
        choice = discovery.best(candidates)
        self.manifest.update(final_url=response.url, candidates=[asdict(c) for c in candidates],
                             best=candidates.index(choice) if choice else None, articles=[])
        for index, entry in enumerate(choice.sample if choice else ()):
            article = await self.fetch(entry.url, {})
            record: dict[str, Any] = {"url": entry.url, "entry_title": entry.title}
            if isinstance(article, str):
                record["error"] = article
            else:
                (self.outdir / f"{index}.html").write_bytes(article.body)
                record.update(file=f"{index}.html", final_url=article.url)
            self.manifest["articles"].append(record)
        return
        yield  # an async generator: Scrapy awaits it to the end

    def failed(self, failure: Failure) -> None:
        self.manifest["error"] = describe_failure(failure.value, self.url)[1]


def main(argv: list[str]) -> int:
    config_path, outdir, url = argv
    config = load_config(config_path)
    settings = build_settings(config.fetch)
    settings["ITEM_PIPELINES"] = {}
    manifest: dict[str, Any] = {"url": url}
    process = CrawlerProcess(settings)
    process.crawl(ProbeSpider, url=url, outdir=Path(outdir), manifest=manifest)
    process.start()
    (Path(outdir) / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
