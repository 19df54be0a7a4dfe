"""Real parts on loopback: the fixture news site, an SMTP server (aiosmtpd), a Slack-like webhook."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import traceback
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
from aiosmtpd.controller import Controller

from pipeline.cli.site_server import DEMO_SITE, SiteServer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with SiteServer(DEMO_SITE) as server:
        yield server


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: _Inbox

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages


@contextlib.contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it receives."""
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, inbox)
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@dataclass
class Webhook:
    """A Slack-like incoming-webhook receiver; `responses` queues statuses to answer with, and
    `delay` holds each answer back (a post is kept as it arrives, before the answer, as a real
    receiver would have it even when its sender dies waiting)."""

    url: str = ""
    posts: list[dict[str, Any]] = field(default_factory=list)
    responses: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    attempts: int = 0
    delay: float = 0.0


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hook.attempts += 1
            status, headers = hook.responses.pop(0) if hook.responses else (200, {})
            if status == 200:
                hook.posts.append(json.loads(body))
            if hook.delay:
                threading.Event().wait(hook.delay)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            reply = b"ok" if status == 200 else b"rate_limited"
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/XXXX"
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


def rows(database: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """What a query returns from a database file (or a Store's file), through its own connection."""
    path = getattr(database, "path", database)
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


def write_config(directory: Path, text: str) -> Path:
    path = directory / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def site_config(
    site: SiteServer,
    smtp: SmtpServer | None = None,
    webhook: Webhook | None = None,
    allow_private: bool = True,
    sources: str | None = None,
    extra_rules: str = "",
) -> str:
    """A config for the fixture site with email and/or Slack channels on loopback."""
    channels, names = [], []
    if smtp:
        names.append("team-email")
        channels.append(
            f"""  team-email:
    type: email
    smtp_host: {smtp.host}
    smtp_port: {smtp.port}
    security: none
    from: newswatch@example.org
    to: [team@example.org]"""
        )
    if webhook:
        names.append("team-slack")
        channels.append(f"  team-slack:\n    type: slack\n    webhook_url: {webhook.url}")
    if not names:
        names.append("terminal")
        channels.append("  terminal:\n    type: console")
    sources = sources or f"""  - name: abw
    feed: {site.url('/feed.xml')}
  - name: dtm
    feed: {site.url('/atom.xml')}"""
    return f"""database: news.db
alert_backlog: 10000d  # the fixture site's articles are from 2024: alert them on a first pass
fetch:
  user_agent: "newswatch-test (+https://example.org/contact)"
  allow_private_networks: {str(allow_private).lower()}
  timeout: 10
sources:
{sources}
watchlist:
  - name: Hikvision
    aliases: [Hikvision, Hangzhou Hikvision Digital Technology, 海康威视, "002415"]
  - name: Dahua Technology
    aliases: [Dahua Technology, Zhejiang Dahua Technology, 大华股份, "002236"]
    weak_aliases: [Dahua]
    context: [surveillance, camera, CCTV, Xinjiang, technology]
alerts:
  - name: ngo-team
    entities: [Hikvision, Dahua Technology]
    channels: [{", ".join(names)}]
{extra_rules}
channels:
{chr(10).join(channels)}
"""


# Commands that stay real processes: a daemon (signals, a lock held for its life) and Datasette (exec).
ONLY_AS_PROCESS = {"run", "serve"}


def command_of(args: tuple[str, ...]) -> str | None:
    words = list(args)
    while words and words[0].startswith("--"):
        words = words[2:] if words[0] == "--config" else words[1:]
    return words[0] if words else None


def newswatch(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
              timeout: float = 120, process: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the real CLI, the way cron or a user would: as a process when `process` is true (and
    always for `run` and `serve`), else in this process through click's CliRunner, which is the
    same code without the cost of starting Python; a crawl still runs in its own child process."""
    if process or command_of(args) in ONLY_AS_PROCESS:
        full_env = dict(os.environ)
        full_env.pop("NEWSWATCH_CONFIG", None)
        full_env.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "pipeline.cli", *args],
            cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout, env=full_env,
        )
    from click.testing import CliRunner

    from pipeline.cli import main

    with contextlib.chdir(cwd or ROOT):
        result = CliRunner().invoke(main, list(args), env={"NEWSWATCH_CONFIG": None, **(env or {})},
                                    catch_exceptions=True)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["newswatch", *args], result.exit_code, result.stdout, stderr)
