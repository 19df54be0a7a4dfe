"""The story decision on the fixture texts, the index itself, and the migration of an old database."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.extract.article import extract
from pipeline.models import Article
from pipeline.store.migrations import MIGRATIONS
from pipeline.store.sqlite import Store
from pipeline.match.stories import StoryIndex, StoryRules, similarity, tokens
from sqlite_utils import Database
from tests.conftest import FIXTURES, rows

STORIES = FIXTURES / "stories"
PAGES = {
    "full": "wire-daily/world/2024/05/14/hikvision-shares-slide-us-curbs.html",
    "trimmed": "metro-herald/business/chinese-camera-giant-us-export-rules.html",
    "other-boilerplate": "asia-markets/markets/hikvision-peers-fall.html",
    "reworded": "reworded/us-blacklists-hikvision-units.html",
    "analysis": "wire-daily/analysis/2024/05/14/hikvision-european-councils.html",
}
DAY = 86400.0


@pytest.fixture(scope="module")
def sketches():
    index = StoryIndex()
    return {name: index.sketch(extract((STORIES / path).read_bytes(), "http://example.org/").text)
            for name, path in PAGES.items()}


def test_copies_are_contained_and_a_different_article_is_not(sketches):
    rules = StoryRules()
    for name in ("trimmed", "other-boilerplate", "reworded"):
        containment, jaccard = similarity(sketches["full"], sketches[name])
        assert containment >= rules.min_containment + 0.15 and jaccard >= rules.min_jaccard, name
    containment, _ = similarity(sketches["trimmed"], sketches["full"])
    assert containment > 0.95  # two paragraphs fewer, yet contained
    containment, jaccard = similarity(sketches["full"], sketches["analysis"])
    assert containment < 0.1 and jaccard < 0.1


def test_index_joins_within_the_window_only(sketches):
    index = StoryIndex(StoryRules(window_seconds=7 * DAY))
    index.add(1, 10, sketches["full"], seen_at=0.0)
    index.add(2, 20, sketches["analysis"], seen_at=0.0)
    assert index.find(sketches["reworded"], now=DAY).story_id == 10
    assert index.find(sketches["reworded"], now=8 * DAY) is None
    assert index.find(sketches["trimmed"], now=DAY).article_id == 1


def test_index_built_from_stored_rows_finds_the_same(sketches):
    rows = [(1, 10, 0.0, sketches["full"].size, sketches["full"].to_blob()),
            (2, 20, 0.0, sketches["analysis"].size, sketches["analysis"].to_blob())]
    index = StoryIndex.build(StoryRules(), rows)
    assert len(index) == 2
    assert index.find(sketches["trimmed"], now=DAY).story_id == 10
    assert index.find(sketches["analysis"], now=DAY).story_id == 20


def test_chinese_text_is_shingled_by_character():
    assert tokens("海康威视Hikvision 被指") == ["海", "康", "威", "视", "hikvision", "被", "指"]


def test_migration_gives_existing_articles_a_story_each(tmp_path: Path):
    path = tmp_path / "old.db"
    db = Database(path)
    MIGRATIONS.apply(db, stop_before="0010_stories")
    db["articles"].insert({"url": "https://ex.org/a", "source": "s", "title": "Old", "text": "Hikvision old",
                           "fetched_at": "2024-01-01T00:00:00+00:00", "paywalled": 0})
    db["alerts"].insert({"rule": "r", "channel": "c", "article_id": 1, "status": "sent", "attempts": 1,
                         "created_at": "2024-01-01T00:00:00+00:00"})
    db.close()
    store = Store.open(path)
    assert rows(store, "select id, title, article_count from stories") == [(1, "Old", 1)]
    assert rows(store, "select story_id from articles") == [(1,)]
    assert rows(store, "select story_id from alerts") == [(1,)]
    article = Article(url="https://ex.org/b", source="s", title="New", language="en", text="Other text entirely")
    new_id = store.add_article(article, [], [("r", "c", "why")]).article_id
    assert store.story_of(new_id) == 2 and store.count_alerts(new_id) == 1
    store.close()
