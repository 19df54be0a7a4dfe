"""Section pages (a section front, a tag or search page): which links are articles, and "next".

With `links:` configured, its CSS selector (or URL regex) decides. Otherwise links are taken when
they stay on the site, sit outside navigation (nav, header, footer, aside, menus) and look like an
article's address: a date in the path (/2024/05/14/), a slug of three or more words
(/hikvision-shares-slide-on-us-curbs), or a long numeric id; or when their text reads like a
headline (six words, twelve CJK characters). Tag, category, author and account
pages never count. A "next" link (rel=next, or a pagination link reading Next / Older / » / 下一页)
is followed up to the source's `pages:`.
"""

from __future__ import annotations

import re
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml.etree import ParserError, _Element
from w3lib.encoding import html_to_unicode

from crawler.listing_types import Entry, Listing, ListingPage

_NAV_TAGS = {"nav", "header", "footer", "aside"}
_NAV_TOKENS = {"nav", "navbar", "navigation", "menu", "footer", "header", "breadcrumb", "breadcrumbs",
               "pagination", "pager", "sidebar", "tags", "share", "social", "masthead"}
_NOT_ARTICLES = {"tag", "tags", "category", "categories", "topic", "topics", "author", "authors", "about",
                 "contact", "login", "signin", "sign-in", "register", "subscribe", "subscription", "search",
                 "feed", "rss", "privacy", "terms", "help", "newsletter", "newsletters", "account", "page"}
_DATE_PATH = re.compile(r"/(19|20)\d\d[/-](0?[1-9]|1[0-2])([/-](0?[1-9]|[12]\d|3[01]))?(/|$|-)|/(19|20)\d{6}(/|$|[-_])")
_LONG_ID = re.compile(r"(^|[/_-])\d{6,}([/._-]|$)")
_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)
_NEXT_TEXT = re.compile(r"^\s*(next|older|more|next page|older posts|»|›|>|下一页|下页|次へ|次のページ|suivant|siguiente|weiter)\s*[»›>]?\s*$",
                        re.IGNORECASE)
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")


def bare_host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def _tokens(element: _Element) -> set[str]:
    return set(_TOKEN_SPLIT.split(f"{element.get('class') or ''} {element.get('id') or ''}".lower()))


def in_navigation(element: _Element) -> bool:
    for ancestor in element.iterancestors():
        if ancestor.tag in _NAV_TAGS or (ancestor.get("role") or "").lower() == "navigation":
            return True
        if _tokens(ancestor) & _NAV_TOKENS:
            return True
    return False


def _segments(url: str, listing_url: str) -> list[str] | None:
    """The path's segments of a same-site link that is not a tag/author/account page, else None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or bare_host(url) != bare_host(listing_url):
        return None
    segments = [s for s in parts.path.lower().split("/") if s]
    if not segments or urldefrag(url)[0].rstrip("/") == urldefrag(listing_url)[0].rstrip("/"):
        return None
    if any(s in _NOT_ARTICLES for s in segments[:-1]) or segments[-1] in _NOT_ARTICLES:
        return None
    return segments


def looks_like_article(url: str, listing_url: str) -> bool:
    """Same site, and an article's kind of address (not a section, tag, author or account page)."""
    segments = _segments(url, listing_url)
    if segments is None:
        return False
    path = urlsplit(url).path
    last = re.sub(r"\.(s?html?|php|aspx?)$", "", segments[-1])
    if _DATE_PATH.search(path) or _LONG_ID.search(path):
        return True
    return len(_WORDS.findall(last)) >= 3


def reads_like_a_headline(text: str) -> bool:
    """Six words or more, or 12 CJK characters: a menu entry is shorter."""
    cjk = sum(1 for c in text if "\u3040" <= c <= "\u9fff")
    return cjk >= 12 or len(text.split()) >= 6


def is_article_link(anchor: _Element, url: str, listing_url: str) -> bool:
    """An article-shaped address, or a page of the site under a headline (outside navigation)."""
    if in_navigation(anchor):
        return False
    if looks_like_article(url, listing_url):
        return True
    segments = _segments(url, listing_url)
    return segments is not None and reads_like_a_headline(" ".join((anchor.text_content() or "").split()))


def _absolute_links(tree: _Element, base: str) -> list[tuple[_Element, str]]:
    links = []
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href and not href.startswith(("#", "javascript:", "mailto:", "tel:")):
            links.append((anchor, urldefrag(urljoin(base, href))[0]))
    return links


def next_page(tree: _Element, base: str) -> str | None:
    for element in tree.iter("link", "a"):
        if "next" in (element.get("rel") or "").lower().split() and element.get("href"):
            return urldefrag(urljoin(base, element.get("href").strip()))[0]
    for anchor, url in _absolute_links(tree, base):
        if _NEXT_TEXT.match(anchor.text_content() or "") and bare_host(url) == bare_host(base):
            return url
    return None


def _title(anchor: _Element) -> str | None:
    text = " ".join((anchor.text_content() or "").split())
    return text or (anchor.get("title") or None)


def html_tree(page: ListingPage) -> _Element | None:
    """The page parsed as HTML, decoded as the HTTP charset, a BOM or <meta> says (w3lib), else guessed."""
    if not page.body.strip():
        return None
    _, text = html_to_unicode(page.content_type or None, page.body)
    return lxml.html.document_fromstring(text) if text.strip() else None


def parse_section(page: ListingPage) -> Listing:
    """Article links of one listing page and its "next" page (the caller decides whether to follow)."""
    try:
        tree = html_tree(page)
    except (ParserError, ValueError) as exc:
        return Listing(problem=f"not a usable page at {page.url}: {exc}")
    if tree is None:
        return Listing(problem=f"not a usable page at {page.url}: it is empty")
    base = page.url
    for element in tree.iter("base"):
        if element.get("href"):
            base = urljoin(page.url, element.get("href"))
            break
    if page.links_css:
        anchors = [a for chosen in tree.cssselect(page.links_css)
                   for a in ([chosen] if chosen.tag == "a" else chosen.iter("a"))]
        chosen_ids = {id(a) for a in anchors}
        candidates = [(a, u) for a, u in _absolute_links(tree, base) if id(a) in chosen_ids]
    elif page.links_regex:
        pattern = re.compile(page.links_regex)
        candidates = [(a, u) for a, u in _absolute_links(tree, base) if pattern.search(u)]
    else:
        candidates = [(a, u) for a, u in _absolute_links(tree, base) if is_article_link(a, u, page.url)]
    entries: dict[str, Entry] = {}
    for anchor, url in candidates:
        if url.startswith(("http://", "https://")) and url not in entries:
            entries[url] = Entry(url=url, title=_title(anchor))
    following = next_page(tree, base)
    return Listing(list(entries.values()), follow=[following] if following else [])
