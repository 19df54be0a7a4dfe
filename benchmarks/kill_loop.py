"""Fault script: kill the real daemon and `crawl` N times at random while feeds change; count what
reached the receivers.

    uv run python benchmarks/kill_loop.py [--kills 200] [--seed 13]

Serves 3 feeds that gain an item every 1-3 s (each item its own story, Hikvision in the title)
and a flaky feed that fails and recovers (admin notices), on loopback; a real SMTP server
(aiosmtpd) and a webhook receiver that keeps each post as it arrives and answers 0.3 s later.
Rules: one instant rule to e-mail and webhook, one digest rule (every 10 s) to e-mail; the admin
channel is the webhook. Each round starts `newswatch run` or one or two `newswatch crawl`
processes and, after a random 0.3-8 s or the moment a receiver gets a message (aimed at the
window between a channel accepting a message and its row marked sent), SIGKILLs the process
group, the daemon or `crawl` alone, or the crawl child, or sends SIGTERM. After the last round
the feeds stop changing, a daemon runs until every row is sent (claims of killed passes expire
after CLAIM_S), and is stopped with SIGTERM.

Prints: items published and alerts expected; lost (an item or a row that never reached its
channel); duplicated (copies beyond the first, by key); of those, inside the send window (the row
records a claim taken over from a killed pass, `possible_resends`) and outside it (a bug);
`integrity_check` after every kill; orphaned crawl children, stale locks, leftover temp dirs and
rows stuck unsent. A script run by hand, not a test: N = 200 takes about half an hour.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.outbox.deliver import CLAIM_S  # noqa: E402
from pipeline.outbox.keys import alert_key, notice_key  # noqa: E402
from pipeline.service.lock import DatabaseLock, LockHeld  # noqa: E402

FEEDS = 3
FEED_WINDOW = 100  # items a feed lists (under max_items_per_source); ~10 minutes of items here
EMPTY_FEED = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>flaky</title><link>/</link>"
              b"<description>d</description></channel></rss>")
WORDS = ("camera surveillance contract city council budget report minister tender export license"
         " market share profit quarter court ruling sanction list investor pension fund board vote"
         " factory worker union protest police station border airport railway school hospital"
         " harbour bridge tower museum library river valley mountain island village desert forest").split()


# --- the world: feeds, receivers ---------------------------------------------------------------


class Feeds:
    """The feeds' items; `bump` publishes one more. The flaky feed fails while `flaky_down`."""

    def __init__(self) -> None:
        self.items: dict[int, list[int]] = {n: [0] for n in range(FEEDS)}
        self.lock = threading.Lock()
        self.flaky_down = False

    def bump(self, n: int) -> None:
        with self.lock:
            self.items[n] = self.items[n] + [len(self.items[n])]

    def published(self) -> list[tuple[int, int]]:
        with self.lock:
            return [(n, i) for n, items in self.items.items() for i in items]

    def body(self, n: int) -> bytes:
        """Newest first, the latest FEED_WINDOW items, as a news feed lists them."""
        with self.lock:
            items = list(reversed(self.items[n]))[:FEED_WINDOW]
        entries = "".join(f"<item><title>Hikvision story {n}-{i}</title><link>/a/{n}/{i}.html</link>"
                          f"<guid>f{n}-{i}</guid></item>" for i in items)
        return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>feed {n}</title>"
                f"<link>/</link><description>d</description>{entries}</channel></rss>").encode()


def page(n: int, i: int) -> bytes:
    """A page whose text shares no run of words with another (each item is its own story)."""
    rng = random.Random(f"{n}-{i}")
    paragraphs = ["<p>" + " ".join(rng.choice(WORDS) for _ in range(40)) + f" Hikvision {n} {i}.</p>"
                  for _ in range(3)]
    return (f"<html><body><article><h1>Hikvision story {n}-{i}</h1>{''.join(paragraphs)}"
            "</article></body></html>").encode()


def site_handler(feeds: Feeds) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            parts = self.path.strip("/").split("/")
            if parts[0] == "robots.txt":
                return self.send(200, b"User-agent: *\nAllow: /\n", "text/plain")
            if parts[0] == "flaky.xml":
                if feeds.flaky_down:
                    return self.send(403, b"no", "text/plain")
                return self.send(200, EMPTY_FEED, "application/rss+xml")
            if parts[0] == "f" and len(parts) == 2:
                body = feeds.body(int(parts[1].removesuffix(".xml")))
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    return self.send(304, b"", None, etag)
                return self.send(200, body, "application/rss+xml", etag)
            if parts[0] == "a" and len(parts) == 3:
                return self.send(200, page(int(parts[1]), int(parts[2].removesuffix(".html"))),
                                 "text/html; charset=utf-8")
            self.send(404, b"", "text/plain")

        def send(self, status: int, body: bytes, kind: str | None, etag: str | None = None) -> None:
            self.send_response(status)
            if kind:
                self.send_header("Content-Type", kind)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

    return Handler


