"""Structural pruning before extraction: paywall barriers, dialogs, ad slots, share bars, newsletter boxes.

Elements are recognised by whole tokens of their class/id (``paywall-modal`` -> paywall, modal),
never by substrings. Pruning is conservative, because trafilatura already drops most page chrome
by itself and every wrong cut loses article text:

- an element that holds a real share of the page's article text is never removed (a site that
  wraps its article in ``<div class="premium-content">`` or a Blogger ``widget Blog`` keeps it);
- only markers that name a barrier, a dialog or a widget (ad slot, share bar, newsletter box,
  donation/consent popup, related-links box) count; words such as ``premium`` or ``locked``
  name article wrappers as often as barriers and are only used for the `shows_barrier` flag.
"""

from __future__ import annotations

import re
from lxml.etree import _Element

_SEPARATORS = re.compile(r"[^a-z0-9]+")
_CAMEL_CASE = re.compile(r"(?<=[a-z])(?=[A-Z])")

# Markers of a paywall or registration barrier: enough to flag the page and to remove the box.
PAYWALL_TOKENS = frozenset({"paywall", "regwall", "piano", "tinypass"})
# Further words found on barrier boxes; they flag a barrier only together with barrier wording.
BARRIER_TOKENS = PAYWALL_TOKENS | frozenset(
    {
        "subscribe", "subscription", "subscriptions", "meter", "metered", "upsell", "plans",
        "pricing", "offer", "offers", "premium", "gate", "barrier", "locked", "tp",
    }
)
# Boxes that are never article text: barriers, dialogs, ad slots, share/newsletter/donation boxes.
PRUNE_TOKENS = PAYWALL_TOKENS | frozenset(
    {
        "subscribe", "subscription", "upsell", "modal", "popup", "overlay", "lightbox",
        "ad", "ads", "advert", "adverts", "advertisement", "adsbygoogle", "adslot", "adunit",
        "dfp", "gpt", "outbrain", "taboola", "share", "sharing", "sharebar", "sharedaddy",
        "newsletter", "signup", "donate", "donation", "donations", "consent", "cookie",
        "cookies", "gdpr", "related", "widget", "widgets", "sidebar",
    }
)
# Tokens that mark the article container itself, never to be pruned unless it is a paywall box.
ARTICLE_TOKENS = frozenset({"article", "story", "content", "body", "entry", "post", "main"})
BARRIER_PHRASES = re.compile(
    r"(reached your (free )?(article )?limit|subscribe (now )?to (continue|read|unlock)|"
    r"already (a )?subscri|this (article|content|story) is (for|available to) (subscribers|members)|"
    r"订阅后阅读|会员专享|付费阅读)",
    re.IGNORECASE,
)
# An element holding this share of the page's article text is article, whatever its class says.
ARTICLE_SHARE = 0.3
# Below this many characters of <p> text the page sets its text in divs or <br> runs: measure all
# visible text instead.
FEW_PARAGRAPHS = 500
_INVISIBLE = frozenset({"script", "style", "noscript", "template"})
_ALL_TOKENS = PRUNE_TOKENS | BARRIER_TOKENS



def _tokens(element: _Element) -> set[str]:
    """Lower-case words of class and id: ``paywallModal share_bar`` -> paywall, modal, share, bar."""
    raw = f"{element.get('class') or ''} {element.get('id') or ''}"
    lower = raw.lower()
    if lower != raw:
        lower = _CAMEL_CASE.sub(" ", raw).lower()
    return set(_SEPARATORS.split(lower))


def _is_dialog(element: _Element) -> bool:
    return (
        element.tag == "dialog"
        or (element.get("role") or "").lower() in ("dialog", "alertdialog")
        or (element.get("aria-modal") or "").lower() == "true"
    )


Marked = list[tuple[_Element, set[str]]]


def marked_elements(tree: _Element) -> Marked:
    """Dialogs and elements with a barrier/widget token in class or id, in document order.

    One walk serves both `shows_barrier` and `prune_page`; it visits only elements that have a
    class, id or dialog role, which keeps it well under a millisecond on a news page.
    """
    marked = []
    for element in tree.xpath(".//*[@class or @id or @role or @aria-modal] | .//dialog"):
        tokens = _tokens(element)
        if not tokens.isdisjoint(_ALL_TOKENS) or _is_dialog(element):
            marked.append((element, tokens))
    return marked


