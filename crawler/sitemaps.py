"""Sitemaps (sitemaps.org): news sitemaps with their `news:` fields, plain sitemaps, sitemap indexes.

Scrapy's own reader (`scrapy.utils.sitemap`) keeps only `loc` and drops the `news:` fields, so this
reads the XML itself with lxml, entities and network off. The protocol's limits are enforced and
said: at most 50,000 URLs and 50 MB (uncompressed) per file; an index's children are followed to
depth 2 (index -> index -> urlset), not deeper.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timezone

from lxml import etree

from crawler.listing_types import Entry, Listing, ListingPage

MAX_URLS = 50_000
MAX_BYTES = 50 * 1024 * 1024
MAX_DEPTH = 2  # the source's sitemap is depth 0; its children 1; theirs 2


class TooLarge(ValueError):
    pass


def gunzip_capped(data: bytes, cap: int = MAX_BYTES) -> bytes:
    """Decompress a .gz body, refusing to produce more than `cap` bytes (a gzip bomb stops there)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, cap + 1)
    if len(out) > cap or inflater.unconsumed_tail:
        raise TooLarge(f"more than {cap // (1024 * 1024)} MB decompressed")
    return out


def w3c_datetime(text: str | None) -> str | None:
    """'2024-05-14', '2024-05-14T09:30Z', '2024-05-14T11:30:00+02:00' -> ISO 8601 in UTC; None if not a date."""
    if not text:
        return None
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _child_text(element: etree._Element, *path: str) -> str | None:
    """Text of the first descendant along local names `path` (namespaces ignored)."""
    current = [element]
    for name in path:
        current = [c for parent in current for c in parent if _local(c) == name]
        if not current:
            return None
    text = (current[0].text or "").strip()
    return text or None


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           recover=True, remove_comments=True)


def parse_sitemap(page: ListingPage) -> Listing:
    """A urlset's entries (dated by news:publication_date, else lastmod), or an index's children."""
    body = page.body
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip_capped(body)
        except TooLarge as exc:
            return Listing(problem=f"sitemap at {page.url} is too large ({exc}; the protocol allows 50 MB)")
        except zlib.error as exc:
            return Listing(problem=f"sitemap at {page.url} is not valid gzip ({exc})")
    if len(body) > MAX_BYTES:
        return Listing(problem=f"sitemap at {page.url} is larger than 50 MB (the protocol's limit)")
    try:
        root = etree.fromstring(body, _parser()) if body.strip() else None
    except etree.XMLSyntaxError as exc:
        return Listing(problem=f"not a usable sitemap at {page.url}: {exc}")
    kind = _local(root) if root is not None else ""
    if kind == "sitemapindex":
        return _index(root, page)
    if kind == "urlset":
        return _urlset(root, page)
    return Listing(problem=f"not a usable sitemap at {page.url}: no <urlset> or <sitemapindex>")


def _index(root: etree._Element, page: ListingPage) -> Listing:
    children = [loc for element in root if _local(element) == "sitemap"
                if (loc := _child_text(element, "loc"))]
    children = list(dict.fromkeys(children))
    if page.depth + 1 > MAX_DEPTH:
        return Listing(notes=[f"sitemap index {page.url} is {page.depth + 1} levels deep: its "
                              f"{len(children)} children are not followed (at most {MAX_DEPTH})"])
    notes = []
    if len(children) > MAX_URLS:
        notes.append(f"sitemap index {page.url} lists {len(children):,} sitemaps; read the first {MAX_URLS:,}")
        children = children[:MAX_URLS]
    return Listing(follow=children, notes=notes)


def _urlset(root: etree._Element, page: ListingPage) -> Listing:
    entries: list[Entry] = []
    total = 0
    for element in root:
        if _local(element) != "url":
            continue
        total += 1
        if total > MAX_URLS:
            continue
        loc = _child_text(element, "loc")
        if not loc or not loc.startswith(("http://", "https://")):
            continue
        lastmod = w3c_datetime(_child_text(element, "lastmod"))
        published = w3c_datetime(_child_text(element, "news", "publication_date"))
        entries.append(Entry(
            url=loc,
            title=_child_text(element, "news", "title"),
            published=published or lastmod,
            updated=lastmod or published,
            language=_child_text(element, "news", "publication", "language"),
            keywords=_child_text(element, "news", "keywords"),
        ))
    notes = []
    if total > MAX_URLS:
        notes.append(f"sitemap {page.url} lists {total:,} URLs; read the first {MAX_URLS:,} (the protocol's limit)")
    return Listing(entries, notes=notes)
