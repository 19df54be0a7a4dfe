"""ingest(page) -> stored article: extract -> clean -> match -> store, each a named step.

The crawler hands every fetched page here and nothing else; alerts are only written to the outbox
(in the article's transaction) and delivered after the crawl.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Sequence

from pipeline.boilerplate import known_boilerplate, learn_from_article
from pipeline.config import Config
from pipeline.extract import ExtractionError, Extracted, extract
from pipeline.match import Mention, Watchlist
from pipeline.rules import AlertRule, decide_all, rules_from_config, watchlist_from_config
from pipeline.store import NewArticle, Store, StoryPlacement
from pipeline.stories import StoryIndex, StoryRules
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
    feed_updated: str | None = None  # the item's <updated>/pubDate: a later one means "changed"


@dataclass(frozen=True)
class IngestResult:
    status: str  # stored | updated | duplicate | rejected
    url: str
    article_id: int | None = None
    mentions: Sequence[Mention] = ()
    alerts: int = 0
    reason: str = ""
    story_id: int | None = None


def story_rules_from_config(config: Config) -> StoryRules:
    return StoryRules(
        window_seconds=config.stories.window,
        min_containment=config.stories.min_containment,
        min_jaccard=config.stories.min_jaccard,
    )


def build_story_index(store: Store, rules: StoryRules, now: float) -> StoryIndex:
    """The signatures of the window's articles; articles stored before stories existed get one now."""
    since = now - rules.window_seconds
    index = StoryIndex(rules)
    since_iso = datetime.fromtimestamp(since, timezone.utc).replace(microsecond=0).isoformat()
    signed = []
    for article_id, text, fetched_at in store.unsigned_articles(since_iso):
        sketch = index.sketch(text)
        signed.append((article_id, sketch.to_blob(), sketch.size, fetched_at))
    store.save_signatures(signed)
    return StoryIndex.build(rules, store.story_signatures(since))


def feed_keys(page: FetchedPage) -> list[str]:
    """Every key under which this page counts as seen: requested and final URL, feed GUID."""
    keys = [canonicalize(page.requested_url), canonicalize(page.url)]
    if page.guid:
        keys.append(f"guid:{page.source}:{page.guid}")
    return keys


@dataclass
class Ingestor:
    """Holds what is built once per crawl (watchlist, rules, story index) and the store."""

    store: Store
    watchlist: Watchlist
    rules: list[AlertRule] = field(default_factory=list)
    story_rules: StoryRules = field(default_factory=StoryRules)
    _stories: StoryIndex | None = None

    @classmethod
    def from_config(cls, config: Config, store: Store) -> "Ingestor":
        return cls(store, watchlist_from_config(config), rules_from_config(config),
                   story_rules_from_config(config))

    @property
    def stories(self) -> StoryIndex:
        """Built on the first article that needs it: a pass of 304s never loads it."""
        if self._stories is None:
            self._stories = build_story_index(self.store, self.story_rules, time.time())
        return self._stories

    def ingest(self, page: FetchedPage) -> IngestResult:
        try:
            extracted = extract(page.html, page.url, known_boilerplate(self.store, page.url))
        except ExtractionError as exc:
            self.store.mark_seen(feed_keys(page), page.source, feed_updated=page.feed_updated)
            return IngestResult("rejected", canonicalize(page.url), reason=str(exc))
        url = article_url(page.url, extracted.canonical_link)
        article = self.to_article(page, extracted, url)
        known = self.store.article_id(url)
        if known is not None:
            return self.update(known, page, article)
        mentions = self.watchlist.find({"title": article.title, "text": article.text})
        alerts = self.alerts_for(article, mentions)
        sketch = self.stories.sketch(article.text)
        now = time.time()
        match = self.stories.find(sketch, now)
        placement = StoryPlacement(match.story_id if match else None, sketch.to_blob(), sketch.size)
        article_id = self.store.add_article(
            article, mentions, alerts, feed_keys(page), placement, page.feed_updated)
        if article_id is None:
            return IngestResult("duplicate", url, self.store.article_id(url))
        story_id = self.store.story_of(article_id)
        self.stories.add(article_id, story_id, sketch, now)
        learn_from_article(self.store, url, article.text)
        return IngestResult("stored", url, article_id, mentions, self.store.count_alerts(article_id),
                            story_id=story_id)

    def update(self, article_id: int, page: FetchedPage, article: NewArticle) -> IngestResult:
        """A stored URL fetched again: new text replaces the old and keeps its story."""
        stored = self.store.article(article_id)
        if (stored["text"], stored["title"]) == (article.text, article.title):
            self.store.mark_seen(feed_keys(page), page.source, article_id, page.feed_updated)
            return IngestResult("duplicate", article.url, article_id, story_id=stored["story_id"])
        mentions = self.watchlist.find({"title": article.title, "text": article.text})
        alerts = self.alerts_for(article, mentions)
        sketch = self.stories.sketch(article.text)
        queued = self.store.update_article(
            article_id, article, mentions, alerts,
            StoryPlacement(stored["story_id"], sketch.to_blob(), sketch.size),
            feed_keys(page), page.feed_updated,
        )
        return IngestResult("updated", article.url, article_id, mentions, queued,
                            story_id=stored["story_id"])

    def alerts_for(self, article: NewArticle, mentions: Sequence[Mention]) -> list[tuple[str, str, str]]:
        """(rule, channel, reason) for every rule that alerts on this article."""
        return [
            (verdict.rule, channel, verdict.reason)
            for verdict in decide_all(self.rules, article.title, article.text, mentions)
            for channel in verdict.channels
        ]

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
