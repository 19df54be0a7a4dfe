"""`newswatch extract`: what extraction makes of saved pages or URLs, as JSON lines (for debugging a site)."""

from __future__ import annotations

import json
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Callable, Iterable

import click

from pipeline.cli.common import config_path, open_config, open_store
from pipeline.cli.pages import Page, is_url, read_inputs
from pipeline.extract.article import ExtractionError, extract
from pipeline.extract.boilerplate import MIN_ARTICLES, site_of
from pipeline.store.sqlite import Store

def extract_pages(
    pages: Iterable[Page], url: str | None, store: Store | None, emit: Callable[[str], None]
) -> tuple[int, int]:
    """Emit one JSON object per page; return (pages, pages that could not be extracted).

    `url` is the address of saved files (`--url`); a fetched page has its own."""
    count = failures = 0
    for page in pages:
        count += 1
        page_url = page.url if page.label_key == "url" else url
        record: dict[str, object] = {"file": page.label if page.label_key == "file" else None, "url": page_url}
        try:
            if page.html is None:
                raise ExtractionError(page.error or "not read")
            boilerplate = store.boilerplate_keys(site_of(page_url), MIN_ARTICLES) if store and page_url else frozenset()
            result = extract(page.html, page_url, boilerplate)
        except ExtractionError as exc:
            failures += 1
            print(f"{page.label}: {exc}", file=sys.stderr)
            record.update(title=None, author=None, published=None, language=None,
                          paywalled=None, text=None, error=str(exc))
        else:
            record.update(title=result.title, author=result.author, published=result.published,
                          language=result.language, paywalled=result.paywalled, text=result.text)
        emit(json.dumps(record, ensure_ascii=False))
    return count, failures


@click.command("extract")
@click.option("--url", default=None, help="The saved page's URL (resolves links; picks the site's learned boilerplate).")
@click.argument("inputs", nargs=-1, required=True)
@click.pass_context
def extract_command(ctx: click.Context, url: str | None, inputs: tuple[str, ...]) -> None:
    """Print the extracted article of each saved page (FILE) or URL as one JSON object per line."""
    with ExitStack() as stack:
        store = None
        fetch_with = config_path(ctx)
        if ctx.obj["config"]:
            config, fetch_with = open_config(ctx)
            store = open_store(config)
            stack.callback(store.close)
        elif any(is_url(i) for i in inputs):
            if fetch_with.exists():
                open_config(ctx)  # fetch as that config says, once it is valid
            else:  # no config: fetch with the default settings (robots.txt, no private networks)
                folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="newswatch-extract-"))
                fetch_with = Path(folder) / "config.yaml"
                fetch_with.write_text("{}\n", encoding="utf-8")
        count, failures = extract_pages(read_inputs(fetch_with, list(inputs)), url, store, click.echo)
    ctx.exit(1 if failures == count else 0)
