"""`newswatch serve` as a real process on a database filled by a real crawl, driven in Chromium.

One crawl for the module: the demo site (English and Chinese pages, three alerted stories) and a
second loopback site of Chinese and Japanese pages whose watched names sit inside runs of
characters (`此前，中兴通讯等中国企业…`, `紫金矿业`). Datasette runs as its own process; the browser
is Debian's chromium. Screenshots go to test-artifacts/ (the README's come from there).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import feedparser
import pytest

from pipeline.browse import charts, search
from pipeline.browse.forms import Filters, FormError, resolve_entity, window
from pipeline.browse.highlight import article_html, snippet_html, spans
from pipeline.cli.site_server import DEMO_SITE, Route, SiteServer
from pipeline.match.textnorm import is_cjk
from pipeline.models import Article
from pipeline.store.migrations import CJK_GLOB, MIGRATIONS
from pipeline.store.sqlite import Store
from tests.conftest import FIXTURES, ROOT, free_port, newswatch, site_config, smtp_server, write_config

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
CJK_SITE = FIXTURES / "browse"
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                    reason="Debian chromium not installed (.ci/run installs it)")

ALERTED = {  # the stories rule ngo-team alerted on, by headline
    "NGOs urge Norway's oil fund to divest from Hikvision, Dahua",
    'Quote of the Day: Hikvision and Dahua pledge to "support the Ten Principles"',
    "海康威视被指在新疆项目中提供监控设备",
}
ZTE_HEADLINE = "美国扩大出口管制 多家中国科技企业受影响"
ZIJIN_HEADLINE = "紫金矿业塞尔维亚铜矿遭环保组织抗议"
WATCHED = """  - name: ZTE
    aliases: [ZTE, 中兴通讯]
  - name: Zijin Mining
    aliases: [Zijin Mining, 紫金矿业]
"""
TELECOMS = """  - name: resources-and-telecoms
    entities: [ZTE, Zijin Mining]
    channels: [team-email]"""


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds}s")


def start_serve(config: Path, port: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "--config", str(config), "serve", "--port", str(port), *extra],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def browse_config(demo: SiteServer, cjk: SiteServer, smtp) -> str:
    sources = (f"  - name: abw\n    feed: {demo.url('/feed.xml')}\n"
               f"  - name: dtm\n    feed: {demo.url('/atom.xml')}\n"
               f"  - name: cbr\n    feed: {cjk.url('/feed.xml')}")
    text = site_config(demo, smtp, sources=sources, extra_rules=TELECOMS)
    return text.replace("watchlist:\n", "watchlist:\n" + WATCHED, 1)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One real crawl of both sites for the whole module: the tests here only read it (but the
    last one, which crawls again while reading)."""
    tmp_path = tmp_path_factory.mktemp("browse")
    with SiteServer(DEMO_SITE) as demo, SiteServer(CJK_SITE) as cjk, smtp_server() as smtp:
        config = write_config(tmp_path, browse_config(demo, cjk, smtp))
        result = newswatch("--config", str(config), "crawl", env={"SMTP_PASSWORD": "s3cret-not-stored"})
        assert result.returncode == 0, result.stderr
        yield config, cjk


@pytest.fixture(scope="module")
def served(crawled):
    config, _ = crawled
    port = free_port()
    process = start_serve(config, port)
    try:
        wait_for(f"http://127.0.0.1:{port}/-/versions.json")
        yield f"http://127.0.0.1:{port}", config
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    page.requested = requested
    yield page
    context.close()


def get_json(url: str) -> dict:
    return json.loads(urllib.request.urlopen(url, timeout=10).read())


def titles(base: str, path: str, column: str = "headline", **args: str) -> list[str]:
    query = urllib.parse.urlencode({"_shape": "objects", **args})
    return sorted(r[column] for r in get_json(f"{base}/news/{path}.json?{query}")["rows"])


# --- the landing page ----------------------------------------------------------------------


