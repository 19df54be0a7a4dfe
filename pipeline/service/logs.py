"""Operator output: one event per line (plain or JSON), and a live status line on a terminal.

A daemon's log is read by grep, journald or a log shipper, so every event is one line with a
name and key=value fields (`--log-json`: one JSON object). On a terminal the same events scroll
above a status line with running totals (sources and pages done, new articles, alerts).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO

EVENT_LOGGER = "newswatch"


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event: `name` plus fields, kept structured for the JSON formatter."""
    logger.log(level, name, extra={"fields": fields})


def _plain_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if text == "" or any(c.isspace() or c in '"=' for c in text):
        return json.dumps(text, ensure_ascii=False)
    return text


def _utc(record: logging.LogRecord) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))


class PlainFormatter(logging.Formatter):
    """`2026-01-01T08:00:00Z INFO crawl.done sources=3 new=1` (a newline in a value is quoted)."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {})
        parts = [_utc(record), record.levelname, record.getMessage().replace("\n", " | ")]
        parts += [f"{key}={_plain_value(value)}" for key, value in fields.items()]
        if record.exc_info:  # still one line: the traceback's lines joined
            parts.append("exception=" + _plain_value(self.formatException(record.exc_info).replace("\n", " | ")))
        return " ".join(parts)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event and the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        data = {"time": _utc(record), "ts": round(record.created, 3), "level": record.levelname,
                "logger": record.name, "event": record.getMessage()}
        data.update(getattr(record, "fields", {}))
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


@dataclass
class Totals:
    sources: int = 0
    pages: int = 0
    new_articles: int = 0
    alerts: int = 0
    failing: int = 0


class StatusLineHandler(logging.StreamHandler):
    """On a terminal: each log line printed above a status line that is redrawn in place."""

    def __init__(self, stream: TextIO, totals: Totals):
        super().__init__(stream)
        self.totals = totals

    def status(self) -> str:
        t = self.totals
        return (f"[newswatch] sources done {t.sources} · pages {t.pages} · new articles "
                f"{t.new_articles} · alerts sent {t.alerts} · failing {t.failing}")

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write("\r\x1b[2K" + self.format(record) + "\n" + self.status())
            self.flush()
        except Exception:  # logging must never take the daemon down
            self.handleError(record)


def setup_logging(json_lines: bool = False, verbose: bool = False, stream: TextIO | None = None,
                  totals: Totals | None = None) -> None:
    """Configure the root logger: JSON lines, a terminal status line, or plain lines."""
    stream = stream or sys.stderr
    if totals is not None and not json_lines and stream.isatty():
        handler: logging.Handler = StatusLineHandler(stream, totals)
    else:
        handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if json_lines else PlainFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger(EVENT_LOGGER).setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
