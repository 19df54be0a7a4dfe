"""Fixture pages of the shapes that lost articles, each with its expectations beside it.

`tests/fixtures/pages/NAME.html` is the page and `NAME.json` says what extraction must keep
(`keeps`), what must be gone (`drops`) and, where given, the `author` and `language`. The pages
reproduce what was seen on real sites: a body split over containers with different classes, a
lede in one box and the body in another, a "Read next" feed that trafilatura's fast pass takes
for the body, photo credits, donation pleas and standards notes, a byline only in the page's
meta tags, and a Chinese and an Arabic article.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli.site_server import Route
from pipeline.extract.article import extract
from tests.conftest import newswatch, rows, site_config, write_config

PAGES = Path(__file__).parent / "fixtures" / "pages"
CASES = sorted(path.stem for path in PAGES.glob("*.json"))


@pytest.mark.parametrize("name", CASES)
def test_fixture_page_keeps_the_article_and_drops_the_junk(name):
    expected = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    article = extract((PAGES / f"{name}.html").read_bytes(), f"https://news.example/{name}")
    missing = [sentence for sentence in expected["keeps"] if sentence not in article.text]
    leaked = [junk for junk in expected["drops"] if junk in article.text]
    assert not missing and not leaked, f"missing {missing}, leaked {leaked}:\n{article.text}"
    if "author" in expected:
        assert article.author == expected["author"]
    if "language" in expected:
        assert article.language == expected["language"]


def test_fixture_cases_are_all_there():
    """A renamed or mistyped expectation file would silently test nothing."""
    assert len(CASES) >= 8
    assert all((PAGES / f"{name}.html").exists() for name in CASES)


WATCHLIST = """database: news.db
watchlist:
  - name: Dahua Technology
    aliases: [Dahua Technology, Zhejiang Dahua Technology]
rules:
  - name: all
    channels: [terminal]
channels:
  terminal:
    type: console
"""


def test_company_named_only_in_the_last_paragraph_is_found_by_match(tmp_path):
    config = write_config(tmp_path, WATCHLIST)
    page = PAGES / "long-article-company-in-last-paragraph.html"
    result = newswatch("--config", str(config), "match", "--json", str(page))
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert [m["alias"] for m in found["mentions"]] == ["Zhejiang Dahua Technology"]
    assert found["mentions"][0]["field"] == "text"
    assert found["rules"] == ["all"]


def _feed(site, items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{path}</title><link>{site.url(path)}</link><author>{author}</author>"
        "<pubDate>Tue, 12 Mar 2024 09:30:00 GMT</pubDate></item>"
        for path, author in items
    )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>{site.url("/")}</link>'
            f"<description>d</description>{entries}</channel></rss>").encode()


def test_stored_author_is_the_pages_own_else_the_feed_entrys(tmp_path, site):
    no_author = (PAGES / "split-body-variant-classes.html").read_bytes()
    meta_author = (PAGES / "byline-in-meta-only.html").read_bytes()
    site.routes["/a/no-author.html"] = Route(no_author, headers={"Content-Type": "text/html"})
    site.routes["/a/meta-author.html"] = Route(meta_author, headers={"Content-Type": "text/html"})
    site.routes["/authors.xml"] = Route(
        _feed(site, [("/a/no-author.html", "desk@example.org (Mia Chen)"),
                     ("/a/meta-author.html", "feeds@example.org (Feed Desk)")]),
        headers={"Content-Type": "application/rss+xml"},
    )
    config = write_config(tmp_path, site_config(site, sources=f"""  - name: authors
    feed: {site.url('/authors.xml')}"""))
    result = newswatch("--config", str(config), "crawl")
    assert "authors: read, 2 new article(s)" in result.stdout, result.stdout + result.stderr
    stored = dict(rows(tmp_path / "news.db", "select url, author from articles"))
    assert stored[site.url("/a/meta-author.html")] == "Xinhua"
    assert stored[site.url("/a/no-author.html")] == "Mia Chen"


def test_safety_net_puts_back_only_what_no_evidence_excuses():
    """The fast pass keeps only the lede here, so the net restores the body from trafilatura's
    full pass, but not the text of a hidden box or of a paywall box, which that pass also sees."""
    page = (PAGES / "lede-then-body.html").read_text(encoding="utf-8")
    hidden = ('<div style="display: none"><p>This hidden promotional paragraph is long enough to count '
              'as prose for any extractor that looks at the page markup only.</p></div>')
    paywall = ('<div class="paywall"><p>Subscribers read on: unlimited access to every story, the '
               'daily briefing and the archive, from two dollars a week.</p></div>')
    page = page.replace('<div class="story-text">', hidden + paywall + '<div class="story-text">')
    article = extract(page.encode("utf-8"))
    assert "Zhejiang Dahua Technology won the tender." in article.text
    assert "hidden promotional paragraph" not in article.text
    assert "Subscribers read on" not in article.text
    assert article.paywalled
