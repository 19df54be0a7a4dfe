"""Adding sources to a config file without losing what the user wrote: comments, order, layout.

ruamel.yaml round-trips the file; the new text is validated as a whole before it replaces the old
one (atomically), so `--write` can never leave a config that `check` would refuse.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from pipeline.config.loading import ConfigError


def source_name(text: str, taken: set[str]) -> str:
    """A readable, unused name from a URL's host (https://www.example.org/feed -> example-org) or a
    title ("Asia Business Wire" -> asia-business-wire)."""
    if text.startswith(("http://", "https://")):
        text = (urlsplit(text).hostname or "source").lower()
        text = text[4:] if text.startswith("www.") else text
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-") or "source"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def render_entries(entries: list[dict[str, Any]]) -> str:
    """The entries as they would stand under `sources:` (for printing)."""
    out = io.StringIO()
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.dump([dict(e) for e in entries], out)
    return out.getvalue()


def append_sources(path: Path, entries: list[dict[str, Any]], validate: Callable[[str], object]) -> str:
    """Append entries to the file's `sources:` keeping its comments; `validate(text)` must accept
    the result (it raises ConfigError otherwise). Returns the new text."""
    yaml = YAML()
    yaml.preserve_quotes = True
    text = path.read_text(encoding="utf-8")
    data = yaml.load(text) or CommentedMap()
    if not isinstance(data, dict):
        raise ConfigError(["(top): the config must be a mapping of keys such as sources, watchlist"], path)
    sources = data.get("sources")
    if sources is None:
        sources = data["sources"] = CommentedSeq()
    elif not isinstance(sources, list):
        raise ConfigError(["sources: must be a list to add to"], path)
    for entry in entries:
        sources.append(CommentedMap(entry))
    out = io.StringIO()
    yaml.dump(data, out)
    new_text = out.getvalue()
    validate(new_text)
    temporary = path.with_name(f".{path.name}.new")
    temporary.write_text(new_text, encoding="utf-8")
    temporary.replace(path)
    return new_text