@needs_chromium
def test_landing_page_answers_the_first_questions(served, page):
    base, _ = served
    page.goto(base + "/")
    assert page.locator("h1").inner_text() == "newswatch"

    # The newest alerted stories, headlines linking to the article's own page.
    stories = page.locator("table.nw-stories tbody tr")
    assert {stories.nth(i).locator("a.nw-story").inner_text() for i in range(stories.count())} == \
        ALERTED | {ZTE_HEADLINE, ZIJIN_HEADLINE}
    first = page.locator("a.nw-story", has_text="NGOs urge")
    assert "/news/articles/" in first.get_attribute("href")
    row = page.locator("table.nw-stories tr", has=first)
    assert "paywalled" in row.inner_text() and "Dahua Technology, Hikvision" in row.inner_text()

    # Every canned query, linked, with its description.
    canned = get_json(f"{base}/news.json")["queries"]
    listed = {a.get_attribute("href"): a.inner_text() for a in page.locator("dl.nw-queries dt a").all()}
    assert listed == {f"/news/{q['name']}": q["title"] for q in canned}
    assert "Failing sources first" in page.locator("dl.nw-queries").inner_text()

    # Source health at a glance, and a feed per rule.
    health = page.locator("table.nw-health").inner_text()
    assert all(name in health for name in ("abw", "dtm", "cbr")) and "failing" not in health
    feeds = [a.inner_text() for a in page.locator("a.nw-feed").all()]
    assert feeds == ["ngo-team", "resources-and-telecoms", "every rule"]

    # Internal tables are not offered.
    tables = page.locator("section.nw-card", has_text="Tables").last.inner_text()
    for internal in ("_sqlite_migrations", "story_signatures", "seen", "boilerplate_lines", "articles_cjk_fts"):
        assert internal not in tables
    assert "Articles" in tables and "Mentions" in tables
    page.wait_for_selector("#chart-mentions svg")
    page.screenshot(path=str(ARTIFACTS / "landing-page.png"), full_page=True)
    # Nothing was fetched from anywhere but Datasette itself (the chart library is installed).
    assert all(url.startswith(base) for url in page.requested), page.requested


@needs_chromium
def test_mentions_chart_draws_a_mark_for_each_entity_and_day(served, page):
    base, _ = served
    page.goto(base + "/")
    chart = page.locator("#chart-mentions")
    chart.locator("svg").wait_for()
    points = [p.get_attribute("aria-label") for p in chart.locator('svg path[aria-roledescription="point"]').all()]
    expected = get_json(f"{base}/news/mentions_per_entity_per_day.json?_shape=objects")["rows"]
    assert {r["entity"] for r in expected} == {"Hikvision", "Dahua Technology", "ZTE", "Zijin Mining"}
    days = {r["day"] for r in expected}
    assert len(points) == len(days) * 4  # every day of the range, for every entity (0 if none)
    assert sorted(p for p in points if not p.startswith(tuple(f"day: {d}; mentions: 0;" for d in days))) == \
        sorted(f"day: {r['day']}; mentions: {r['mentions']}; entity: {r['entity']}" for r in expected)
    legend = chart.locator("svg").text_content()
    assert all(entity in legend for entity in ("Hikvision", "ZTE", "Zijin Mining"))
    chart.screenshot(path=str(ARTIFACTS / "chart-mentions.png"))
    for other in ("#chart-alerts", "#chart-articles"):
        assert page.locator(f"{other} svg path[aria-roledescription='bar']").count() >= 1, other


@needs_chromium
def test_landing_page_entity_picker_and_date_range(served, page):
    base, _ = served
    page.goto(base + "/")
    options = page.locator("datalist#nw-entities option").evaluate_all("os => os.map(o => o.value)")
    assert options == ["ZTE", "Zijin Mining", "Hikvision", "Dahua Technology"]  # the watchlist's names
    form = page.locator("form.nw-form").nth(1)
    form.locator("input[name=entity]").fill("zte")  # any case
    form.locator("input[name=since]").fill("2024-03-13")
    form.locator("input[name=until]").fill("2024-03-13")
    form.locator("input[type=submit]").click()
    page.wait_for_url("**entity=zte**")
    assert [a.inner_text() for a in page.locator("a.nw-story").all()] == [ZTE_HEADLINE]
    points = page.locator('#chart-mentions svg path[aria-roledescription="point"]')
    points.first.wait_for()
    zte = get_json(f"{base}/news/mentions_per_entity_per_day.json?_shape=objects&entity=zte")["rows"]
    assert [p.get_attribute("aria-label") for p in points.all()] == [
        f"day: 2024-03-13; mentions: {r['mentions']}; entity: ZTE" for r in zte if r["day"] == "2024-03-13"]


