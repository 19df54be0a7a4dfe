"""SIGTERM and SIGINT as a request to stop, for a command that must finish its step first.

A `crawl` killed by the default handlers dies wherever it is: perhaps between a channel accepting a
message and the row being marked sent, and with its crawl child still running. With these
handlers a signal only sets a flag; the crawl child is stopped, the current message finishes and
is marked, and the command exits (128 + the signal's number, as a shell reports a signal).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopSignals:
    """`with StopSignals() as stop:` ... `stop.requested()`; the old handlers come back after.

    Outside the main thread (a test runner's worker) Python cannot install handlers: then it
    does nothing and the defaults stay.
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def requested(self) -> bool:
        return self.event.is_set()

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGTERM)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum or signal.SIGTERM).name

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signum = self.signum or signum
        self.event.set()

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            for sig in STOP_SIGNALS:
                self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
