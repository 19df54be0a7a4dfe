"""Source kinds against loopback sites: news sitemaps, sitemap indexes, section pages, site discovery.

Each case crawls a real site served on 127.0.0.1 and asserts what the site was asked for and what
the database holds; the second pass of an unchanged site is one conditional GET per source.
"""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline.cli.site_server import DEMO_SITE, Route, SiteServer
from tests.conftest import newswatch, rows, write_config

NGO = "/business/ngos-urge-norway-divest-hikvision-dahua.html"
ZH = "/zh/haikang-xinjiang.html"
MONSOON = "/markets/monsoon-forecast-fertiliser-stocks.html"
QUOTE = "/dtm/quote-of-the-day-hikvision-dahua-global-compact.html"
XML = {"Content-Type": "application/xml"}


def ago(hours: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(hours=hours)).replace(microsecond=0).isoformat()


def news_url(site: SiteServer, path: str, title: str, hours: float) -> str:
    return (f"<url><loc>{site.url(path)}</loc><news:news><news:publication><news:name>ABW</news:name>"
            f"<news:language>en</news:language></news:publication>"
            f"<news:publication_date>{ago(hours)}</news:publication_date><news:title>{title}</news:title>"
            f"<news:keywords>Hikvision, surveillance</news:keywords></news:news></url>")


def urlset(*urls: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
            ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + "".join(urls) + "</urlset>").encode()


def index(*locs: str) -> bytes:
    return ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs) + "</sitemapindex>").encode()


def plain_url(site: SiteServer, path: str, hours: float) -> str:
    return f"<url><loc>{site.url(path)}</loc><lastmod>{ago(hours)}</lastmod></url>"


def config_for(tmp_path: Path, source: str) -> Path:
    return write_config(tmp_path, f"""database: news.db
alert_backlog: 10000d
fetch:
  allow_private_networks: true
  timeout: 10
sources:
{source}
watchlist:
  - name: Hikvision
    aliases: [Hikvision, 海康威视]
rules:
  - name: team
    channels: [terminal]
channels:
  terminal: {{type: console}}
""")


def paths(site: SiteServer) -> list[str]:
    return [r.path for r in site.received if r.path != "/robots.txt"]


def crawl(config: Path):
    result = newswatch("--config", str(config), "crawl")
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def site():
    with SiteServer(DEMO_SITE) as server:
        yield server


def test_news_sitemap_fetches_fresh_entries_with_their_news_fields_then_one_304(tmp_path, site):
    site.routes["/news-sitemap.xml"] = Route(urlset(
        news_url(site, NGO, "NGOs urge Norway to divest from Hikvision", 3),
        news_url(site, ZH, "海康威视被指在新疆项目中提供监控设备", 5),
        news_url(site, MONSOON, "Monsoon forecast lifts fertiliser stocks", 24 * 5),  # older than max_age
    ), headers=XML)
    config = config_for(tmp_path, f"  - name: abw\n    sitemap: {site.url('/news-sitemap.xml')}")
    first = crawl(config)
    assert sorted(paths(site)) == sorted(["/news-sitemap.xml", NGO, ZH])
    assert "abw: read, 2 new article(s)" in first.stdout and "1 sitemap entries older" in first.stdout
    stored = dict(rows(tmp_path / "news.db", "select url, published from articles"))
    assert stored[site.url(NGO)].startswith(ago(3)[:13])  # the news:publication_date, not the page's
    site.received.clear()
    second = crawl(config)
    assert paths(site) == ["/news-sitemap.xml"] and "abw: not modified" in second.stdout
    assert site.received[-1].headers.get("if-none-match")


