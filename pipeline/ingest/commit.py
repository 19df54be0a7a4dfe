"""commit(analysis) -> IngestResult: one transaction per page, after analysis.

A new article goes in with its mentions, its story, its pending alerts (the outbox) and its
site's boilerplate line counts, all at once; an article already stored under the same URL is an
update (new text, same story, alerts only for a rule that had not alerted on the story). Alerts
are only written here; delivery happens after the crawl.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

from pipeline.extract.boilerplate import site_of
from pipeline.ingest.analyse import Analysis
from pipeline.ingest.urls import canonicalize
from pipeline.match.stories import StoryIndex, StoryRules
from pipeline.models import Mention
from pipeline.store.sqlite import Store, StoryPlacement


@dataclass(frozen=True)
class IngestResult:
    status: str  # stored | updated | duplicate | rejected
    url: str
    article_id: int | None = None
    mentions: Sequence[Mention] = ()
    alerts: int = 0
    reason: str = ""
    story_id: int | None = None


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


def new_entity_alerts(analysis: Analysis, before: set[str]) -> list[tuple[str, str, str, str]]:
    """(rule, channel, reason, entity) for each rule entity an update names for the first time."""
    return [
        (hit.rule, channel, f"updated: now mentions {entity}; {hit.reason}", entity)
        for hit in analysis.hits for entity in hit.entities if entity not in before
        for channel in hit.channels
    ]


class Committer:
    """Writes analyses to the store; holds the crawl's story index (built on first need)."""

    def __init__(self, store: Store, story_rules: StoryRules):
        self.store = store
        self.story_rules = story_rules
        self._stories: StoryIndex | None = None

    @property
    def stories(self) -> StoryIndex:
        """Built on the first article that needs it: a pass of 304s never loads it."""
        if self._stories is None:
            self._stories = build_story_index(self.store, self.story_rules, time.time())
        return self._stories

    def commit(self, analysis: Analysis, queue_alerts: bool = True) -> IngestResult:
        """Store the analysis; `queue_alerts` False stores and matches without alerting."""
        page, article = analysis.page, analysis.article
        if article is None:
            self.store.mark_seen(analysis.seen_keys, page.source, listing_updated=page.entry_updated)
            return IngestResult("rejected", canonicalize(page.url), reason=analysis.reason)
        known = self.store.article_id(article.url)
        if known is not None:
            return self.update(known, analysis, queue_alerts)
        assert analysis.sketch is not None
        now = time.time()
        match = self.stories.find(analysis.sketch, now)
        placement = StoryPlacement(match.story_id if match else None, analysis.sketch.to_blob(),
                                   analysis.sketch.size)
        added = self.store.add_article(
            article, analysis.mentions, analysis.alerts if queue_alerts else [], analysis.seen_keys, placement,
            page.entry_updated, boilerplate=(site_of(article.url), analysis.lines or {}),
        )
        if added is None:
            return IngestResult("duplicate", article.url, self.store.article_id(article.url))
        self.stories.add(added.article_id, added.story_id, analysis.sketch, now)
        return IngestResult("stored", article.url, added.article_id, analysis.mentions, added.alerts,
                            story_id=added.story_id)

    def update(self, article_id: int, analysis: Analysis, queue_alerts: bool = True) -> IngestResult:
        """A stored URL fetched again: new text replaces the old and keeps its story.

        A rule alerts again only when the update names one of its entities the article did not
        mention before ("updated: now mentions Dahua Technology"), once per entity.
        """
        page, article = analysis.page, analysis.article
        assert article is not None and analysis.sketch is not None
        stored = self.store.article(article_id)
        if (stored["text"], stored["title"]) == (article.text, article.title):
            self.store.mark_seen(analysis.seen_keys, page.source, article_id, page.entry_updated)
            return IngestResult("duplicate", article.url, article_id, story_id=stored["story_id"])
        before = {m["entity"] for m in self.store.mentions_of(article_id)}
        alerts = analysis.alerts + new_entity_alerts(analysis, before) if queue_alerts else []
        queued = self.store.update_article(
            article_id, article, analysis.mentions, alerts,
            StoryPlacement(stored["story_id"], analysis.sketch.to_blob(), analysis.sketch.size),
            analysis.seen_keys, page.entry_updated,
        )
        return IngestResult("updated", article.url, article_id, analysis.mentions, queued,
                            story_id=stored["story_id"])
