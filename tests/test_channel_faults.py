"""Failing channels: rate limits wait, permanent refusals stop at once and are told, a hung server
costs one timeout per pass, and other channels go on. Real receivers on loopback, a real store."""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest

from alerts import SETTINGS, build_channels
from pipeline.config import parse_config
from pipeline.models import Article, Mention
from pipeline.outbox.deliver import deliver_alerts, deliver_notices
from pipeline.store.sqlite import Store
from tests.conftest import rows

ENTITY = "Hikvision"


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    s = Store.open(tmp_path / "news.db")
    yield s
    s.close()


def add_alerts(store: Store, channels: list[str], n: int) -> None:
    for i in range(n):
        article = Article(url=f"https://news.example/{i}", source="abw", title=f"Hikvision story {i}",
                          text=f"Hikvision text number {i}", language="en")
        mention = Mention(ENTITY, ENTITY, "title", 0, 9, article.title)
        store.add_article(article, [mention], [("team", c, "Hikvision in the title") for c in channels])


def channels_for(tmp_path, text: str) -> dict:
    config = parse_config(f"watchlist: [{{name: {ENTITY}}}]\nchannels:\n{text}", tmp_path, channel_types=SETTINGS)
    return build_channels(config.channels)


@pytest.fixture
def hung_smtp() -> Iterator[int]:
    """A server that accepts connections and never says a word (not even the SMTP greeting)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held: list[socket.socket] = []
    running = True

    def accept() -> None:
        server.settimeout(0.2)
        while running:
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        running = False
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        server.close()


def test_a_rate_limited_webhook_waits_for_retry_after_across_passes(tmp_path, store, webhook):
    add_alerts(store, ["chat"], 3)
    webhook.responses = [(429, {"Retry-After": "2"})]
    channels = channels_for(tmp_path, f"  chat: {{type: slack, webhook_url: '{webhook.url}'}}")
    first = deliver_alerts(store, channels)
    assert webhook.attempts == 1 and len(first.failed) == 1 and first.held_back == 2
    assert "rate limited" in first.waiting["chat"] and "held until" in first.waiting["chat"]
    again = deliver_alerts(store, channels)  # another pass, before the time is up
    assert webhook.attempts == 1 and not again.sent and again.held_back == 3
    time.sleep(2.1)
    later = deliver_alerts(store, channels)
    assert len(later.sent) == 3 and len(webhook.posts) == 3
    assert rows(store, "select status from alerts") == [("sent",)] * 3


def test_a_permanent_refusal_is_failed_at_once_and_told_once(tmp_path, store, webhook, smtp):
    add_alerts(store, ["chat"], 3)
    webhook.responses = [(404, {}), (410, {}), (400, {})]
    channels = channels_for(tmp_path, f"""  chat: {{type: slack, webhook_url: '{webhook.url}'}}
  admin: {{type: email, smtp_host: {smtp.host}, smtp_port: {smtp.port}, security: none,
          from: nw@example.org, to: [ops@example.org]}}""")
    report = deliver_alerts(store, channels)
    assert [f.permanent for f in report.failed] == [True, True, True]
    assert {r[0] for r in rows(store, "select status from alerts")} == {"failed"}
    assert all(error.startswith("permanent: ") for (error,) in rows(store, "select last_error from alerts"))
    assert not deliver_alerts(store, channels).failed and webhook.attempts == 3  # never retried
    deliver_notices(store, channels, "admin")
    [notice] = smtp.messages
    assert notice["Subject"] == "[newswatch] channel refuses messages: chat"
    assert "HTTP 404" in notice.get_body(("plain",)).get_content()


def test_a_hung_smtp_server_costs_one_timeout_and_the_webhook_goes_on(tmp_path, store, webhook, hung_smtp):
    add_alerts(store, ["mail", "chat"], 20)
    channels = channels_for(tmp_path, f"""  mail: {{type: email, smtp_host: 127.0.0.1, smtp_port: {hung_smtp}, security: none,
         from: nw@example.org, to: [team@example.org], timeout: 1}}
  chat: {{type: slack, webhook_url: '{webhook.url}'}}""")
    started = time.monotonic()
    report = deliver_alerts(store, channels)
    took = time.monotonic() - started
    assert took < 5, took  # 20 messages x 1 s timeout would be 20 s
    assert len(report.failed) == 1 and "mail" in report.waiting
    assert len(webhook.posts) == 20
    statuses = dict(rows(store, "select status, count(*) from alerts where channel = 'mail' group by status"))
    assert statuses == {"failed": 1, "pending": 19}
