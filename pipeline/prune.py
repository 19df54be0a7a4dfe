"""Structural pruning before extraction: paywall barriers, modals, ad slots, share bars, newsletter boxes.

Elements are recognised by whole tokens of their class/id (``paywall-modal`` -> paywall, modal),
never by substrings, and an element that holds most of the page's paragraph text is never removed:
a site that wraps its article in ``<div class="premium-content">`` keeps its article.
"""

from __future__ import annotations

import re

from lxml.etree import _Element

_TOKEN_SPLIT = re.compile(r"[\s_\-:]+|(?<=[a-z])(?=[A-Z])")

BARRIER_TOKENS = frozenset(
    {
        "paywall", "regwall", "piano", "tp", "subscribe", "subscription", "subscriptions",
        "subscriber", "meter", "metered", "plans", "pricing", "offer", "offers", "upsell",
        "premium", "gate", "barrier", "locked",
    }
)
WIDGET_TOKENS = frozenset(
    {
        "ad", "ads", "advert", "adverts", "advertisement", "adsbygoogle", "adslot", "adunit",
        "dfp", "gpt", "sponsor", "sponsored", "promo", "share", "sharing", "sharebar",
        "social", "newsletter", "signup", "donate", "donation", "donations", "consent",
        "cookie", "cookies", "gdpr", "popup", "modal", "overlay", "related", "recommended",
        "trending", "popular", "widget", "widgets", "sidebar", "outbrain", "taboola",
        "comments", "comment", "breadcrumb", "breadcrumbs", "byline", "caption", "toolbar",
    }
)
# Tokens that mark the article container itself, never to be pruned even if other tokens match.
ARTICLE_TOKENS = frozenset({"article", "story", "content", "body", "entry", "post", "main"})
BARRIER_PHRASES = re.compile(
    r"(reached your (free )?(article )?limit|subscribe (now )?to (continue|read|unlock)|"
    r"already (a )?subscri|this (article|content|story) is (for|available to) (subscribers|members)|"
    r"订阅后阅读|会员专享|付费阅读)",
    re.IGNORECASE,
)
_MOST_OF_TEXT = 0.5


def _tokens(element: _Element) -> set[str]:
    raw = f"{element.get('class') or ''} {element.get('id') or ''}"
    return {token.lower() for token in _TOKEN_SPLIT.split(raw) if token}


def _is_dialog(element: _Element) -> bool:
    return (
        element.tag == "dialog"
        or (element.get("role") or "").lower() in ("dialog", "alertdialog")
        or (element.get("aria-modal") or "").lower() == "true"
    )


def _text_length(element: _Element) -> int:
    return sum(len((p.text_content() or "").strip()) for p in element.iter("p"))


def shows_barrier(tree: _Element) -> bool:
    """A paywall or registration barrier is on the page (markup or its telltale wording)."""
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        tokens = _tokens(element)
        if tokens & {"paywall", "regwall", "piano"}:
            return True
        if (tokens & BARRIER_TOKENS or _is_dialog(element)) and BARRIER_PHRASES.search(
            element.text_content() or ""
        ):
            return True
    return False


def _should_prune(element: _Element) -> bool:
    if element.tag in ("dialog", "aside", "form", "template", "noscript"):
        return True
    if _is_dialog(element):
        return True
    tokens = _tokens(element)
    if not tokens:
        return False
    if tokens & ARTICLE_TOKENS and not tokens & {"paywall", "regwall"}:
        return False
    return bool(tokens & (BARRIER_TOKENS | WIDGET_TOKENS))


def prune_page(tree: _Element) -> int:
    """Remove barriers and widgets in place; return how many elements were removed."""
    body = tree.find(".//body")
    total = _text_length(body if body is not None else tree) or 1
    doomed = []
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag in ("html", "body", "head"):
            continue
        if any(element is d or _is_ancestor(d, element) for d in doomed[-3:]):
            continue
        if _should_prune(element) and _text_length(element) < total * _MOST_OF_TEXT:
            doomed.append(element)
    for element in doomed:
        parent = element.getparent()
        if parent is not None:
            element.drop_tree() if hasattr(element, "drop_tree") else parent.remove(element)
    return len(doomed)


def _is_ancestor(candidate: _Element, element: _Element) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent is candidate:
            return True
        parent = parent.getparent()
    return False
