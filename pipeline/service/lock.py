"""One daemon per database: an fcntl lock on a file beside the database, holding the owner's PID.

Two daemons on one database would crawl twice and could send an alert twice. The kernel drops an
fcntl lock when its process dies (even by SIGKILL), so a stale lock file never blocks a restart;
the PID inside is only there to tell the operator who holds it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


class LockHeld(Exception):
    """Another process holds the lock; `pid` says which (None if it could not be read)."""

    def __init__(self, path: Path, pid: int | None):
        self.path, self.pid = path, pid
        who = f"process {pid}" if pid else "another process"
        super().__init__(f"{who} is already running newswatch on this database (lock {path})")


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".run.lock")


class DaemonLock:
    """`with DaemonLock(database):` holds the lock for the daemon's lifetime."""

    def __init__(self, database: Path):
        self.path = lock_path(database)
        self._file: IO[str] | None = None

    def acquire(self) -> "DaemonLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="ascii")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            text = handle.read().strip()
            handle.close()
            raise LockHeld(self.path, int(text) if text.isdigit() else None) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return self

    def release(self) -> None:
        if self._file is not None:
            self._file.truncate(0)
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> "DaemonLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def holder(database: Path) -> int | None:
    """The PID of the daemon running on `database`, or None (takes and drops the lock at once)."""
    try:
        DaemonLock(database).acquire().release()
    except LockHeld as held:
        return held.pid or -1
    return None
