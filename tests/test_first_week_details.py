"""The small things a new user meets in the first week: --version, init in a clone, extract URL,
dates on the command line, Slack bold in Chinese, times in the rule's zone, quiet `match` output."""

import json
import re
import shutil
from contextlib import closing
from datetime import datetime, timedelta, timezone

import pytest

from alerts import SETTINGS, build_channels
from alerts.render import text
from alerts.render_slack import ZWSP
from pipeline.config import parse_config
from pipeline.config.dates import parse_since
from pipeline.models import Article, Mention
from pipeline.outbox.deliver import deliver_alerts, deliver_digests
from pipeline.store.sqlite import Store
from tests.conftest import ROOT, newswatch, rows, write_config

ZIJIN = Article(url="https://caixin.example/zijin", source="caixin", title="紫金矿业海外扩张提速", language="zh",
                published="2025-03-05T02:30:00+00:00", text="据报道，紫金矿业在塞尔维亚的铜矿产量上升。")
MENTIONS = [Mention("Zijin Mining", "紫金矿业", "title", 0, 4, "紫金矿业海外扩张提速"),
            Mention("Zijin Mining", "紫金矿业", "text", 3, 4, "据报道，紫金矿业在塞尔维亚的铜矿产量上升。")]


def config_for(tmp_path, webhook=None, smtp=None, rule_extra=""):
    channels = []
    if webhook:
        channels.append(f"  chat:\n    type: slack\n    webhook_url: {webhook.url}")
    if smtp:
        channels.append(f"  mail:\n    type: email\n    smtp_host: {smtp.host}\n    smtp_port: {smtp.port}\n"
                        "    security: none\n    from: nw@example.org\n    to: [team@example.org]")
    names = ", ".join(n for n, on in (("chat", webhook), ("mail", smtp)) if on)
    text = (f"database: news.db\nwatchlist:\n  - name: Zijin Mining\n    aliases: [紫金矿业]\n"
            f"rules:\n  - name: investors\n    channels: [{names}]\n    timezone: Asia/Shanghai\n{rule_extra}"
            f"channels:\n" + "\n".join(channels) + "\n")
    return parse_config(write_config(tmp_path, text).read_text(), tmp_path, channel_types=SETTINGS)


def deliver_one(tmp_path, config):
    with closing(Store.open(config.database_path)) as store:
        store.add_article(ZIJIN, MENTIONS, [("investors", name, "紫金矿业 in the title; 2 mentions")
                                            for name in config.channels])
        return deliver_alerts(store, build_channels(config.channels), config.entities_by_rule())


def test_slack_bolds_a_chinese_name_inside_a_sentence_and_shows_local_time(tmp_path, webhook):
    report = deliver_one(tmp_path, config_for(tmp_path, webhook=webhook))
    assert len(report.sent) == 1
    [post] = webhook.posts
    mentions = post["blocks"][2]["text"]["text"]
    # Slack reads *…* as bold only at a word boundary: Chinese has no spaces, so one is given.
    assert f"*紫金矿业*{ZWSP}海外扩张提速" in mentions
    assert f"据报道，{ZWSP}*紫金矿业*{ZWSP}在塞尔维亚" in mentions
    context = post["blocks"][1]["elements"][0]["text"]
    assert "caixin · Wed 5 Mar 2025, 10:30 (Asia/Shanghai) · rule investors · 紫金矿业 in the title" in context


def test_email_shows_the_time_in_the_rules_zone(tmp_path, smtp):
    deliver_one(tmp_path, config_for(tmp_path, smtp=smtp))
    [mail] = smtp.messages
    assert "Published: Wed 5 Mar 2025, 10:30 (Asia/Shanghai)" in mail.get_body(("plain",)).get_content()
    assert "Wed 5 Mar 2025, 10:30 (Asia/Shanghai)" in mail.get_body(("html",)).get_content()


def test_a_digest_shows_times_in_the_rules_zone(tmp_path, smtp):
    config = config_for(tmp_path, smtp=smtp, rule_extra="    digest: every 1h\n")
    with closing(Store.open(config.database_path)) as store:
        store.add_article(ZIJIN, MENTIONS, [("investors", "mail", "紫金矿业 in the title")])
        later = datetime.now(timezone.utc) + timedelta(hours=2)
        report = deliver_digests(store, config, build_channels(config.channels), later)
    assert len(report.sent) == 1 and report.sent[0].message.timezone == "Asia/Shanghai"
    assert "caixin · Wed 5 Mar 2025, 10:30 (Asia/Shanghai)" in smtp.messages[0].get_body(("plain",)).get_content()


def test_without_a_rule_timezone_times_are_utc(tmp_path, smtp):
    config = config_for(tmp_path, smtp=smtp)
    plain = config.model_copy(update={"rules": [config.rules[0].model_copy(update={"timezone": None})]})
    deliver_one(tmp_path, plain)
    assert "Published: Wed 5 Mar 2025, 02:30 (UTC)" in smtp.messages[0].get_body(("plain",)).get_content()


def test_version():
    result = newswatch("--version")
    assert result.returncode == 0 and re.fullmatch(r"newswatch \d+\.\d+\.\d+\S*\n", result.stdout)


