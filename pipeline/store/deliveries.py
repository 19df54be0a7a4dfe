"""The outbox rows: alerts (sent alone or in a digest) and admin notices, claiming and marking them.

Two tables, one life cycle: `pending` -> `sending` (claimed by one pass, until a deadline) ->
`sent`, or `failed` (with the error; retried) or, for notices with nowhere to go, `logged`.

Claiming is what keeps two overlapping passes from sending one row twice: a pass claims the
rows of one message, all or none, in one write transaction, and only the pass that holds the claim
sends and marks them. A claim whose deadline passed belongs to a pass that died (or hung) while
sending; its rows can be claimed again, and `possible_resends` counts each such time, because the
dead pass may have handed the message to its channel before it died. Every claim is one delivery
attempt (`attempts`), so a message that kills its sender is not retried forever.

The methods are the interface a second backend implements: PostgreSQL can claim the same way with
`SELECT ... FOR UPDATE SKIP LOCKED` followed by the same update.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from pipeline.models import Notice
from pipeline.store.clock import iso, utcnow

OUTBOX_TABLES = ("alerts", "notices")
RETRYABLE = ("pending", "failed")


@dataclass(frozen=True)
class PendingAlert:
    id: int
    rule: str
    channel: str
    article_id: int
    attempts: int
    reason: str | None = None
    story_id: int | None = None
    new_entity: str = ""  # a story update's follow-up for this entity ('' the story's first alert)


@dataclass(frozen=True)
class HeldAlert:
    """An alert of a digest rule waiting for its digest."""

    alert: PendingAlert
    status: str  # pending, failed (a digest that could not be sent) or sending (an expired claim)
    created_at: str
    when: str  # the article's publication time, else the alert's: digests list newest first
    claimed_by: str | None = None  # the dead pass whose digest held it, when its claim expired


@dataclass(frozen=True)
class Claim:
    """Rows one pass holds for one message until `until`."""

    table: str
    ids: tuple[int, ...]
    holder: str
    until: str
    resumed: tuple[int, ...] = ()  # rows taken over from an expired claim: possibly sent already


def _claimable(statuses: Sequence[str], table: str = "") -> str:
    """SQL: rows in one of `statuses`, or held by a claim that expired (`?` = now)."""
    marks = ",".join(f"'{s}'" for s in statuses)
    t = f"{table}." if table else ""
    return f"({t}status in ({marks}) or ({t}status = 'sending' and {t}claimed_until <= ?))"


def _statuses(retry_failed: bool) -> tuple[str, ...]:
    return RETRYABLE if retry_failed else ("pending",)


def _check_table(table: str) -> None:
    if table not in OUTBOX_TABLES:
        raise ValueError(f"not an outbox table: {table}")


@contextmanager
def _write_transaction(db: Database) -> Iterator[None]:
    """BEGIN IMMEDIATE: take the write lock before reading, so the read cannot go stale."""
    if db.conn.in_transaction:  # inside a caller's transaction: a savepoint of it
        with db.atomic():
            yield
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.commit()


class DeliveryRows:
    _db: Database
    _instance_id: str | None = None

    def instance_id(self) -> str:
        """This database's random identity (part of every message key)."""
        if self._instance_id is None:
            row = self._db.execute("select value from newswatch_meta where key = 'instance_id'").fetchone()
            self._instance_id = row[0]
        return self._instance_id

    # --- what is still to send --------------------------------------------------------------

    def pending_alerts(self, max_attempts: int, now: datetime, retry_failed: bool = True) -> list[PendingAlert]:
        """Alerts to send: pending, expired claims and, when `retry_failed`, failed ones."""
        rows = self._db.execute(
            "select id, rule, channel, article_id, attempts, reason, story_id, new_entity from alerts"
            f" where {_claimable(_statuses(retry_failed))} and attempts < ? order by id",
            [iso(now), max_attempts],
        ).fetchall()
        return [PendingAlert(*row) for row in rows]

    def held_alerts(self, rules: Sequence[str], max_attempts: int, now: datetime) -> list[HeldAlert]:
        """Alerts of these (digest) rules still to send, oldest first."""
        if not rules:
            return []
        marks = ",".join("?" * len(rules))
        rows = self._db.execute(
            "select a.id, a.rule, a.channel, a.article_id, a.attempts, a.reason, a.story_id, a.new_entity,"
            " a.status, a.created_at, coalesce(ar.published, a.created_at), a.claimed_by"
            f" from alerts a join articles ar on ar.id = a.article_id where a.rule in ({marks})"
            f" and {_claimable(RETRYABLE, 'a')}"
            " and a.attempts < ? order by a.id",
            [*rules, iso(now), max_attempts],
        ).fetchall()
        return [HeldAlert(PendingAlert(*row[:8]), row[8], row[9], row[10],
                          row[11] if row[8] == "sending" else None) for row in rows]

    def count_alerts(self, article_id: int) -> int:
        return self._db.execute("select count(*) from alerts where article_id = ?", [article_id]).fetchone()[0]

    def queue_notice(self, notice: Notice, now: datetime) -> None:
        with self._db.atomic():
            self._db["notices"].insert(
                {"source": notice.source, "kind": notice.kind, "text": notice.text, "status": "pending",
                 "attempts": 0, "created_at": iso(now)}
            )

    def pending_notices(self, max_attempts: int, now: datetime, retry_failed: bool = True) -> list[tuple[int, Notice]]:
        rows = self._db.execute(
            f"select id, source, kind, text from notices where {_claimable(_statuses(retry_failed))}"
            " and attempts < ? order by id", [iso(now), max_attempts],
        ).fetchall()
        return [(row[0], Notice(*row[1:])) for row in rows]

    # --- claiming and marking ---------------------------------------------------------------

    def claim_delivery(
        self, table: str, ids: Sequence[int], holder: str, until: datetime, now: datetime, max_attempts: int,
    ) -> Claim | None:
        """Claim these rows for one send, all of them or none (None: another pass has some).

        A row can be claimed when it is pending or failed with attempts left, or when another
        pass's claim on it has expired (`resumed`: that pass may have sent it already).
        """
        _check_table(table)
        ids = tuple(dict.fromkeys(ids))
        if not ids:
            return None
        marks = ",".join("?" * len(ids))
        with _write_transaction(self._db):
            rows = self._db.execute(
                f"select id, status from {table} where id in ({marks})"
                f" and {_claimable(RETRYABLE)} and attempts < ?",
                [*ids, iso(now), max_attempts],
            ).fetchall()
            if len(rows) != len(ids):
                return None
            self._db.execute(
                f"update {table} set possible_resends = possible_resends + (status = 'sending'),"
                f" status = 'sending', claimed_by = ?, claimed_until = ?, attempts = attempts + 1"
                f" where id in ({marks})",
                [holder, iso(until), *ids],
            )
        return Claim(table, ids, holder, iso(until), tuple(i for i, status in rows if status == "sending"))

    def mark_delivery(self, claim: Claim, status: str, error: str | None = None,
                      give_up_at: int | None = None) -> int:
        """How the claimed send ended: `sent`, `failed` (with the error) or `logged`.

        Only rows still held by this claim are marked; the count tells the caller whether its
        claim expired and was taken over while it was sending (then a second copy may follow).
        `give_up_at` (the attempt limit) marks a permanent failure: never retried.
        """
        _check_table(claim.table)
        marks = ",".join("?" * len(claim.ids))
        with _write_transaction(self._db):
            cursor = self._db.execute(
                f"update {claim.table} set status = ?, last_error = ?, claimed_by = null, claimed_until = null,"
                f" sent_at = case when ? = 'sent' then ? else sent_at end,"
                f" attempts = max(attempts, ?)"
                f" where id in ({marks}) and status = 'sending' and claimed_by = ?",
                [status, error[:2000] if error else None, status, utcnow(), give_up_at or 0, *claim.ids,
                 claim.holder],
            )
        return cursor.rowcount

    def hold_channel(self, channel: str, until: datetime, reason: str) -> None:
        """No message to `channel` before `until` (it asked us to wait), from any process."""
        with _write_transaction(self._db):
            self._db["channel_holds"].upsert(
                {"channel": channel, "until": iso(until), "reason": reason, "since": utcnow()}, pk="channel")

    def channel_hold(self, channel: str, now: datetime) -> tuple[str, str] | None:
        """(until, reason) while `channel` is held, else None."""
        row = self._db.execute("select until, reason from channel_holds where channel = ? and until > ?",
                               [channel, iso(now)]).fetchone()
        return (row[0], row[1]) if row else None
