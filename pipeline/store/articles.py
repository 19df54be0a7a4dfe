"""Articles and everything written with them: seen keys, mentions, stories, signatures, boilerplate.

`add_article` is the outbox transaction: the article, its story, its mentions, its pending alerts,
its signature, its seen keys and its site's boilerplate line counts, all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from pipeline.models import Article, Mention
from pipeline.store.clock import utcnow


@dataclass(frozen=True)
class StoryPlacement:
    """Where a new article goes: into story `story_id`, or a new story when None; its signature."""

    story_id: int | None = None
    signature: bytes | None = None
    shingles: int = 0


@dataclass(frozen=True)
class Added:
    """What `add_article` wrote: the new article, the story it joined or started, alerts queued."""

    article_id: int
    story_id: int
    alerts: int


Alerts = Iterable[tuple[str, ...]]  # (rule, channel, reason) or (rule, channel, reason, new entity)


class ArticleRows:
    _db: Database

    # --- what has been seen -------------------------------------------------------------

    def is_seen(self, *keys: str) -> bool:
        keys = tuple(k for k in keys if k)
        if not keys:
            return False
        marks = ",".join("?" * len(keys))
        row = self._db.execute(f"select 1 from seen where key in ({marks}) limit 1", keys).fetchone()
        if row:
            return True
        row = self._db.execute(f"select 1 from articles where url in ({marks}) limit 1", keys).fetchone()
        return row is not None

    def mark_seen(
        self, keys: Iterable[str], source: str, article_id: int | None = None,
        listing_updated: str | None = None,
    ) -> None:
        with self._db.atomic():
            self._record_seen(keys, source, article_id, utcnow(), listing_updated)

    def _record_seen(
        self, keys: Iterable[str], source: str, article_id: int | None, now: str,
        listing_updated: str | None,
    ) -> None:
        """Remember keys as fetched; a listing item's later timestamp replaces the one remembered."""
        keys = [k for k in dict.fromkeys(keys) if k]
        self._db["seen"].insert_all(
            (
                {"key": k, "source": source, "first_seen": now, "article_id": article_id,
                 "listing_updated": listing_updated}
                for k in keys
            ),
            ignore=True,
        )
        if listing_updated and keys:
            marks = ",".join("?" * len(keys))
            self._db.execute(
                f"update seen set listing_updated = ? where key in ({marks})"
                " and (listing_updated is null or listing_updated < ?)",
                [listing_updated, *keys, listing_updated],
            )

    def listing_updated(self, *keys: str) -> str | None:
        """The latest listing timestamp remembered for any of these keys (None: none remembered)."""
        keys = tuple(k for k in keys if k)
        if not keys:
            return None
        marks = ",".join("?" * len(keys))
        row = self._db.execute(
            f"select max(listing_updated) from seen where key in ({marks})", keys).fetchone()
        return row[0] if row else None

    def article_id(self, url: str) -> int | None:
        row = self._db.execute("select id from articles where url = ?", [url]).fetchone()
        return row[0] if row else None

    # --- the outbox transaction ---------------------------------------------------------

    def add_article(
        self,
        article: Article,
        mentions: Iterable[Mention],
        alerts: Alerts,
        seen_keys: Iterable[str] = (),
        story: StoryPlacement = StoryPlacement(),
        listing_updated: str | None = None,
        boilerplate: tuple[str, dict[str, str]] | None = None,
    ) -> Added | None:
        """Article, story, mentions, pending alerts and line counts in one transaction; None if stored.

        Alerts are unique per (rule, channel, story): for a story that already has one, the
        alert of a later copy is not written. `boilerplate` is (site, {line key: line}).
        """
        now = utcnow()
        with self._db.atomic():
            cursor = self._db.execute(
                "insert or ignore into articles (url, source, title, author, published, fetched_at,"
                " language, text, paywalled) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    article.url, article.source, article.title, article.author, article.published,
                    now, article.language, article.text, int(article.paywalled),
                ],
            )
            if cursor.rowcount == 0:
                return None
            article_id = int(cursor.lastrowid)
            story_id = self._join_story(article_id, article.title, story.story_id, now)
            self._write_mentions(article_id, mentions)
            queued = self._queue_alerts(article_id, story_id, alerts, now)
            if story.signature is not None:
                self._write_signature(article_id, story.signature, story.shingles, now)
            self._record_seen(seen_keys, article.source, article_id, now, listing_updated)
            if boilerplate is not None:
                self._count_lines(*boilerplate, now)
        return Added(article_id, story_id, queued)

    def update_article(
        self,
        article_id: int,
        article: Article,
        mentions: Iterable[Mention],
        alerts: Alerts,
        story: StoryPlacement = StoryPlacement(),
        seen_keys: Iterable[str] = (),
        listing_updated: str | None = None,
    ) -> int:
        """New text for a stored article, in one transaction; it keeps its story and its source.

        Mentions are replaced. Returns how many alerts were queued: (rule, channel) pairs the
        story has no alert for yet (a new match), and, as (rule, channel, reason, entity), a
        follow-up for a pair that alerted already when the update names a new entity of the rule.
        """
        now = utcnow()
        with self._db.atomic():
            self._db.execute(
                "update articles set title = ?, author = ?, published = coalesce(?, published),"
                " language = ?, text = ?, paywalled = ? where id = ?",
                [article.title, article.author, article.published, article.language, article.text,
                 int(article.paywalled), article_id],
            )
            self._db.execute("delete from mentions where article_id = ?", [article_id])
            self._write_mentions(article_id, mentions)
            story_id = self.story_of(article_id)
            alerted = self._alerted(story_id)
            first = [a for a in alerts if len(a) == 3]
            followups = [a for a in alerts if len(a) == 4 and (a[0], a[1]) in alerted]
            queued = self._queue_alerts(article_id, story_id, first + followups, now)
            if story.signature is not None:
                self._write_signature(article_id, story.signature, story.shingles, now)
            self._record_seen(seen_keys, article.source, article_id, now, listing_updated)
            return queued

    # --- re-matching stored articles -----------------------------------------------------

    def articles_since(self, since: str | None) -> Iterator[tuple[int, str, str, str, str | None]]:
        """(id, title, text, source, language) of stored articles published (or fetched) at or after `since`."""
        sql = "select id, coalesce(title, ''), text, source, language from articles"
        params: list[str] = []
        if since:
            sql += " where coalesce(published, fetched_at) >= ?"
            params.append(since)
        yield from self._db.execute(sql + " order by id", params).fetchall()

    def replace_mentions(self, article_id: int, mentions: Iterable[Mention], alerts: Alerts = ()) -> int:
        """Swap an article's mentions for new ones (and add alerts its story lacks); returns new alerts."""
        now = utcnow()
        with self._db.atomic():
            self._db.execute("delete from mentions where article_id = ?", [article_id])
            self._write_mentions(article_id, mentions)
            return self._queue_alerts(article_id, self.story_of(article_id), alerts, now)

    def _join_story(self, article_id: int, title: str, story_id: int | None, now: str) -> int:
        if story_id is not None:
            cursor = self._db.execute(
                "update stories set article_count = article_count + 1 where id = ?", [story_id])
        if story_id is None or cursor.rowcount == 0:
            cursor = self._db.execute(
                "insert into stories (first_seen, title, article_count) values (?, ?, 1)", [now, title])
            story_id = int(cursor.lastrowid)
        self._db.execute("update articles set story_id = ? where id = ?", [story_id, article_id])
        return story_id

    def _write_mentions(self, article_id: int, mentions: Iterable[Mention]) -> None:
        self._db["mentions"].insert_all(
            (
                {
                    "article_id": article_id, "entity": m.entity, "alias": m.alias,
                    "field": m.field, "position": m.position, "snippet": m.snippet,
                }
                for m in mentions
            ),
        )

    def _alerted(self, story_id: int) -> set[tuple[str, str]]:
        """(rule, channel) pairs that have alerted on a story already."""
        rows = self._db.execute("select rule, channel from alerts where story_id = ?", [story_id]).fetchall()
        return {(rule, channel) for rule, channel in rows}

    def _queue_alerts(self, article_id: int, story_id: int, alerts: Alerts, now: str) -> int:
        """Pending alerts, each (rule, channel, reason) or (rule, channel, reason, new entity); one
        the story already has is kept. Returns how many were new."""
        queued = 0
        for rule, channel, reason, *entity in alerts:
            cursor = self._db.execute(
                "insert or ignore into alerts (rule, channel, article_id, story_id, status, attempts,"
                " created_at, reason, new_entity) values (?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
                [rule, channel, article_id, story_id, now, reason, entity[0] if entity else ""],
            )
            queued += cursor.rowcount
        return queued

    def _write_signature(self, article_id: int, signature: bytes, shingles: int, now: str) -> None:
        """Store or replace an article's MinHash; it keeps the time it was first seen."""
        self._db.execute(
            "insert into story_signatures (article_id, seen_at, seen_epoch, shingles, minhash)"
            " values (?, ?, ?, ?, ?) on conflict (article_id) do update set"
            " shingles = excluded.shingles, minhash = excluded.minhash",
            [article_id, now, datetime.fromisoformat(now).timestamp(), shingles, signature],
        )

    # --- stories ------------------------------------------------------------------------

    def story_of(self, article_id: int) -> int:
        return self._db.execute("select story_id from articles where id = ?", [article_id]).fetchone()[0]

    def story_signatures(self, since_epoch: float) -> Iterator[tuple[int, int, float, int, bytes]]:
        """(article_id, story_id, seen_epoch, shingles, minhash) of articles seen since then."""
        yield from self._db.execute(
            "select s.article_id, a.story_id, s.seen_epoch, s.shingles, s.minhash"
            " from story_signatures s join articles a on a.id = s.article_id"
            " where s.seen_epoch >= ? order by s.article_id",
            [since_epoch],
        )

    def unsigned_articles(self, since: str) -> list[tuple[int, str, str]]:
        """(id, text, fetched_at) of articles fetched since then that have no signature yet."""
        return self._db.execute(
            "select id, text, fetched_at from articles where fetched_at >= ? and id not in"
            " (select article_id from story_signatures)",
            [since],
        ).fetchall()

    def save_signatures(self, rows: Iterable[tuple[int, bytes, int, str]]) -> None:
        """(article_id, signature, shingles, seen_at) rows, in one transaction."""
        with self._db.atomic():
            for article_id, signature, shingles, seen_at in rows:
                self._write_signature(article_id, signature, shingles, seen_at)

    def story_outlets(self, article_id: int) -> list[dict[str, Any]]:
        """Every copy in this article's story, first seen first: source, url, title."""
        return list(
            self._db.query(
                "select source, url, title from articles where story_id ="
                " (select story_id from articles where id = ?) order by fetched_at, id",
                [article_id],
            )
        )

    # --- learned boilerplate ------------------------------------------------------------

    def _count_lines(self, site: str, lines: dict[str, str], now: str) -> None:
        """Count each distinct line (key -> text) once more for `site`: one new article seen."""
        self._db.conn.executemany(
            "insert into boilerplate_lines (site, line_key, line, articles, first_seen, last_seen)"
            " values (?, ?, ?, 1, ?, ?) on conflict (site, line_key) do update set"
            " articles = articles + 1, last_seen = excluded.last_seen",
            [(site, key, line[:300], now, now) for key, line in lines.items()],
        )

    def count_lines(self, site: str, lines: dict[str, str]) -> None:
        with self._db.atomic():
            self._count_lines(site, lines, utcnow())

    def boilerplate_keys(self, site: str, min_articles: int) -> frozenset[str]:
        rows = self._db.execute(
            "select line_key from boilerplate_lines where site = ? and articles >= ?",
            [site, min_articles],
        ).fetchall()
        return frozenset(row[0] for row in rows)

    # --- reading back -------------------------------------------------------------------

    def article(self, article_id: int) -> dict[str, Any]:
        return dict(self._db["articles"].get(article_id))

    def mentions_of(self, article_id: int) -> list[dict[str, Any]]:
        return list(
            self._db.query(
                "select entity, alias, field, position, snippet from mentions"
                " where article_id = ? order by field = 'text', position",
                [article_id],
            )
        )
