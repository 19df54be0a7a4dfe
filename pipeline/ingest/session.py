"""What one crawl pass knows and decides, apart from how pages are fetched.

The Scrapy spider asks this object which validators to send for a source's listing and which
links are new, and tells it what happened (listing read, page failed, page fetched). Keeping the
decisions here keeps `crawler/` thin glue and makes them testable without a reactor.
"""

from __future__ import annotations

from pipeline.config import Config, SourceConfig
from pipeline.config.compile import story_rules_from_config
from pipeline.extract.boilerplate import MIN_ARTICLES, site_of
from pipeline.ingest.analyse import Analyser, Analysis
from pipeline.ingest.commit import Committer, IngestResult
from pipeline.ingest.urls import canonicalize
from pipeline.models import FAILED, NOT_MODIFIED, READ, CrawlReport, FetchedPage, SourceReport
from pipeline.store.sqlite import Store


class CrawlSession:
    """One pass over some sources: analysis, the commit, and the report of what happened."""

    def __init__(self, config: Config, store: Store, sources: list[SourceConfig],
                 analyser: Analyser | None = None):
        self.config = config
        self.store = store
        self.sources = sources
        self.analyser = analyser or Analyser.from_config(config)
        self.committer = Committer(store, story_rules_from_config(config))
        self.report = CrawlReport({s.name: SourceReport(s.name) for s in sources})

    def listing_headers(self, source: str) -> dict[str, str]:
        """Conditional GET headers from the validators stored after the last complete pass."""
        state = self.store.source_state(source)
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
        return headers

    def is_new(self, source: str, url: str, guid: str | None, updated: str | None = None) -> bool:
        """Never fetched, or the listing dates the item later than when it was fetched (an update)."""
        keys = [canonicalize(url)]
        if guid:
            keys.append(f"guid:{source}:{guid}")
        if not self.store.is_seen(*keys):
            return True
        remembered = self.store.listing_updated(*keys)
        return bool(updated and remembered and updated > remembered)

    def listing_not_modified(self, source: str) -> None:
        report = self.report.sources[source]
        report.status, report.http_status = NOT_MODIFIED, 304
        self.store.record_source(source, NOT_MODIFIED, http_status=304)

    def listing_read(self, source: str, validators: dict[str, str], http_status: int = 200) -> None:
        report = self.report.sources[source]
        report.status, report.http_status = READ, http_status
        report.validators = {k: v for k, v in validators.items() if v}

    def listing_failed(self, source: str, status: str, reason: str, http_status: int | None = None) -> None:
        """The listing could not be fetched (`status` failed or refused) or was not usable."""
        report = self.report.sources[source]
        report.status, report.reason, report.http_status = status, reason, http_status
        self.store.record_source(source, status, reason, http_status=http_status)

    def listing_unusable(self, source: str, reason: str, http_status: int | None = None) -> None:
        self.listing_failed(source, FAILED, reason, http_status)

    def page_failed(self, source: str, reason: str) -> None:
        report = self.report.sources[source]
        report.failed_pages += 1
        report.page_errors.append(reason)

    def boilerplate_for(self, page: FetchedPage) -> frozenset[str]:
        """The page's site's learned boilerplate line keys (a store read before analysis)."""
        return self.store.boilerplate_keys(site_of(page.url), MIN_ARTICLES)

    def ingest(self, page: FetchedPage) -> IngestResult:
        """Analyse and commit one page, here and now (the item pipeline's one call)."""
        try:
            analysis = self.analyser.analyse(page, self.boilerplate_for(page))
        except Exception as exc:  # one bad page must not end the crawl; it is retried next pass
            self.page_failed(page.source, f"{type(exc).__name__}: {exc} ({page.url})")
            raise
        return self.commit(analysis)

    def commit(self, analysis: Analysis) -> IngestResult:
        page = analysis.page
        report = self.report.sources[page.source]
        try:
            result = self.committer.commit(analysis)
        except Exception as exc:
            self.page_failed(page.source, f"{type(exc).__name__}: {exc} ({page.url})")
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
        """Store listing validators only for sources whose new pages were all processed.

        `complete` is False when the crawl was stopped early: its sources' unfetched pages must
        be fetched next time, so no validator is stored for any of them.
        """
        for report in self.report.sources.values():
            if report.status != READ:
                continue
            if not complete:
                self.store.record_source(report.name, READ, "crawl stopped before all pages were fetched",
                                         http_status=report.http_status, etag=None, last_modified=None)
            elif report.failed_pages:
                self.store.record_source(
                    report.name, READ,
                    f"{report.failed_pages} page(s) failed and will be retried: "
                    + "; ".join(report.page_errors[:3]),
                    http_status=report.http_status, etag=None, last_modified=None,
                )
            else:
                self.store.record_source(
                    report.name, READ, None, http_status=report.http_status,
                    etag=report.validators.get("etag"),
                    last_modified=report.validators.get("last_modified"),
                )
        return self.report
