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
from dataclasses import dataclass

from lxml.etree import XPath, _Element

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
    """Lower-case words of class and id: ``paywallModal share_bar`` -> paywall, modal, share, bar.

    An id of more than `ID_WORDS` words is a slug of a heading (Sphinx and wiki sections:
    ``sharing-with-a-single-developer``), not a name of a kind of box: its words do not count.
    """
    words = _split(element.get("class") or "")
    id_words = _split(element.get("id") or "")
    if len(id_words - {""}) <= ID_WORDS:
        words |= id_words
    return words


def _split(raw: str) -> set[str]:
    lower = raw.lower()
    if lower != raw:
        lower = _CAMEL_CASE.sub(" ", raw).lower()
    return set(_SEPARATORS.split(lower))


_DIALOG_ROLES = frozenset({"dialog", "alertdialog"})
ID_WORDS = 3


def _is_dialog(element: _Element) -> bool:
    return (
        element.tag == "dialog"
        or (element.get("role") or "").lower() in _DIALOG_ROLES
        or (element.get("aria-modal") or "").lower() == "true"
    )


Marked = list[tuple[_Element, set[str]]]


# Class/id words of a byline: the author's name, set apart from the article (never pruned).
BYLINE_TOKENS = frozenset(
    {"author", "authors", "byline", "bylines", "byl", "writer", "journalist", "reporter",
     "zuozhe", "bianji", "xiaobian"}
)
# Attribute values, not elements: lxml builds a Python object per result, and strings are cheap
# where most elements are not marked. Results come in document order.
_MARKABLE = XPath(
    ".//@class | .//@id | .//@role | .//@aria-modal | .//dialog | "
    ".//@rel[. = 'author'] | .//@itemprop[contains(., 'author')]"
)


@dataclass(frozen=True)
class Marks:
    """What the class/id walk found: barrier and widget boxes and dialogs (`boxes`, for
    `shows_barrier`, `prune_page` and the safety net) and byline candidates, in document order."""

    boxes: Marked
    bylines: list[_Element]


def marked_elements(tree: _Element) -> Marks:
    """One walk over the class, id and role values of the page.

    A page repeats a few class names over hundreds of elements, so each distinct class/id
    value is read into words once (in a dict local to this call), and only marked elements are
    looked at further: the walk costs about a millisecond on a news page.
    """
    boxes: Marked = []
    bylines: list[_Element] = []
    seen: set[_Element] = set()
    known: dict[str, tuple[bool, bool]] = {}
    for node in _MARKABLE(tree):
        if isinstance(node, str):
            name = node.attrname
            byline = False
            if name in ("class", "id"):
                if node not in known:
                    words = _split(node)
                    if name == "id" and len(words - {""}) > ID_WORDS:
                        words = set()
                    known[node] = (not words.isdisjoint(_ALL_TOKENS), not words.isdisjoint(BYLINE_TOKENS))
                hit, byline = known[node]
            elif name == "role":
                hit = node.lower() in _DIALOG_ROLES
            elif name == "aria-modal":
                hit = node.lower() == "true"
            else:  # rel=author, itemprop=author
                hit, byline = False, True
            element = node.getparent()
            if byline and (not bylines or bylines[-1] is not element):
                bylines.append(element)
            if not hit:
                continue
        else:
            element = node
        if element not in seen:
            seen.add(element)
            boxes.append((element, _tokens(element)))
    return Marks(boxes, bylines)


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
    for element, tokens in marked if marked is not None else marked_elements(tree).boxes:
        if tokens & PAYWALL_TOKENS:
            return True
        if (tokens & BARRIER_TOKENS or _is_dialog(element)) and BARRIER_PHRASES.search(
            element.text_content() or ""
        ):
            return True
    return False


# Phrasing elements inside a paragraph are words of its sentence (``<a class="popup">``), never a box.
_INLINE = frozenset({"a", "span", "em", "strong", "b", "i", "u", "small", "abbr", "cite", "q", "mark",
                     "sup", "sub", "font", "label", "time"})
_TEXT_BLOCK = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "td", "dd",
                         "figcaption"})


def _should_prune(element: _Element, tokens: set[str]) -> bool:
    parent = element.getparent()
    if element.tag in _INLINE and parent is not None and parent.tag in _TEXT_BLOCK:
        return False
    if _is_dialog(element) or tokens & PAYWALL_TOKENS:
        return True
    if tokens & ARTICLE_TOKENS:
        return False
    return bool(tokens & PRUNE_TOKENS)


@dataclass(frozen=True)
class Pruning:
    """What `prune_page` removed (detached, text intact: the safety net's evidence) and how
    much prose it left: paragraph text, or all visible text where the page has little of it."""

    removed: list[_Element]
    prose_left: int


