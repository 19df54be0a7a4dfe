"""crawl -> stored rows -> alerts received by a real SMTP server and a real webhook receiver."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pipeline.cli.site_server import Route
from tests.conftest import newswatch, site_config, write_config

FEED_PAGES = [
    "/business/ngos-urge-norway-divest-hikvision-dahua.html",
    "/regional/farmer-chen-dahua-harvest-prize.html",
    "/markets/monsoon-forecast-fertiliser-stocks.html",
    "/dtm/quote-of-the-day-hikvision-dahua-global-compact.html",
    "/zh/haikang-xinjiang.html",
]


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def test_crawl_stores_articles_and_delivers_alerts_once(tmp_path, site, smtp, webhook):
    config = write_config(tmp_path, site_config(site, smtp, webhook))
    first = newswatch("--config", str(config), "crawl")
    assert first.returncode == 0, first.stderr
    db = tmp_path / "news.db"

    titles = {t for (t,) in rows(db, "select title from articles")}
    assert len(titles) == 5
    assert "海康威视被指在新疆项目中提供监控设备" in titles
    # The utm_* parameters of the feed link are not part of the stored URL.
    urls = {u for (u,) in rows(db, "select url from articles")}
    assert site.url(FEED_PAGES[0]) in urls
    # Weak alias "Dahua" without context (the farmer) is not a mention; the sidebar is not matched.
    farmer = rows(db, "select m.entity from mentions m join articles a on a.id = m.article_id"
                      " where a.url like '%farmer%'")
    assert farmer == []
    paywalled = rows(db, "select paywalled from articles where url like '%divest%'")
    assert paywalled == [(1,)]

    # Three articles mention a watched company: three emails and three Slack posts.
    assert len(smtp.messages) == 3
    assert len(webhook.posts) == 3
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert any("Hikvision" in s and "divest" in s for s in subjects)
    statuses = rows(db, "select status, count(*) from alerts group by status")
    assert statuses == [("sent", 6)]

    # Second pass: no alert again, no article fetched again, 304 for both feeds.
    before = len(site.received)
    second = newswatch("--config", str(config), "crawl")
    assert second.returncode == 0, second.stderr
    assert "not modified" in second.stdout
    again = site.received[before:]
    assert [r.path for r in again if r.path.endswith(".html")] == []
    assert {r.path for r in again if r.path.endswith(".xml")} == {"/feed.xml", "/atom.xml"}
    assert all("if-none-match" in r.headers for r in again if r.path.endswith(".xml"))
    assert len(smtp.messages) == 3 and len(webhook.posts) == 3


def test_email_alert_is_multipart_with_highlighted_snippets(tmp_path, site, smtp):
    config = write_config(tmp_path, site_config(site, smtp))
    assert newswatch("--config", str(config), "crawl", "--source", "dtm").returncode == 0
    zh = next(m for m in smtp.messages if "海康威视" in m["Subject"])
    assert zh.get_content_type() == "multipart/alternative"
    text = zh.get_body(("plain",)).get_content()
    html = zh.get_body(("html",)).get_content()
    assert "**海康威视**" in text
    assert "<mark>海康威视</mark>" in html
    assert "/zh/haikang-xinjiang.html" in text and "Source: dtm" in text


def test_new_feed_item_is_fetched_and_alerted_on_next_pass(tmp_path, site, smtp):
    config = write_config(tmp_path, site_config(site, smtp))
    assert newswatch("--config", str(config), "crawl", "--source", "abw").returncode == 0
    assert len(smtp.messages) == 1
    feed = site.resolve("/feed.xml").body.decode()
    item = (
        "<item><title>Hikvision wins new contract</title>"
        "<link>/business/hikvision-contract.html</link><guid>abw-2024-0009</guid></item>"
    )
    site.routes["/feed.xml"] = Route(feed.replace("</channel>", item + "</channel>").encode(),
                                     headers={"Content-Type": "application/rss+xml"})
    site.routes["/business/hikvision-contract.html"] = Route(
        b"<html><body><article><h1>Hikvision wins new contract</h1><p>Hikvision, the camera maker,"
        b" said on Monday it had won a contract to supply surveillance systems to a city in"
        b" Southeast Asia, its largest overseas order this year.</p></article></body></html>",
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    result = newswatch("--config", str(config), "crawl", "--source", "abw")
    assert result.returncode == 0, result.stderr
    assert "1 new article(s)" in result.stdout
    assert len(smtp.messages) == 2
    assert "Hikvision wins new contract" in smtp.messages[-1]["Subject"]


def test_failed_page_keeps_feed_validators_unset_so_it_is_retried(tmp_path, site):
    config = write_config(tmp_path, site_config(site))
    page = "/markets/monsoon-forecast-fertiliser-stocks.html"
    site.routes[page] = Route(b"boom", status=500)
    first = newswatch("--config", str(config), "crawl", "--source", "abw")
    assert first.returncode == 0
    assert "1 page(s) failed" in first.stdout
    del site.routes[page]
    second = newswatch("--config", str(config), "crawl", "--source", "abw")
    assert "1 new article(s)" in second.stdout, second.stdout
    assert rows(tmp_path / "news.db", "select count(*) from articles where url like '%monsoon%'") == [(1,)]


def test_every_source_failing_exits_1_and_names_each(tmp_path, site):
    sources = f"""  - name: gone
    feed: {site.url('/missing.xml')}
  - name: forbidden
    feed: {site.url('/forbidden.xml')}"""
    site.routes["/forbidden.xml"] = Route(b"no", status=403)
    config = write_config(tmp_path, site_config(site, sources=sources))
    result = newswatch("--config", str(config), "crawl")
    assert result.returncode == 1
    assert "gone: FAILED: HTTP 404" in result.stderr
    assert "forbidden: FAILED: HTTP 403" in result.stderr


def test_garbage_feed_is_reported_and_other_sources_still_read(tmp_path, site):
    site.routes["/garbage.xml"] = Route(b"\x00\xff<<not xml at all" * 1000,
                                        headers={"Content-Type": "application/xml"})
    sources = f"""  - name: garbage
    feed: {site.url('/garbage.xml')}
  - name: dtm
    feed: {site.url('/atom.xml')}"""
    config = write_config(tmp_path, site_config(site, sources=sources))
    result = newswatch("--config", str(config), "crawl")
    assert result.returncode == 0
    assert "garbage: FAILED: not a usable feed" in result.stderr
    assert "dtm: read, 2 new article(s)" in result.stdout


def test_private_networks_refused_without_any_request(tmp_path, site):
    port = site.base.rsplit(":", 1)[1]
    sources = f"""  - name: literal
    feed: http://127.0.0.1:{port}/feed.xml
  - name: named
    feed: http://localhost:{port}/atom.xml"""
    config = write_config(tmp_path, site_config(site, allow_private=False, sources=sources))
    result = newswatch("--config", str(config), "crawl")
    assert result.returncode == 1
    assert site.received == []
    assert "literal: REFUSED:" in result.stderr and "private" in result.stderr
    named = [line for line in result.stderr.splitlines() if line.startswith("named:")]
    assert named and "private" in named[0] and "127.0.0.1" in named[0]


