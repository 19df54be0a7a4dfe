"""Pages to look at, from saved files or fetched URLs: what `match` and `extract` both read.

A URL is fetched through the crawl's own Scrapy stack in a child process (`python -m
crawler.fetch`: robots.txt, the private-network guard, size and time limits), so what a user tries
by hand is what the crawl would see. A saved page may be gzipped.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from pipeline.service.crawl import child_env

FETCH_TIMEOUT_S = 600


@dataclass(frozen=True)
class Page:
    label_key: str  # "file" or "url"
    label: str
    html: bytes | None
    url: str | None
    error: str | None = None


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def read_page(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def read_files(paths: list[str]) -> Iterator[Page]:
    for path in paths:
        try:
            yield Page("file", path, read_page(Path(path)), None)
        except OSError as exc:
            yield Page("file", path, None, None, exc.strerror or str(exc))


def fetch_urls(config_path: Path, urls: list[str]) -> Iterator[Page]:
    """Fetch URLs with the fetch settings of the config at `config_path`, in a child process."""
    with tempfile.TemporaryDirectory(prefix="newswatch-fetch-") as tmp:
        done = subprocess.run([sys.executable, "-m", "crawler.fetch", str(config_path), tmp, *urls],
                              capture_output=True, text=True, timeout=FETCH_TIMEOUT_S, env=child_env())
        manifest_path = Path(tmp) / "manifest.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        for index, url in enumerate(urls):
            entry = manifest.get(str(index)) or {"error": f"fetch process failed: {done.stderr[-300:]}"}
            if "error" in entry:
                yield Page("url", url, None, url, entry["error"])
            else:
                body = (Path(tmp) / f"{index}.html").read_bytes()
                yield Page("url", url, body, entry["final_url"])


def read_inputs(config_path: Path, inputs: list[str]) -> Iterator[Page]:
    """Files first, then URLs (fetched together, in one child)."""
    urls = [i for i in inputs if is_url(i)]
    yield from read_files([i for i in inputs if not is_url(i)])
    if urls:
        yield from fetch_urls(config_path, urls)
