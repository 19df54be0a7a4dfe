"""Per-source rows: listing validators, the last fetch's status, health, and the volumes `stats` shows."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from pipeline.store.clock import utcnow

HEALTH_COLUMNS = (
    "consecutive_failures", "down_since", "health_since", "last_new_article", "silent_since",
    "last_success", "last_error", "next_attempt",
)


class SourceRows:
    _db: Database

    def source_state(self, name: str) -> dict[str, Any]:
        """The listing validators stored after the last complete read (etag, last_modified)."""
        row = self._db.execute(
            "select etag, last_modified from sources where name = ?", [name]
        ).fetchone()
        return {"etag": row[0], "last_modified": row[1]} if row else {}

    def record_source(
        self, name: str, status: str, error: str | None = None, http_status: int | None = None,
        **validators: Any,
    ) -> None:
        """The outcome of fetching a source's listing: status in words, HTTP status, validators."""
        record = {"name": name, "last_checked": utcnow(), "last_status": status, "last_error": error,
                  "http_status": http_status}
        record.update({k: v for k, v in validators.items() if k in ("etag", "last_modified")})
        with self._db.atomic():
            self._db["sources"].upsert(record, pk="name")

    def never_read(self, name: str) -> bool:
        """No successful read recorded and no article stored: this pass is the source's first."""
        row = self._db.execute("select last_success from sources where name = ?", [name]).fetchone()
        if row and row[0]:
            return False
        return self._db.execute("select 1 from articles where source = ? limit 1", [name]).fetchone() is None

    def source_health(self, name: str) -> dict[str, Any]:
        """The health columns of one source (all None for a source never recorded)."""
        row = self._db.execute(
            f"select {', '.join(HEALTH_COLUMNS)} from sources where name = ?", [name]).fetchone()
        return dict(zip(HEALTH_COLUMNS, row)) if row else dict.fromkeys(HEALTH_COLUMNS)

    def update_source_health(self, updates: dict[str, dict[str, Any]]) -> None:
        """{source: {column: value}} in one transaction."""
        with self._db.atomic():
            for name, values in updates.items():
                unknown = set(values) - set(HEALTH_COLUMNS)
                if unknown:
                    raise ValueError(f"not a health column: {', '.join(sorted(unknown))}")
                self._db["sources"].upsert({"name": name, **values}, pk="name")

    def all_source_health(self) -> dict[str, dict[str, Any]]:
        rows = self._db.execute(f"select name, {', '.join(HEALTH_COLUMNS)} from sources").fetchall()
        return {row[0]: dict(zip(HEALTH_COLUMNS, row[1:])) for row in rows}

    def articles_per_source(self, since: str) -> dict[str, int]:
        return dict(self._db.execute(
            "select source, count(*) from articles where fetched_at >= ? group by source", [since]
        ).fetchall())

    def daily_counts(self, first_day: str) -> dict[str, dict[str, int]]:
        """Per day (UTC) from `first_day`: articles, mentions, alerts created, alerts sent."""
        def per_day(sql: str) -> dict[str, int]:
            return dict(self._db.execute(sql, [first_day]).fetchall())

        return {
            "articles": per_day(
                "select substr(fetched_at, 1, 10) d, count(*) from articles where d >= ? group by d"),
            "mentions": per_day(
                "select substr(a.fetched_at, 1, 10) d, count(*) from mentions m join articles a"
                " on a.id = m.article_id where d >= ? group by d"),
            "created": per_day(
                "select substr(created_at, 1, 10) d, count(*) from alerts where d >= ? group by d"),
            "sent": per_day(
                "select substr(sent_at, 1, 10) d, count(*) from alerts where sent_at is not null"
                " and d >= ? group by d"),
        }

    # --- further listing pages and discovery ---------------------------------------------

    def listing_page_state(self, url: str) -> dict[str, Any]:
        row = self._db.execute("select etag, last_modified from listing_pages where url = ?", [url]).fetchone()
        return {"etag": row[0], "last_modified": row[1]} if row else {}

    def save_listing_pages(self, source: str, pages: dict[str, dict[str, str]]) -> None:
        """Validators of further listing pages read completely in this pass."""
        now = utcnow()
        with self._db.atomic():
            self._db["listing_pages"].upsert_all(
                ({"url": url, "source": source, "etag": v.get("etag") or None,
                  "last_modified": v.get("last_modified") or None, "last_read": now}
                 for url, v in pages.items()),
                pk="url",
            )

    def discovered(self, name: str) -> tuple[str, str, str | None, str | None] | None:
        """(kind, url, how, when) a `site:` source's discovery chose, or None."""
        row = self._db.execute(
            "select discovered_kind, discovered_url, discovered_how, discovered_at from sources"
            " where name = ?", [name]).fetchone()
        return tuple(row) if row and row[0] and row[1] else None  # type: ignore[return-value]

    def remember_discovery(self, name: str, kind: str | None, url: str | None, how: str | None) -> None:
        with self._db.atomic():
            self._db["sources"].upsert(
                {"name": name, "discovered_kind": kind, "discovered_url": url, "discovered_how": how,
                 "discovered_at": utcnow() if kind else None}, pk="name")
