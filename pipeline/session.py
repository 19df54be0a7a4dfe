"""What one crawl pass knows and decides, apart from how pages are fetched.

The Scrapy spider asks this object which feed validators to send and which links are new, and
tells it what happened (feed read, page failed, page fetched). Keeping the decisions here keeps
`crawler/` thin glue and makes them testable without a reactor.
"""

from __future__ import annotations

from pipeline.config import Config, SourceConfig
from pipeline.ingest import FetchedPage, IngestResult, Ingestor
from pipeline.report import (
    FAILED, NOT_MODIFIED, READ, CrawlReport, SourceReport, describe_failure,
)
from pipeline.store import Store
from pipeline.urls import canonicalize

class CrawlSession:
    """One pass over some sources: the store, the ingestor and the report of what happened."""

    def __init__(self, config: Config, store: Store, sources: list[SourceConfig]):
        self.config = config
        self.store = store
        self.sources = sources
        self.ingestor = Ingestor.from_config(config, store)
        self.report = CrawlReport({s.name: SourceReport(s.name) for s in sources})

    def feed_headers(self, source: str) -> dict[str, str]:
        """Conditional GET headers from the validators stored after the last complete pass."""
        state = self.store.source_state(source)
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
        return headers

    def is_new(self, source: str, url: str, guid: str | None, feed_updated: str | None = None) -> bool:
        """Never fetched, or the feed dates the item later than when it was fetched (an update)."""
        keys = [canonicalize(url)]
        if guid:
            keys.append(f"guid:{source}:{guid}")
        if not self.store.is_seen(*keys):
            return True
        remembered = self.store.feed_updated(*keys)
        return bool(feed_updated and remembered and feed_updated > remembered)

    def feed_not_modified(self, source: str) -> None:
        self.report.sources[source].status = NOT_MODIFIED
        self.store.record_source(source, "304")

    def feed_read(self, source: str, validators: dict[str, str]) -> None:
        report = self.report.sources[source]
        report.status = READ
        report.validators = {k: v for k, v in validators.items() if v}

    def feed_failed(self, source: str, error: BaseException, url: str) -> None:
        report = self.report.sources[source]
        report.status, report.reason = describe_failure(error, url)
        self.store.record_source(source, report.status, report.reason)

    def feed_unusable(self, source: str, reason: str) -> None:
        report = self.report.sources[source]
        report.status, report.reason = FAILED, reason
        self.store.record_source(source, FAILED, reason)

    def page_failed(self, source: str, error: BaseException, url: str) -> None:
        report = self.report.sources[source]
        report.failed_pages += 1
        report.page_errors.append(describe_failure(error, url)[1])

    def ingest(self, page: FetchedPage) -> IngestResult:
        report = self.report.sources[page.source]
        try:
            result = self.ingestor.ingest(page)
        except Exception as exc:  # one bad page must not end the crawl; it is retried next pass
            report.failed_pages += 1
            report.page_errors.append(f"{type(exc).__name__}: {exc} ({page.url})")
            raise
        if result.status == "stored":
            report.new_articles += 1
            report.alerts += result.alerts
        elif result.status == "updated":
            report.updated_articles += 1
            report.alerts += result.alerts
        elif result.status == "rejected":
            report.rejected_pages += 1
        return result

    def finish(self, complete: bool = True) -> CrawlReport:
        """Store feed validators only for feeds whose new pages were all processed.

        `complete` is False when the crawl was stopped early: its feeds' unfetched pages must be
        fetched next time, so no validator is stored for any of them.
        """
        for report in self.report.sources.values():
            if report.status != READ:
                continue
            if not complete:
                self.store.record_source(report.name, "200", "crawl stopped before all pages were fetched",
                                         etag=None, last_modified=None)
            elif report.failed_pages:
                self.store.record_source(
                    report.name, "200",
                    f"{report.failed_pages} page(s) failed and will be retried: "
                    + "; ".join(report.page_errors[:3]),
                    etag=None, last_modified=None,
                )
            else:
                self.store.record_source(
                    report.name, "200", None,
                    etag=report.validators.get("etag"),
                    last_modified=report.validators.get("last_modified"),
                )
        return self.report