# --- one row per article, the article's page ----------------------------------------------------


def test_article_list_has_one_row_per_article_with_its_entities(served):
    base, _ = served
    listed = get_json(f"{base}/news/article_list.json?_shape=objects&_size=50")["rows"]
    assert len(listed) == len({r["id"] for r in listed}) == 7
    by_headline = {r["headline"]: r for r in listed}
    ngo = by_headline["NGOs urge Norway's oil fund to divest from Hikvision, Dahua"]
    assert (ngo["entities"], ngo["mentions"], ngo["paywalled"]) == ("Dahua Technology, Hikvision", 6, 1)
    assert by_headline["Rice farmer Chen Dahua wins provincial harvest prize"]["entities"] is None
    assert [r["published"] for r in listed] == sorted((r["published"] for r in listed), reverse=True)


@needs_chromium
def test_article_list_links_headlines_and_cuts_text_short(served, page):
    base, _ = served
    page.goto(f"{base}/news/article_list")
    link = page.locator("td.col-headline a", has_text="NGOs urge")
    assert "paywalled" in page.locator("td.col-headline", has=page.locator("a", has_text="NGOs urge")).inner_text()
    texts = page.locator("td.col-text").all_inner_texts()
    assert texts and all(len(t) <= 281 for t in texts) and any(t.endswith("…") for t in texts)
    link.click()
    page.wait_for_url("**/news/articles/*")
    assert "Hikvision" in page.locator("h1.nw-headline mark").all_inner_texts()


@needs_chromium
def test_article_page_has_the_whole_text_with_the_mentions_marked(served, page):
    base, config = served
    db = config.parent / "news.db"
    with sqlite3.connect(db) as conn:
        article_id, text = conn.execute("select id, text from articles where title = ?", [ZTE_HEADLINE]).fetchone()
    page.goto(f"{base}/news/articles/{article_id}")
    body = page.locator("div.nw-article-text")
    assert body.inner_text().replace("\n", "") == text.replace("\n", "")  # whole, not cut
    assert page.locator("div.nw-article-text mark").all_inner_texts() == ["中兴通讯"]
    assert page.locator("div.nw-article-text mark").first.get_attribute("title") == "ZTE"
    assert "ZTE (1)" in page.locator("p.nw-entities").inner_text()
    alerts = page.locator("table.rows-and-columns", has_text="resources-and-telecoms")
    assert "sent" in alerts.inner_text()
    page.screenshot(path=str(ARTIFACTS / "article-page.png"), full_page=True)


# --- one search box: words and Chinese/Japanese -----------------------------------------------


def test_search_finds_chinese_words_inside_runs_of_characters(served):
    base, _ = served
    # Datasette's own search over the word index misses both (the run is one "word") ...
    assert titles(base, "articles", "title", _search="中兴通讯") == []
    assert titles(base, "articles", "title", _search="紫金") == []
    # ... the one search box finds them, on the article list and on the stored articles.
    for table, column in (("article_list", "headline"), ("articles", "title")):
        assert titles(base, table, column, _q="中兴通讯") == [ZTE_HEADLINE]  # inside 此前，中兴通讯等…
        assert titles(base, table, column, _q="紫金") == [ZIJIN_HEADLINE]  # two characters
    assert titles(base, "article_list", _q="監視カメラ") == [ZTE_HEADLINE]  # Japanese
    assert titles(base, "article_list", _q="新疆 海康") == ["海康威视被指在新疆项目中提供监控设备"]
    # Spaced scripts still go to the word index: whole words, phrases, prefixes.
    assert titles(base, "article_list", _q="Hikvision") == sorted(ALERTED - {"海康威视被指在新疆项目中提供监控设备"})
    assert titles(base, "article_list", _q='"human rights violations" Hikvision') == [
        "NGOs urge Norway's oil fund to divest from Hikvision, Dahua"]
    assert titles(base, "article_list", _q="fertilis*") == ["Monsoon forecast lifts fertiliser stocks"]
    assert titles(base, "article_list", _q="Hikvis") == []  # a word, not a substring
    # Both kinds in one query: every term must match.
    assert titles(base, "article_list", _q="Hikvision 紫金") == []
    # Stray FTS syntax is searched as text, never an error.
    assert titles(base, "article_list", _q='"unbalanced AND ( OR') == []


