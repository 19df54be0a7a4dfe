"""An article's text as HTML with its mentions marked, for the article's own page. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape


def spans(text: str, mentions: Iterable[Mapping[str, Any]], field: str) -> list[tuple[int, int, str]]:
    """(start, end, entity) of the mentions in `field`, in order, overlaps dropped (first kept).

    A mention stores where it starts and the alias that matched; matching folds case and width
    one for one, so the alias's length is the length of the matched text."""
    found = sorted(
        (m["position"], m["position"] + len(m["alias"]), m["entity"])
        for m in mentions
        if m["field"] == field and m["position"] is not None and 0 <= m["position"] < len(text)
    )
    kept: list[tuple[int, int, str]] = []
    for start, end, entity in found:
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, min(end, len(text)), entity))
    return kept


def marked(text: str, mentions: Iterable[Mapping[str, Any]], field: str) -> Markup:
    """The text escaped, each mention in `<mark title="entity">`."""
    out: list[str] = []
    at = 0
    for start, end, entity in spans(text, mentions, field):
        out.append(escape(text[at:start]))
        out.append(Markup('<mark title="{}">{}</mark>').format(entity, text[start:end]))
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)


def paragraphs(html: Markup) -> Markup:
    """One `<p>` per line of the (already escaped and marked) text."""
    lines = [line for line in str(html).split("\n") if line.strip()]
    return Markup("".join(f"<p>{line}</p>" for line in lines))


def article_html(text: str, mentions: Iterable[Mapping[str, Any]]) -> Markup:
    return paragraphs(marked(text or "", list(mentions), "text"))


def snippet_html(snippet: str, alias: str) -> Markup:
    """A mention's snippet with its alias marked (case-insensitive; the first occurrence)."""
    snippet = snippet or ""
    at = snippet.lower().find((alias or "").lower()) if alias else -1
    if at < 0:
        return escape(snippet)
    end = at + len(alias)
    return escape(snippet[:at]) + Markup("<mark>{}</mark>").format(snippet[at:end]) + escape(snippet[end:])
