"""`newswatch match` and `newswatch rematch`: what would match and why; re-run the watchlist."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from pipeline.config import Config
from pipeline.extract import ExtractionError, extract
from pipeline.extract_cli import read_page
from pipeline.match import Watchlist
from pipeline.rules import AlertRule, decide_all
from pipeline.store import Store


@dataclass(frozen=True)
class Page:
    label_key: str  # "file" or "url"
    label: str
    html: bytes | None
    url: str | None
    error: str | None = None


def fetch_urls(config_path: Path, urls: list[str]) -> Iterator[Page]:
    """Fetch URLs through the crawl's Scrapy stack in a child process (robots, private networks…)."""
    with tempfile.TemporaryDirectory(prefix="newswatch-match-") as tmp:
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        done = subprocess.run([sys.executable, "-m", "crawler.fetch", str(config_path), tmp, *urls],
                              capture_output=True, text=True, timeout=600, env=env)
        manifest_path = Path(tmp) / "manifest.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        for index, url in enumerate(urls):
            entry = manifest.get(str(index)) or {"error": f"fetch process failed: {done.stderr[-300:]}"}
            if "error" in entry:
                yield Page("url", url, None, url, entry["error"])
            else:
                body = (Path(tmp) / f"{index}.html").read_bytes()
                yield Page("url", url, body, entry["final_url"])


def read_files(paths: list[str]) -> Iterator[Page]:
    for path in paths:
        try:
            yield Page("file", path, read_page(Path(path)), None)
        except OSError as exc:
            yield Page("file", path, None, None, exc.strerror or str(exc))


def match_page(page: Page, watchlist: Watchlist, rules: list[AlertRule]) -> dict[str, object]:
    record: dict[str, object] = {page.label_key: page.label}
    if page.html is None:
        return {**record, "error": page.error}
    try:
        article = extract(page.html, page.url)
    except ExtractionError as exc:
        return {**record, "error": str(exc)}
    mentions = watchlist.find({"title": article.title, "text": article.text})
    verdicts = decide_all(rules, article.title, article.text, mentions)
    return {
        **record,
        "title": article.title,
        "paywalled": article.paywalled,
        "mentions": [
            {"entity": m.entity, "alias": m.alias, "field": m.field, "snippet": m.snippet} for m in mentions
        ],
        "rules": [v.rule for v in verdicts],
        "reasons": {v.rule: v.reason for v in verdicts},
    }


def describe(record: dict[str, object]) -> str:
    """The human-readable form of one `match` result."""
    label = record.get("file") or record.get("url")
    if "error" in record:
        return f"{label}: {record['error']}"
    lines = [f"{label}: {record['title']}" + (" [paywalled]" if record["paywalled"] else "")]
    mentions = record["mentions"]
    lines.append(f"  {len(mentions)} mention(s)")  # type: ignore[arg-type]
    for m in mentions:  # type: ignore[union-attr]
        lines.append(f"    {m['entity']} as {m['alias']!r} in {m['field']}: {m['snippet']}")
    reasons: dict[str, str] = record["reasons"]  # type: ignore[assignment]
    if reasons:
        for rule, reason in reasons.items():
            lines.append(f"  rule {rule} would alert: {reason}")
    else:
        lines.append("  no rule would alert")
    return "\n".join(lines)


@dataclass
class RematchReport:
    articles: int = 0
    mentions: int = 0
    changed: int = 0
    new_alerts: int = 0


def rematch(
    store: Store, watchlist: Watchlist, rules: list[AlertRule], since: str | None, alert: bool,
    progress: Callable[[int], None] = lambda n: None,
) -> RematchReport:
    """Re-run the watchlist over stored articles; alerts are queued only when `alert` is true."""
    report = RematchReport()
    for article_id, title, text in store.articles_since(since):
        mentions = watchlist.find({"title": title, "text": text})
        before = {(m["entity"], m["field"], m["position"]) for m in store.mentions_of(article_id)}
        after = {(m.entity, m.field, m.position) for m in mentions}
        alerts = []
        if alert:
            alerts = [(v.rule, c, v.reason) for v in decide_all(rules, title, text, mentions) for c in v.channels]
        if before != after or alerts:
            report.new_alerts += store.replace_mentions(article_id, mentions, alerts)
            report.changed += before != after
        report.articles += 1
        report.mentions += len(mentions)
        progress(report.articles)
    return report


def as_json(record: dict[str, object]) -> str:
    return json.dumps({k: v for k, v in record.items() if k != "reasons"}, ensure_ascii=False)


def match_inputs(config: Config, config_path: Path, inputs: list[str]) -> Iterator[Page]:
    urls = [i for i in inputs if i.startswith(("http://", "https://"))]
    files = [i for i in inputs if i not in urls]
    yield from read_files(files)
    if urls:
        yield from fetch_urls(config_path, urls)
