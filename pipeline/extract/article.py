"""Extraction: HTML page -> title, author, date, language, paywall flag and clean article text.

One function, `extract`, is all the crawl calls; it is pure (no I/O, no caches, nothing kept
between calls) so it can run in a process pool and gives the same result for the same page. The
stages read in order: parse -> read page signals -> prune barriers and widgets -> join a split
body -> trafilatura (fast) -> safety net (trafilatura full, when the fast pass kept little) ->
metadata -> clean lines.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any, Container

import trafilatura
from lxml.etree import _Element

from pipeline.extract.clean import clean_text
from pipeline.extract.metadata import page_metadata
from pipeline.extract.prune import (
    Pruning,
    join_split_body,
    marked_elements,
    prose_chars,
    prune_page,
    shows_barrier,
)
from pipeline.extract.rules import ALL_RULES, Rules
from pipeline.extract.safety import Evidence, needs_second_opinion, restore_lost_blocks
from pipeline.models import Article


MIN_TEXT_CHARS = 30  # shorter than one sentence: a navigation stub, not an article


class _ReportedByParseHtml(logging.Filter):
    """Drops trafilatura's own ERROR line about a page `load_html` cannot parse ("parsed tree
    length: 0, wrong data type or not valid HTML"): `parse_html` raises ExtractionError for the
    same page, and every caller reports that (`match`, `extract`, the crawl's rejected pages), so
    the log line was a duplicate that leaked into `match` output. Other trafilatura records pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.funcName != "load_html"


_LOAD_HTML_LOGGER = logging.getLogger("trafilatura.utils")
if not any(isinstance(f, _ReportedByParseHtml) for f in _LOAD_HTML_LOGGER.filters):
    _LOAD_HTML_LOGGER.addFilter(_ReportedByParseHtml())


class ExtractionError(ValueError):
    """The page holds no article text we can use; the message says why."""


def extract(
    html: str | bytes,
    url: str | None = None,
    boilerplate: Container[str] = frozenset(),
    rules: Rules = ALL_RULES,
) -> Article:
    """Extract one article (its `url` and `source` left for ingest to set).

    `boilerplate` holds the keys of lines this site repeats on every page (learned); `rules`
    switches cleaning rules off, for the benchmark's ablation only.
    """
    tree = parse_html(html)
    declared_paywall = declares_paywall(tree)
    canonical = canonical_link(tree)
    language = page_language(tree)
    marks = marked_elements(tree)
    barrier = shows_barrier(tree, marks.boxes)
    pruning = prune_page(tree, marks.boxes) if rules.pruning else Pruning([], prose_chars(tree))
    if rules.split_body_join:
        join_split_body(tree)
    text = main_text(tree, url, rules)
    if rules.safety_net and needs_second_opinion(text, pruning.prose_left):
        text = with_safety_net(text, html, url, pruning.removed, boilerplate, rules)
    if not text.strip():
        raise ExtractionError("no article text found on the page")
    metadata = page_metadata(tree, url, marks.bylines)
    title = " ".join((metadata.title or "").split())
    text = clean_text(text, boilerplate, rules)
    if rules.leading_title:
        text = drop_leading_title(text, title)
    if len(text) < MIN_TEXT_CHARS:
        raise ExtractionError(
            f"only {len(text)} characters of text after removing boilerplate; not an article"
        )
    return Article(
        title=title,
        author=metadata.author,
        published=metadata.published,
        language=language or guess_language(text),
        text=text,
        paywalled=declared_paywall or barrier,
        canonical_link=canonical,
    )


def main_text(tree: _Element, url: str | None, rules: Rules) -> str:
    """trafilatura's fast pass on the pruned tree; its full pass when the fast one returns a menu."""
    text = _trafilatura(tree, url, fast=True)
    if rules.navigation_pass and text and looks_like_navigation(text):
        text = _trafilatura(tree, url, fast=False) or text
    return text


def with_safety_net(
    text: str,
    html: str | bytes,
    url: str | None,
    removed: list[_Element],
    boilerplate: Container[str],
    rules: Rules,
) -> str:
    """`text`, or with the blocks trafilatura's full extraction of the unpruned page adds back
    (see `pipeline.extract.safety` for the rule)."""
    page = parse_html(html)
    evidence = Evidence.gather(
        removed, page, text, rules.line_families(), boilerplate, rules.barrier_cut
    )
    full = _trafilatura(page, url, fast=False)
    return restore_lost_blocks(text, full, evidence) if full else text


def _trafilatura(tree: _Element, url: str | None, fast: bool) -> str:
    """trafilatura's text of the tree (it works on a copy, so the tree can be used again).

    fast=True trusts trafilatura's own extractor and skips its readability/jusText comparison:
    about 1.3 times faster. fast=False is the second opinion, for the safety net and for the
    rare page where the fast pass returns a menu. Metadata is read by `page_metadata`.
    """
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
        deduplicate=False,
        fast=fast,
    )
    return (document.text or "") if document is not None else ""


