"""The SQLite store (sqlite-utils): one connection, the schema migrated on open, WAL for readers.

Everything a crawl learns lands here; Datasette reads the same file, and WAL lets a browser read
while a crawl writes. The connection is private: every query the rest of newswatch needs is a
method, grouped by what it is about (articles, deliveries, sources), so a second backend has one
interface to implement. Schema changes are steps in `pipeline.store.migrations`, never hand edits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from pipeline.store.articles import Added, ArticleRows, StoryPlacement
from pipeline.store.clock import utcnow
from pipeline.store.deliveries import Claim, DeliveryRows, HeldAlert, PendingAlert
from pipeline.store.migrations import MIGRATIONS
from pipeline.store.sources import SourceRows

BUSY_TIMEOUT_MS = 30_000
TABLES = ("articles", "mentions", "alerts", "stories", "sources", "notices", "seen", "boilerplate_lines",
          "story_signatures")

__all__ = ["Added", "Claim", "HeldAlert", "MIGRATIONS", "PendingAlert", "Store", "StoreError", "StoryPlacement",
           "utcnow"]


class StoreError(Exception):
    """The database cannot be opened or written; the message names the file."""


class Store(ArticleRows, DeliveryRows, SourceRows):
    """One connection to the newswatch database. Open with `Store.open(path)`."""

    def __init__(self, db: Database, path: Path | None = None):
        self._db = db
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
            # FULL, not WAL's usual NORMAL: a commit is on disk before it returns, so an alert
            # written with its article, or a row marked sent, survives a power cut. Costs one
            # fsync per transaction (a crawl commits one per article).
            db.execute("PRAGMA synchronous = FULL")
            MIGRATIONS.apply(db)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from None
        return cls(db, path)

    def close(self) -> None:
        self._db.close()

    def count(self, table: str) -> int:
        if table not in TABLES:
            raise ValueError(f"not a newswatch table: {table}")
        return self._db[table].count

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Several store calls as one transaction (each call's own transaction nests inside)."""
        with self._db.atomic():
            yield
