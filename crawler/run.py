"""Run one crawl pass in this process: `python -m crawler.run CONFIG REPORT [--no-alert] [SOURCE...]`.

Twisted's reactor cannot be restarted, so each pass is its own process; the caller
(`pipeline.crawl.run_crawl`) reads the JSON report this writes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT_ENV = "NEWSWATCH_PARENT_PID"  # set by pipeline.service.crawl.run_crawl


def die_with_parent() -> None:
    """Ask the kernel to kill this crawl when the process that started it dies (Linux).

    A `crawl` or daemon killed by SIGKILL cannot stop its child; without this the child would go
    on writing the database beside the next crawl. What it committed stays (one transaction per
    article); its feed validators are never stored, so the next crawl reads its feeds again.
    """
    parent = os.environ.get(PARENT_ENV, "")
    if not parent.isdigit() or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != int(parent):  # it died before we asked
        os._exit(1)


def main(argv: list[str]) -> int:
    die_with_parent()  # first: importing Scrapy and the pipeline takes a second or more
    from scrapy.crawler import CrawlerProcess

    from crawler.settings import build_settings
    from crawler.spiders import SourceSpider
    from pipeline.config import load_config
    from pipeline.ingest.session import CrawlSession
    from pipeline.store.sqlite import Store

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
