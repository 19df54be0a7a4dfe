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
class PendingAlert:
    id: int
    rule: str
    channel: str
    article_id: int
    attempts: int


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

    def mark_seen(self, keys: Iterable[str], source: str, article_id: int | None = None) -> None:
        rows = [
            {"key": k, "source": source, "first_seen": utcnow(), "article_id": article_id}
            for k in dict.fromkeys(keys)
            if k
        ]
        if rows:
            with self.db.atomic():
                self.db["seen"].insert_all(rows, ignore=True)

    def article_id(self, url: str) -> int | None:
        row = self.db.execute("select id from articles where url = ?", [url]).fetchone()
        return row[0] if row else None

    # --- the outbox transaction ---------------------------------------------------------

    def add_article(
        self,
        article: NewArticle,
        mentions: Iterable[Mention],
        alerts: Iterable[tuple[str, str]],
        seen_keys: Iterable[str] = (),
    ) -> int | None:
        """Article, its mentions and its pending alerts in one transaction; None if already stored."""
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
            self.db["mentions"].insert_all(
                (
                    {
                        "article_id": article_id, "entity": m.entity, "alias": m.alias,
                        "field": m.field, "position": m.position, "snippet": m.snippet,
                    }
                    for m in mentions
                ),
            )
            self.db["alerts"].insert_all(
                (
                    {
                        "rule": rule, "channel": channel, "article_id": article_id,
                        "status": "pending", "attempts": 0, "created_at": now,
                    }
                    for rule, channel in alerts
                ),
                ignore=True,
            )
            self.db["seen"].insert_all(
                (
                    {"key": k, "source": article.source, "first_seen": now, "article_id": article_id}
                    for k in dict.fromkeys(seen_keys)
                    if k
                ),
                ignore=True,
            )
        return article_id

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
            "select id, rule, channel, article_id, attempts from alerts"
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
