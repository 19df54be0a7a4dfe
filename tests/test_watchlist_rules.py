"""Watchlist files, rule options and queries, `match` and `rematch`, as a user runs them."""

import json
import sqlite3

from pipeline.config import ConfigError, load_config
from pipeline.config.compile import alias_conflicts
from tests.conftest import ROOT, newswatch, site_config, write_config

EXAMPLES = ROOT / "examples"


def config_with(tmp_path, body: str):
    path = tmp_path / "config.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_csv_and_ftm_watchlist_files_load(tmp_path):
    path = config_with(tmp_path, f"watchlist_files: [{EXAMPLES / 'watchlist.csv'}, {EXAMPLES / 'ftm-companies.csv'}]\n")
    config = load_config(path)
    names = [e.name for e in config.watchlist]
    assert "SenseTime" in names and "Xinjiang Production and Construction Corps" in names
    assert "Example Person" not in names  # people are skipped in the FtM export
    dahua = next(e for e in config.watchlist if e.name == "Dahua Technology")
    assert dahua.weak_aliases == ["Dahua", "大华"] and dahua.ticker == ["002236.SZ"]
    # Same company under two names in two files: reported as a conflict with both origins.
    conflicts = alias_conflicts(config)
    assert any("hikvision" in c and "watchlist.csv:2" in c and "ftm-companies.csv:2" in c for c in conflicts)


def test_watchlist_file_errors_name_file_and_line(tmp_path):
    (tmp_path / "list.csv").write_text("name,aliases\nAcme,Acme|ACME Corp\n,NoName\nAcme,Again\n", encoding="utf-8")
    path = config_with(tmp_path, "watchlist_files: [list.csv]\n")
    try:
        load_config(path)
    except ConfigError as exc:
        errors = exc.errors
    else:
        raise AssertionError("expected errors")
    assert any(e.startswith("list.csv:3: name:") for e in errors)
    assert "list.csv:4: entity 'Acme' is already defined at list.csv:2" in errors


def test_unknown_csv_column_is_an_error(tmp_path):
    (tmp_path / "list.csv").write_text("name,alias\nAcme,Acme\n", encoding="utf-8")
    try:
        load_config(config_with(tmp_path, "watchlist_files: [list.csv]\n"))
    except ConfigError as exc:
        assert "list.csv:1: unknown column(s) alias" in exc.errors[0]
    else:
        raise AssertionError("expected an error")


RULES = """
watchlist:
  - name: Hikvision
    aliases: [Hikvision, 海康威视]
    ticker: ["002415.SZ"]
  - name: Dahua Technology
    aliases: [Dahua Technology, Zhejiang Dahua Technology, 大华股份]
    weak_aliases: [Dahua]
    context: [surveillance]
alerts:
  - name: xinjiang
    entities: [Hikvision]
    query: '@Hikvision AND (Uyghur OR Xinjiang OR 新疆 OR "human rights") AND NOT football'
    channels: [out]
  - name: headline-only
    in_title: true
    channels: [out]
  - name: heavy
    min_mentions: 5
    channels: [out]
channels:
  out: {type: console}
"""


def test_match_json_says_what_and_which_rules(tmp_path):
    path = config_with(tmp_path, RULES)
    pages = ROOT / "pipeline/cli/demo_site"
    result = newswatch("--config", str(path), "match", "--json",
                       str(pages / "zh/haikang-xinjiang.html"),
                       str(pages / "dtm/quote-of-the-day-hikvision-dahua-global-compact.html"),
                       str(pages / "regional/farmer-chen-dahua-harvest-prize.html"))
    assert result.returncode == 0, result.stderr
    zh, dtm, farmer = [json.loads(line) for line in result.stdout.splitlines()]
    assert set(zh) == {"file", "title", "paywalled", "mentions", "rules"}
    assert zh["rules"] == ["xinjiang", "headline-only", "heavy"]
    assert any(m["entity"] == "Hikvision" and m["alias"] == "002415" for m in zh["mentions"])
    assert dtm["rules"] == ["xinjiang", "headline-only"]  # 4 mentions: not "heavy"
    assert farmer["rules"] == [] and farmer["mentions"] == []


def test_match_explains_why_in_plain_text(tmp_path):
    path = config_with(tmp_path, RULES)
    page = ROOT / "pipeline/cli/demo_site/zh/haikang-xinjiang.html"
    result = newswatch("--config", str(path), "match", "--rule", "xinjiang", str(page))
    assert "rule xinjiang would alert: 海康威视 in the title; 4 mentions; query matched 新疆" in result.stdout


def test_match_url_obeys_private_network_setting(tmp_path, site):
    path = config_with(tmp_path, RULES + "fetch:\n  allow_private_networks: false\n")
    result = newswatch("--config", str(path), "match", site.url("/zh/haikang-xinjiang.html"))
    assert result.returncode == 1 and "private" in result.stdout
    assert site.received == []
    allowed = config_with(tmp_path, RULES + "fetch:\n  allow_private_networks: true\n")
    result = newswatch("--config", str(allowed), "match", "--json", site.url("/zh/haikang-xinjiang.html"))
    assert json.loads(result.stdout)["rules"] == ["xinjiang", "headline-only", "heavy"]


def test_rematch_backfills_a_new_entity_and_alerts_only_when_asked(tmp_path, site, smtp):
    config = write_config(tmp_path, site_config(site, smtp))
    assert newswatch("--config", str(config), "crawl").returncode == 0
    assert len(smtp.messages) == 3
    text = config.read_text(encoding="utf-8").replace(
        "watchlist:\n", "watchlist:\n  - name: Norway Oil Fund\n    aliases: [Government Pension Fund Global]\n"
    ).replace("entities: [Hikvision, Dahua Technology]", "entities: [Hikvision, Dahua Technology, Norway Oil Fund]")
    config.write_text(text, encoding="utf-8")
    quiet = newswatch("--config", str(config), "rematch")
    assert quiet.returncode == 0 and "0 new alert(s)" in quiet.stdout
    db = sqlite3.connect(tmp_path / "news.db")
    assert db.execute("select count(*) from mentions where entity = 'Norway Oil Fund'").fetchone() == (1,)
    assert len(smtp.messages) == 3
    loud = newswatch("--config", str(config), "rematch", "--alert")
    # The divestment article already alerted for this rule and channel: nothing new to send.
    assert "0 new alert(s)" in loud.stdout and len(smtp.messages) == 3


def test_reason_names_first_paragraph_when_not_in_title():
    from pipeline.match.watchlist import EntitySpec, Watchlist
    from pipeline.match.rules import AlertRule, decide_all

    watchlist = Watchlist([EntitySpec("Hikvision", ["Hikvision"])])
    text = "Hikvision won a contract.\nLater paragraphs mention Hikvision again."
    mentions = watchlist.find({"title": "Camera maker wins deal", "text": text})
    [verdict] = decide_all([AlertRule("r", frozenset({"Hikvision"}), ("c",))], "Camera maker wins deal", text, mentions)
    assert verdict.reason == "Hikvision in the first paragraph; 2 mentions"
    strict = AlertRule("strict", frozenset({"Hikvision"}), ("c",), in_title=True)
    assert decide_all([strict], "Camera maker wins deal", text, mentions) == []