@needs_chromium
def test_one_search_box_in_the_browser(served, page):
    base, _ = served
    page.goto(f"{base}/news/article_list")
    assert page.locator("input#_search").count() == 0  # Datasette's word-only box is replaced
    page.fill("input[name=_q]", "紫金")
    page.locator("input[name=_q]").press("Enter")
    page.wait_for_url("**_q=**")
    assert page.locator("td.col-headline").all_inner_texts() == [ZIJIN_HEADLINE]
    assert 'search matches "紫金"' in page.locator("h3").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "search-zijin.png"), full_page=True)

    page.goto(f"{base}/news/articles")
    page.fill("input[name=_q]", "中兴通讯")
    page.locator("input[name=_q]").press("Enter")
    page.wait_for_url("**_q=**")
    assert page.locator("td.col-title").all_inner_texts() == [ZTE_HEADLINE]


def test_entity_filter_takes_any_case_and_a_date_range(served):
    base, _ = served
    assert titles(base, "article_list", _entity="zte") == [ZTE_HEADLINE]
    assert titles(base, "article_list", _entity="HIKVISION", _since="2024-03-14") == [
        'Quote of the Day: Hikvision and Dahua pledge to "support the Ten Principles"',
        "海康威视被指在新疆项目中提供监控设备"]
    assert titles(base, "article_list", _until="2024-03-12", _entity="dahua technology") == [
        "NGOs urge Norway's oil fund to divest from Hikvision, Dahua"]
    latest = get_json(f"{base}/news/latest_mentions.json?_shape=objects&entity=zte")["rows"]
    assert latest and {r["entity"] for r in latest} == {"ZTE"}
    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(f"{base}/news/article_list.json?_since=13/03/2024", timeout=10)
    assert bad.value.code == 400 and "_since: expected a date like 2024-03-12" in bad.value.read().decode()


@needs_chromium
def test_canned_query_entity_field_offers_the_watchlist(served, page):
    base, _ = served
    page.goto(f"{base}/news/latest_mentions")
    field = page.locator('form.sql input[name="entity"]')
    assert field.get_attribute("list") == "nw-entities"
    assert "Zijin Mining" in page.locator("datalist#nw-entities option").evaluate_all("os => os.map(o => o.value)")
    field.fill("zijin mining")
    field.press("Enter")
    page.wait_for_url("**entity=zijin**")
    headlines = page.locator("td.col-headline a")
    assert set(headlines.all_inner_texts()) == {ZIJIN_HEADLINE}
    assert "/news/articles/" in headlines.first.get_attribute("href")
    assert page.locator("td.col-snippet mark").first.inner_text() == "紫金矿业"


# --- the feed of alerts ---------------------------------------------------------------------


def test_atom_feed_per_rule_lists_the_alerted_stories(served):
    base, _ = served
    feed = feedparser.parse(urllib.request.urlopen(f"{base}/news/alerts_feed.atom?rule=ngo-team", timeout=10).read())
    assert not feed.bozo, feed.bozo_exception
    assert {e.title for e in feed.entries} == ALERTED
    assert all(e.link.startswith("http://127.0.0.1") for e in feed.entries)
    ngo = next(e for e in feed.entries if e.title.startswith("NGOs urge"))
    assert "Hikvision in the title" in ngo.content[0].value and "Paywalled" in ngo.content[0].value
    other = feedparser.parse(urllib.request.urlopen(
        f"{base}/news/alerts_feed.atom?rule=resources-and-telecoms", timeout=10).read())
    assert {e.title for e in other.entries} == {ZTE_HEADLINE, ZIJIN_HEADLINE}
    everything = feedparser.parse(urllib.request.urlopen(f"{base}/news/alerts_feed.atom", timeout=10).read())
    assert len(everything.entries) == 5 and len({e.id for e in everything.entries}) == 5
    # A rule that has not alerted yet is an empty feed, not an error.
    quiet = feedparser.parse(urllib.request.urlopen(f"{base}/news/alerts_feed.atom?rule=quiet", timeout=10).read())
    assert not quiet.bozo and quiet.entries == [] and quiet.feed.title == "Alerts feed"


