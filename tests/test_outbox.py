"""The outbox: article, mentions and alerts in one transaction; delivery marks sent or retries."""

import sqlite3

import pytest

from pipeline.models import Article, DeliveryError, Mention
from pipeline.outbox.deliver import deliver_alerts
from pipeline.store.sqlite import Store
from tests.conftest import rows

ARTICLE = Article(url="https://ex.org/a", source="src", title="Hikvision news", language="en", text="Hikvision text")
MENTION = Mention("Hikvision", "Hikvision", "title", 0, 9, "Hikvision news")


class Recorder:
    def __init__(self, name, fail_times=0):
        self.name, self.fail_times, self.sent = name, fail_times, []

    def send(self, message):
        if self.fail_times:
            self.fail_times -= 1
            raise DeliveryError("smtp said 451 try later")
        self.sent.append(message)


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "db.sqlite")
    yield s
    s.close()


def test_article_mentions_and_alerts_are_one_transaction(store):
    broken = Mention("Hikvision", "Hikvision", "title", None, 9, "x")  # position NOT NULL violated
    with pytest.raises(sqlite3.IntegrityError):
        store.add_article(ARTICLE, [MENTION, broken], [("r", "c", "why")])
    assert store.count("articles") == 0 and store.count("alerts") == 0 and store.count("mentions") == 0


def test_sent_alert_is_never_sent_again(store):
    store.add_article(ARTICLE, [MENTION], [("rule", "mail", None)])
    channel = Recorder("mail")
    assert len(deliver_alerts(store, {"mail": channel}).sent) == 1
    assert len(deliver_alerts(store, {"mail": channel}).sent) == 0
    assert len(channel.sent) == 1
    assert channel.sent[0].why == "Hikvision in the title; 1 mention of Hikvision"


def test_failed_alert_records_error_and_is_retried(store):
    store.add_article(ARTICLE, [MENTION], [("rule", "mail", None)])
    channel = Recorder("mail", fail_times=1)
    report = deliver_alerts(store, {"mail": channel})
    assert report.failed and not report.sent
    [row] = rows(store, "select status, attempts, last_error from alerts")
    assert row == ("failed", 1, "smtp said 451 try later")
    assert len(deliver_alerts(store, {"mail": channel}).sent) == 1
    assert rows(store, "select status, attempts from alerts") == [("sent", 2)]


def test_same_url_is_stored_once(store):
    assert store.add_article(ARTICLE, [MENTION], [("r", "c", "why")]) is not None
    assert store.add_article(ARTICLE, [MENTION], [("r", "c", "why")]) is None
    assert store.count("alerts") == 1


def test_full_text_search_finds_articles(store):
    store.add_article(ARTICLE, [MENTION], [])
    hits = rows(store, "select rowid from articles_fts where articles_fts match 'hikvision'")
    assert hits == [(1,)]


def test_wal_mode_is_on(store):
    assert rows(store, "pragma journal_mode")[0][0] == "wal"