def test_gzipped_index_is_followed_two_levels_deep_not_three(tmp_path, site):
    base = site.url("")
    site.routes["/sitemap-index.xml.gz"] = Route(gzip.compress(index(
        f"{base}/sitemaps/level1.xml", f"{base}/sitemaps/level1.xml")), headers={"Content-Type": "application/gzip"})
    site.routes["/sitemaps/level1.xml"] = Route(index(f"{base}/sitemaps/level2.xml", f"{base}/sitemaps/deeper.xml"),
                                                headers=XML)
    site.routes["/sitemaps/level2.xml"] = Route(urlset(plain_url(site, NGO, 2), plain_url(site, QUOTE, 1)),
                                                headers=XML)
    site.routes["/sitemaps/deeper.xml"] = Route(index(f"{base}/sitemaps/level3.xml"), headers=XML)
    site.routes["/sitemaps/level3.xml"] = Route(urlset(plain_url(site, ZH, 1)), headers=XML)
    config = config_for(tmp_path, f"  - name: abw\n    sitemap: {site.url('/sitemap-index.xml.gz')}")
    first = crawl(config)
    asked = paths(site)
    assert asked.count("/sitemaps/level1.xml") == 1  # listed twice, read once
    assert "/sitemaps/level2.xml" in asked and "/sitemaps/deeper.xml" in asked
    assert "/sitemaps/level3.xml" not in asked and ZH not in asked
    assert NGO in asked and QUOTE in asked
    assert "3 levels deep" in first.stdout
    site.received.clear()
    crawl(config)
    assert paths(site) == ["/sitemap-index.xml.gz"]  # 304: the children are not asked again


def test_oversized_sitemaps_are_cut_at_the_protocol_limits_and_said(tmp_path, site):
    old = "".join(plain_url(site, f"/old/{n}.html", 24 * 30) for n in range(50_001))
    site.routes["/big.xml"] = Route(urlset(plain_url(site, NGO, 1), old), headers=XML)
    site.routes["/bomb.xml.gz"] = Route(gzip.compress(b"<urlset>" + b" " * (60 * 1024 * 1024)),
                                        headers={"Content-Type": "application/gzip"})
    config = config_for(tmp_path, f"  - name: big\n    sitemap: {site.url('/big.xml')}\n"
                                  f"  - name: bomb\n    sitemap: {site.url('/bomb.xml.gz')}")
    result = newswatch("--config", str(config), "crawl")
    assert "lists 50,002 URLs; read the first 50,000" in result.stdout
    assert "big: read, 1 new article(s)" in result.stdout
    assert "bomb: FAILED" in result.stderr and "too large" in result.stderr and "50 MB" in result.stderr
    assert [p for p in paths(site) if p.startswith("/old/")] == []


SECTION = """<html><head><link rel="next" href="/news/page/2/"></head><body>
<nav><a href="/about-us-and-our-team-members">About us and our team</a>
<a href="/2024/05/14/markets-open-higher-today.html">Markets in the menu</a></nav>
<header><a href="/subscribe">Subscribe</a></header>
<main><h1>News</h1>
<article><h2><a href="{NGO}">NGOs urge Norway's oil fund to divest</a></h2></article>
<article><h2><a href="/tag/hikvision-cameras-news">Hikvision</a></h2></article>
<article><h2><a href="{QUOTE}">Quote of the Day</a></h2></article>
<a href="https://elsewhere.example/2024/05/14/some-other-site-story">Elsewhere</a>
</main><footer><a href="/privacy-policy-and-cookies">Privacy</a></footer></body></html>"""
PAGE_TWO = """<html><body><main><a href="{ZH}">海康威视被指在新疆项目中提供监控设备 story on page two</a>
<div class="pagination"><a href="/news/page/3/">Next</a></div></main></body></html>"""
PAGE_THREE = """<html><body><main><a href="{MONSOON}">monsoon forecast lifts fertiliser stocks</a></main></body></html>"""


def test_section_pages_take_article_links_not_navigation_and_follow_next_up_to_pages(tmp_path, site):
    html = {"Content-Type": "text/html; charset=utf-8"}
    site.routes["/news/"] = Route(SECTION.format(NGO=NGO, QUOTE=QUOTE).encode(), headers=html)
    site.routes["/news/page/2/"] = Route(PAGE_TWO.format(ZH=ZH).encode(), headers=html)
    site.routes["/news/page/3/"] = Route(PAGE_THREE.format(MONSOON=MONSOON).encode(), headers=html)
    config = config_for(tmp_path, f"  - name: abw\n    section: {site.url('/news/')}\n    pages: 2")
    crawl(config)
    asked = paths(site)
    assert sorted(asked) == sorted(["/news/", "/news/page/2/", NGO, QUOTE, ZH])
    assert rows(tmp_path / "news.db", "select count(*) from articles") == [(3,)]
    site.received.clear()
    crawl(config)
    assert paths(site) == ["/news/"]


