"""The outbox rows: alerts (sent alone or in a digest) and admin notices, and marking them.

Two tables, one way of marking: every delivery attempt adds one to `attempts`, records the error
(or clears it) and, when sent, the time. Rows are only ever read here by what is still to send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from pipeline.models import Notice
from pipeline.store.clock import iso, utcnow

OUTBOX_TABLES = ("alerts", "notices")


@dataclass(frozen=True)
class PendingAlert:
    id: int
    rule: str
    channel: str
    article_id: int
    attempts: int
    reason: str | None = None


@dataclass(frozen=True)
class HeldAlert:
    """An alert of a digest rule waiting for its digest."""

    alert: PendingAlert
    status: str  # pending, or failed (a digest that could not be sent)
    created_at: str
    when: str  # the article's publication time, else the alert's: digests list newest first


class DeliveryRows:
    _db: Database

    def pending_alerts(self, max_attempts: int) -> list[PendingAlert]:
        rows = self._db.execute(
            "select id, rule, channel, article_id, attempts, reason from alerts"
            " where status in ('pending', 'failed') and attempts < ? order by id",
            [max_attempts],
        ).fetchall()
        return [PendingAlert(*row) for row in rows]

    def held_alerts(self, rules: Sequence[str], max_attempts: int) -> list[HeldAlert]:
        """Alerts of these (digest) rules still to send, oldest first."""
        if not rules:
            return []
        marks = ",".join("?" * len(rules))
        rows = self._db.execute(
            "select a.id, a.rule, a.channel, a.article_id, a.attempts, a.reason, a.status,"
            " a.created_at, coalesce(ar.published, a.created_at)"
            f" from alerts a join articles ar on ar.id = a.article_id where a.rule in ({marks})"
            " and a.status in ('pending', 'failed') and a.attempts < ? order by a.id",
            [*rules, max_attempts],
        ).fetchall()
        return [HeldAlert(PendingAlert(*row[:6]), row[6], row[7], row[8]) for row in rows]

    def count_alerts(self, article_id: int) -> int:
        return self._db.execute("select count(*) from alerts where article_id = ?", [article_id]).fetchone()[0]

    def queue_notice(self, notice: Notice, now: datetime) -> None:
        with self._db.atomic():
            self._db["notices"].insert(
                {"source": notice.source, "kind": notice.kind, "text": notice.text, "status": "pending",
                 "attempts": 0, "created_at": iso(now)}
            )

    def pending_notices(self, max_attempts: int) -> list[tuple[int, Notice]]:
        rows = self._db.execute(
            "select id, source, kind, text from notices where status in ('pending', 'failed')"
            " and attempts < ? order by id", [max_attempts],
        ).fetchall()
        return [(row[0], Notice(*row[1:])) for row in rows]

    def mark_delivery(self, table: str, ids: Sequence[int], status: str, error: str | None = None) -> None:
        """One delivery attempt of these rows: `sent`, `failed` (with the error) or `logged`."""
        if table not in OUTBOX_TABLES:
            raise ValueError(f"not an outbox table: {table}")
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        with self._db.atomic():
            self._db.execute(
                f"update {table} set status = ?, attempts = attempts + 1, last_error = ?,"
                f" sent_at = case when ? = 'sent' then ? else sent_at end where id in ({marks})",
                [status, error[:2000] if error else None, status, utcnow(), *ids],
            )

    def mark_sent(self, alert_id: int) -> None:
        self.mark_delivery("alerts", [alert_id], "sent")

    def mark_failed(self, alert_id: int, error: str) -> None:
        self.mark_delivery("alerts", [alert_id], "failed", error)