def fresh_clone(tmp_path):
    clone = tmp_path / "newswatch"
    clone.mkdir()
    shutil.copy(ROOT / "config.yaml", clone / "config.yaml")
    return clone


def test_the_readme_first_run_flow_works_in_a_fresh_clone(tmp_path):
    """`init config.yaml` then `check`, as "Using it" says, where a clone already has config.yaml."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Using it", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].split()[3:] for line in block.strip().splitlines()]
    assert commands[:2] == [["init", "config.yaml"], ["check"]]
    clone = fresh_clone(tmp_path)
    first = newswatch(*commands[0], cwd=clone)
    assert first.returncode == 0 and "config.yaml is already the starter config" in first.stdout
    assert newswatch(*commands[1], cwd=clone).returncode == 0
    (clone / "config.yaml").write_text((clone / "config.yaml").read_text() + "# my edit\n")
    edited = newswatch("init", "config.yaml", cwd=clone)
    assert edited.returncode == 2 and "differs from the starter" in edited.stderr
    assert (clone / "config.yaml").read_text().endswith("# my edit\n")  # never overwritten


@pytest.mark.parametrize("value", ["05-03-2025", "2025-13-45", "yesterday", "2025/03/05"])
def test_rematch_refuses_a_date_it_cannot_read(tmp_path, value):
    path = write_config(tmp_path, "database: news.db\n")
    result = newswatch("--config", str(path), "rematch", "--since", value)
    assert result.returncode == 2
    assert f"'{value}' is not" in result.stderr and "2025-03-05T10:00" in result.stderr and "7d" in result.stderr
    assert not (tmp_path / "news.db").exists()  # refused before anything was opened


def test_rematch_since_a_date_or_a_duration(tmp_path):
    path = write_config(tmp_path, "database: news.db\nwatchlist:\n  - name: Zijin Mining\n    aliases: [紫金矿业]\n")
    recent = datetime.now(timezone.utc) - timedelta(hours=2)
    with closing(Store.open(tmp_path / "news.db")) as store:
        for url, when in (("old", "2025-03-01T08:00:00+00:00"), ("march", "2025-03-05T12:00:00+00:00"),
                          ("recent", recent.replace(microsecond=0).isoformat())):
            store.add_article(Article(url=f"https://x.example/{url}", source="s", title="紫金矿业", text="紫金矿业 " * 9,
                                      published=when), [], [])
    counted = {value: newswatch("--config", str(path), "rematch", "--since", value).stdout.split()[0]
               for value in ("2025-03-05", "2025-03-05T13:00", "2025-03-05T20:00+08:00", "3h", "1w", "2000-01-01")}
    assert counted == {"2025-03-05": "2", "2025-03-05T13:00": "1", "2025-03-05T20:00+08:00": "2",
                       "3h": "1", "1w": "1", "2000-01-01": "3"}


def test_since_values_as_the_parser_reads_them():
    now = datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc)
    assert parse_since("2025-03-05", now) == datetime(2025, 3, 5, tzinfo=timezone.utc)
    assert parse_since("2025-03-05T10:00", now) == datetime(2025, 3, 5, 10, tzinfo=timezone.utc)
    assert parse_since("2025-03-05T10:00+08:00", now) == datetime(2025, 3, 5, 2, tzinfo=timezone.utc)
    assert parse_since("1h30m", now) == datetime(2025, 3, 10, 10, 30, tzinfo=timezone.utc)
    assert parse_since("1w", now) == datetime(2025, 3, 3, 12, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="day-month-year"):
        parse_since("05-03-2025", now)


def test_extract_fetches_a_url_like_match_does(tmp_path, site):
    path = write_config(tmp_path, "database: news.db\nfetch:\n  allow_private_networks: true\n")
    url = site.url("/zh/haikang-xinjiang.html")
    result = newswatch("--config", str(path), "extract", url)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["url"] == url and record["file"] is None
    assert record["title"] == "海康威视被指在新疆项目中提供监控设备" and "新疆" in record["text"]
    assert site.requests_for("/zh/haikang-xinjiang.html")


def test_extract_without_a_config_fetches_with_the_safe_defaults(tmp_path, site):
    result = newswatch("extract", site.url("/zh/haikang-xinjiang.html"), cwd=tmp_path)
    assert result.returncode == 1 and "private" in json.loads(result.stdout)["error"]
    assert site.received == []  # the guard refused before any request


def test_match_output_has_no_library_log_lines(tmp_path):
    path = write_config(tmp_path, "database: news.db\nwatchlist:\n  - name: Hikvision\n")
    (tmp_path / "bin.html").write_bytes(b"\x00\x01\x02 binary")
    result = newswatch("--config", str(path), "match", str(tmp_path / "bin.html"), process=True)
    assert result.stdout == f"{tmp_path / 'bin.html'}: not parseable as HTML\n"
    assert result.stderr == ""


def test_stats_over_one_day_reads_as_english(tmp_path):
    path = write_config(tmp_path, "database: news.db\n")
    result = newswatch("--config", str(path), "stats", "--days", "1")
    assert "Sources (articles/day over the last day)" in result.stdout and "1 days" not in result.stdout
