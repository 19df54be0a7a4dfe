"""`newswatch match --explain`: why something matched, and above all why it did not.

Every candidate hit of the watchlist with the reason it counted or not (a weak alias without a
context word nearby, an exclusion, a case rule, a bare stock code without a stock-code word, an
alias inside a longer one), every rule's verdict with the condition that failed (an entity not
mentioned, `min_mentions` not reached, `in_title`, the query clause that failed, `sources:`), and
the watched names that are on the page but not in the article text (navigation, sidebars).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from lxml import etree

from pipeline.extract.article import parse_html
from pipeline.match.rules import AlertRule, explain_all
from pipeline.match.watchlist import Watchlist
from pipeline.models import Article

_INVISIBLE = ("script", "style", "noscript", "template")


def page_text(html: bytes) -> str:
    """All text a reader of the whole page sees: navigation and sidebars included."""
    tree = parse_html(html)
    etree.strip_elements(tree, *_INVISIBLE, with_tail=False)
    return " ".join(" ".join(tree.itertext()).split())


def explanation(article: Article, html: bytes, watchlist: Watchlist, rules: list[AlertRule],
                source: str = "") -> dict[str, Any]:
    fields = {"title": article.title, "text": article.text}
    candidates = watchlist.explain(fields)
    mentions = watchlist.find(fields)
    in_article = {m.entity for m in mentions} | {c.entity for c in candidates}
    elsewhere = sorted({m.entity for m in watchlist.find({"page": page_text(html)})} - in_article)
    return {
        "candidates": [asdict(c) for c in candidates],
        "verdicts": [{"rule": rule, "alerts": alerts, "why": why}
                     for rule, alerts, why in explain_all(rules, article.title, article.text, mentions,
                                                          source, article.language)],
        "elsewhere_on_page": elsewhere,
    }


def describe_explanation(record: dict[str, Any]) -> list[str]:
    lines = ["  candidates:"] if record["candidates"] else ["  no alias, weak alias or stock code of a watched company in the article"]
    for c in record["candidates"]:
        if c["counted"]:
            lines.append(f"    {c['entity']} as {c['alias']!r} in {c['field']} ({c['why']}): {c['snippet']}")
        else:
            lines.append(f"    {c['entity']}: {c['alias']!r} not counted: {c['why']} — {c['snippet']}")
    for entity in record["elsewhere_on_page"]:
        lines.append(f"  {entity} is on the page but not in the article text (navigation, sidebar or "
                     "another story's teaser): not matched")
    for verdict in record["verdicts"]:
        state = "would alert" if verdict["alerts"] else "would not alert"
        lines.append(f"  rule {verdict['rule']} {state}: {verdict['why']}")
    if not any(v["alerts"] for v in record["verdicts"]):
        lines.append("  no rule would alert")
    return lines