# --- what stays as it was --------------------------------------------------------------------


@needs_chromium
def test_latest_mentions_in_chromium(served, page):
    base, _ = served
    page.goto(f"{base}/news/latest_mentions")
    assert page.locator("h1").inner_text().startswith("Latest mentions")
    assert page.locator("table.rows-and-columns tbody tr").count() >= 8
    assert "海康威视被指在新疆项目中提供监控设备" in page.locator("td.col-headline").all_inner_texts()
    assert page.locator("td.col-link a").first.get_attribute("href").startswith("http://127.0.0.1")
    page.screenshot(path=str(ARTIFACTS / "latest-mentions.png"), full_page=True)


def test_facets_labels_and_canned_queries_are_served(served):
    base, _ = served
    articles = get_json(f"{base}/news/articles.json?_shape=objects&_facet=source")
    assert {f["value"] for f in articles["facet_results"]["source"]["results"]} == {"abw", "dtm", "cbr"}
    queries = get_json(f"{base}/news.json")["queries"]
    assert {q["name"] for q in queries} >= {
        "latest_mentions", "mentions_per_entity_per_day", "alerts_sent_and_failed", "source_health",
        "stories_several_outlets", "alerts_per_channel_per_day", "articles_per_source", "alerts_feed"}
    alerts = get_json(f"{base}/news/alerts_sent_and_failed.json?_shape=objects&status=sent")
    assert len(alerts["rows"]) == 5
    health = get_json(f"{base}/news/source_health.json?_shape=objects")
    assert {r["source"]: r["health"] for r in health["rows"]} == {"abw": "ok", "dtm": "ok", "cbr": "ok"}
    assert all(r["articles"] >= 2 for r in health["rows"])
    mentions = get_json(f"{base}/news/mentions.json?_shape=objects&_labels=on")
    assert any(r["article_id"]["label"].startswith("NGOs urge") for r in mentions["rows"])


def test_internal_tables_are_hidden(served):
    base, _ = served
    tables = {t["name"]: t["hidden"] for t in get_json(f"{base}/news.json")["tables"]}
    shown = {name for name, hidden in tables.items() if not hidden}
    assert shown == {"alerts", "articles", "mentions", "notices", "sources", "stories", "channel_holds"}
    database_page = urllib.request.urlopen(f"{base}/news", timeout=10).read().decode()
    assert "select * from _sqlite_migrations" not in database_page
    assert '<a href="/news/seen">' not in database_page


def test_no_secret_lands_in_the_database(crawled):
    config, _ = crawled
    db = (config.parent / "news.db").read_bytes()
    assert b"s3cret-not-stored" not in db


def test_public_mode_refuses_sql_and_download(crawled):
    config, _ = crawled
    port = free_port()
    process = start_serve(config, port, "--public")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/-/versions.json")
        for path in ("/news.json?sql=select+1", "/news.db"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + path, timeout=10)
            assert refused.value.code == 403
        assert get_json(f"{base}/news/latest_mentions.json?_shape=objects")["rows"]
        # The landing page, its charts, the search and the feed need no SQL of the visitor's.
        landing = urllib.request.urlopen(base + "/", timeout=10).read().decode()
        assert landing.count('class="nw-spec"') == 3 and "nw-story" in landing
        assert titles(base, "article_list", _q="紫金") == [ZIJIN_HEADLINE]
        assert feedparser.parse(urllib.request.urlopen(f"{base}/news/alerts_feed.atom", timeout=10).read()).entries
    finally:
        stop(process)