@dataclass
class Received:
    """What the receivers got: keys (with how often), digest texts; `arrived` fires on each."""

    keys: collections.Counter = field(default_factory=collections.Counter)
    digests: dict[str, str] = field(default_factory=dict)  # key -> plain text
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Event = field(default_factory=threading.Event)

    def add(self, key: str, digest_text: str | None = None) -> None:
        with self.lock:
            self.keys[key] += 1
            if digest_text is not None:
                self.digests[key] = digest_text
        self.arrived.set()


class Inbox:
    def __init__(self, received: Received):
        self.received = received

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        mail = message_from_bytes(envelope.original_content, policy=policy.default)  # type: ignore[attr-defined]
        key = str(mail["Message-ID"]).strip("<>").partition("@")[0]
        digest = mail.get_body(("plain",)).get_content() if "digest" in str(mail["Subject"]) else None
        self.received.add(key, digest)
        return "250 OK"


def webhook_handler(received: Received) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            received.add(body.get("metadata", {}).get("event_payload", {}).get("key", "?"))
            time.sleep(0.3)  # kept on arrival, answered late: a sender may die waiting
            try:
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:  # the sender was killed while waiting: that is the point
                pass

    return Handler


def write_config(directory: Path, site: int, smtp: int, hook: int) -> Path:
    feeds = "".join(f"  - name: feed-{n}\n    feed: http://127.0.0.1:{site}/f/{n}.xml\n    every: 1s\n"
                    for n in range(FEEDS))
    config = directory / "config.yaml"
    config.write_text(f"""database: kill.db
fetch:
  user_agent: "newswatch-kill-loop (+https://example.org/contact)"
  allow_private_networks: true
  timeout: 5
sources:
{feeds}  - name: flaky
    feed: http://127.0.0.1:{site}/flaky.xml
    every: 1s
watchlist:
  - name: Hikvision
rules:
  - name: instant
    channels: [mail, hook]
  - name: daily
    channels: [mail]
    digest: every 10s
channels:
  mail:
    type: email
    smtp_host: 127.0.0.1
    smtp_port: {smtp}
    security: none
    from: newswatch@example.org
    to: [team@example.org]
    timeout: 10
  hook:
    type: slack
    webhook_url: http://127.0.0.1:{hook}/services/T/B/X
    timeout: 10
admin_channel: hook
source_down_after: 2
""", encoding="utf-8")
    return config


# --- processes ------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]) != "Z"
    except OSError:
        return False


class Processes:
    """Everything this script starts, so every one is ended by its PID."""

    def __init__(self, config: Path, logs: Path):
        self.config, self.logs = config, logs
        self.started: list[subprocess.Popen] = []

    def start(self, *args: str) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if k != "NEWSWATCH_CONFIG"}
        log = open(self.logs / f"{len(self.started):04d}-{args[0]}.log", "wb")
        process = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "--config", str(self.config), *args],
                                   cwd=ROOT, stdout=log, stderr=log, env=env, start_new_session=True)
        log.close()
        self.started.append(process)
        return process

    def end_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                for child in children(process.pid):
                    os.kill(child, signal.SIGKILL)
                process.kill()
                process.wait()


@dataclass
class Tally:
    kills: collections.Counter = field(default_factory=collections.Counter)
    integrity_failures: int = 0
    orphans: int = 0
    stale_locks: int = 0
    refused_pairs: int = 0  # two crawls started together: the second refused naming the first
    wrong_refusals: int = 0
    finished_first: int = 0  # rounds whose `crawl` ended before its kill came


def kill(process: subprocess.Popen, how: str, tally: Tally) -> None:
    """Kill as `how` says; then check that no crawl child outlives a killed parent."""
    kids = children(process.pid)
    if how == "group":
        os.killpg(process.pid, signal.SIGKILL)
    elif how == "parent":
        os.kill(process.pid, signal.SIGKILL)
    elif how == "child":
        for kid in kids:
            os.kill(kid, signal.SIGKILL)
    elif how == "term":
        os.kill(process.pid, signal.SIGTERM)
    tally.kills[how] += 1
    if how in ("group", "parent", "term"):
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        time.sleep(2)  # a child killed with its parent is gone by then
        left = [kid for kid in kids if alive(kid)]
        tally.orphans += len(left)
        for kid in left:
            os.kill(kid, signal.SIGKILL)