def test_section_with_a_css_selector_takes_only_what_it_selects(tmp_path, site):
    site.routes["/news/"] = Route(SECTION.format(NGO=NGO, QUOTE=QUOTE).encode(),
                                  headers={"Content-Type": "text/html"})
    config = config_for(tmp_path, f"  - name: abw\n    section: {site.url('/news/')}\n    links: 'nav a'")
    crawl(config)
    assert sorted(paths(site)) == sorted(["/news/", "/about-us-and-our-team-members",
                                          "/2024/05/14/markets-open-higher-today.html"])


HOME = """<html><head><title>ABW</title>
<link rel="alternate" type="application/rss+xml" title="ABW news" href="/feed.xml"></head>
<body><p>Welcome</p></body></html>"""


def test_site_discovers_the_advertised_feed_remembers_it_and_check_says_which(tmp_path, site):
    site.routes["/"] = Route(HOME.encode(), headers={"Content-Type": "text/html"})
    config = config_for(tmp_path, f"  - name: abw\n    site: {site.url('/')}")
    first = crawl(config)
    assert "reads feed " + site.url("/feed.xml") in first.stdout and "advertised on the homepage" in first.stdout
    assert "abw: read, 3 new article(s)" in first.stdout
    checked = newswatch("--config", str(config), "check")
    assert f"reads feed {site.url('/feed.xml')}" in checked.stdout
    site.received.clear()
    second = crawl(config)
    assert paths(site) == ["/feed.xml"] and "abw: not modified" in second.stdout


def test_source_headers_go_to_its_own_host_only(tmp_path, site):
    with SiteServer(DEMO_SITE, host="127.0.0.2") as other:
        site.routes["/moved.html"] = Route(b"", status=302, headers={"Location": other.url(NGO)})
        feed = site.resolve("/feed.xml").body.decode().replace(
            NGO + "?utm_source=rss&amp;utm_medium=feed", "/moved.html")
        site.routes["/feed.xml"] = Route(feed.encode(), headers={"Content-Type": "application/rss+xml"})
        config = config_for(tmp_path, f"  - name: abw\n    feed: {site.url('/feed.xml')}\n"
                                      "    headers: {Cookie: 'session=subscriber-secret'}")
        crawl(config)
        assert all(r.headers.get("cookie") == "session=subscriber-secret" for r in site.received
                   if r.path != "/robots.txt")
        assert other.requests_for(NGO) and all("cookie" not in r.headers for r in other.received)


def test_disabled_source_is_not_read_unless_named(tmp_path, site):
    config = config_for(tmp_path, f"  - name: abw\n    feed: {site.url('/feed.xml')}\n    enabled: false\n"
                                  f"  - name: dtm\n    feed: {site.url('/atom.xml')}")
    result = crawl(config)
    assert "dtm: read" in result.stdout and "abw" not in result.stdout
    assert "/feed.xml" not in paths(site)
    named = newswatch("--config", str(config), "crawl", "--source", "abw")
    assert named.returncode == 0 and "abw: read" in named.stdout


