"""Title, author and publication date of a page, from trafilatura's and htmldate's readers.

trafilatura's own `extract_metadata` also reads categories, tags, licence and site name, which
newswatch does not store (a third of its time), and it drops every author name without a space
in it, which loses Chinese names (张伟), mononyms and agency bylines (Reuters, 新华社). This
module calls the same readers for the three fields newswatch keeps, in trafilatura's order, and
finds bylines itself from candidates the page walk collected (`pipeline.extract.prune`):

- author: schema.org JSON-LD, else `<meta name="author">` and its kin (article:author,
  og:author, itemprop), else a byline in the page (rel=author, class byline/author…); the feed
  entry's author is the last resort, applied by ingest (`pipeline.ingest.analyse.to_article`);
- title: JSON-LD or meta (og:title…), else the `<title>`/`<h1>`;
- published: htmldate's search, as trafilatura runs it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from htmldate import find_date
from lxml.etree import _Element
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import (
    examine_meta,
    extract_meta_json,
    extract_title,
    extract_url,
    set_date_params,
)

# Placeholder names some CMSs put in the author field: not a person or an agency.
PLACEHOLDER_AUTHORS = frozenset(
    {"admin", "administrator", "author", "editor", "staff", "user", "username", "webmaster",
     "unknown", "anonymous", "organization", "person"}
)
BYLINE_MAX_CHARS = 120
# A byline inside one of these boxes names a commenter or another story's author.
NOT_THE_ARTICLE = frozenset({"comment", "comments", "reply", "replies", "related", "sidebar", "teaser"})
_WORDS = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class PageMetadata:
    title: str | None
    author: str | None
    published: str | None


def page_metadata(
    tree: _Element, url: str | None = None, bylines: Sequence[_Element] = ()
) -> PageMetadata:
    """What the page says about itself; `bylines` are the byline candidates, in page order
    (elements whose class/id says author or byline, rel=author, itemprop=author)."""
    found = examine_meta(tree)
    # trafilatura sets a one-word meta author aside before reading JSON-LD; so do we, but we
    # keep it as the fallback (张伟, Reuters) where trafilatura throws it away
    one_word = found.author if found.author and " " not in found.author.strip() else None
    if one_word:
        found.author = None
    found = extract_meta_json(tree, found)
    author = usable_author(found.author) or usable_author(one_word)
    published = find_date(
        tree, **set_date_params(True) | {"url": found.url or extract_url(tree, url)}
    )
    title = found.title or extract_title(tree)
    if author is None:
        author = usable_author(byline(tree, bylines))
    return PageMetadata(title=title or None, author=author, published=published or None)


def usable_author(author: str | None) -> str | None:
    author = " ".join((author or "").split())
    if not author or author.casefold() in PLACEHOLDER_AUTHORS:
        return None
    return author


def byline(tree: _Element, candidates: Sequence[_Element]) -> str | None:
    """The byline: the most specific candidate still on the page, outside comments and teasers,
    whose text is a name's length.

    Specific first, as trafilatura's own byline search ranks them (which costs five
    milliseconds a page; the walk that found these candidates costs nothing extra): rel=author
    or itemprop=author, then an author *name* class (``author-name``, ``byline__name``), then
    an author or byline box. Of a box holding another candidate, the inner one is read.
    """
    root = tree.getroottree().getroot()
    ranked = sorted(
        (rank, index, element)
        for index, element in enumerate(candidates)
        if (rank := _specificity(element)) is not None and not _holds_another(element, candidates, index)
    )
    for _, _, element in ranked:
        text = _name_part(" ".join(" ".join(element.itertext()).split()))
        if 2 < len(text) < BYLINE_MAX_CHARS and _in_article(element, root):
            name = normalize_authors(None, text)
            if name:
                return name
    return None


def _specificity(element: _Element) -> int:
    if element.get("rel") == "author" or "author" in (element.get("itemprop") or ""):
        return 0
    words = set(_WORDS.split(_CAMEL.sub(" ", f"{element.get('class') or ''} {element.get('id') or ''}").lower()))
    return 1 if "name" in words else 2


def _holds_another(element: _Element, candidates: Sequence[_Element], index: int) -> bool:
    """A later candidate sits inside this one (descendants follow in document order)."""
    following = candidates[index + 1] if index + 1 < len(candidates) else None
    node = following.getparent() if following is not None else None
    while node is not None:
        if node is element:
            return True
        node = node.getparent()
    return False


# Where a byline box goes on past the name: "… Published 9:30", "… March 9, 2024", "… • 3 min".
_AFTER_NAME = re.compile(
    r"(?:^|\s+)(?:[•|·—–]|(?:published|updated|last\ updated|posted)\b|"
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d|\d{1,2}[:/.]\d).*$",
    re.IGNORECASE,
)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _name_part(text: str) -> str:
    return _AFTER_NAME.sub("", text).strip(" ,;:•|")


def _in_article(element: _Element, root: _Element) -> bool:
    """On the page still (not pruned), and in no comment, reply or teaser box (the <body>'s own
    classes do not count: WordPress puts ``comments-open`` there)."""
    node = element
    while node is not None and node.tag not in ("body", "html"):
        words = set(_WORDS.split(f"{node.get('class') or ''} {node.get('id') or ''}".lower()))
        if not words.isdisjoint(NOT_THE_ARTICLE):
            return False
        node = node.getparent()
    while node is not None and node is not root:
        node = node.getparent()
    return node is root