def check_database(database: Path, tally: Tally) -> None:
    if not database.exists():
        return
    with sqlite3.connect(database, timeout=30) as conn:
        if conn.execute("pragma integrity_check").fetchone()[0] != "ok":
            tally.integrity_failures += 1


def check_lock(database: Path, processes: Processes, tally: Tally) -> None:
    """With none of our processes running, the lock must be free (the kernel drops it on death)."""
    if any(p.poll() is None for p in processes.started):
        return
    try:
        DatabaseLock(database, "crawl").acquire().release()
    except LockHeld:
        tally.stale_locks += 1


# --- one round ------------------------------------------------------------------------------


def round_(rng: random.Random, processes: Processes, received: Received, daemon: subprocess.Popen | None,
           tally: Tally) -> subprocess.Popen | None:
    """Kill something once; returns the daemon if it is still running."""
    aimed = rng.random() < 0.3
    how = rng.choices(["group", "parent", "child", "term"], [3, 3, 3, 1])[0]
    if rng.random() < 0.6:  # the daemon
        if daemon is None or daemon.poll() is not None:
            daemon = processes.start("run", "--log-json")
        target = daemon
    else:  # one crawl, or two at once
        if daemon is not None and daemon.poll() is None:
            os.kill(daemon.pid, signal.SIGTERM)
            daemon.wait(timeout=30)
        daemon = None
        target = processes.start("crawl")
        if rng.random() < 0.3:
            second = processes.start("crawl")
            code = wait_exit(second, 120)
            if code == 2:
                text = (processes.logs / f"{len(processes.started) - 1:04d}-crawl.log").read_text(errors="replace")
                good = f"another newswatch crawl (process {target.pid})" in text
                tally.refused_pairs += good
                tally.wrong_refusals += not good
    if aimed:
        received.arrived.clear()
        received.arrived.wait(timeout=20)
    else:
        time.sleep(rng.uniform(0.3, 8.0))
    if target.poll() is None:
        if how == "child" and not children(target.pid):
            how = "parent"
        kill(target, how, tally)
    else:
        tally.finished_first += 1
    return daemon if daemon is not None and daemon.poll() is None else None


def wait_exit(process: subprocess.Popen, timeout: float) -> int:
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def changer(feeds: Feeds, stop: threading.Event, rng: random.Random) -> None:
    flaky_at = time.monotonic() + 20
    while not stop.wait(rng.uniform(1, 3)):
        feeds.bump(rng.randrange(FEEDS))
        if time.monotonic() > flaky_at:
            feeds.flaky_down = not feeds.flaky_down
            flaky_at = time.monotonic() + rng.uniform(15, 40)


# --- the verdict ----------------------------------------------------------------------------


def settled(database: Path) -> bool:
    with sqlite3.connect(database, timeout=30) as conn:
        unsent = conn.execute("select (select count(*) from alerts where status != 'sent')"
                              " + (select count(*) from notices where status not in ('sent', 'logged'))").fetchone()[0]
    return unsent == 0


def in_digest(title: str, text: str) -> bool:
    return re.search(re.escape(title) + r"(?![\d-])", text) is not None