def test_redirect_to_another_scheme_is_not_followed(tmp_path, site):
    # The feed is allowed (private networks on), but one page redirects to a local file.
    site.routes["/business/ngos-urge-norway-divest-hikvision-dahua.html"] = Route(
        b"", status=302, headers={"Location": "file:///etc/passwd"})
    config = write_config(tmp_path, site_config(site, sources=f"""  - name: abw
    feed: {site.url('/feed.xml')}"""))
    result = newswatch("--config", str(config), "crawl")
    assert result.returncode == 0
    assert "page failed: HTTP 302" in result.stdout
    assert rows(tmp_path / "news.db", "select count(*) from articles where url like '%divest%'") == [(0,)]


def test_robots_txt_disallow_is_obeyed(tmp_path, site):
    site.routes["/private/feed.xml"] = Route(b"<rss version='2.0'><channel></channel></rss>")
    config = write_config(tmp_path, site_config(site, sources=f"""  - name: hidden
    feed: {site.url('/private/feed.xml')}"""))
    result = newswatch("--config", str(config), "crawl")
    assert result.returncode == 1
    assert "robots.txt" in result.stderr
    assert site.requests_for("/private/feed.xml") == []
    assert site.requests_for("/robots.txt")


def test_rss1_feed_with_relative_links_is_read(tmp_path, site):
    site.routes["/rss1.xml"] = Route(
        b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="/"><title>RSS 1.0</title><link>/</link><description>d</description></channel>
  <item rdf:about="/markets/monsoon-forecast-fertiliser-stocks.html">
    <title>Monsoon</title><link>/markets/monsoon-forecast-fertiliser-stocks.html</link>
    <dc:date>2024-03-12T12:15:00Z</dc:date>
  </item>
</rdf:RDF>""", headers={"Content-Type": "application/rdf+xml"})
    config = write_config(tmp_path, site_config(site, sources=f"""  - name: rdf
    feed: {site.url('/rss1.xml')}"""))
    result = newswatch("--config", str(config), "crawl")
    assert "rdf: read, 1 new article(s)" in result.stdout, result.stderr
    assert rows(tmp_path / "news.db", "select published from articles") == [("2024-03-12T12:15:00+00:00",)]


def test_slow_and_oversized_pages_fail_without_hanging_the_crawl(tmp_path, site):
    site.routes["/markets/monsoon-forecast-fertiliser-stocks.html"] = Route(b"<p>late</p>", delay=4)
    site.routes["/regional/farmer-chen-dahua-harvest-prize.html"] = Route(
        b"<html><body><p>" + b"x" * 300_000 + b"</p></body></html>")
    text = site_config(site, sources=f"""  - name: abw
    feed: {site.url('/feed.xml')}""").replace("timeout: 10", "timeout: 1.5\n  max_bytes: 200000")
    config = write_config(tmp_path, text)
    result = newswatch("--config", str(config), "crawl")
    assert result.returncode == 0
    assert "1 new article(s)" in result.stdout and "2 page(s) failed" in result.stdout


def test_unusable_database_is_exit_2(tmp_path, site):
    (tmp_path / "news.db").mkdir()
    config = write_config(tmp_path, site_config(site))
    result = newswatch("--config", str(config), "crawl")
    assert result.returncode == 2
    assert "database error" in result.stderr and "news.db" in result.stderr


def test_entity_expansion_bomb_in_a_feed_does_not_hang_the_crawl(tmp_path, site):
    levels = "".join(
        f' <!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">\n' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?>\n<!DOCTYPE r [\n <!ENTITY l0 "lol">\n{levels}]>\n'
            '<rss version="2.0"><channel><title>&l9;</title>'
            '<item><title>Monsoon</title><link>/markets/monsoon-forecast-fertiliser-stocks.html</link></item>'
            '</channel></rss>')
    site.routes["/bomb.xml"] = Route(bomb.encode(), headers={"Content-Type": "application/rss+xml"})
    config = write_config(tmp_path, site_config(site, sources=f"""  - name: bomb
    feed: {site.url('/bomb.xml')}"""))
    result = newswatch("--config", str(config), "crawl", timeout=60)
    assert result.returncode in (0, 1)
    assert "bomb:" in result.stdout + result.stderr
