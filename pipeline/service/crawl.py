"""Orchestration of one pass: crawl in a child process, then deliver the outbox.

The child (`python -m crawler.run`) does all fetching and storing; a crash or leak there cannot
take a long-running caller down, and Twisted's reactor gets a fresh process every time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from pipeline.config import Config
from pipeline.models import Channel, CrawlReport
from pipeline.outbox.deliver import DeliveryReport
from pipeline.service.upkeep import deliver_instant
from pipeline.store.sqlite import Store

CRAWL_TIMEOUT_S = 3600
POLL_S = 0.2
STOP_GRACE_S = 5.0


class CrawlError(Exception):
    """The crawl process itself failed (not a source: those are in the report)."""


class CrawlInterrupted(CrawlError):
    """The caller asked the crawl to stop (a daemon shutting down)."""


@dataclass
class PassResult:
    crawl: CrawlReport
    delivery: DeliveryReport


def child_env() -> dict[str, str]:
    """The environment of a crawl or fetch child: ours, with this checkout first on its path."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def run_crawl(
    config_path: Path, source_names: list[str], timeout: float = CRAWL_TIMEOUT_S,
    stop: Callable[[], bool] | None = None, hold_alerts: bool = False,
) -> CrawlReport:
    """Crawl the named sources in a child process and return its report.

    `stop` is polled while the child runs: when it turns true the child is asked to stop (SIGTERM)
    and killed after STOP_GRACE_S, so a daemon can exit promptly. An interrupted child never
    stores feed validators (see crawler.run), so its unfetched pages are fetched next time.
    """
    with tempfile.TemporaryDirectory(prefix="newswatch-") as tmp:
        report_path = Path(tmp) / "report.json"
        stderr_path = Path(tmp) / "stderr.txt"
        flags = ["--no-alert"] if hold_alerts else []
        command = [sys.executable, "-m", "crawler.run", str(config_path), str(report_path), *flags, *source_names]
        env = child_env()
        with open(stderr_path, "w+", encoding="utf-8", errors="replace") as stderr:
            child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=env)
            returncode = _wait(child, timeout, stop)
            stderr.seek(0)
            errors = stderr.read()
        if returncode is None:
            raise CrawlInterrupted("the crawl was stopped before it finished")
        if returncode != 0 or not report_path.exists():
            tail = "\n".join(errors.strip().splitlines()[-15:])
            raise CrawlError(f"the crawl process failed (exit {returncode}):\n{tail}")
        return CrawlReport.from_json(report_path.read_text(encoding="utf-8"))


def _wait(child: subprocess.Popen[bytes], timeout: float, stop: Callable[[], bool] | None) -> int | None:
    """The child's exit code, or None when `stop` ended it; CrawlError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return child.wait(timeout=POLL_S)
        except subprocess.TimeoutExpired:
            pass
        if stop is not None and stop():
            child.terminate()
            try:
                child.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            return None
        if time.monotonic() > deadline:
            child.kill()
            child.wait()
            raise CrawlError(f"the crawl did not finish within {timeout:.0f}s")


def crawl_and_deliver(
    config: Config, config_path: Path, source_names: list[str], channels: Mapping[str, Channel],
    hold_alerts: bool = False,
) -> PassResult:
    report = run_crawl(config_path, source_names, hold_alerts=hold_alerts)
    store = Store.open(config.database_path)
    try:
        delivery = deliver_instant(store, config, channels)
    finally:
        store.close()
    return PassResult(report, delivery)
