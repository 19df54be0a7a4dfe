"""The SQLite store (sqlite-utils): schema migrations, the article+mentions+outbox transaction, state.

Everything a crawl learns lands here; Datasette reads the same file. WAL lets a browser read while a
crawl writes. Schema changes are migrations (sqlite-utils `Migrations`), never hand edits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from pipeline.match import Mention

MIGRATIONS = Migrations("newswatch")
BUSY_TIMEOUT_MS = 30_000


class StoreError(Exception):
    """The database cannot be opened or written; the message names the file."""


def utcnow() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@MIGRATIONS(name="0001_initial")
def _initial(db: Database) -> None:
    db["articles"].create(
        {
            "id": int, "url": str, "source": str, "title": str, "author": str, "published": str,
            "fetched_at": str, "language": str, "text": str, "paywalled": int,
        },
        pk="id",
        not_null={"url", "source", "fetched_at", "text", "paywalled"},
        defaults={"paywalled": 0},
    )
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["published"])
    db["mentions"].create(
        {
            "id": int, "article_id": int, "entity": str, "alias": str, "field": str,
            "position": int, "snippet": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
        not_null={"article_id", "entity", "alias", "field", "position"},
    )
    db["mentions"].create_index(["article_id"])
    db["mentions"].create_index(["entity"])
    db["alerts"].create(
        {
            "id": int, "rule": str, "channel": str, "article_id": int, "status": str,
            "attempts": int, "created_at": str, "sent_at": str, "last_error": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
        not_null={"rule", "channel", "article_id", "status", "attempts", "created_at"},
        defaults={"status": "pending", "attempts": 0},
    )
    db["alerts"].create_index(["rule", "channel", "article_id"], unique=True)
    db["alerts"].create_index(["status"])
    db["sources"].create(
        {
            "name": str, "etag": str, "last_modified": str, "last_checked": str,
            "last_status": str, "last_error": str,
        },
        pk="name",
    )
    # URLs and feed GUIDs already fetched, so a re-listed article is not fetched again.
    db["seen"].create(
        {"key": str, "source": str, "first_seen": str, "article_id": int},
        pk="key",
    )
    db["articles"].enable_fts(["title", "text"], create_triggers=True, tokenize="unicode61")


@MIGRATIONS(name="0002_boilerplate_lines")
def _boilerplate_lines(db: Database) -> None:
    # Per-site line counts: a line that recurs across many different articles is boilerplate.
    db["boilerplate_lines"].create(
        {"site": str, "line_key": str, "line": str, "articles": int, "first_seen": str, "last_seen": str},
        pk=("site", "line_key"),
        not_null={"site", "line_key", "articles"},
    )
    db["boilerplate_lines"].create_index(["site", "articles"])


@MIGRATIONS(name="0003_alert_reason")
def _alert_reason(db: Database) -> None:
    # Why the rule alerted ("海康威视 in the title; 4 mentions; query matched Xinjiang").
    db["alerts"].add_column("reason", str)


@MIGRATIONS(name="0010_stories")
def _stories(db: Database) -> None:
    # One story per group of copies of the same text (pipeline.stories). Existing articles each
    # become their own story (same id), so their alerts keep meaning what they meant.
    db["stories"].create(
        {"id": int, "first_seen": str, "title": str, "article_count": int},
        pk="id",
        not_null={"first_seen", "article_count"},
        defaults={"article_count": 1},
    )
    db.execute("insert into stories (id, first_seen, title, article_count)"
               " select id, fetched_at, title, 1 from articles")
    db.execute("alter table articles add column story_id integer references stories(id)")
    db.execute("update articles set story_id = id")
    db["articles"].create_index(["story_id"])
    # Alerts are per (rule, channel, story): later copies of a story do not alert again.
    db.execute("alter table alerts add column story_id integer references stories(id)")
    db.execute("update alerts set story_id = article_id")
    db.execute("drop index if exists idx_alerts_rule_channel_article_id")
    db["alerts"].create_index(["rule", "channel", "story_id"], unique=True)
    db["alerts"].create_index(["article_id"])
    # MinHash signatures, so a later crawl (a new process) can join copies to stored stories.
    db["story_signatures"].create(
        {"article_id": int, "seen_at": str, "seen_epoch": float, "shingles": int, "minhash": bytes},
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
        not_null={"seen_at", "seen_epoch", "shingles", "minhash"},
    )
    db["story_signatures"].create_index(["seen_epoch"])
    # A feed item's own timestamp: a later one for a known URL or GUID means the article changed.
    db.execute("alter table seen add column feed_updated text")


@dataclass(frozen=True)
class NewArticle:
    url: str
    source: str
    title: str
    author: str | None
    published: str | None
    language: str | None
    text: str
    paywalled: bool


@dataclass(frozen=True)
class StoryPlacement:
    """Where a new article goes: into story `story_id`, or a new story when None; its signature."""

    story_id: int | None = None
    signature: bytes | None = None
    shingles: int = 0


@dataclass(frozen=True)
class PendingAlert:
    id: int
    rule: str
    channel: str
    article_id: int
    attempts: int
    reason: str | None = None


class Store:
    """One connection to the newswatch database. Open with `Store.open(path)`."""

    def __init__(self, db: Database, path: Path | None = None):
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: str | Path) -> "Store":
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
            db = Database(conn)
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA foreign_keys = ON")
            db.enable_wal()
            MIGRATIONS.apply(db)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from None
        return cls(db, path)

    def close(self) -> None:
        self.db.close()

    # --- what has been seen -------------------------------------------------------------

    def is_seen(self, *keys: str) -> bool:
        keys = tuple(k for k in keys if k)
        if not keys:
            return False
        marks = ",".join("?" * len(keys))
        row = self.db.execute(f"select 1 from seen where key in ({marks}) limit 1", keys).fetchone()
        if row:
            return True
        row = self.db.execute(f"select 1 from articles where url in ({marks}) limit 1", keys).fetchone()
        return row is not None

    def mark_seen(
        self, keys: Iterable[str], source: str, article_id: int | None = None,
        feed_updated: str | None = None,
    ) -> None:
        with self.db.atomic():
            self._record_seen(keys, source, article_id, utcnow(), feed_updated)

    def _record_seen(
        self, keys: Iterable[str], source: str, article_id: int | None, now: str,
        feed_updated: str | None,
    ) -> None:
        """Remember keys as fetched; a feed item's later timestamp replaces the one remembered."""
        keys = [k for k in dict.fromkeys(keys) if k]
        self.db["seen"].insert_all(
            (
                {"key": k, "source": source, "first_seen": now, "article_id": article_id,
                 "feed_updated": feed_updated}
                for k in keys
            ),
            ignore=True,
        )
        if feed_updated and keys:
            marks = ",".join("?" * len(keys))
            self.db.execute(
                f"update seen set feed_updated = ? where key in ({marks})"
                " and (feed_updated is null or feed_updated < ?)",
                [feed_updated, *keys, feed_updated],
            )

    def feed_updated(self, *keys: str) -> str | None:
        """The latest feed timestamp remembered for any of these keys (None: none remembered)."""
        keys = tuple(k for k in keys if k)
        if not keys:
            return None
        marks = ",".join("?" * len(keys))
        row = self.db.execute(f"select max(feed_updated) from seen where key in ({marks})", keys).fetchone()
        return row[0] if row else None

    def article_id(self, url: str) -> int | None:
        row = self.db.execute("select id from articles where url = ?", [url]).fetchone()
        return row[0] if row else None

    # --- the outbox transaction ---------------------------------------------------------

    def add_article(
        self,
        article: NewArticle,
        mentions: Iterable[Mention],
        alerts: Iterable[tuple[str, str, str]],
        seen_keys: Iterable[str] = (),
        story: StoryPlacement = StoryPlacement(),
        feed_updated: str | None = None,
    ) -> int | None:
        """Article, its story, mentions and pending alerts in one transaction; None if already stored.

        Alerts are unique per (rule, channel, story): for a story that already has one, the
        alert of a later copy is not written.
        """
        now = utcnow()
        with self.db.atomic():
            cursor = self.db.execute(
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
            self._queue_alerts(article_id, story_id, alerts, now)
            if story.signature is not None:
                self._write_signature(article_id, story.signature, story.shingles, now)
            self._record_seen(seen_keys, article.source, article_id, now, feed_updated)
        return article_id

    def update_article(
        self,
        article_id: int,
        article: NewArticle,
        mentions: Iterable[Mention],
        alerts: Iterable[tuple[str, str, str]],
        story: StoryPlacement = StoryPlacement(),
        seen_keys: Iterable[str] = (),
        feed_updated: str | None = None,
    ) -> int:
        """New text for a stored article, in one transaction; it keeps its story and its source.

        Mentions are replaced. Returns how many alerts were queued: only (rule, channel) pairs
        the article's story has no alert for yet, so an update alerts only for a new match.
        """
        now = utcnow()
        with self.db.atomic():
            self.db.execute(
                "update articles set title = ?, author = ?, published = coalesce(?, published),"
                " language = ?, text = ?, paywalled = ? where id = ?",
                [article.title, article.author, article.published, article.language, article.text,
                 int(article.paywalled), article_id],
            )
            self.db.execute("delete from mentions where article_id = ?", [article_id])
            self._write_mentions(article_id, mentions)
            queued = self._queue_alerts(article_id, self.story_of(article_id), alerts, now)
            if story.signature is not None:
                self._write_signature(article_id, story.signature, story.shingles, now)
            self._record_seen(seen_keys, article.source, article_id, now, feed_updated)
            return queued

    # --- re-matching stored articles -----------------------------------------------------

    def articles_since(self, since: str | None) -> Iterator[tuple[int, str, str]]:
        """(id, title, text) of stored articles published (or fetched) at or after `since`."""
        sql = "select id, coalesce(title, ''), text from articles"
        params: list[str] = []
        if since:
            sql += " where coalesce(published, fetched_at) >= ?"
            params.append(since)
        yield from self.db.execute(sql + " order by id", params).fetchall()

    def replace_mentions(
        self, article_id: int, mentions: Iterable[Mention], alerts: Iterable[tuple[str, str, str]] = ()
    ) -> int:
        """Swap an article's mentions for new ones (and add alerts its story lacks); returns new alerts."""
        now = utcnow()
        with self.db.atomic():
            self.db.execute("delete from mentions where article_id = ?", [article_id])
            self._write_mentions(article_id, mentions)
            return self._queue_alerts(article_id, self.story_of(article_id), alerts, now)

    def _join_story(self, article_id: int, title: str, story_id: int | None, now: str) -> int:
        if story_id is not None:
            cursor = self.db.execute(
                "update stories set article_count = article_count + 1 where id = ?", [story_id])
        if story_id is None or cursor.rowcount == 0:
            cursor = self.db.execute(
                "insert into stories (first_seen, title, article_count) values (?, ?, 1)", [now, title])
            story_id = int(cursor.lastrowid)
        self.db.execute("update articles set story_id = ? where id = ?", [story_id, article_id])
        return story_id

    def _write_mentions(self, article_id: int, mentions: Iterable[Mention]) -> None:
        self.db["mentions"].insert_all(
            (
                {
                    "article_id": article_id, "entity": m.entity, "alias": m.alias,
                    "field": m.field, "position": m.position, "snippet": m.snippet,
                }
                for m in mentions
            ),
        )

    def _queue_alerts(
        self, article_id: int, story_id: int, alerts: Iterable[tuple[str, str, str]], now: str
    ) -> int:
        """Pending (rule, channel, reason) alerts; one the story already has is kept. Returns new ones."""
        queued = 0
        for rule, channel, reason in alerts:
            cursor = self.db.execute(
                "insert or ignore into alerts (rule, channel, article_id, story_id, status, attempts,"
                " created_at, reason) values (?, ?, ?, ?, 'pending', 0, ?, ?)",
                [rule, channel, article_id, story_id, now, reason],
            )
            queued += cursor.rowcount
        return queued

    def _write_signature(self, article_id: int, signature: bytes, shingles: int, now: str) -> None:
        """Store or replace an article's MinHash; it keeps the time it was first seen."""
        self.db.execute(
            "insert into story_signatures (article_id, seen_at, seen_epoch, shingles, minhash)"
            " values (?, ?, ?, ?, ?) on conflict (article_id) do update set"
            " shingles = excluded.shingles, minhash = excluded.minhash",
            [article_id, now, datetime.fromisoformat(now).timestamp(), shingles, signature],
        )

    # --- stories ------------------------------------------------------------------------

    def story_of(self, article_id: int) -> int:
        return self.db.execute("select story_id from articles where id = ?", [article_id]).fetchone()[0]

    def count_alerts(self, article_id: int) -> int:
        return self.db.execute("select count(*) from alerts where article_id = ?", [article_id]).fetchone()[0]

    def story_signatures(self, since_epoch: float) -> Iterator[tuple[int, int, float, int, bytes]]:
        """(article_id, story_id, seen_epoch, shingles, minhash) of articles seen since then."""
        yield from self.db.execute(
            "select s.article_id, a.story_id, s.seen_epoch, s.shingles, s.minhash"
            " from story_signatures s join articles a on a.id = s.article_id"
            " where s.seen_epoch >= ? order by s.article_id",
            [since_epoch],
        )

    def unsigned_articles(self, since: str) -> list[tuple[int, str, str]]:
        """(id, text, fetched_at) of articles fetched since then that have no signature yet."""
        return self.db.execute(
            "select id, text, fetched_at from articles where fetched_at >= ? and id not in"
            " (select article_id from story_signatures)",
            [since],
        ).fetchall()

    def save_signatures(self, rows: Iterable[tuple[int, bytes, int, str]]) -> None:
        """(article_id, signature, shingles, seen_at) rows, in one transaction."""
        with self.db.atomic():
            for article_id, signature, shingles, seen_at in rows:
                self._write_signature(article_id, signature, shingles, seen_at)

    def story_outlets(self, article_id: int) -> list[dict[str, Any]]:
        """Every copy in this article's story, first seen first: source, url, title."""
        return list(
            self.db.query(
                "select source, url, title from articles where story_id ="
                " (select story_id from articles where id = ?) order by fetched_at, id",
                [article_id],
            )
        )

    # --- learned boilerplate ------------------------------------------------------------

    def count_lines(self, site: str, lines: dict[str, str]) -> None:
        """Count each distinct line (key -> text) once more for `site`: one new article seen."""
        now = utcnow()
        with self.db.atomic():
            self.db.conn.executemany(
                "insert into boilerplate_lines (site, line_key, line, articles, first_seen, last_seen)"
                " values (?, ?, ?, 1, ?, ?) on conflict (site, line_key) do update set"
                " articles = articles + 1, last_seen = excluded.last_seen",
                [(site, key, line[:300], now, now) for key, line in lines.items()],
            )

    def boilerplate_keys(self, site: str, min_articles: int) -> frozenset[str]:
        rows = self.db.execute(
            "select line_key from boilerplate_lines where site = ? and articles >= ?",
            [site, min_articles],
        ).fetchall()
        return frozenset(row[0] for row in rows)

    # --- delivery -----------------------------------------------------------------------

    def pending_alerts(self, max_attempts: int) -> list[PendingAlert]:
        rows = self.db.execute(
            "select id, rule, channel, article_id, attempts, reason from alerts"
            " where status in ('pending', 'failed') and attempts < ? order by id",
            [max_attempts],
        ).fetchall()
        return [PendingAlert(*row) for row in rows]

    def mark_sent(self, alert_id: int) -> None:
        with self.db.atomic():
            self.db.execute(
                "update alerts set status = 'sent', sent_at = ?, attempts = attempts + 1,"
                " last_error = null where id = ?",
                [utcnow(), alert_id],
            )

    def mark_failed(self, alert_id: int, error: str) -> None:
        with self.db.atomic():
            self.db.execute(
                "update alerts set status = 'failed', attempts = attempts + 1, last_error = ?"
                " where id = ?",
                [error[:2000], alert_id],
            )

    def article(self, article_id: int) -> dict[str, Any]:
        return dict(self.db["articles"].get(article_id))

    def mentions_of(self, article_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                "select entity, alias, field, position, snippet from mentions"
                " where article_id = ? order by field = 'text', position",
                [article_id],
            )
        )

    # --- per-source state ---------------------------------------------------------------

    def source_state(self, name: str) -> dict[str, Any]:
        row = self.db.execute(
            "select etag, last_modified from sources where name = ?", [name]
        ).fetchone()
        return {"etag": row[0], "last_modified": row[1]} if row else {}

    def record_source(self, name: str, status: str, error: str | None = None, **validators: Any) -> None:
        record = {"name": name, "last_checked": utcnow(), "last_status": status, "last_error": error}
        record.update({k: v for k, v in validators.items() if k in ("etag", "last_modified")})
        with self.db.atomic():
            self.db["sources"].upsert(record, pk="name")

    def count(self, table: str) -> int:
        return self.db[table].count

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        with self.db.atomic() as db:
            yield db


# --- issue 5: source health and the admin outbox (appended; earlier migrations never change) ---


@MIGRATIONS(name="0020_source_health")
def _source_health(db: Database) -> None:
    # What `newswatch stats`, backoff and the admin notices need to know about each source.
    sources = db["sources"]
    for column, kind in (
        ("last_success", str), ("last_new_article", str), ("next_attempt", str),
        ("down_since", str), ("silent_since", str), ("health_since", str),
    ):
        sources.add_column(column, kind)
    sources.add_column("consecutive_failures", int, not_null_default=0)


@MIGRATIONS(name="0021_admin_notices")
def _admin_notices(db: Database) -> None:
    # "source down" / "recovered" / "source silent": an outbox of its own, retried like alerts.
    db["notices"].create(
        {
            "id": int, "source": str, "kind": str, "text": str, "status": str, "attempts": int,
            "created_at": str, "sent_at": str, "last_error": str,
        },
        pk="id",
        not_null={"source", "kind", "text", "status", "attempts", "created_at"},
        defaults={"status": "pending", "attempts": 0},
    )
    db["notices"].create_index(["status"])
