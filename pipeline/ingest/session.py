"""What one crawl pass knows and decides, apart from how pages are fetched.

The Scrapy spider asks this object which validators to send for a source's listing and which
links are new, and tells it what happened (listing read, page failed, page fetched). Keeping the
decisions here keeps `crawler/` thin glue and makes them testable without a reactor.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pipeline.config import Config, SourceConfig
from pipeline.config.compile import story_rules_from_config
from pipeline.extract.boilerplate import MIN_ARTICLES, site_of
from pipeline.ingest.analyse import Analyser, Analysis
from pipeline.ingest.commit import Committer, IngestResult
from pipeline.ingest.urls import canonicalize
from pipeline.models import FAILED, NOT_MODIFIED, READ, CrawlReport, FetchedPage, SourceReport
from pipeline.store.sqlite import Store


def parse_published(text: str | None) -> datetime | None:
    """An article's publication time (ISO 8601, a date alone is midnight UTC), or None."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


REDISCOVER_S = 7 * 86400.0  # a site's chosen listing is looked for again after a week


class CrawlSession:
    """One pass over some sources: analysis, the commit, and the report of what happened."""

    def __init__(self, config: Config, store: Store, sources: list[SourceConfig],
                 analyser: Analyser | None = None, hold_alerts: bool = False):
        self.config = config
        self.store = store
        self.sources = sources
        self.analyser = analyser or Analyser.from_config(config)
        self.committer = Committer(store, story_rules_from_config(config))
        self.report = CrawlReport({s.name: SourceReport(s.name, first_pass=store.never_read(s.name))
                                   for s in sources})
        self.hold_alerts = hold_alerts  # `crawl --no-alert`: store and match, alert nothing
        self.backlog_since = datetime.now(timezone.utc) - timedelta(seconds=config.alert_backlog)
        self._considered: dict[str, int] = {}  # listed entries looked at, per source
        self._queued: set[str] = set()  # article URLs requested in this pass
        self._listings: set[str] = set()  # further listing pages requested in this pass

    def listing_headers(self, source: str, url: str | None = None) -> dict[str, str]:
        """Conditional GET headers from the validators stored after the last complete pass.

        `url` is a further listing page of the source (a child sitemap, a next page); None is the
        source's own listing.
        """
        state = self.store.listing_page_state(url) if url else self.store.source_state(source)
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
        return headers

    def take(self, source: str, url: str, guid: str | None, updated: str | None = None) -> bool:
        """Fetch this listed article? New (or updated), not yet asked for in this pass, and within
        the first `max_items_per_source` entries the source's listings name in this pass."""
        considered = self._considered.get(source, 0) + 1
        self._considered[source] = considered
        if considered > self.config.fetch.max_items_per_source:
            return False
        key = canonicalize(url)
        if key in self._queued or not self.is_new(source, url, guid, updated):
            return False
        self._queued.add(key)
        return True

    def first_visit(self, source: str, url: str) -> bool:
        """A further listing page not requested yet in this pass (indexes may list one twice)."""
        key = canonicalize(url)
        if key in self._listings:
            return False
        self._listings.add(key)
        return True

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

    def listing_page_read(self, source: str, url: str, validators: dict[str, str]) -> None:
        self.report.sources[source].page_validators[url] = {k: v for k, v in validators.items() if v}

    def listing_notes(self, source: str, notes: list[str]) -> None:
        self.report.sources[source].notes.extend(notes)

    def skipped_entries(self, source: str, count: int) -> None:
        self.report.sources[source].skipped_entries += count

    def reading(self, source: str, what: str) -> None:
        """Say which listing a source reads when it is not its configured URL (a site's discovery)."""
        self.report.sources[source].listing = what

    def discovered(self, source: str) -> tuple[str, str] | None:
        """(kind, url) a `site:` source reads, while its discovery is younger than REDISCOVER_S."""
        found = self.store.discovered(source)
        if found is None:
            return None
        kind, url, _, when = found
        if when and (datetime.now(timezone.utc) - datetime.fromisoformat(when)).total_seconds() > REDISCOVER_S:
            return None
        return kind, url

    def remember_discovery(self, source: str, kind: str, url: str, how: str, label: str) -> None:
        self.store.remember_discovery(source, kind, url, how)
        self.reading(source, f"{label} {url} (found: {how})")

    def forget_discovery(self, source: str) -> None:
        """The discovered listing failed: the next pass looks at the site again."""
        self.store.remember_discovery(source, None, None, None)

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

    def may_alert(self, analysis: Analysis) -> bool:
        """False for `--no-alert`, and on a source's first pass for what was published more than
        `alert_backlog` ago (or undated): the backlog is stored and matched, not alerted."""
        if self.hold_alerts:
            return False
        if not self.report.sources[analysis.page.source].first_pass:
            return True
        published = parse_published(analysis.article.published if analysis.article else None)
        return published is not None and published >= self.backlog_since

    def commit(self, analysis: Analysis) -> IngestResult:
        page = analysis.page
        report = self.report.sources[page.source]
        alert = self.may_alert(analysis)
        if not alert and analysis.hits:
            report.held_back += 1
            report.held_because = "--no-alert" if self.hold_alerts else "first pass"
        try:
            result = self.committer.commit(analysis, queue_alerts=alert)
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
                self.store.save_listing_pages(report.name, report.page_validators)
        return self.report