def verdict(database: Path, feeds: Feeds, received: Received) -> dict[str, int]:
    """Compare what the receivers got with what the database says should have gone out."""
    conn = sqlite3.connect(database)
    instance = conn.execute("select value from newswatch_meta where key = 'instance_id'").fetchone()[0]
    urls = {url for (url,) in conn.execute("select url from articles")}
    alerts = conn.execute("select a.rule, a.channel, a.story_id, a.status, a.possible_resends, ar.title"
                          " from alerts a join articles ar on ar.id = a.article_id").fetchall()
    notices = conn.execute("select id, status, possible_resends from notices").fetchall()
    conn.close()
    resends: dict[str, int] = {}  # key -> claims taken over from killed passes (its rows)
    lost_rows = stuck = 0
    digest_rows = []
    for rule, channel, story, status, taken_over, title in alerts:
        stuck += status != "sent"
        if rule == "instant":
            key = alert_key(instance, rule, channel, story)
            resends[key] = taken_over
            lost_rows += received.keys[key] == 0
        else:
            digest_rows.append((title, taken_over))
            lost_rows += not any(in_digest(title, text) for text in received.digests.values())
    for notice_id, status, taken_over in notices:
        stuck += status not in ("sent", "logged")
        key = notice_key(instance, notice_id)
        resends[key] = taken_over
        lost_rows += status == "sent" and received.keys[key] == 0
    for key, text in received.digests.items():  # a digest's rows: the alerts it lists
        resends[key] = max((t for title, t in digest_rows if in_digest(title, text)), default=0)
    published = feeds.published()
    never_stored = sum(1 for n, i in published if not any(u.endswith(f"/a/{n}/{i}.html") for u in urls))
    duplicated = sum(count - 1 for count in received.keys.values() if count > 1)
    in_window = sum(min(count - 1, resends.get(key, 0)) for key, count in received.keys.items() if count > 1)
    return {"published": len(published), "never_stored": never_stored, "alerts": len(alerts),
            "notices": len(notices), "lost_rows": lost_rows, "duplicated": duplicated, "in_window": in_window,
            "stuck": stuck, "taken_over": sum(t for *_, t, _ in alerts) + sum(t for *_, t in notices),
            "messages": sum(received.keys.values())}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def leftover_temp_dirs() -> int:
    return sum(1 for d in Path(tempfile.gettempdir()).glob("newswatch-crawl-*")
               if not alive(int(d.name.split("-")[2])))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    feeds, received = Feeds(), Received()
    site = ThreadingHTTPServer(("127.0.0.1", 0), site_handler(feeds))
    hook = ThreadingHTTPServer(("127.0.0.1", 0), webhook_handler(received))
    for server in (site, hook):
        server.daemon_threads = True
        server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # killed clients
        threading.Thread(target=server.serve_forever, daemon=True).start()
    smtp = Controller(Inbox(received), hostname="127.0.0.1", port=free_port())
    smtp.start()
    workdir = Path(tempfile.mkdtemp(prefix="newswatch-kill-"))
    logs = workdir / "logs"
    logs.mkdir()
    config = write_config(workdir, site.server_address[1], smtp.port, hook.server_address[1])
    database = workdir / "kill.db"
    processes = Processes(config, logs)
    tally = Tally()
    stop_changes = threading.Event()
    threading.Thread(target=changer, args=(feeds, stop_changes, rng), daemon=True).start()
    started = time.monotonic()
    daemon = None
    try:
        rounds = 0
        while sum(tally.kills.values()) < args.kills:
            daemon = round_(rng, processes, received, daemon, tally)
            check_database(database, tally)
            check_lock(database, processes, tally)
            rounds += 1
            if rounds % 20 == 0:
                print(f"  {sum(tally.kills.values())} kills, {time.monotonic() - started:.0f} s", flush=True)
        stop_changes.set()
        if daemon is not None:
            os.kill(daemon.pid, signal.SIGTERM)
            wait_exit(daemon, 30)
        feeds.flaky_down = False
        final = processes.start("run", "--log-json")
        deadline = time.monotonic() + CLAIM_S + 180
        time.sleep(15)  # every feed read once more
        while time.monotonic() < deadline and not settled(database):
            time.sleep(2)
        time.sleep(5)
        os.kill(final.pid, signal.SIGTERM)
        final_code = wait_exit(final, 30)
    finally:
        processes.end_all()
        smtp.stop()
        site.shutdown()
        hook.shutdown()
    figures = verdict(database, feeds, received)
    check_database(database, tally)
    minutes = (time.monotonic() - started) / 60
    print(f"rounds: {rounds} in {minutes:.1f} min; kills {sum(tally.kills.values())} ({dict(tally.kills)};"
          f" about 30% aimed at a message arriving); crawls that finished before their kill: {tally.finished_first}")
    print(f"items published: {figures['published']}; alert rows {figures['alerts']}, notices {figures['notices']}")
    print(f"messages received: {figures['messages']}; claims taken over from killed passes: {figures['taken_over']}")
    print(f"lost: {figures['lost_rows'] + figures['never_stored']} (rows never received: {figures['lost_rows']},"
          f" published items never stored: {figures['never_stored']})")
    print(f"duplicated: {figures['duplicated']}; inside the send window (row records a claim taken over"
          f" from a killed pass): {figures['in_window']}; outside: {figures['duplicated'] - figures['in_window']}")
    print(f"integrity_check failures: {tally.integrity_failures} (checked after every kill)")
    print(f"orphaned crawl children: {tally.orphans}; stale locks: {tally.stale_locks};"
          f" leftover temp dirs: {leftover_temp_dirs()}; rows stuck unsent: {figures['stuck']}")
    print(f"two crawls at once: {tally.refused_pairs} refused naming the other, {tally.wrong_refusals} wrong message")
    print(f"final daemon: exit {final_code} on SIGTERM; logs in {logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