NAV_LINE_CHARS = 30  # a menu entry: shorter than this and under five words
NAV_SHARE = 0.5


def looks_like_navigation(text: str) -> bool:
    """Most of the text sits in menu-entry lines: the extractor took a menu for the article.

    Article prose, English or Chinese, is written in lines of a sentence or more; a site menu
    is a long run of two-word lines.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    total = sum(len(line) for line in lines)
    short = sum(
        len(line) for line in lines if len(line) < NAV_LINE_CHARS and len(line.split()) < 5
    )
    return total > 0 and short >= total * NAV_SHARE


def drop_leading_title(text: str, title: str) -> str:
    """The headline is stored as the title; a copy as the first line of the text is noise."""
    first, _, rest = text.partition("\n")
    if title and " ".join(first.split()).casefold() == title.casefold():
        return rest.strip()
    return text


def parse_html(html: str | bytes) -> _Element:
    """Parse the page exactly as trafilatura would parse it by itself.

    Bytes are decoded as UTF-8 when they are valid UTF-8 and by detection otherwise (lxml alone
    falls back to Latin-1 when it misses the charset declaration, which turned Cyrillic and
    curly quotes into mojibake), comments and processing instructions are dropped, and faulty
    doctypes are repaired: the tree handed to trafilatura is then the one it expects.
    """
    if not html.strip():
        raise ExtractionError("the page is empty")
    tree = trafilatura.load_html(html)
    if tree is None:
        raise ExtractionError("not parseable as HTML")
    return tree


def canonical_link(tree: _Element) -> str | None:
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        if "canonical" in rel and link.get("href"):
            return link.get("href").strip()
    return None


def page_language(tree: _Element) -> str | None:
    root = tree.getroottree().getroot()
    lang = (root.get("lang") or root.get("xml:lang") or "").strip()
    if not lang:
        for meta in tree.iter("meta"):
            if (meta.get("property") or meta.get("http-equiv") or "").lower() in (
                "og:locale",
                "content-language",
            ):
                lang = meta.get("content") or ""
                break
    lang = lang.replace("_", "-").split("-")[0].lower()
    return lang if re.fullmatch(r"[a-z]{2,3}", lang) else None


def guess_language(text: str) -> str | None:
    """Script-level guess when the page does not say: enough for zh/ja/ko versus the rest."""
    sample = text[:2000]
    kana = sum(1 for c in sample if "\u3040" <= c <= "\u30ff")
    han = sum(1 for c in sample if "\u4e00" <= c <= "\u9fff")
    hangul = sum(1 for c in sample if "\uac00" <= c <= "\ud7af")
    letters = sum(1 for c in sample if c.isalpha()) or 1
    if kana > letters * 0.05:
        return "ja"
    if han > letters * 0.3:
        return "zh"
    if hangul > letters * 0.3:
        return "ko"
    return None


def declares_paywall(tree: _Element) -> bool:
    """schema.org says the content is not free (isAccessibleForFree false, at any depth)."""
    for data in _json_ld(tree):
        if _finds_not_free(data):
            return True
    for meta in tree.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").lower()
        if name in ("isaccessibleforfree", "article:content_tier"):
            content = (meta.get("content") or "").strip().lower()
            if content in ("false", "no", "locked", "metered"):
                return True
    return False


def _finds_not_free(data: Any) -> bool:
    if isinstance(data, dict):
        flag = data.get("isAccessibleForFree")
        if isinstance(flag, str):
            flag = flag.strip().lower() not in ("false", "no", "0")
        if flag is False:
            return True
        return any(_finds_not_free(value) for value in data.values())
    if isinstance(data, list):
        return any(_finds_not_free(item) for item in data)
    return False


def _json_ld(tree: _Element) -> Iterator[Any]:
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            yield json.loads(script.text)
        except ValueError:
            continue