def test_crawl_and_browsing_at_the_same_time(served, crawled):
    """Runs last: it adds an article (no watched name in it) with a crawl while pages are read."""
    base, config = served
    _, cjk = crawled
    later = (CJK_SITE / "feed.xml").read_text(encoding="utf-8").replace("{{BASE}}", cjk.base).replace(
        "  <item>", """  <item>
    <title>天气预报：本周华南多雨</title>
    <link>{0}/cn/weather.html</link>
    <guid isPermaLink="false">cbr-0003</guid>
    <pubDate>Fri, 15 Mar 2024 03:00:00 GMT</pubDate>
  </item>
  <item>""".format(cjk.base), 1)
    cjk.routes["/feed.xml"] = Route(later.encode(), headers={"Content-Type": "application/xml"})
    cjk.routes["/cn/weather.html"] = Route(
        "<html lang='zh'><head><meta charset='utf-8'><title>天气预报：本周华南多雨</title></head><body><article>"
        "<h1>天气预报：本周华南多雨</h1><p>气象台预计本周华南地区将迎来持续降雨，部分地区有暴雨。</p>"
        "<p>专家提醒市民出行注意安全，农户及时做好排水工作。</p></article></body></html>".encode(),
        headers={"Content-Type": "text/html; charset=utf-8"})
    errors: list[str] = []
    crawl = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "--config", str(config), "crawl"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reads = 0
    while crawl.poll() is None or reads < 3:
        for path in ("/news/latest_mentions.json?_shape=objects", "/", "/news/article_list.json?_q=%E5%A4%A9%E6%B0%94"):
            try:
                urllib.request.urlopen(base + path, timeout=30).read()
            except urllib.error.HTTPError as exc:
                errors.append(exc.read().decode())
        reads += 1
    out, err = crawl.communicate()
    assert crawl.returncode == 0, err
    assert "1 new article" in out + err
    assert "locked" not in err and errors == []
    assert titles(base, "article_list", _q="天气") == ["天气预报：本周华南多雨"]  # in the index at once


# --- the pure parts ---------------------------------------------------------------------------


def test_search_terms_go_to_the_index_that_can_answer_them():
    parsed = search.parse('Hikvision海康 "human rights" 中兴通讯 紫金 surveil* -')
    assert parsed.words == ('"Hikvision"', '"human rights"', '"surveil"*')
    assert parsed.cjk == ("中兴通讯",)
    assert parsed.short_cjk == ("海康", "紫金")
    assert parsed.words_match() == '"Hikvision" AND "human rights" AND "surveil"*'
    assert search.parse('say "hi').words == ('"say"', '"hi"')
    assert search.parse('a"b').words == ('"a""b"',)  # a quote inside a word is text
    assert search.parse("  ").empty and search.parse("， 。").empty


def test_search_sql_on_a_real_index(tmp_path):
    store = Store.open(tmp_path / "s.db")
    for url, title, text in (("u1", "紫金矿业", "紫金矿业在塞尔维亚"), ("u2", "Mining news", "Zijin Mining said"),
                             ("u3", "中兴", "此前，中兴通讯等中国企业")):
        store.add_article(Article(url=url, source="s", title=title, text=text), [], [])
    store.close()
    conn = sqlite3.connect(tmp_path / "s.db")

    def ids(query: str) -> list[int]:
        clauses, params = search.where_clauses(search.parse(query))
        return [r[0] for r in conn.execute(f"select id from articles where {' and '.join(clauses)} order by id", params)]

    assert ids("紫金") == [1] and ids("中兴通讯") == [3] and ids("zijin") == [2] and ids("中兴 通讯") == [3]
    assert ids("矿业 Mining") == []


def test_cjk_index_has_exactly_the_articles_with_cjk_characters():
    conn = sqlite3.connect(":memory:")
    samples = ["a", "é", "Ж", "，", "Ａ", "中", "㐀", "ぁ", "ア", "ｱ", "한", "ก", "豈", "𠀀", "鿿", "・"]
    for ch in samples:
        assert bool(conn.execute("select ? glob ?", [ch, CJK_GLOB]).fetchone()[0]) == is_cjk(ch), ch


