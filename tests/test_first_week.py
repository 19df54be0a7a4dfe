"""A new user's first week: no backlog flood, safe tickers, "why not?", rule controls, story updates."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest

from pipeline.cli.site_server import Route, SiteServer
from tests.conftest import newswatch, rows, write_config

PAGE = """<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head><body><article><h1>{title}</h1>
<p>{body}</p></article></body></html>"""


SUBJECTS = ["a tender in Lyon", "a school contract", "export rules", "a lawsuit in Ohio", "quarterly profit",
            "a new factory", "a rights report", "a court ruling", "a city council vote", "an investor letter"]
VERBS = ["won", "lost", "appealed against", "faced questions over", "disputed", "welcomed", "criticised"]


WORDS = ("camera city police contract tender school court rights export profit factory council vote "
         "investor letter miner harbour bridge river railway market board union ministry budget").split()


def story_text(n: int) -> str:
    """Texts different enough not to be one story (each page is its own article)."""
    rng = random.Random(n)
    return "Hikvision " + " ".join(rng.choice(WORDS) + ("." if rng.random() < 0.1 else "") for _ in range(60))


def item(site: SiteServer, n: int, hours_ago: float) -> str:
    when = format_datetime(datetime.now(timezone.utc) - timedelta(hours=hours_ago))
    return (f"<item><title>Hikvision story {n}</title><link>{site.url(f'/story-{n}.html')}</link>"
            f"<guid>story-{n}</guid><pubDate>{when}</pubDate></item>")


def serve_feed(site: SiteServer, items: list[str], path: str = "/feed.xml") -> None:
    site.routes[path] = Route(('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
                               + "".join(items) + "</channel></rss>").encode(),
                              headers={"Content-Type": "application/rss+xml"})


def serve_page(site: SiteServer, path: str, title: str, body: str) -> None:
    site.routes[path] = Route(PAGE.format(title=title, body=body).encode(),
                              headers={"Content-Type": "text/html; charset=utf-8"})


def config(tmp_path: Path, sources: str, rules: str | None = None, watchlist: str | None = None) -> Path:
    return write_config(tmp_path, f"""database: news.db
fetch: {{allow_private_networks: true, timeout: 10}}
sources:
{sources}
watchlist:
{watchlist or '''  - name: Hikvision
    aliases: [Hikvision]
  - name: Dahua Technology
    aliases: [Dahua Technology]'''}
rules:
{rules or '''  - name: team
    channels: [out]'''}
channels:
  out: {{type: console}}
