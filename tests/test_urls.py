import pytest

from pipeline.ingest.urls import article_url, canonicalize


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("HTTPS://Example.ORG/a/b?utm_source=x&id=3#top", "https://example.org/a/b?id=3"),
        ("http://example.org:80/a?fbclid=1&gclid=2", "http://example.org/a"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org/a?b=1&utm_medium=rss&c=2", "https://example.org/a?b=1&c=2"),
        ("http://127.0.0.1:8080/x?mc_cid=1", "http://127.0.0.1:8080/x"),
    ],
)
def test_canonicalize(raw, canonical):
    assert canonicalize(raw) == canonical


def test_canonical_link_on_same_site_wins_ignoring_www():
    assert article_url("https://www.example.org/a?utm_source=x", "https://example.org/story") == "https://example.org/story"


def test_canonical_link_to_another_site_is_ignored():
    assert article_url("https://example.org/a?utm_source=x", "https://aggregator.example.com/a") == "https://example.org/a"


def test_relative_canonical_link_is_resolved():
    assert article_url("https://example.org/x/a.html?ref_src=t", "/x/a.html") == "https://example.org/x/a.html"
