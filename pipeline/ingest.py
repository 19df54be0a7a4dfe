"""ingest(page) -> stored article: extract -> clean -> match -> store, each a named step.

The crawler hands every fetched page here and nothing else; alerts are only written to the outbox
(in the article's transaction) and delivered after the crawl.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from pipeline.boilerplate import known_boilerplate, learn_from_article
from pipeline.config import Config
from pipeline.extract import ExtractionError, Extracted, extract
from pipeline.match import Mention, Watchlist
from pipeline.rules import AlertRule, decide_all, rules_from_config, watchlist_from_config
from pipeline.store import NewArticle, Store
from pipeline.urls import article_url, canonicalize


@dataclass(frozen=True)
class FetchedPage:
    """What the crawler fetched: the page and what its feed said about it."""

    source: str
    url: str  # the final URL after redirects
    requested_url: str
    html: bytes
    feed_title: str | None = None
    feed_published: str | None = None
    guid: str | None = None


@dataclass(frozen=True)
class IngestResult:
    status: str  # stored | duplicate | rejected
    url: str
    article_id: int | None = None
    mentions: Sequence[Mention] = ()
    alerts: int = 0
    reason: str = ""


def feed_keys(page: FetchedPage) -> list[str]:
    """Every key under which this page counts as seen: requested and final URL, feed GUID."""
    keys = [canonicalize(page.requested_url), canonicalize(page.url)]
    if page.guid:
        keys.append(f"guid:{page.source}:{page.guid}")
    return keys


@dataclass
class Ingestor:
    """Holds what is built once per crawl (the compiled watchlist, the rules) and the store."""

    store: Store
    watchlist: Watchlist
    rules: list[AlertRule] = field(default_factory=list)

    @classmethod
    def from_config(cls, config: Config, store: Store) -> "Ingestor":
        return cls(store, watchlist_from_config(config), rules_from_config(config))

    def ingest(self, page: FetchedPage) -> IngestResult:
        try:
            extracted = extract(page.html, page.url, known_boilerplate(self.store, page.url))
        except ExtractionError as exc:
            self.store.mark_seen(feed_keys(page), page.source)
            return IngestResult("rejected", canonicalize(page.url), reason=str(exc))
        url = article_url(page.url, extracted.canonical_link)
        if self.store.article_id(url) is not None:
            self.store.mark_seen(feed_keys(page), page.source, self.store.article_id(url))
            return IngestResult("duplicate", url, self.store.article_id(url))
        article = self.to_article(page, extracted, url)
        mentions = self.watchlist.find({"title": article.title, "text": article.text})
        alerts = [
            (match.rule, channel, match.reason)
            for match in decide_all(self.rules, article.title, article.text, mentions)
            for channel in match.channels
        ]
        article_id = self.store.add_article(article, mentions, alerts, feed_keys(page))
        if article_id is None:
            return IngestResult("duplicate", url, self.store.article_id(url))
        learn_from_article(self.store, url, article.text)
        return IngestResult("stored", url, article_id, mentions, len(alerts))

    @staticmethod
    def to_article(page: FetchedPage, extracted: Extracted, url: str) -> NewArticle:
        return NewArticle(
            url=url,
            source=page.source,
            title=extracted.title or (page.feed_title or ""),
            author=extracted.author,
            published=page.feed_published or extracted.published,
            language=extracted.language,
            text=extracted.text,
            paywalled=extracted.paywalled,
        )
