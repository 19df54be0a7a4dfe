"""`newswatch add URL` and `newswatch import-opml FILE`: new sources, previewed, pasted or written.

`add` fetches the URL with the crawl's own settings in a child process (`python -m
crawler.probe`), says what it found (feeds, sitemaps, a listing page with N article links),
previews the newest articles with their extracted titles and what would match, and prints the
source entry to paste, or appends it to the config keeping its comments (`--write`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from pipeline.cli.common import (
    EXIT_CONFIG, EXIT_FAILED, channel_types, fail, fail_config, open_config,
)
from pipeline.cli.match import Page, describe_hits, match_page
from pipeline.config import Config, ConfigError, parse_config
from pipeline.config.compile import rules_from_config, watchlist_from_config
from pipeline.config.editing import append_sources, render_entries, source_name
from pipeline.config.opml import OpmlError, parse_opml
from pipeline.service.crawl import child_env

PROBE_TIMEOUT_S = 300


def probe(config_path: Path, url: str, workdir: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "crawler.probe", str(config_path), str(workdir), url],
                          capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, env=child_env())
    manifest = workdir / "manifest.json"
    if not manifest.exists():
        return {"url": url, "error": f"the probe process failed: {done.stderr.strip()[-300:]}"}
    return json.loads(manifest.read_text(encoding="utf-8"))


def describe_candidate(candidate: dict[str, Any]) -> str:
    label = "news-sitemap" if candidate["kind"] == "sitemap" and candidate["news"] else candidate["kind"]
    where = f"{label} {candidate['url']} ({candidate['found']})"
    if candidate["problem"]:
        return f"{where}: {candidate['problem']}"
    what = "article links" if candidate["kind"] == "section" else "articles"
    return f"{where}: {candidate['entries']} {what}, {candidate['dated']} dated"


def write_or_print(config: Config, path: Path, entries: list[dict[str, Any]], write: bool) -> None:
    if not write:
        click.echo("source entry (add it under sources:, or run again with --write):")
        click.echo(render_entries(entries).rstrip())
        return

    def validate(text: str) -> None:
        parse_config(text, path.resolve().parent, channel_types=channel_types())

    try:
        append_sources(path, entries, validate)
    except ConfigError as exc:
        exc.path = path
        fail_config(exc)
    click.echo(f"added {', '.join(e['name'] for e in entries)} to {path}")


@click.command()
@click.argument("url")
@click.option("--name", default=None, help="The source's name (default: from the URL's host).")
@click.option("--write", is_flag=True, help="Append the source to the config file (comments kept).")
@click.pass_context
def add(ctx: click.Context, url: str, name: str | None, write: bool) -> None:
    """Find a site's feed, sitemap or article links, preview them, and add the source."""
    config, path = open_config(ctx)
    if not url.startswith(("http://", "https://")):
        fail(f"config error: {url!r} is not an http(s) URL", EXIT_CONFIG)
    taken = {s.name for s in config.sources}
    if name in taken:
        fail(f"config error: a source named {name!r} exists already", EXIT_CONFIG)
    with tempfile.TemporaryDirectory(prefix="newswatch-add-") as tmp:
        found = probe(path, url, Path(tmp))
        if "error" in found:
            fail(f"{url}: {found['error']}", EXIT_FAILED)
        candidates, best = found["candidates"], found["best"]
        click.echo(f"{url}: looked at {len(candidates)} listing(s)")
        for index, candidate in enumerate(candidates):
            click.echo(f"  {'*' if index == best else ' '} {describe_candidate(candidate)}")
        if best is None:
            fail(f"{url}: no usable feed, sitemap or page of article links", EXIT_FAILED)
        choice = candidates[best]
        click.echo(f"newest articles ({choice['kind']}):")
        watchlist, rules = watchlist_from_config(config), rules_from_config(config)
        for article in found["articles"]:
            html = (Path(tmp) / article["file"]).read_bytes() if "file" in article else None
            record = match_page(Page("url", article["url"], html, article.get("final_url"), article.get("error")),
                                watchlist, rules)
            click.echo(f"  {record.get('title') or article.get('entry_title') or article['url']}")
            click.echo(f"    {article['url']}: {record['error'] if 'error' in record else describe_hits(record)}")
    entry = {"name": name or source_name(url, taken), choice["kind"]: choice["url"]}
    write_or_print(config, path, [entry], write)


@click.command("import-opml")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--write", is_flag=True, help="Append the feeds to the config file (comments kept).")
@click.pass_context
def import_opml(ctx: click.Context, file: str, write: bool) -> None:
    """Add the feeds of an OPML file (a feed reader's export) as sources."""
    config, path = open_config(ctx)
    try:
        feeds = parse_opml(Path(file).read_bytes())
    except OpmlError as exc:
        fail(f"{file}: {exc}", EXIT_CONFIG)
    known = {s.url for s in config.sources}
    taken = {s.name for s in config.sources}
    entries = []
    for feed in feeds:
        if feed.url in known:
            click.echo(f"  {feed.url}: already a source, skipped")
            continue
        entry_name = source_name(feed.title if feed.title.isascii() and feed.title.strip() else feed.url, taken)
        taken.add(entry_name)
        entries.append({"name": entry_name, "feed": feed.url})
    click.echo(f"{file}: {len(feeds)} feed(s), {len(entries)} new")
    if entries:
        write_or_print(config, path, entries, write)
