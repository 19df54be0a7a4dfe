"""Schedules, backoff, health, digests, the lock and stats, without a clock or a daemon process."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from alerts.render import subject, text
from alerts.render_slack import slack_payload
from pipeline.cli.stats import render_stats
from pipeline.config import ConfigError, parse_config
from pipeline.config.schedules import parse_digest
from pipeline.models import (
    AlertMessage, Article, CrawlReport, DigestGroup, DigestMessage, Mention, MentionLine, Notice, SourceReport,
)
from pipeline.outbox.deliver import deliver_alerts, deliver_digests, deliver_notices
from pipeline.outbox.digests import group_messages, instant_only
from pipeline.service.health import check_silent, may_try, record_pass
from pipeline.service.lock import DaemonLock, LockHeld
from pipeline.service.schedule import backoff_s
from pipeline.store.sqlite import Store
from tests.conftest import rows

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=timezone.utc)
CONFIG = """
sources:
  - name: abw
    feed: https://example.org/feed.xml
    every: 10m
    expect_new_within: 1d
watchlist:
  - name: Hikvision
  - name: Dahua
alerts:
  - name: now
    channels: [inbox]
  - name: morning
    channels: [inbox]
    digest: daily 08:00
    timezone: Europe/Oslo
channels:
  inbox: {type: console}
