"""Orchestration of one pass: crawl in a child process, then deliver the outbox.

The child (`python -m crawler.run`) does all fetching and storing; a crash or leak there cannot
take a long-running caller down, and Twisted's reactor gets a fresh process every time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from pipeline.config import Config
from pipeline.deliver import DeliveryReport, deliver_pending
from pipeline.message import Channel
from pipeline.session import CrawlReport
from pipeline.store import Store

CRAWL_TIMEOUT_S = 3600


class CrawlError(Exception):
    """The crawl process itself failed (not a source: those are in the report)."""


@dataclass
class PassResult:
    crawl: CrawlReport
    delivery: DeliveryReport


def run_crawl(config_path: Path, source_names: list[str], timeout: float = CRAWL_TIMEOUT_S) -> CrawlReport:
    """Crawl the named sources in a child process and return its report."""
    with tempfile.TemporaryDirectory(prefix="newswatch-") as tmp:
        report_path = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "crawler.run", str(config_path), str(report_path), *source_names]
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            completed = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, env=env
            )
        except subprocess.TimeoutExpired:
            raise CrawlError(f"the crawl did not finish within {timeout:.0f}s") from None
        if completed.returncode != 0 or not report_path.exists():
            tail = "\n".join(completed.stderr.strip().splitlines()[-15:])
            raise CrawlError(f"the crawl process failed (exit {completed.returncode}):\n{tail}")
        return CrawlReport.from_json(report_path.read_text(encoding="utf-8"))


def rule_entities(config: Config) -> dict[str, set[str]]:
    return {rule.name: set(config.rule_entities(rule)) for rule in config.alerts}


def crawl_and_deliver(
    config: Config, config_path: Path, source_names: list[str], channels: Mapping[str, Channel]
) -> PassResult:
    report = run_crawl(config_path, source_names)
    store = Store.open(config.database_path)
    try:
        delivery = deliver_pending(store, channels, rule_entities(config))
    finally:
        store.close()
    return PassResult(report, delivery)
