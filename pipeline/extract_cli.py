"""`newswatch extract`: what extraction makes of saved pages, as JSON lines (for debugging a site)."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Callable

from pipeline.boilerplate import known_boilerplate
from pipeline.extract import ExtractionError, extract
from pipeline.store import Store


def read_page(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def extract_files(
    files: list[Path], url: str | None, store: Store | None, emit: Callable[[str], None]
) -> int:
    """Emit one JSON object per file; return how many files could not be extracted."""
    boilerplate = known_boilerplate(store, url) if store is not None and url else frozenset()
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