admin_channel: inbox
source_down_after: 3
"""


def config(text: str = CONFIG):
    return parse_config(text, Path("."))


class Inbox:
    name = "inbox"

    def __init__(self):
        self.alerts, self.digests, self.notices = [], [], []

    def send(self, message):
        if isinstance(message, DigestMessage):
            self.digests.append(message)
        elif isinstance(message, Notice):
            self.notices.append(message)
        else:
            self.alerts.append(message)


def counts(report):
    return len(report.sent), len(report.failed)


def digests_sent(report):
    return [(s.outgoing.rule, s.outgoing.channel, s.outgoing.count) for s in report.sent]


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "db.sqlite")
    yield s
    s.close()


def message(title: str, *entities: str) -> AlertMessage:
    mentions = [MentionLine(e, e, "text", f"… {e} <b>&</b> …") for e in entities]
    return AlertMessage("r", list(dict.fromkeys(entities)), title, "https://ex.org/" + title, "src",
                        None, False, mentions, "")


def test_new_config_keys_are_validated_with_their_location():
    bad = CONFIG.replace("every: 10m", "cron: '0 25 * * *'").replace("Europe/Oslo", "Mars/Base")
    bad = bad.replace("admin_channel: inbox", "admin_channel: pager")
    with pytest.raises(ConfigError) as error:
        config(bad)
    text = "\n".join(error.value.errors)
    assert "line 5: sources[abw].cron:" in text and "line 16: alerts[morning].timezone:" in text
    with pytest.raises(ConfigError, match="admin_channel: no channel named 'pager'"):
        config(CONFIG.replace("admin_channel: inbox", "admin_channel: pager"))
    with pytest.raises(ConfigError, match="either every or cron"):
        config(CONFIG.replace("every: 10m", "every: 10m\n    cron: '0 * * * *'"))
    with pytest.raises(ConfigError, match=r"alerts\[morning\].digest: 'twice a day' is not a digest schedule"):
        config(CONFIG.replace("daily 08:00", "twice a day"))


def test_digest_schedules_are_due_at_the_first_time_after_the_oldest_held_alert():
    oslo = parse_digest("daily 08:00", "Europe/Oslo")  # 07:00 UTC in winter
    assert oslo.due_at(T0 - timedelta(minutes=1)) == T0
    assert oslo.due_at(T0 + timedelta(minutes=1)) == T0 + timedelta(days=1)
    assert parse_digest("hourly").due_at(T0 + timedelta(minutes=5)) == T0 + timedelta(hours=1)
    assert parse_digest("every 6h").due_at(T0) == T0 + timedelta(hours=6)
    assert parse_digest("30 9 * * 1-5").due_at(T0).hour == 9


def test_backoff_keeps_the_schedule_once_then_doubles_up_to_a_cap():
    assert [backoff_s(n, 60) for n in range(1, 6)] == [0, 120, 240, 480, 960]
    assert backoff_s(30, 60) == 6 * 3600
    assert backoff_s(30, 86400) == 86400


def outcome(name: str, ok: bool, new: int = 0) -> CrawlReport:
    status = "read" if ok else "failed"
    return CrawlReport({name: SourceReport(name, status, "" if ok else "HTTP 403 from x", new_articles=new)})


def test_source_goes_down_after_n_failures_backs_off_and_recovers(store):
    cfg, notices = config(), []
    for minute in range(4):
        notices += record_pass(store, cfg, outcome("abw", False), T0 + timedelta(minutes=minute), lambda s: 60)
    assert [n.kind for n in notices] == ["down"]  # once, at the third failure
    assert "3 times" in notices[0].text and "HTTP 403" in notices[0].text
    assert not may_try(store, "abw", T0 + timedelta(minutes=4))
    assert may_try(store, "abw", T0 + timedelta(minutes=3, seconds=481))
    back = record_pass(store, cfg, outcome("abw", True, new=1), T0 + timedelta(minutes=20), lambda s: 60)
    assert [n.kind for n in back] == ["recovered"]
    inbox = Inbox()
    assert counts(deliver_notices(store, {"inbox": inbox}, "inbox")) == (2, 0)
    assert [n.headline for n in inbox.notices] == ["source down: abw", "source recovered: abw"]
    assert counts(deliver_notices(store, {"inbox": inbox}, "inbox")) == (0, 0)


def test_source_silent_is_noticed_once(store):
    cfg = config()
    record_pass(store, cfg, outcome("abw", True, new=1), T0, lambda s: 600)
    assert check_silent(store, cfg, T0 + timedelta(hours=23)) == []
    [silent] = check_silent(store, cfg, T0 + timedelta(hours=25))
    assert silent.kind == "silent" and "no new article since" in silent.text
    assert check_silent(store, cfg, T0 + timedelta(hours=26)) == []


def add(store: Store, n: int, entity: str, published: str) -> None:
    article = Article(url=f"https://ex.org/{n}", source="abw", title=f"Story {n} <b>", published=published,
                      language="en", text="x")
    mention = Mention(entity, entity, "title", 0, len(entity), f"{entity} story")
    store.add_article(article, [mention], [("now", "inbox", None), ("morning", "inbox", None)])


def test_digest_is_held_from_instant_delivery_and_sent_when_due_even_after_downtime(store):
    cfg, inbox = config(), Inbox()
    for n, (entity, day) in enumerate([("Hikvision", "01"), ("Dahua", "02"), ("Hikvision", "03")]):
        add(store, n, entity, f"2026-03-{day}T00:00:00+00:00")
    rows(store, "update alerts set created_at = ?", ((T0 - timedelta(hours=1)).isoformat(),))
    deliver_alerts(store, {"inbox": inbox}, include=instant_only(cfg))
    assert len(inbox.alerts) == 3  # the instant rule only
    early = deliver_digests(store, cfg, {"inbox": inbox}, T0 - timedelta(minutes=1))
    assert early.sent == [] and inbox.digests == []
    # The daemon was down at 08:00 Oslo; at the next start, a day later, the digest goes out.
    late = deliver_digests(store, cfg, {"inbox": inbox}, T0 + timedelta(days=1))
    assert digests_sent(late) == [("morning", "inbox", 3)]
    [digest] = inbox.digests
    assert [(g.entity, [m.title for m in g.messages]) for g in digest.groups] == [
        ("Hikvision", ["Story 2 <b>", "Story 0 <b>"]), ("Dahua", ["Story 1 <b>"])]
    assert deliver_digests(store, cfg, {"inbox": inbox}, T0 + timedelta(days=2)).sent == []


def test_digest_rendering_escapes_like_single_alerts():
    groups = group_messages([(message("<!channel> & co", "Hikvision"), "2026-01-02"),
                             (message("Older", "Hikvision", "Dahua", "Dahua"), "2026-01-01")])
    assert [g.entity for g in groups] == ["Hikvision", "Dahua"]
    digest = DigestMessage("ngo\r\nBcc: x@example.org", "hourly", groups)
    assert "\n" not in subject(digest) and "2 articles" in subject(digest)
    payload = slack_payload(digest)
    assert "<!channel>" not in str(payload) and "&lt;!channel&gt; &amp; co" in str(payload)
    assert "**Hikvision**" in text(DigestMessage("r", "hourly", [DigestGroup("Hikvision", groups[0].messages)]))


def test_a_second_lock_on_the_same_database_names_the_holder(tmp_path):
    database = tmp_path / "news.db"
    with DaemonLock(database):
        with pytest.raises(LockHeld) as held:
            DaemonLock(database).acquire()
        assert held.value.pid == __import__("os").getpid()
        assert f"process {held.value.pid}" in str(held.value)
    with DaemonLock(database):  # released: free again
        pass


def test_a_killed_holder_leaves_no_lock_behind(tmp_path):
    database = tmp_path / "news.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys,time; sys.path.insert(0, sys.argv[1]);"
         "from pipeline.service.lock import DaemonLock; lock = DaemonLock(__import__('pathlib').Path(sys.argv[2])).acquire();"
         "print('held', flush=True); time.sleep(60)", str(Path(__file__).parent.parent), str(database)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld, match=f"process {holder.pid}"):
            DaemonLock(database).acquire()
    finally:
        holder.kill()
        holder.wait()
    DaemonLock(database).acquire().release()


def test_stats_show_health_and_volumes(store):
    cfg = config()
    add(store, 1, "Hikvision", "2026-03-01T00:00:00+00:00")
    for minute in range(3):
        record_pass(store, cfg, outcome("abw", False), T0 + timedelta(minutes=minute), lambda s: 60)
    text = render_stats(store, cfg, days=3, now=datetime.now(timezone.utc))
    assert "abw" in text and "DOWN" in text and "HTTP 403" in text
    assert "articles/day" in text and "mentions" in text
    today = datetime.now(timezone.utc).date().isoformat()
    [line] = [line for line in text.splitlines() if line.startswith(today)]
    assert line.split()[1:] == ["1", "1", "2", "0"]


def test_a_failing_step_is_logged_on_one_line_and_the_daemon_goes_on(tmp_path):
    import io
    import logging

    from pipeline.service.daemon import Daemon
    from pipeline.service.logs import setup_logging

    stream = io.StringIO()
    setup_logging(stream=stream)
    try:
        daemon = Daemon(tmp_path / "config.yaml", config(), lambda channels: {}, parse_config, config_text=CONFIG)

        def broken() -> None:
            raise RuntimeError("database is locked")

        daemon.step("crawl", broken)  # does not raise
    finally:
        logging.getLogger().handlers.clear()
    [line] = stream.getvalue().splitlines()
    assert "step.failed step=crawl" in line and "RuntimeError: database is locked" in line
    assert "exception=" in line and "Traceback" in line


def test_a_crashing_crawl_process_is_one_notice_not_a_down_source_each(tmp_path):
    from pipeline.service.crawl import CrawlError
    from pipeline.service.daemon import Daemon

    inbox = Inbox()
    daemon = Daemon(tmp_path / "config.yaml", parse_config(CONFIG, tmp_path), lambda channels: {"inbox": inbox},
                    parse_config, config_text=CONFIG)
    for _ in range(4):
        daemon.crawl_crashed(CrawlError("the crawl process failed (exit 1): MemoryError"))
    assert [n.headline for n in inbox.notices] == ["source down: (crawler)"]
    assert "3 times in a row" in inbox.notices[0].text and "MemoryError" in inbox.notices[0].text
    store = Store.open(tmp_path / "newswatch.db")
    assert rows(store, "select count(*) from sources") == [(0,)]  # no source blamed
    store.close()


def test_interval_jitter_does_not_accumulate_from_cycle_to_cycle():
    from pipeline.service.schedule import SteadyIntervalTrigger

    trigger = SteadyIntervalTrigger(seconds=60, jitter=3, start_date=T0, timezone=timezone.utc)
    fire = T0
    for cycle in range(1, 200):
        fire = trigger.get_next_fire_time(fire, fire)
        offset = (fire - T0).total_seconds() - 60 * cycle
        assert 0 <= offset <= 3, (cycle, offset)
    assert trigger.get_next_fire_time(None, T0 + timedelta(seconds=61)) >= T0 + timedelta(seconds=120)


def test_digest_lists_each_story_once_with_all_its_outlets():
    from dataclasses import replace

    from alerts.render import html
    from pipeline.models import Outlet

    story = replace(message("Wire story", "Hikvision"), outlets=[
        Outlet("wire-daily", "https://wire.example/a", "Wire story"),
        Outlet("metro-herald", "https://metro.example/b", "Camera giant hit by rules")])
    digest = DigestMessage("r", "hourly", group_messages([(story, "2026-01-02")]))
    plain = text(digest)
    assert plain.count("* Wire story") == 1
    assert "Covered by 2 outlets: wire-daily (https://wire.example/a), metro-herald (https://metro.example/b)" in plain
    assert '<a href="https://metro.example/b">metro-herald</a>' in html(digest)
    assert "Covered by 2 outlets" in str(slack_payload(digest))


def test_a_digest_whose_pass_died_is_resent_as_the_same_digest_and_later_alerts_wait(store):
    cfg, inbox = config(), Inbox()
    for n in range(2):
        add(store, n, "Hikvision", f"2026-03-0{n + 1}T00:00:00+00:00")
    rows(store, "update alerts set created_at = ?", ((T0 - timedelta(hours=1)).isoformat(),))
    first = deliver_digests(store, cfg, {"inbox": inbox}, T0 + timedelta(days=1))
    assert digests_sent(first) == [("morning", "inbox", 2)]
    sent_key = inbox.digests[0].key
    # As if that pass had died after the channel took the digest: its rows are claimed, not sent.
    rows(store, "update alerts set status = 'sending', claimed_by = 'dead', claimed_until = ?"
                " where rule = 'morning'", ((datetime.now(timezone.utc) - timedelta(seconds=1)).replace(microsecond=0).isoformat(),))
    add(store, 5, "Hikvision", "2026-03-05T00:00:00+00:00")  # held after the dead pass claimed
    again = deliver_digests(store, cfg, {"inbox": inbox}, T0 + timedelta(days=1, minutes=1))
    assert digests_sent(again) == [("morning", "inbox", 2)] and again.resends == 1
    assert inbox.digests[1].key == sent_key  # the receiver can tell it is the same digest
    assert rows(store, "select count(*) from alerts where rule = 'morning' and status = 'pending'") == [(1,)]