def test_migration_back_fills_the_cjk_index_of_stored_articles(tmp_path):
    from sqlite_utils import Database

    path = tmp_path / "old.db"
    db = Database(path)
    MIGRATIONS.apply(db, stop_before="0050_articles_cjk_fts")
    db["articles"].insert_all([
        {"url": "u1", "source": "s", "fetched_at": "2024-01-01T00:00:00+00:00", "title": "紫金矿业", "text": "抗议"},
        {"url": "u2", "source": "s", "fetched_at": "2024-01-01T00:00:00+00:00", "title": "Mining", "text": "Zijin"},
    ])
    db.close()
    store = Store.open(path)
    store.update_article(2, Article(url="u2", source="s", title="Mining", text="Zijin 紫金矿业 Mining"), [], [])
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("select rowid from articles_cjk_fts order by rowid").fetchall() == [(1,), (2,)]
    assert conn.execute("select rowid from articles_cjk_fts where articles_cjk_fts match '\"紫金矿\"'"
                        " order by rowid").fetchall() == [(1,), (2,)]
    assert conn.execute("select count(*) from article_list").fetchone() == (2,)


def test_mentions_are_marked_where_they_stand():
    text = "Hikvision and 海康威视.\nDahua too."
    mentions = [{"entity": "Hikvision", "alias": "Hikvision", "field": "text", "position": 0},
                {"entity": "Hikvision", "alias": "海康威视", "field": "text", "position": 14},
                {"entity": "Hikvision", "alias": "Hikvision and", "field": "text", "position": 0},  # overlap
                {"entity": "Dahua", "alias": "Dahua", "field": "title", "position": 0}]
    assert spans(text, mentions, "text") == [(0, 9, "Hikvision"), (14, 18, "Hikvision")]
    assert str(article_html(text, mentions)) == (
        '<p><mark title="Hikvision">Hikvision</mark> and <mark title="Hikvision">海康威视</mark>.</p>'
        "<p>Dahua too.</p>")
    assert str(article_html("<script>x</script>", [])) == "<p>&lt;script&gt;x&lt;/script&gt;</p>"
    assert str(snippet_html("…said HIKVISION <b>", "Hikvision")) == "…said <mark>HIKVISION</mark> &lt;b&gt;"


def test_forms_check_dates_and_resolve_entities():
    assert resolve_entity(" zte ", ["ZTE", "Hikvision"]) == "ZTE"
    assert resolve_entity("Unknown Co", ["ZTE"]) == "Unknown Co"
    f = Filters.from_args({"_q": " 紫金 ", "_entity": "zte", "_since": "2024-03-01"}, ["ZTE"], prefix="_")
    assert (f.q, f.entity, f.since, f.until) == ("紫金", "ZTE", "2024-03-01", "")
    with pytest.raises(FormError, match="until: '2024-02-30' is not a date"):
        Filters.from_args({"until": "2024-02-30"})
    assert window("2024-03-14", "", "") == ("2023-12-16", "2024-03-14")
    assert window(None, "2024-01-01", "2024-01-31") == ("2024-01-01", "2024-01-31")


def test_chart_specs_carry_their_rows():
    rows = [{"day": "2024-03-12", "entity": "ZTE", "mentions": 2}, {"day": "2024-03-14", "entity": "Hik", "mentions": 1}]
    spec = charts.mentions_per_entity(rows)
    assert spec["encoding"]["color"]["field"] == "entity"
    assert [(v["day"], v["entity"], v["mentions"]) for v in spec["data"]["values"]] == [
        ("2024-03-12", "Hik", 0), ("2024-03-12", "ZTE", 2), ("2024-03-13", "Hik", 0), ("2024-03-13", "ZTE", 0),
        ("2024-03-14", "Hik", 1), ("2024-03-14", "ZTE", 0)]
    assert charts.alerts_per_channel([{"day": "d", "channel": "c", "alerts": 1}])["mark"] == {"type": "bar"}