def test_add_finds_the_advertised_feed_previews_matches_and_writes_keeping_comments(tmp_path, site):
    site.routes["/"] = Route(HOME.encode(), headers={"Content-Type": "text/html"})
    config = config_for(tmp_path, f"  - name: dtm  # the wire's Atom feed\n    feed: {site.url('/atom.xml')}")
    shown = newswatch("--config", str(config), "add", site.url("/"))
    assert shown.returncode == 0, shown.stderr
    assert f"* feed {site.url('/feed.xml')} (advertised on the homepage): 3 articles" in shown.stdout
    assert "NGOs urge Norway's oil fund to divest from Hikvision, Dahua" in shown.stdout
    assert "Hikvision (" in shown.stdout and "rule team would alert" in shown.stdout
    assert f"feed: {site.url('/feed.xml')}" in shown.stdout and "name: 127-0-0-1" in shown.stdout
    assert "abw" not in config.read_text()  # nothing written without --write
    written = newswatch("--config", str(config), "add", site.url("/"), "--name", "abw", "--write")
    assert written.returncode == 0, written.stderr
    text = config.read_text()
    assert "# the wire's Atom feed" in text and f"feed: {site.url('/feed.xml')}" in text
    assert newswatch("--config", str(config), "check").returncode == 0
    again = newswatch("--config", str(config), "add", site.url("/"), "--name", "abw")
    assert again.returncode == 2 and "exists already" in again.stderr


def test_add_reads_a_news_sitemap_url_itself_and_says_what_is_missing(tmp_path, site):
    site.routes["/news-sitemap.xml"] = Route(urlset(news_url(site, NGO, "NGOs urge Norway", 2)), headers=XML)
    config = config_for(tmp_path, f"  - name: dtm\n    feed: {site.url('/atom.xml')}")
    shown = newswatch("--config", str(config), "add", site.url("/news-sitemap.xml"))
    assert "* news-sitemap " + site.url("/news-sitemap.xml") + " (the URL itself): 1 articles, 1 dated" in shown.stdout
    assert "sitemap: " + site.url("/news-sitemap.xml") in shown.stdout
    del site.routes["/news-sitemap.xml"]
    site.routes["/empty/"] = Route(b"<html><body><p>nothing here</p></body></html>", headers={"Content-Type": "text/html"})
    nothing = newswatch("--config", str(config), "add", site.url("/empty/"))
    assert nothing.returncode == 1 and "no usable feed, sitemap or page of article links" in nothing.stderr
    assert "HTTP 404 from " + site.url("/news-sitemap.xml").replace("/news-sitemap.xml", "/sitemap_news.xml") in nothing.stdout


def test_add_of_a_section_page_counts_its_article_links(tmp_path, site):
    site.routes["/news/"] = Route(SECTION.format(NGO=NGO, QUOTE=QUOTE).encode(), headers={"Content-Type": "text/html"})
    config = config_for(tmp_path, f"  - name: dtm\n    feed: {site.url('/atom.xml')}")
    shown = newswatch("--config", str(config), "add", site.url("/news/"))
    assert "* section " + site.url("/news/") + " (homepage): 2 article links" in shown.stdout
    assert "section: " + site.url("/news/") in shown.stdout


OPML = """<?xml version="1.0"?><opml version="2.0"><head><title>My feeds</title></head><body>
<outline text="China"><outline text="Asia Business Wire" type="rss" xmlUrl="{feed}"/>
<outline text="Digital Times" type="rss" xmlUrl="{atom}"/></outline>
<outline text="A folder without feeds"/></body></opml>"""


def test_import_opml_adds_each_feed_once(tmp_path, site):
    config = config_for(tmp_path, f"  - name: dtm\n    feed: {site.url('/atom.xml')}")
    opml = tmp_path / "feeds.opml"
    opml.write_text(OPML.format(feed=site.url("/feed.xml"), atom=site.url("/atom.xml")), encoding="utf-8")
    result = newswatch("--config", str(config), "import-opml", str(opml), "--write")
    assert result.returncode == 0, result.stderr
    assert "2 feed(s), 1 new" in result.stdout and "already a source" in result.stdout
    assert "name: asia-business-wire" in config.read_text()
    crawled = crawl(config)
    assert "asia-business-wire: read, 3 new article(s)" in crawled.stdout
    bad = tmp_path / "bad.opml"
    bad.write_text("<html><body>not opml</body></html>", encoding="utf-8")
    refused = newswatch("--config", str(config), "import-opml", str(bad))
    assert refused.returncode == 2 and "not <opml>" in refused.stderr