def prune_page(tree: _Element, marked: Marked | None = None) -> Pruning:
    """Remove barriers and widgets in place.

    `marked` is `marked_elements(tree).boxes` when the caller already has it.
    """
    root = _body(tree)
    measure = _paragraph_text
    total = measure(root)
    if total < FEW_PARAGRAPHS:
        measure, total = _visible_text, _visible_text(root)
    limit = max(total, 1) * ARTICLE_SHARE
    doomed: list[_Element] = []
    removed_prose = 0
    for element, tokens in marked if marked is not None else marked_elements(tree).boxes:
        if element is root or (doomed and _is_inside(element, doomed[-1])):
            continue
        if _should_prune(element, tokens):
            prose = measure(element)
            if prose < limit:
                doomed.append(element)
                removed_prose += prose
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()
    return Pruning(doomed, total - removed_prose)


def _body(tree: _Element) -> _Element:
    body = tree.find(".//body")
    return body if body is not None else tree


def prose_chars(tree: _Element) -> int:
    """How much article-like text the page holds: its paragraph text, or all visible text
    where the page sets its text outside paragraphs."""
    root = _body(tree)
    total = _paragraph_text(root)
    return total if total >= FEW_PARAGRAPHS else _visible_text(root)


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

    Some sites cut the body into several containers (siblings, or cousins each in its own
    layout box) with ad slots between them, and the later chunks often carry a variant of the
    first one's class: ``article-body`` then ``article-body--locked`` or ``article-body-2``.
    trafilatura keeps the first container its body rules match and loses the rest of the
    article, so the paragraphs of the later chunks move into the first one. Chunks are grouped
    by tag and by the body words of their class (``article``, ``body``), so variants join while
    a ``comment-body`` never joins an ``article-body``; the ad slots between chunks stay
    outside and are dropped with the rest of the page chrome.
    """
    # keyed by the element itself (hashed by identity, and kept alive, unlike an id())
    groups: dict[tuple[_Element, str, frozenset[str]], list[_Element]] = {}
    order: list[tuple[_Element, int]] = []  # every text block's container and length, in order
    seen: set[_Element] = set()
    for paragraph in tree.iter(*_TEXT_BLOCKS):
        chunk = paragraph.getparent()
        if chunk is None:
            continue
        order.append((chunk, len((paragraph.text_content() or "").strip())))
        if paragraph.tag != "p" or chunk in seen:
            continue
        seen.add(chunk)
        parent = chunk.getparent()
        stem = frozenset(_class_tokens(chunk) & BODY_TOKENS)
        if parent is None or not stem:
            continue
        # siblings, or cousins each wrapped in its own layout box (grid, row)
        grandparent = parent.getparent()
        key = grandparent if grandparent is not None else parent
        groups.setdefault((key, chunk.tag, stem), []).append(chunk)
    joined = 0
    for chunks in groups.values():
        chunks = [chunk for chunk in chunks if _paragraph_text(chunk) >= _CHUNK_TEXT]
        for run in _runs_without_prose_between(chunks, order):
            for chunk in run[1:]:
                run[0].extend(list(chunk))
                chunk.getparent().remove(chunk)
                joined += 1
    return joined


_TEXT_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "ul", "ol", "table")
_BETWEEN_PROSE = 20  # a text block this long between two chunks is text of its own: keep the order


def _runs_without_prose_between(
    chunks: list[_Element], order: list[tuple[_Element, int]]
) -> list[list[_Element]]:
    """The chunks in runs that no other paragraph of prose separates, so a join keeps the order.

    Moving a later chunk up into the first is only safe when what stood between them was chrome
    (ad slots already pruned, empty layout boxes); a heading or paragraph in between would end
    up after the joined text, or be lost with the rest of the layout.
    """
    if len(chunks) < 2:
        return []
    members = set(chunks)
    runs: list[list[_Element]] = []
    current: list[_Element] = []
    last: _Element | None = None
    blocked = False
    for container, length in order:
        if container in members:
            if last is not container:
                if current and (blocked or container in current):
                    runs.append(current)
                    current = []
                if container not in current:
                    current.append(container)
                last, blocked = container, False
        elif current and length >= _BETWEEN_PROSE:
            blocked = True
    runs.append(current)
    return [run for run in runs if len(run) > 1]


def _class_tokens(element: _Element) -> set[str]:
    """Lower-case words of the class attribute alone (an id names one element, not a kind)."""
    raw = element.get("class") or ""
    if not raw:
        return set()
    lower = raw.lower()
    if lower != raw:
        lower = _CAMEL_CASE.sub(" ", raw).lower()
    return set(_SEPARATORS.split(lower))
