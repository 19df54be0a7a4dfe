"""`newswatch run`: the long-running service, an APScheduler 3 scheduler feeding one work loop.

Shape: every source has an APScheduler job on its own trigger (`every` with a little jitter, or
`cron:` in its `timezone:`). A job does not crawl: it only marks its source due, in the scheduler
thread (HandOffExecutor), with the time it was scheduled for. The main thread takes all sources
that are due and crawls them together in one child process (`python -m crawler.run`), then
delivers alerts, records health and sends notices and digests. So:

- runs of one source never overlap: there is one crawl at a time, and a source that comes due
  while its crawl runs is queued once and crawled right after;
- 2,000 feeds due in the same minute cost one crawl process, not 2,000;
- a crash or a leak in a crawl dies with its child; the daemon's own memory stays flat.

Misfires: `misfire_grace_time=None` with `coalesce=True`. After a stall (a suspended laptop, a
long crawl, a busy machine) a source that missed its time runs once, late, instead of being
skipped (APScheduler's default grace of one second skips it silently) or run several times.

Signals: SIGTERM/SIGINT finish the current step (a running crawl is asked to stop and killed after
5 s; delivery stops between two messages) and exit. SIGHUP re-reads the config; an invalid one is
reported and the old one kept. The crawl child reads a snapshot of the config the daemon
validated, so an edited but not yet reloaded file never reaches it.
"""

from __future__ import annotations

import logging
import os
import signal
import statistics
import sys
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any, Callable, Mapping

from apscheduler.executors.base import BaseExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from pipeline.config import Config, ConfigError, SourceConfig
from pipeline.config.schedules import cron_trigger
from pipeline.models import CrawlReport, Notice
from pipeline.outbox.deliver import deliver_notices
from pipeline.service.crawl import CrawlError, CrawlInterrupted, run_crawl
from pipeline.service.health import may_try
from pipeline.service.logs import Totals, event
from pipeline.service.schedule import SteadyIntervalTrigger, jitter_for
from pipeline.service.upkeep import UpkeepReport, after_pass, deliver_instant, interval_of, maintenance
from pipeline.store.sqlite import Store

UPKEEP_EVERY_S = 10.0  # silent sources, admin notices, digests that came due, alerts left pending
RETRY_EVERY_S = 300.0  # failed alerts, digests and notices: their own, slower schedule
BATCH_WINDOW_S = 0.5  # after a source comes due, wait this long for others to join its crawl
MAX_HOLD_S = 5.0  # ... and at most this long for sources about to come due (see batch_ready)
POLL_S = 0.2
CRAWLER = "(crawler)"  # the notices' source name when the crawl process itself fails
log = logging.getLogger("newswatch.daemon")

ChannelFactory = Callable[[Mapping[str, Any]], Mapping[str, Any]]
ConfigParser = Callable[[str, Path], Config]  # config text, its folder -> validated config


class HandOffExecutor(BaseExecutor):
    """Runs a job's (tiny, non-blocking) function in the scheduler thread with its scheduled time."""

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        try:
            job.func(*job.args, scheduled=run_times[-1], **job.kwargs)
        except BaseException:
            self._run_job_error(job.id, *sys.exc_info()[1:])
        else:
            self._run_job_success(job.id, [])


@dataclass
class WorkQueue:
    """What the scheduler has marked due, waiting for the main loop (thread-safe)."""

    cond: threading.Condition = field(default_factory=threading.Condition)
    due: dict[str, tuple[datetime, float]] = field(default_factory=dict)  # scheduled, marked (monotonic)
    upkeep: bool = False
    retry: bool = False

    def source_due(self, name: str, scheduled: datetime | None = None) -> None:
        """`scheduled` is passed by HandOffExecutor (the default only satisfies APScheduler's check)."""
        with self.cond:
            self.due.setdefault(name, (scheduled or datetime.now(timezone.utc), time.monotonic()))
            self.cond.notify()

    def upkeep_due(self, scheduled: datetime | None = None, retry: bool = False) -> None:
        with self.cond:
            self.upkeep = True
            self.retry = self.retry or retry
            self.cond.notify()

    def wait(self, timeout: float) -> None:
        with self.cond:
            if not self.due and not self.upkeep:
                self.cond.wait(timeout)

    def peek(self) -> tuple[str | None, float, frozenset[str]]:
        """(the source waiting longest, how long it has waited, all due names)."""
        with self.cond:
            if not self.due:
                return None, 0.0, frozenset()
            oldest = min(self.due, key=lambda name: self.due[name][1])
            return oldest, time.monotonic() - self.due[oldest][1], frozenset(self.due)

    def take_sources(self) -> dict[str, datetime]:
        """All due sources, handed over to one crawl."""
        with self.cond:
            taken = {name: scheduled for name, (scheduled, _) in self.due.items()}
            self.due.clear()
            return taken

    def take_upkeep(self) -> tuple[bool, bool]:
        with self.cond:
            wanted, retry = self.upkeep, self.retry
            self.upkeep = self.retry = False
            return wanted, retry


