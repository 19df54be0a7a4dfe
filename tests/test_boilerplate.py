"""Learned per-site boilerplate: dropped once recurring across articles, never after one sighting."""

import json

import pytest

from pipeline.config import parse_config
from pipeline.ingest.session import CrawlSession
from pipeline.models import FetchedPage
from pipeline.store.sqlite import Store
from tests.conftest import newswatch

SOURCES = """
sources:
  - {name: dtm, feed: "https://dtm.example/feed.xml"}
  - {name: other, feed: "https://other.example/feed.xml"}
"""
HOUSE_LINE = "Readers in mainland China can reach us through the Lantern mirror at any hour."


def page(n: int, extra: str = HOUSE_LINE) -> bytes:
    body = (
        f"<p>Story number {n}: the provincial court heard a case about contract number {n * 7}, "
        f"in which a supplier of cameras was accused of breaching its terms with the city.</p>"
        f"<p>Lawyers for both sides said they expected a ruling within {n + 2} weeks, and the "
        f"supplier's shares moved little on the news in afternoon trading.</p>"
    )
    return f"<html><body><article><h1>Court story {n}</h1>{body}<p>{extra}</p></article></body></html>".encode()


@pytest.fixture
def ingestor(tmp_path):
    store = Store.open(tmp_path / "db.sqlite")
    config = parse_config(SOURCES, tmp_path)
    yield CrawlSession(config, store, config.sources)
    store.close()


def ingest(ingestor, n, html=None):
    url = f"https://dtm.example/story-{n}.html"
    return ingestor.ingest(FetchedPage("dtm", url, url, html or page(n)))


def text_of(ingestor, result):
    return ingestor.store.article(result.article_id)["text"]


def test_line_recurring_across_five_articles_is_dropped_from_the_next(ingestor):
    for n in range(5):
        assert HOUSE_LINE in text_of(ingestor, ingest(ingestor, n))
    sixth = text_of(ingestor, ingest(ingestor, 6))
    assert HOUSE_LINE not in sixth
    assert "Story number 6" in sixth


def test_line_seen_once_is_never_dropped(ingestor):
    unique = "A sentence that appears in exactly one article of this site and nowhere else."
    for n in range(8):
        ingest(ingestor, n)
    result = ingest(ingestor, 99, page(99, extra=unique))
    assert unique in text_of(ingestor, result)
    # Re-extracting the same page again and again does not make its lines "recurring".
    for _ in range(6):
        ingest(ingestor, 99, page(99, extra=unique))
    again = ingest(ingestor, 100, page(100, extra=unique))
    assert unique in text_of(ingestor, again)


def test_other_sites_do_not_share_learned_lines(ingestor):
    for n in range(6):
        ingest(ingestor, n)
    url = "https://other.example/a.html"
    result = ingestor.ingest(FetchedPage("other", url, url, page(1)))
    assert HOUSE_LINE in text_of(ingestor, result)


def test_extract_command_applies_learned_lines_with_config(tmp_path, ingestor):
    for n in range(6):
        ingest(ingestor, n)
    config = tmp_path / "config.yaml"
    config.write_text("database: db.sqlite\n", encoding="utf-8")
    saved = tmp_path / "page.html"
    saved.write_bytes(page(42))
    url = "https://dtm.example/story-42.html"
    without = json.loads(newswatch("extract", "--url", url, str(saved)).stdout)
    learned = json.loads(newswatch("--config", str(config), "extract", "--url", url, str(saved)).stdout)
    assert HOUSE_LINE in without["text"] and HOUSE_LINE not in learned["text"]
    assert set(learned) == {"file", "url", "title", "author", "published", "language", "paywalled", "text"}
    assert learned["paywalled"] is False
