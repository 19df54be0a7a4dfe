"""Run one crawl pass in this process: `python -m crawler.run CONFIG REPORT [--no-alert] [SOURCE...]`.

Twisted's reactor cannot be restarted, so each pass is its own process; the caller
(`pipeline.crawl.run_crawl`) reads the JSON report this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scrapy.crawler import CrawlerProcess

from crawler.settings import build_settings
from crawler.spiders import SourceSpider
from pipeline.config import load_config
from pipeline.ingest.session import CrawlSession
from pipeline.store.sqlite import Store


def main(argv: list[str]) -> int:
    config_path, report_path, *rest = argv
    hold_alerts = "--no-alert" in rest  # store and match, queue no alert
    names = [name for name in rest if name != "--no-alert"]
    config = load_config(config_path)  # validated by the caller; channels are not needed here
    sources = config.sources_to_read(names)
    store = Store.open(config.database_path)
    session = CrawlSession(config, store, sources, hold_alerts=hold_alerts)
    process = CrawlerProcess(build_settings(config.fetch))
    crawler = process.create_crawler(SourceSpider)
    process.crawl(crawler, session=session)
    process.start()
    # Stopped by a signal ("shutdown"): pages may be left unfetched, so no validators are stored.
    complete = crawler.stats.get_value("finish_reason") == "finished"
    session.finish(complete).write(Path(report_path))
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