""")


@pytest.fixture
def site():
    with SiteServer(Path(__file__).parent / "fixtures" / "pages") as server:
        yield server


def test_first_pass_alerts_only_the_last_day_and_says_how_many_it_held_back(tmp_path, site):
    items = [item(site, n, hours_ago=2 + n) for n in range(3)] + [item(site, n, hours_ago=48 + n) for n in range(3, 50)]
    serve_feed(site, items)
    for n in range(50):
        serve_page(site, f"/story-{n}.html", f"Hikvision story {n}", story_text(n))
    path = config(tmp_path, f"  - name: wire\n    feed: {site.url('/feed.xml')}")
    first = newswatch("--config", str(path), "crawl")
    assert first.returncode == 0, first.stderr
    assert "wire: read, 50 new article(s), 3 alert(s) queued" in first.stdout
    assert "47 matching article(s) not alerted (first pass" in first.stdout
    assert first.stdout.count("=== ALERT") == 3 and "alerts: 3 sent" in first.stdout
    # The next pass is not a first pass: a new item alerts as usual.
    serve_feed(site, [item(site, 50, hours_ago=30 * 24)] + items)
    serve_page(site, "/story-50.html", "Hikvision story 50", "Hikvision said it would appeal, story 50.")
    second = newswatch("--config", str(path), "crawl")
    assert "wire: read, 1 new article(s), 1 alert(s) queued" in second.stdout
    # What was held back can still be alerted, on purpose.
    since = (datetime.now(timezone.utc) - timedelta(days=5)).date().isoformat()
    back = newswatch("--config", str(path), "rematch", "--alert", "--since", since)
    assert "47 new alert(s) queued" in back.stdout and "alerts: 47 sent" in back.stdout


def test_crawl_no_alert_is_a_silent_baseline(tmp_path, site):
    serve_feed(site, [item(site, 1, hours_ago=1)])
    serve_page(site, "/story-1.html", "Hikvision story 1", "Hikvision, the camera maker, said it grew.")
    path = config(tmp_path, f"  - name: wire\n    feed: {site.url('/feed.xml')}")
    quiet = newswatch("--config", str(path), "crawl", "--no-alert")
    assert "1 new article(s), 0 alert(s) queued" in quiet.stdout and "(--no-alert" in quiet.stdout
    assert rows(tmp_path / "news.db", "select count(distinct article_id) from mentions") == [(1,)]
    assert rows(tmp_path / "news.db", "select count(*) from alerts") == [(0,)]


FESTIVAL = ("More than 2899 volunteers joined the lantern festival on Saturday, organisers said, "
            "and the mayor thanked them for their work.")
STOCK = ("Shares with stock code 2899 rose 3 per cent in Hong Kong after the miner reported higher "
         "gold output for the quarter.")
ZIJIN = """  - name: Zijin Mining
    aliases: [Zijin Mining, 紫金矿业]
    ticker: [2899.HK]"""


def test_a_bare_stock_code_alerts_only_as_a_stock_code(tmp_path, site):
    serve_page(site, "/festival.html", "Lantern festival draws a crowd", FESTIVAL)
    serve_page(site, "/stock.html", "Gold miner's shares rise", STOCK)
    path = config(tmp_path, "  - name: x\n    feed: https://example.org/feed.xml", watchlist=ZIJIN)
    festival = newswatch("--config", str(path), "match", "--explain", site.url("/festival.html"))
    assert "0 mention(s)" in festival.stdout and "no rule would alert" in festival.stdout
    assert "'2899' not counted: a bare stock code" in festival.stdout
    stock = newswatch("--config", str(path), "match", "--explain", site.url("/stock.html"))
    assert "Zijin Mining as '2899' in text (stock-code word 'stock code' next to it)" in stock.stdout
    assert "rule team would alert" in stock.stdout


def test_explain_names_the_missing_context_the_exclusion_and_the_failed_clause(tmp_path, site):
    serve_page(site, "/rice.html", "A farmer's prize",
               "Chen Dahua won a prize for rice. Dahua said the harvest was the best in years, and Hikvision"
               " was not mentioned by anyone at the fair except once.")
    watchlist = """  - name: Hikvision
    aliases: [Hikvision]
  - name: Dahua Technology
    aliases: [Dahua Technology]
    weak_aliases: [Dahua]
    context: [surveillance, camera]
    exclude: [Chen Dahua]"""
    rules = """  - name: xinjiang
    entities: [Hikvision]
    query: '@Hikvision AND (Xinjiang OR Uyghur)'
    channels: [out]
  - name: heavy
    min_mentions: 3
    channels: [out]
  - name: dahua-desk
    entities: [Dahua Technology]
    channels: [out]"""
    path = config(tmp_path, "  - name: x\n    feed: https://example.org/feed.xml", rules, watchlist)
    result = newswatch("--config", str(path), "match", "--explain", site.url("/rice.html"))
    out = result.stdout
    assert "'Dahua' not counted: excluded by 'Chen Dahua'" in out
    assert "'Dahua' not counted: a weak alias: needs one of its context words within 25 words" in out
    assert "rule xinjiang would not alert: query: none of Xinjiang, Uyghur was found" in out
    assert "rule heavy would not alert: 1 mention of its entities, min_mentions is 3" in out
    assert "rule dahua-desk would not alert: none of its entities is mentioned" in out
    as_json = json.loads(newswatch("--config", str(path), "match", "--json", "--explain",
                                   site.url("/rice.html")).stdout.splitlines()[0])
    assert any(c["alias"] == "Dahua" and not c["counted"] and "excluded" in c["why"] for c in as_json["candidates"])
    assert {r["rule"]: r["alerts"] for r in as_json["verdicts"]} == {"xinjiang": False, "heavy": False,
                                                                     "dahua-desk": False}


def test_explain_finds_a_name_that_is_only_in_the_sidebar(tmp_path, site):
    site.routes["/sidebar.html"] = Route(("<html><body><article><h1>Rice harvest</h1><p>" + "The rice harvest "
                                          "was the best in years, farmers in the province said on Monday. " * 6
                                          + "</p></article><aside class='sidebar'><ul><li><a href='/h'>Hikvision wins"
                                          " contract</a></li></ul></aside></body></html>").encode(),
                                         headers={"Content-Type": "text/html"})
    path = config(tmp_path, "  - name: x\n    feed: https://example.org/feed.xml")
    out = newswatch("--config", str(path), "match", "--explain", site.url("/sidebar.html")).stdout
    assert "Hikvision is on the page but not in the article text" in out


def test_rule_controls_enabled_sources_and_query_fields(tmp_path, site):
    serve_feed(site, [item(site, 1, hours_ago=1)], "/cn.xml")
    serve_feed(site, [item(site, 2, hours_ago=1)], "/world.xml")
    serve_page(site, "/story-1.html", "Hikvision story 1", "Hikvision, the camera maker, won a tender.")
    serve_page(site, "/story-2.html", "Hikvision story 2", "Hikvision lost a tender in Europe this week.")
    rules = """  - name: china-desk
    sources: [cn-*]
    channels: [out]
  - name: english
    query: '@Hikvision AND lang:en AND NOT source:cn-*'
    channels: [out]
  - name: muted
    enabled: false
    channels: [out]"""
    path = config(tmp_path, f"  - name: cn-wire\n    feed: {site.url('/cn.xml')}\n"
                            f"  - name: world\n    feed: {site.url('/world.xml')}", rules)
    result = newswatch("--config", str(path), "crawl")
    assert result.returncode == 0, result.stderr
    alerted = rows(tmp_path / "news.db", "select a.rule, ar.source from alerts a join articles ar"
                                         " on ar.id = a.article_id order by a.rule, ar.source")
    assert alerted == [("china-desk", "cn-wire"), ("english", "world")]
    bad = config(tmp_path, f"  - name: world\n    feed: {site.url('/world.xml')}",
                 "  - name: r\n    sources: [asia-*]\n    channels: [out]")
    refused = newswatch("--config", str(bad), "check")
    assert refused.returncode == 2 and "sources[0]: no source named 'asia-*'" in refused.stderr


def test_check_warns_about_a_source_no_enabled_rule_takes_in(tmp_path, site):
    rules = """  - name: china-desk
    sources: [cn-*]
    channels: [out]
  - name: muted
    enabled: false
    channels: [out]"""
    path = config(tmp_path, f"  - name: cn-wire\n    feed: {site.url('/cn.xml')}\n"
                            f"  - name: world\n    feed: {site.url('/world.xml')}", rules)
    checked = newswatch("--config", str(path), "check")
    assert checked.returncode == 0
    assert "sources[world]: no rule could alert on it" in checked.stderr
    assert "sources[cn-wire]" not in checked.stderr


def test_two_rules_on_one_channel_post_one_message_naming_both(tmp_path, site, webhook):
    serve_feed(site, [item(site, 1, hours_ago=1)])
    serve_page(site, "/story-1.html", "Hikvision and Dahua Technology story", story_text(1) + " Dahua Technology too.")
    text = config(tmp_path, f"  - name: wire\n    feed: {site.url('/feed.xml')}", """  - name: ngo-team
    channels: [chat]
  - name: dahua-desk
    entities: [Dahua Technology]
    channels: [chat]""").read_text()
    path = write_config(tmp_path, text.replace("  out: {type: console}",
                                               f"  out: {{type: console}}\n  chat: {{type: slack, webhook_url: '{webhook.url}'}}"))
    result = newswatch("--config", str(path), "crawl")
    assert result.returncode == 0, result.stderr
    [post] = webhook.posts
    context = post["blocks"][1]["elements"][0]["text"]
    assert "rules ngo-team, dahua-desk" in context and "ngo-team: " in context and "dahua-desk: " in context
    assert rows(tmp_path / "news.db", "select rule, status from alerts order by id") == [
        ("ngo-team", "sent"), ("dahua-desk", "sent")]
