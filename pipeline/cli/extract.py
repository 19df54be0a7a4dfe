"""`newswatch extract`: what extraction makes of saved pages, as JSON lines (for debugging a site)."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Callable

import click

from pipeline.cli.common import open_config, open_store
from pipeline.extract.article import ExtractionError, extract
from pipeline.extract.boilerplate import MIN_ARTICLES, site_of
from pipeline.store.sqlite import Store


def read_page(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def extract_files(
    files: list[Path], url: str | None, store: Store | None, emit: Callable[[str], None]
) -> int:
    """Emit one JSON object per file; return how many files could not be extracted."""
    boilerplate = store.boilerplate_keys(site_of(url), MIN_ARTICLES) if store is not None and url else frozenset()
    failures = 0
    for path in files:
        record: dict[str, object] = {"file": str(path), "url": url}
        try:
            result = extract(read_page(path), url, boilerplate)
        except (OSError, ExtractionError) as exc:
            failures += 1
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            print(f"{path}: {reason}", file=sys.stderr)
            record.update(title=None, author=None, published=None, language=None,
                          paywalled=None, text=None, error=reason)
        else:
            record.update(title=result.title, author=result.author, published=result.published,
                          language=result.language, paywalled=result.paywalled, text=result.text)
        emit(json.dumps(record, ensure_ascii=False))
    return failures


@click.command("extract")
@click.option("--url", default=None, help="The page's URL (resolves links; picks the site's learned boilerplate).")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.pass_context
def extract_command(ctx: click.Context, url: str | None, files: tuple[str, ...]) -> None:
    """Print the extracted article of each FILE as one JSON object per line."""
    boilerplate_store = None
    if ctx.obj["config"]:
        config, _ = open_config(ctx)
        boilerplate_store = open_store(config)
    failures = extract_files([Path(f) for f in files], url, boilerplate_store, click.echo)
    if boilerplate_store:
        boilerplate_store.close()
    ctx.exit(1 if failures == len(files) else 0)