def _paragraph_text(element: _Element) -> int:
    return sum(len((p.text_content() or "").strip()) for p in element.iter("p"))


def _visible_text(element: _Element) -> int:
    """Characters of text a reader sees (scripts and styles do not count)."""
    total = 0
    for node in element.iter():
        if node.tag in _INVISIBLE:
            continue
        if node is not element and node.tail and node.getparent().tag not in _INVISIBLE:
            total += len(node.tail.strip())
        if node.text and isinstance(node.tag, str):
            total += len(node.text.strip())
    return total


def shows_barrier(tree: _Element, marked: Marked | None = None) -> bool:
    """A paywall or registration barrier is on the page (markup or its telltale wording)."""
    for element, tokens in marked if marked is not None else marked_elements(tree):
        if tokens & PAYWALL_TOKENS:
            return True
        if (tokens & BARRIER_TOKENS or _is_dialog(element)) and BARRIER_PHRASES.search(
            element.text_content() or ""
        ):
            return True
    return False


def _should_prune(element: _Element, tokens: set[str]) -> bool:
    if _is_dialog(element) or tokens & PAYWALL_TOKENS:
        return True
    if tokens & ARTICLE_TOKENS:
        return False
    return bool(tokens & PRUNE_TOKENS)


def prune_page(tree: _Element, marked: Marked | None = None) -> int:
    """Remove barriers and widgets in place; return how many elements were removed.

    `marked` is `marked_elements(tree)` when the caller already has it.
    """
    body = tree.find(".//body")
    root = body if body is not None else tree
    measure = _paragraph_text
    total = measure(root)
    if total < FEW_PARAGRAPHS:
        measure, total = _visible_text, _visible_text(root)
    limit = max(total, 1) * ARTICLE_SHARE
    doomed: list[_Element] = []
    for element, tokens in marked if marked is not None else marked_elements(tree):
        if element is root or (doomed and _is_inside(element, doomed[-1])):
            continue
        if _should_prune(element, tokens) and measure(element) < limit:
            doomed.append(element)
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()
    return len(doomed)


def _is_inside(element: _Element, container: _Element) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent is container:
            return True
        parent = parent.getparent()
    return False


# Class words of an article-body container; chunks of a split body carry one of them.
BODY_TOKENS = frozenset({"body", "content", "text", "article", "story", "entry", "post"})
_CHUNK_TEXT = 200  # characters of <p> text that make a container a chunk of the article


def join_split_body(tree: _Element) -> int:
    """Join an article body that the page splits into sibling containers; return chunks joined.

    Some sites cut the body into several ``<div class="article__body">`` siblings (or cousins,
    each in its own layout box) with ad slots between them. trafilatura keeps the first container its body rules match and loses the rest
    of the article, so the paragraphs of the later chunks move into the first one (the ad slots
    between chunks stay outside and are dropped with the rest of the page chrome).
    """
    groups: dict[tuple[int, str, str], list[_Element]] = {}
    seen: set[int] = set()
    for paragraph in tree.iter("p"):
        chunk = paragraph.getparent()
        if chunk is None or id(chunk) in seen:
            continue
        seen.add(id(chunk))
        parent, cls = chunk.getparent(), chunk.get("class")
        if parent is None or not cls or BODY_TOKENS.isdisjoint(_tokens(chunk)):
            continue
        # siblings, or cousins each wrapped in its own layout box (grid, row)
        grandparent = parent.getparent()
        key = id(grandparent if grandparent is not None else parent)
        groups.setdefault((key, chunk.tag, cls), []).append(chunk)
    joined = 0
    for chunks in groups.values():
        chunks = [chunk for chunk in chunks if _paragraph_text(chunk) >= _CHUNK_TEXT]
        for chunk in chunks[1:]:
            chunks[0].extend(list(chunk))
            chunk.getparent().remove(chunk)
            joined += 1
    return joined
