"""One crawling process per database: an fcntl lock on a file beside the database.

`newswatch run` holds it for its lifetime, `newswatch crawl` for its pass (the crawl, delivery,
health and digests). Two processes crawling one database at once would fetch everything twice
and, worse, could file two copies of one story under two stories (each crawl's story index only
knows what was committed when it was built), so one story would alert twice. Delivery itself is
safe under overlap anyway: rows are claimed before they are sent (`pipeline.store.deliveries`).

The file holds the holder's PID and role (`12345 run`, `12345 crawl`), written right after the
lock is taken, so the one refused can say who holds it. The kernel drops an fcntl lock when its
process dies (even by SIGKILL), so a stale file never blocks a restart; the text left in it by
a killed holder is recognised as stale because that PID no longer runs.
"""

from __future__ import annotations

import fcntl
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable

RUN, CRAWL = "run", "crawl"
READ_HOLDER_S = 1.0  # a holder writes its PID right after locking: wait that long to read it
POLL_S = 0.2


@dataclass(frozen=True)
class Holder:
    pid: int | None
    role: str | None  # run | crawl | None (not known: the holder has not written yet)

    def describe(self) -> str:
        who = f"process {self.pid}" if self.pid else "another process"
        if self.role == CRAWL:
            return f"newswatch crawl ({who})"
        if self.role == RUN:
            return f"newswatch run ({who})"
        return who


class LockHeld(Exception):
    """Another process holds the lock; `holder` says which (as far as it could be read)."""

    def __init__(self, path: Path, holder: Holder):
        self.path, self.holder = path, holder
        self.pid = holder.pid
        super().__init__(f"{holder.describe()} is already running on this database (lock {path})")


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".run.lock")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def parse_holder(text: str) -> Holder:
    words = text.split()
    pid = int(words[0]) if words and words[0].isdigit() else None
    role = words[1] if len(words) > 1 and words[1] in (RUN, CRAWL) else (RUN if pid else None)
    return Holder(pid, role)  # a lone PID: written by a daemon before roles were recorded


def read_holder(handle: IO[str], wait_s: float = READ_HOLDER_S) -> Holder:
    """Who holds the lock: the PID in the file, once it names a live process (the holder may
    not have written it yet, or the text may be a killed holder's)."""
    deadline = time.monotonic() + wait_s
    while True:
        handle.seek(0)
        holder = parse_holder(handle.read())
        if (holder.pid and alive(holder.pid)) or time.monotonic() >= deadline:
            return holder if holder.pid and alive(holder.pid) else Holder(None, None)
        time.sleep(0.05)


class DatabaseLock:
    """`with DatabaseLock(database, role):` holds the lock (role: RUN for life, CRAWL for a pass)."""

    def __init__(self, database: Path, role: str = RUN):
        self.path = lock_path(database)
        self.role = role
        self._file: IO[str] | None = None

    def acquire(self) -> "DatabaseLock":
        """Take the lock now, or raise LockHeld naming who has it."""
        handle = self._open()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = read_holder(handle)
            handle.close()
            raise LockHeld(self.path, holder) from None
        self._took(handle)
        return self

    def acquire_after(self, waiting: Callable[[Holder], None], stop: Callable[[], bool]) -> "DatabaseLock":
        """Take the lock once a `crawl` pass that holds it ends (`waiting` is told who); a daemon
        holding it is refused at once (LockHeld), as is waiting when `stop` turns true."""
        told = False
        while True:
            try:
                return self.acquire()
            except LockHeld as held:
                if held.holder.role != CRAWL or stop():
                    raise
                if not told:
                    waiting(held.holder)
                    told = True
            time.sleep(POLL_S)

    def _open(self) -> IO[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return open(self.path, "a+", encoding="ascii")

    def _took(self, handle: IO[str]) -> None:
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {self.role}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.truncate(0)
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> "DatabaseLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class DaemonLock(DatabaseLock):
    """The daemon's hold, for its lifetime."""

    def __init__(self, database: Path):
        super().__init__(database, RUN)


class CrawlLock(DatabaseLock):
    """One `newswatch crawl` pass's hold."""

    def __init__(self, database: Path):
        super().__init__(database, CRAWL)
