"""OPML, the file every feed reader exports: its feeds as newswatch sources.

Outlines nest (folders); every outline with an `xmlUrl` is a feed, whatever its depth. Read with
lxml, entities and network off: an OPML file from elsewhere must not expand or fetch anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree


class OpmlError(ValueError):
    """The file is not OPML we can read; the message says why."""


@dataclass(frozen=True)
class OpmlFeed:
    title: str
    url: str


def parse_opml(data: bytes) -> list[OpmlFeed]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"not valid XML: {exc}") from None
    if etree.QName(root).localname.lower() != "opml":
        raise OpmlError(f"the root element is <{etree.QName(root).localname}>, not <opml>")
    feeds = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url:
            title = (outline.get("title") or outline.get("text") or url).strip()
            feeds.append(OpmlFeed(title, url))
    if not feeds:
        raise OpmlError("no outline with an xmlUrl (no feeds)")
    return list({f.url: f for f in feeds}.values())
