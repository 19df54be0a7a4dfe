"""Benchmark `newswatch run`: 2,000 feeds on loopback, mostly unchanged (304), every minute.

    uv run python benchmarks/daemon.py [--feeds 2000] [--minutes 10] [--changed 20]

Serves the feeds from 20 loopback addresses (127.0.0.1-20, 100 feeds each), starts the real
daemon as a process with `--log-json --verbose`, and each minute adds a new article to `--changed`
feeds (so most answer 304). Reports: lag from a source's scheduled time to the start of the crawl
that reads it (p50/p99/max), crawls and seconds per crawl, CPU seconds per one-minute cycle (the
daemon itself and its crawl children), and the daemon's RSS at start, after the first crawl and
at the end. A script run by hand, not a test: it takes `--minutes` plus about a minute.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOSTS = 20
TICKS = os.sysconf("SC_CLK_TCK")


class Feeds:
    """Feed bodies by path; `bump` adds an item to a feed. Thread-safe enough for one writer."""

    def __init__(self, count: int):
        self.items: dict[int, list[int]] = {n: [0] for n in range(count)}
        self.lock = threading.Lock()

    def bump(self, n: int) -> None:
        with self.lock:
            self.items[n] = self.items[n] + [len(self.items[n])]

    def body(self, n: int) -> bytes:
        with self.lock:
            items = list(self.items[n])
        entries = "".join(
            f"<item><title>Feed {n} story {i}: Hikvision cameras</title><link>/a/{n}/{i}.html</link>"
            f"<guid>f{n}-{i}</guid></item>" for i in items
        )
        return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>feed {n}</title>"
                f"<link>/</link><description>d</description>{entries}</channel></rss>").encode()


def handler(feeds: Feeds) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            parts = self.path.strip("/").split("/")
            if parts[0] == "robots.txt":
                return self.send(200, b"User-agent: *\nAllow: /\n", "text/plain")
            if parts[0] == "f" and len(parts) == 2:
                body = feeds.body(int(parts[1].removesuffix(".xml")))
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    return self.send(304, b"", None, etag)
                return self.send(200, body, "application/rss+xml", etag)
            if parts[0] == "a":
                # Unique sentences: text repeated across pages would be learned as boilerplate.
                text = " ".join(f"Hikvision, the surveillance camera maker, said on day {k} that story"
                                f" {parts[1]}-{parts[2]} won a contract for city {k * 7}." for k in range(6))
                page = f"<html><body><article><h1>Story {parts[1]}/{parts[2]}</h1><p>{text}</p></article></body></html>"
                return self.send(200, page.encode(), "text/html; charset=utf-8")
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


def serve(feeds: Feeds) -> tuple[list[ThreadingHTTPServer], int]:
    first = ThreadingHTTPServer(("127.0.0.1", 0), handler(feeds))
    port = first.server_address[1]
    servers = [first] + [ThreadingHTTPServer((f"127.0.0.{h}", port), handler(feeds)) for h in range(2, HOSTS + 1)]
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    return servers, port


def write_config(directory: Path, count: int, port: int) -> Path:
    sources = "".join(
        f"  - name: feed-{n}\n    feed: http://127.0.0.{n % HOSTS + 1}:{port}/f/{n}.xml\n    every: 1m\n"
        for n in range(count)
    )
    config = directory / "config.yaml"
    config.write_text(f"""database: bench.db
fetch:
  user_agent: "newswatch-benchmark (+https://example.org/contact)"
  allow_private_networks: true
  timeout: 20
  concurrency_per_domain: 4
sources:
{sources}watchlist:
  - name: Hikvision
rules:
  - name: bench
    channels: [terminal]
channels:
  terminal:
    type: console
""", encoding="utf-8")
    return config


def proc_stat(pid: int) -> tuple[float, float]:
    """(own CPU seconds, CPU seconds of waited-for children) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return (utime + stime) / TICKS, (cutime + cstime) / TICKS


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def events(log: Path) -> list[dict]:
    out = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--changed", type=int, default=20, help="feeds that get a new item each minute")
    args = parser.parse_args()

    feeds = Feeds(args.feeds)
    servers, port = serve(feeds)
    workdir = Path(tempfile.mkdtemp(prefix="newswatch-bench-"))
    config = write_config(workdir, args.feeds, port)
    log = workdir / "daemon.log"
    with open(log, "wb") as log_file:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "--config", str(config), "run", "--log-json", "--verbose"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log_file,
        )
        time.sleep(2)
        rss_start = rss_mb(daemon.pid)
        while not [e for e in events(log) if e.get("event") == "crawl.done"]:
            if daemon.poll() is not None:
                print(log.read_text()[-3000:])
                return 1
            time.sleep(1)
        rss_warm = rss_mb(daemon.pid)
        cpu_warm = proc_stat(daemon.pid)
        warm_at = time.monotonic()
        rss_samples = [rss_warm]
        next_bump = warm_at + 30
        while time.monotonic() - warm_at < args.minutes * 60:
            time.sleep(5)
            rss_samples.append(rss_mb(daemon.pid))
            if time.monotonic() >= next_bump:
                for n in random.sample(range(args.feeds), args.changed):
                    feeds.bump(n)
                next_bump += 60
        rss_end = rss_mb(daemon.pid)
        cpu_end = proc_stat(daemon.pid)
        elapsed = time.monotonic() - warm_at
        daemon.send_signal(signal.SIGTERM)
        stop_started = time.monotonic()
        daemon.wait(timeout=30)
        stop_s = time.monotonic() - stop_started
    for server in servers:
        server.shutdown()

    all_events = events(log)
    warm_index = next(i for i, e in enumerate(all_events) if e.get("event") == "crawl.done")
    later = all_events[warm_index + 1:]
    lags = [e["lag"] for e in later if e.get("event") == "source.due"]
    crawls = [e for e in later if e.get("event") == "crawl.done"]
    new = sum(e["new"] for e in crawls)
    cycles = elapsed / 60
    own = cpu_end[0] - cpu_warm[0]
    children = cpu_end[1] - cpu_warm[1]
    first = next(e for e in all_events if e.get("event") == "crawl.done")
    print(f"feeds: {args.feeds} on {HOSTS} loopback addresses, every 1m, {args.changed} changed per minute")
    print(f"measured: {elapsed / 60:.1f} min after the first crawl ({first['seconds']:.1f} s for all {args.feeds})")
    print(f"source runs: {len(lags)}; lag scheduled -> crawl start: p50 {statistics.median(lags):.2f} s,"
          f" p99 {sorted(lags)[int(0.99 * (len(lags) - 1))]:.2f} s, max {max(lags):.2f} s")
    print(f"crawls: {len(crawls)} ({len(crawls) / cycles:.1f} per minute), seconds per crawl:"
          f" p50 {statistics.median(e['seconds'] for e in crawls):.1f}, max {max(e['seconds'] for e in crawls):.1f};"
          f" new articles {new}")
    print(f"CPU seconds per 1-minute cycle: daemon {own / cycles:.2f}, crawl children {children / cycles:.2f},"
          f" total {(own + children) / cycles:.2f}")
    print(f"daemon RSS: {rss_start:.1f} MB at start, {rss_warm:.1f} MB after the first crawl,"
          f" {rss_end:.1f} MB at the end (growth {rss_end - rss_warm:+.1f} MB; max {max(rss_samples):.1f} MB)")
    print(f"SIGTERM to exit: {stop_s:.1f} s (exit code {daemon.returncode}); log: {log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
