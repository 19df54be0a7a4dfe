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


# --- claims: overlapping passes, passes that die mid-send, keys ---------------------------------

from datetime import datetime, timedelta, timezone  # noqa: E402

from alerts.email import EmailSettings, build_email  # noqa: E402
from alerts.render_slack import slack_payload  # noqa: E402
from pipeline.outbox.deliver import CLAIM_S, deliver_notices  # noqa: E402


def article(n):
    return Article(url=f"https://ex.org/{n}", source="src", title=f"Hikvision news {n}", language="en",
                   text=f"Hikvision text number {n} about cameras")


def test_a_pass_started_while_another_sends_skips_the_row_in_flight_and_sends_the_rest(tmp_path, store):
    for n in range(3):
        store.add_article(article(n), [MENTION], [("rule", "mail", None)])
    other = Store.open(tmp_path / "db.sqlite")  # a second pass: its own connection, as another process
    overlapping = []

    class SendsWhileAnotherPassRuns(Recorder):
        def send(self, message):
            if not overlapping:  # during the first send, a whole second pass runs
                overlapping.append(deliver_alerts(other, {"mail": second}))
            super().send(message)

    first, second = SendsWhileAnotherPassRuns("mail"), Recorder("mail")
    report = deliver_alerts(store, {"mail": first})
    other.close()
    titles = [m.title for m in first.sent + second.sent]
    assert sorted(titles) == [f"Hikvision news {n}" for n in range(3)]  # each exactly once
    assert len(overlapping[0].sent) == 2  # it left the row in flight alone
    assert len(report.sent) == 1 and report.skipped == 2  # the rows the other pass took meanwhile
    assert rows(store, "select status, attempts, claimed_by from alerts") == [("sent", 1, None)] * 3


def test_a_claim_is_all_or_nothing_and_an_expired_one_is_taken_over_and_counted(store):
    for n in range(2):
        store.add_article(article(n), [MENTION], [("rule", "mail", None)])
    now = datetime.now(timezone.utc)
    held = store.claim_delivery("alerts", [1], "pass-a", now + timedelta(seconds=60), now, 10)
    assert held is not None and held.resumed == ()
    assert store.claim_delivery("alerts", [1, 2], "pass-b", now + timedelta(seconds=60), now, 10) is None
    assert rows(store, "select id, status from alerts order by id") == [(1, "sending"), (2, "pending")]
    later = now + timedelta(seconds=61)  # pass-a died: its claim runs out
    taken = store.claim_delivery("alerts", [1, 2], "pass-b", later + timedelta(seconds=60), later, 10)
    assert taken is not None and taken.resumed == (1,)
    assert store.mark_delivery(held, "sent") == 0  # pass-a's late mark does not touch pass-b's rows
    assert store.mark_delivery(taken, "sent") == 2
    assert rows(store, "select id, status, attempts, possible_resends from alerts order by id") == [
        (1, "sent", 2, 1), (2, "sent", 1, 0)]


def test_a_row_left_sending_by_a_dead_pass_is_resent_once_with_the_same_key(store):
    from pipeline.outbox.messages import build_message

    store.add_article(article(0), [MENTION], [("rule", "mail", None)])
    channel = Recorder("mail")
    now = datetime.now(timezone.utc)
    key = build_message(store, store.pending_alerts(10, now)[0], {}).key  # what the dead pass sent
    store.claim_delivery("alerts", [1], "dead-pass", now + timedelta(seconds=CLAIM_S), now, 10)
    assert deliver_alerts(store, {"mail": channel}).sent == []  # still held: not sent beside it
    later = lambda: now + timedelta(seconds=CLAIM_S + 1)  # noqa: E731
    report = deliver_alerts(store, {"mail": channel}, clock=later)
    assert report.resends == 1 and [m.key for m in channel.sent] == [key]
    assert deliver_alerts(store, {"mail": channel}, clock=later).sent == []
    assert rows(store, "select status, possible_resends from alerts") == [("sent", 1)]


def test_keys_are_per_rule_channel_and_story_and_per_database(tmp_path, store):
    store.add_article(article(0), [MENTION], [("rule", "mail", None), ("rule", "chat", None)])
    channel = Recorder("mail")
    deliver_alerts(store, {"mail": channel, "chat": channel})
    keys = {m.key for m in channel.sent}
    assert len(keys) == 2  # one per channel
    elsewhere = Store.open(tmp_path / "other.sqlite")  # another deployment with the same names and ids
    elsewhere.add_article(article(0), [MENTION], [("rule", "mail", None), ("rule", "chat", None)])
    theirs = Recorder("mail")
    deliver_alerts(elsewhere, {"mail": theirs, "chat": theirs})
    elsewhere.close()
    assert keys.isdisjoint(m.key for m in theirs.sent)


def test_the_key_is_the_email_message_id_and_the_slack_metadata(store):
    store.add_article(article(0), [MENTION], [("rule", "mail", None)])
    channel = Recorder("mail")
    deliver_alerts(store, {"mail": channel})
    [message] = channel.sent
    settings = EmailSettings(type="email", smtp_host="127.0.0.1", **{"from": "nw@example.org"}, to=["a@example.org"])
    assert build_email(settings, message)["Message-ID"] == f"<{message.key}@example.org>"
    assert build_email(settings, message)["Message-ID"] == build_email(settings, message)["Message-ID"]
    assert slack_payload(message)["metadata"] == {"event_type": "newswatch_alert",
                                                  "event_payload": {"key": message.key}}


def test_notices_are_claimed_and_keyed_like_alerts(store):
    from pipeline.models import Notice

    store.queue_notice(Notice("abw", "down", "HTTP 403"), datetime.now(timezone.utc))
    inbox = Recorder("admin")
    assert len(deliver_notices(store, {"admin": inbox}, "admin").sent) == 1
    assert deliver_notices(store, {"admin": inbox}, "admin").sent == []
    assert inbox.sent[0].key.startswith("nw1-")
    assert rows(store, "select status, claimed_by from notices") == [("sent", None)]


def test_outbox_writes_are_synchronous_full(store):
    assert store._db.execute("pragma synchronous").fetchone()[0] == 2  # FULL
