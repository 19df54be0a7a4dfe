"""Rendering, apart from transport: the same AlertMessage as plain text, HTML or Slack mrkdwn."""

from __future__ import annotations

from functools import lru_cache

import jinja2

from pipeline.message import AlertMessage
from pipeline.textnorm import fold, fold_term


def split_highlight(snippet: str, alias: str) -> list[tuple[str, bool]]:
    """Snippet pieces, True where the alias appears (found the way the matcher finds it)."""
    folded = fold(snippet)
    key = fold_term(alias)
    pieces: list[tuple[str, bool]] = []
    cursor = 0
    search_from = 0
    while key:
        at = folded.text.find(key, search_from)
        if at < 0:
            break
        start, end = folded.original_span(at, at + len(key))
        pieces.append((snippet[cursor:start], False))
        pieces.append((snippet[start:end], True))
        cursor, search_from = end, at + len(key)
    pieces.append((snippet[cursor:], False))
    return [(text, hit) for text, hit in pieces if text]


def one_line(text: str) -> str:
    """Header-safe: no CR/LF or other control characters can split a header."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def subject(message: AlertMessage) -> str:
    entities = ", ".join(message.entities) or message.rule
    marker = " [paywalled]" if message.paywalled else ""
    return one_line(f"[newswatch] {entities}: {message.title}{marker}")[:250]


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("alerts", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["split_highlight"] = split_highlight
    return env


def render(template: str, message: AlertMessage) -> str:
    return _environment().get_template(template).render(m=message)


def render_template(template: str, **values: object) -> str:
    """Any bundled template with the same environment (autoescaped HTML, highlight helper)."""
    return _environment().get_template(template).render(**values)
