"""`newswatch run` as a real process against the loopback site, SMTP server and webhook receiver.

Every daemon a test starts is ended by its own PID (SIGTERM, then SIGKILL if it hangs). Timeouts
are generous because the machine is shared; the issue's bounds (alert within 2 s + 10 s, exit
within 10 s) are asserted as stated.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from pipeline.cli.site_server import Route
from tests.conftest import ROOT, newswatch, site_config, write_config

NEW_ITEM = (
    "<item><title>Hikvision wins new contract</title>"
    "<link>/business/hikvision-contract.html</link><guid>abw-2024-0009</guid></item>"
)
NEW_PAGE = Route(
    b"<html><body><article><h1>Hikvision wins new contract</h1><p>Hikvision, the camera maker,"
    b" said on Monday it had won a contract to supply surveillance systems to a city in"
    b" Southeast Asia, its largest overseas order this year.</p></article></body></html>",
    headers={"Content-Type": "text/html; charset=utf-8"},
)


class Daemon:
    """A `newswatch run --log-json` process; its log (stderr) goes to a file we can read."""

    def __init__(self, config: Path, log: Path):
        self.log_path = log
        env = dict(os.environ)
        env.pop("NEWSWATCH_CONFIG", None)
        self.log_file = open(log, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "--config", str(config), "run", "--log-json"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self.log_file, env=env,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def events(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"event": "unparsed", "line": line})
        return out

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events() if e.get("event") == name]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


@pytest.fixture
def start_daemon(tmp_path: Path) -> Iterator[Callable[[Path], Daemon]]:
    started: list[Daemon] = []

    def start(config: Path) -> Daemon:
        daemon = Daemon(config, tmp_path / f"daemon-{len(started)}.log")
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.stop()


def wait_for(condition: Callable[[], Any], timeout: float, what: str, daemon: Daemon | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if daemon is not None and daemon.process.poll() is not None:
            break
        time.sleep(0.1)
    log = daemon.log_path.read_text(errors="replace")[-3000:] if daemon else ""
    raise AssertionError(f"timed out waiting for {what}\n{log}")


def every_1s(site, names=("abw",)) -> str:
    feeds = {"abw": "/feed.xml", "dtm": "/atom.xml"}
    return "".join(f"  - name: {n}\n    feed: {site.url(feeds[n])}\n    every: 1s\n" for n in names)


def test_new_item_is_alerted_within_12s_second_daemon_refuses_sigterm_exits(tmp_path, site, smtp, start_daemon):
    config = write_config(tmp_path, site_config(site, smtp, sources=every_1s(site)))
    daemon = start_daemon(config)
    wait_for(lambda: len(smtp.messages) >= 1, 60, "the first alert", daemon)

    second = newswatch("--config", str(config), "run", timeout=60)
    assert second.returncode == 1
    assert f"process {daemon.pid}" in second.stderr and "already running" in second.stderr
    beside = newswatch("--config", str(config), "crawl", timeout=60)
    assert beside.returncode == 2 and f"process {daemon.pid}" in beside.stderr

    feed = site.resolve("/feed.xml").body.decode()
    site.routes["/business/hikvision-contract.html"] = NEW_PAGE
    site.routes["/feed.xml"] = Route(feed.replace("</channel>", NEW_ITEM + "</channel>").encode(),
                                     headers={"Content-Type": "application/rss+xml"})
    added = time.monotonic()
    wait_for(lambda: len(smtp.messages) >= 2, 30, "the new item's alert", daemon)
    assert time.monotonic() - added <= 12
    assert "Hikvision wins new contract" in smtp.messages[-1]["Subject"]

    stopping = time.monotonic()
    daemon.process.send_signal(signal.SIGTERM)
    assert daemon.process.wait(timeout=20) == 0
    assert time.monotonic() - stopping <= 10
    assert daemon.named("daemon.stop")
    assert not (tmp_path / "news.db.run.lock").read_text().strip()  # the PID is gone with it
    assert len(smtp.messages) == 2  # nothing sent twice


def test_failing_source_backs_off_goes_down_and_recovers_on_admin_channel(tmp_path, site, webhook, start_daemon):
    atom = site.resolve("/atom.xml")
    site.routes["/flaky.xml"] = atom
    sources = every_1s(site) + f"  - name: flaky\n    feed: {site.url('/flaky.xml')}\n    every: 1s\n"
    text = site_config(site, webhook=webhook, sources=sources)
    text += "admin_channel: team-slack\nsource_down_after: 3\n"
    config = write_config(tmp_path, text)
    daemon = start_daemon(config)
    wait_for(lambda: daemon.named("crawl.done"), 60, "the first crawl", daemon)

    site.routes["/flaky.xml"] = Route(b"no", status=403)
    down = wait_for(lambda: [p for p in webhook.posts if "source down: flaky" in p["text"]], 90,
                    "the source-down notice", daemon)
    assert "HTTP 403" in down[0]["blocks"][0]["text"]["text"]
    assert daemon.named("sources.backing_off"), "a failing source rests between attempts"
    with sqlite3.connect(tmp_path / "news.db") as conn:
        failures, next_attempt = conn.execute(
            "select consecutive_failures, next_attempt from sources where name = 'flaky'").fetchone()
    assert failures >= 3 and next_attempt
    assert not [p for p in webhook.posts if "source down: abw" in p["text"]]

    site.routes["/flaky.xml"] = atom
    wait_for(lambda: [p for p in webhook.posts if "source recovered: flaky" in p["text"]], 90,
             "the recovered notice", daemon)
    assert len([p for p in webhook.posts if "source down" in p["text"]]) == 1


def test_digest_rule_sends_one_message_holding_several_articles(tmp_path, site, smtp, start_daemon):
    text = site_config(site, smtp, sources=every_1s(site, ("abw", "dtm")))
    text = text.replace("    channels: [team-email]\n", "    channels: [team-email]\n    digest: every 2s\n")
    config = write_config(tmp_path, text)
    daemon = start_daemon(config)
    wait_for(lambda: smtp.messages, 60, "the digest", daemon)
    time.sleep(2.5)  # a digest interval later, nothing else has come
    [digest] = smtp.messages
    assert digest["Subject"].startswith("[newswatch] digest ngo-team: 3 articles")
    body = digest.get_body(("plain",)).get_content()
    assert "== Hikvision (3) ==" in body  # each article under its most-mentioned entity
    newest_first = ["海康威视被指在新疆项目中提供监控设备", "Quote of the Day", "NGOs urge Norway"]
    assert [body.index(title) for title in newest_first] == sorted(body.index(t) for t in newest_first)
    assert "<mark>" in digest.get_body(("html",)).get_content()
    assert daemon.named("digest.sent")[0]["articles"] == 3


def test_sighup_keeps_old_config_when_new_one_is_invalid_and_adopts_a_valid_one(tmp_path, site, smtp, start_daemon):
    good = site_config(site, smtp, sources=every_1s(site))
    config = write_config(tmp_path, good)
    daemon = start_daemon(config)
    wait_for(lambda: daemon.named("crawl.done"), 60, "the first crawl", daemon)

    config.write_text(good.replace("every: 1s", "every: soon"), encoding="utf-8")
    daemon.process.send_signal(signal.SIGHUP)
    invalid = wait_for(lambda: daemon.named("config.invalid"), 20, "the reload error", daemon)
    assert "sources[abw].every" in json.dumps(invalid[0]["errors"])
    done = len(daemon.named("crawl.done"))
    wait_for(lambda: len(daemon.named("crawl.done")) > done, 20, "crawls going on", daemon)

    config.write_text(site_config(site, smtp, sources=every_1s(site, ("abw", "dtm"))), encoding="utf-8")
    daemon.process.send_signal(signal.SIGHUP)
    wait_for(lambda: daemon.named("config.reloaded"), 20, "the reload", daemon)
    wait_for(lambda: len(smtp.messages) >= 3, 60, "alerts from the added source", daemon)


def test_crawl_from_cron_sends_a_digest_that_is_due(tmp_path, site, smtp):
    text = site_config(site, smtp).replace("    channels: [team-email]\n",
                                           "    channels: [team-email]\n    digest: every 1s\n")
    config = write_config(tmp_path, text)
    first = newswatch("--config", str(config), "crawl")
    assert first.returncode == 0, first.stderr
    held = len(smtp.messages)
    time.sleep(1.5)
    second = newswatch("--config", str(config), "crawl")
    assert "digest ngo-team to team-email: 3 article(s)" in first.stdout + second.stdout
    assert held <= 1 and len(smtp.messages) == 1


def test_alerts_test_sends_a_sample_to_a_channel_and_stats_prints_tables(tmp_path, site, smtp, webhook):
    config = write_config(tmp_path, site_config(site, smtp, webhook))
    result = newswatch("--config", str(config), "alerts", "test", "team-slack")
    assert result.returncode == 0 and "team-slack: sample alert sent" in result.stdout
    assert "&lt;sample&gt;" in webhook.posts[0]["text"]
    assert newswatch("--config", str(config), "alerts", "test", "team-email", "--kind", "notice").returncode == 0
    assert smtp.messages[0]["Subject"] == "[newswatch] source down: sample-source"
    missing = newswatch("--config", str(config), "alerts", "test", "pager")
    assert missing.returncode == 2 and "no channel named 'pager'" in missing.stderr
    stats = newswatch("--config", str(config), "stats")
    assert stats.returncode == 0 and "never read" in stats.stdout and "Per day" in stats.stdout