def source_trigger(source: SourceConfig, now: datetime) -> Any:
    """The source's APScheduler trigger, with jitter (5% of its period, at most 30 s).

    Interval triggers all start at `now` (the daemon's start or reload), so sources with the same
    `every` come due within one jitter spread and share one crawl (see Daemon.batch_ready).
    """
    jitter = jitter_for(interval_of(source, now))
    if source.cron:
        trigger = cron_trigger(source.cron, source.timezone)
        trigger.jitter = jitter or None
        return trigger
    return SteadyIntervalTrigger(seconds=source.every, jitter=jitter or None, timezone=timezone.utc,
                                 start_date=now)


def snapshot_path(config_path: Path) -> Path:
    return config_path.with_name(f".{config_path.name}.run-snapshot")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Daemon:
    """One scheduler, one work loop, one database (the caller holds its DaemonLock)."""

    def __init__(self, config_path: Path, config: Config, build_channels: ChannelFactory,
                 parse: ConfigParser, totals: Totals | None = None, config_text: str | None = None):
        self.config_path = config_path
        self.parse = parse
        self.config = config
        self.config_text = config_text if config_text is not None else config_path.read_text(encoding="utf-8")
        self.build_channels = build_channels
        self.channels = build_channels(config.channels)
        self.totals = totals or Totals()
        self.crashes = 0  # crawl processes failed in a row
        self.queue = WorkQueue()
        self.stopping = threading.Event()
        self.reload_wanted = threading.Event()
        self.scheduler = BackgroundScheduler(
            executors={"default": HandOffExecutor()},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=timezone.utc,
        )

    # --- signals --------------------------------------------------------------------------

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, lambda *_: self.reload_wanted.set())

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        # Only set a flag: a handler runs between two bytecodes of the main thread, perhaps while
        # it holds a lock. The loop polls every POLL_S and a crawl child is polled as often.
        self.stopping.set()

    def should_stop(self) -> bool:
        return self.stopping.is_set()

    # --- schedule -------------------------------------------------------------------------

    def schedule_source(self, source: SourceConfig, now: datetime) -> None:
        first = now if not source.cron else None  # interval sources are read at once on start
        kwargs: dict[str, Any] = {"next_run_time": first} if first else {}
        self.scheduler.add_job(
            partial(self.queue.source_due, source.name), source_trigger(source, now),
            id=f"source:{source.name}", name=source.name, replace_existing=True, **kwargs,
        )

    def schedule_all(self, now: datetime) -> None:
        for source in self.config.sources_to_read():
            self.schedule_source(source, now)
        self.scheduler.add_job(self.queue.upkeep_due, IntervalTrigger(seconds=UPKEEP_EVERY_S),
                               id="upkeep", replace_existing=True)
        self.scheduler.add_job(partial(self.queue.upkeep_due, retry=True),
                               IntervalTrigger(seconds=RETRY_EVERY_S), id="retry", replace_existing=True)

    def write_snapshot(self, text: str) -> None:
        """The validated config text, where the crawl child reads it (same folder: same paths)."""
        target = snapshot_path(self.config_path)
        temporary = target.with_name(target.name + f".{os.getpid()}")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(target)

    def reload(self) -> None:
        """SIGHUP: adopt a valid new config (rescheduling what changed); keep the old one otherwise."""
        try:
            text = self.config_path.read_text(encoding="utf-8")  # read once: validated = snapshot
            new = self.parse(text, self.config_path.resolve().parent)
        except OSError as exc:
            event(log, "config.invalid", logging.ERROR, path=str(self.config_path),
                  errors=[f"cannot read config file: {exc.strerror}"], kept="the previous config")
            return
        except ConfigError as exc:
            event(log, "config.invalid", logging.ERROR, path=str(self.config_path),
                  errors=exc.errors, kept="the previous config")
            return
        if new.database_path.resolve() != self.config.database_path.resolve():
            event(log, "config.invalid", logging.ERROR, path=str(self.config_path),
                  errors=["database: cannot change while running; restart instead"],
                  kept="the previous config")
            return
        try:
            channels = self.build_channels(new.channels)
            self.write_snapshot(text)
        except Exception as exc:  # a channel that cannot be built: keep the old config
            event(log, "config.invalid", logging.ERROR, errors=[str(exc)], kept="the previous config")
            return
        now = datetime.now(timezone.utc)
        old = {s.name: s for s in self.config.sources_to_read()}
        current = {s.name: s for s in new.sources_to_read()}
        for name in old.keys() - current.keys():
            self.scheduler.remove_job(f"source:{name}")
        changed = [s for s in current.values() if old.get(s.name) != s]
        self.config, self.channels = new, channels
        for source in changed:
            self.schedule_source(source, now)
        event(log, "config.reloaded", sources=len(new.sources), changed=len(changed),
              removed=len(old.keys() - current.keys()))  # removed: deleted or disabled

    # --- work -----------------------------------------------------------------------------

    def batch_ready(self) -> bool:
        """Crawl now, or hold for sources about to come due so they share this crawl?

        A crawl process costs seconds to start, and sources scheduled together are spread by
        their jitter; a batch that started with the first of them would make the rest wait for
        it to finish. So the first due source holds the batch while another source is due within
        its own jitter spread (at most MAX_HOLD_S): lag stays under that spread plus one crawl.
        """
        # Never called under the queue's lock: the scheduler thread holds its own lock while it
        # calls source_due, so taking them in the other order here could deadlock.
        oldest, waited, waiting = self.queue.peek()
        if oldest is None or self.should_stop():
            return False
        if waited < BATCH_WINDOW_S:
            return False
        try:
            spread = jitter_for(interval_of(self.config.source(oldest), datetime.now(timezone.utc)))
        except KeyError:
            return True
        # + two polls: a source due at the very end of the spread fires a moment late
        budget = min(spread, MAX_HOLD_S) + 2 * POLL_S - waited
        if budget <= 0:
            return True
        horizon = datetime.now(timezone.utc).timestamp() + budget
        return not any(
            job.next_run_time is not None and job.next_run_time.timestamp() <= horizon
            and job.id.startswith("source:") and job.name not in waiting
            for job in self.scheduler.get_jobs()
        )

    def crawl(self, due: dict[str, datetime]) -> None:
        """One crawl child for every due source that is not backing off, then the upkeep."""
        now = datetime.now(timezone.utc)
        known = {s.name for s in self.config.sources}
        with closing(Store.open(self.config.database_path)) as store:
            names = [n for n in due if n in known and may_try(store, n, now)]
        resting = [n for n in due if n in known and n not in names]
        if resting:
            event(log, "sources.backing_off", logging.INFO, sources=resting)
        if not names:
            return
        lags = [(now - due[n]).total_seconds() for n in names]
        for name in names:
            event(log, "source.due", logging.DEBUG, source=name, lag=round((now - due[name]).total_seconds(), 3))
        event(log, "crawl.start", sources=len(names), lag_p50=round(statistics.median(lags), 3),
              lag_max=round(max(lags), 3))
        started = time.monotonic()
        try:
            report = run_crawl(snapshot_path(self.config_path), names, stop=self.should_stop)
        except CrawlInterrupted:
            event(log, "crawl.stopped", sources=len(names))
            return
        except CrawlError as exc:
            self.crawl_crashed(exc)
            self.upkeep(retry=False)  # what the crawl committed before it died goes out now
            return
        if self.crashes >= self.config.source_down_after:
            self.notify(Notice(CRAWLER, "recovered", "The crawl process runs again."))
        self.crashes = 0
        self.after_crawl(report, time.monotonic() - started)

    def crawl_crashed(self, error: CrawlError) -> None:
        """The child failed as a whole: not the sources' fault, so no source health is touched;
        the operator hears once, after as many crashes in a row as make a source 'down'."""
        self.crashes += 1
        event(log, "crawl.crashed", logging.ERROR, error=str(error), in_a_row=self.crashes)
        if self.crashes == self.config.source_down_after:
            self.notify(Notice(CRAWLER, "down", f"The crawl process failed {self.crashes} times in a row: {error}"))

    def notify(self, notice: Notice) -> None:
        with closing(Store.open(self.config.database_path)) as store:
            store.queue_notice(notice, datetime.now(timezone.utc))
            deliver_notices(store, self.channels, self.config.admin_channel, self.should_stop, retry_failed=False)

    def after_crawl(self, report: CrawlReport, seconds: float) -> None:
        now = datetime.now(timezone.utc)
        with closing(Store.open(self.config.database_path)) as store:
            # Failed alerts and notices wait for the retry schedule, not every crawl.
            delivery = deliver_instant(store, self.config, self.channels, stop=self.should_stop, retry_failed=False)
            upkeep = after_pass(self.config, store, self.channels, report, now, self.should_stop, retry_failed=False)
        for source in report.sources.values():
            pages = source.new_articles + source.rejected_pages + source.failed_pages
            self.totals.sources += 1
            self.totals.pages += pages
            self.totals.new_articles += source.new_articles
            if source.was_read:
                event(log, "source.read", logging.DEBUG if not pages else logging.INFO, source=source.name,
                      status=source.status, new=source.new_articles, failed_pages=source.failed_pages)
            else:
                event(log, "source.failed", logging.WARNING, source=source.name, status=source.status,
                      reason=source.reason)
        self.totals.alerts += len(delivery.sent)
        self.totals.failing = sum(1 for s in report.sources.values() if not s.was_read)
        for failure in delivery.failed:
            event(log, "alert.failed", logging.WARNING, alert=failure.outgoing.ids[0],
                  channel=failure.outgoing.channel, error=failure.error, permanent=failure.permanent)
        for channel, why in delivery.waiting.items():
            event(log, "channel.waiting", logging.WARNING, channel=channel, reason=why)
        event(log, "crawl.done", sources=len(report.sources),
              new=sum(s.new_articles for s in report.sources.values()),
              failed=self.totals.failing, alerts_sent=len(delivery.sent),
              alerts_failed=len(delivery.failed), alerts_resent=delivery.resends, seconds=round(seconds, 2))
        self.log_upkeep(upkeep)

    def upkeep(self, retry: bool) -> None:
        with closing(Store.open(self.config.database_path)) as store:
            result = maintenance(self.config, store, self.channels, datetime.now(timezone.utc),
                                 retry=retry, stop=self.should_stop)
        self.log_upkeep(result, retry)

    def log_upkeep(self, result: UpkeepReport, retry: bool = False) -> None:
        for notice in result.notices:
            event(log, f"source.{notice.kind}", logging.WARNING, source=notice.source, text=notice.text)
        for sent in result.digests.sent:
            self.totals.alerts += 1
            event(log, "digest.sent", rule=sent.outgoing.rule, channel=sent.outgoing.channel,
                  articles=sent.outgoing.count)
        for failure in result.digests.failed:
            event(log, "digest.failed", logging.WARNING, rule=failure.outgoing.rule,
                  channel=failure.outgoing.channel, error=failure.error)
        if result.notices_sent.failed:
            event(log, "notice.failed", logging.WARNING, count=len(result.notices_sent.failed),
                  channel=self.config.admin_channel)
        late = result.retried
        if late is not None and (late.sent or late.failed):
            self.totals.alerts += len(late.sent)
            event(log, "alerts.retried" if retry else "alerts.sent", sent=len(late.sent), failed=len(late.failed),
                  resent=late.resends)

    # --- the loop -------------------------------------------------------------------------

    def step(self, name: str, action: Callable[..., None], *args: Any) -> None:
        """One step of the loop; an unexpected error (a locked database, a bug) is logged and the
        daemon goes on: the next step or the next schedule tries again."""
        try:
            action(*args)
        except Exception as exc:
            log.error("step.failed", exc_info=True,
                      extra={"fields": {"step": name, "error": f"{type(exc).__name__}: {exc}"}})

    def run(self) -> int:
        """Until SIGTERM/SIGINT: crawl what is due, keep up health, digests and retries."""
        self.install_signals()
        self.write_snapshot(self.config_text)
        now = datetime.now(timezone.utc)
        event(log, "daemon.start", pid=os.getpid(), database=str(self.config.database_path),
              sources=len(self.config.sources))
        self.schedule_all(now)
        self.scheduler.start()
        try:
            # Whatever came due while nothing ran (a digest at 08:00, failed alerts) goes out now.
            self.step("upkeep", self.upkeep, True)
            while not self.should_stop():
                if self.reload_wanted.is_set():
                    self.reload_wanted.clear()
                    self.step("reload", self.reload)
                self.queue.wait(POLL_S)
                if self.batch_ready():
                    self.step("crawl", self.crawl, self.queue.take_sources())
                wanted, retry = self.queue.take_upkeep()
                if wanted and not self.should_stop():
                    self.step("upkeep", self.upkeep, retry)
        finally:
            self.scheduler.shutdown(wait=False)
            snapshot_path(self.config_path).unlink(missing_ok=True)
            event(log, "daemon.stop", pid=os.getpid())
        return 0
