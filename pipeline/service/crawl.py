"""Orchestration of one pass: crawl in a child process, then deliver the outbox.

The child (`python -m crawler.run`) does all fetching and storing; a crash or leak there cannot
take a long-running caller down, and Twisted's reactor gets a fresh process every time. The child
runs in its own process group (a Ctrl-C on the terminal reaches only its parent, which stops it
once, gracefully) and asks the kernel to kill it when its parent dies (crawler.run), so a killed
`crawl` or daemon never leaves a crawl writing the database behind it. Its report goes to a temp
directory named after the parent's PID; one left by a killed parent is removed by the next crawl.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from pipeline.config import Config
from pipeline.models import Channel, CrawlReport
from pipeline.outbox.deliver import DeliveryReport, never
from pipeline.service.lock import alive
from pipeline.service.upkeep import deliver_instant
from pipeline.store.sqlite import Store

CRAWL_TIMEOUT_S = 3600
POLL_S = 0.2
STOP_GRACE_S = 5.0
GRACEFUL_S = 1.5  # of STOP_GRACE_S, for in-flight pages to finish before Scrapy is told to stop now
TEMP_PREFIX = "newswatch-crawl-"
PARENT_ENV = "NEWSWATCH_PARENT_PID"  # crawler.run: die with this process


class CrawlError(Exception):
    """The crawl process itself failed (not a source: those are in the report)."""


class CrawlInterrupted(CrawlError):
    """The caller asked the crawl to stop; `report` is what the child had done, if it said."""

    def __init__(self, message: str, report: CrawlReport | None = None):
        super().__init__(message)
        self.report = report


@dataclass
class PassResult:
    crawl: CrawlReport
    delivery: DeliveryReport
    stopped: bool = False  # by a signal: the crawl ended early, delivery may have too


def child_env() -> dict[str, str]:
    """The environment of a crawl or fetch child: ours, with this checkout first on its path."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def remove_stale_crawl_dirs(root: Path | None = None) -> int:
    """Remove the temp directories of crawls whose parent is dead (killed before it cleaned up)."""
    removed = 0
    for entry in Path(root or tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        found = re.match(rf"{re.escape(TEMP_PREFIX)}(\d+)-", entry.name)
        try:
            mine = entry.is_dir() and entry.stat().st_uid == os.getuid()
        except OSError:
            continue
        if found and mine and not alive(int(found[1])):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


def run_crawl(
    config_path: Path, source_names: list[str], timeout: float = CRAWL_TIMEOUT_S,
    stop: Callable[[], bool] | None = None, hold_alerts: bool = False,
) -> CrawlReport:
    """Crawl the named sources in a child process and return its report.

    `stop` is polled while the child runs: when it turns true the child is stopped (`_stop`) within
    STOP_GRACE_S, so a caller can exit promptly; CrawlInterrupted then carries
    the report the child wrote on its way out (what it stored is committed). An interrupted child
    never stores feed validators (see crawler.run), so its unfetched pages are fetched next time.
    """
    remove_stale_crawl_dirs()
    tmp = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-"))
    try:
        report_path, stderr_path = tmp / "report.json", tmp / "stderr.txt"
        flags = ["--no-alert"] if hold_alerts else []
        command = [sys.executable, "-m", "crawler.run", str(config_path), str(report_path), *flags, *source_names]
        env = {**child_env(), PARENT_ENV: str(os.getpid())}
        with open(stderr_path, "w+", encoding="utf-8", errors="replace") as stderr:
            child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=env,
                                     process_group=0)
            returncode, stopped = _wait(child, timeout, stop)
            stderr.seek(0)
            errors = stderr.read()
        report = (CrawlReport.from_json(report_path.read_text(encoding="utf-8"))
                  if returncode == 0 and report_path.exists() else None)
        if stopped:
            raise CrawlInterrupted("the crawl was stopped before it finished", report)
        if report is None:
            tail = "\n".join(errors.strip().splitlines()[-15:])
            raise CrawlError(f"the crawl process failed (exit {returncode}):\n{tail}")
        return report
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _stop(child: subprocess.Popen[bytes]) -> int:
    """Stop the crawl child within STOP_GRACE_S, its report written if at all possible.

    Scrapy takes a first SIGTERM as "finish what is in flight", which can mean waiting for a slow
    page until its timeout; a second one as "stop now": the reactor stops between two callbacks
    (so between two article commits) and crawler.run still writes its report. SIGKILL is last.
    """
    child.terminate()
    for wait_s, then in ((GRACEFUL_S, child.terminate), (STOP_GRACE_S - GRACEFUL_S, child.kill)):
        try:
            return child.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            then()
    return child.wait()


def _wait(child: subprocess.Popen[bytes], timeout: float, stop: Callable[[], bool] | None) -> tuple[int, bool]:
    """(the child's exit code, whether `stop` ended it); CrawlError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return child.wait(timeout=POLL_S), False
        except subprocess.TimeoutExpired:
            pass
        if stop is not None and stop():
            return _stop(child), True
        if time.monotonic() > deadline:
            child.kill()
            child.wait()
            raise CrawlError(f"the crawl did not finish within {timeout:.0f}s")


def crawl_and_deliver(
    config: Config, config_path: Path, source_names: list[str], channels: Mapping[str, Channel],
    stop: Callable[[], bool] = never, hold_alerts: bool = False,
) -> PassResult:
    """One `crawl` pass: the child, then every pending alert (failed ones retried too).

    Stopped (`stop` true), the pass still returns what the child reported, and delivery stops
    between two messages, so what is not sent stays pending for the next pass.
    """
    try:
        report, stopped = run_crawl(config_path, source_names, stop=stop, hold_alerts=hold_alerts), False
    except CrawlInterrupted as interrupted:
        if interrupted.report is None:
            raise
        report, stopped = interrupted.report, True
    store = Store.open(config.database_path)
    try:
        delivery = deliver_instant(store, config, channels, stop=stop)
    finally:
        store.close()
    return PassResult(report, delivery, stopped)
