"""The safety net: never return much less article text than trafilatura's own full extraction.

newswatch extracts with trafilatura's fast pass on a pruned page, then drops lines. Each step can
lose the article: the fast pass may settle for the lede or a "Read next" box, a pruned box may
have held body text. The rule:

    The text returned keeps at least 80% (`1 - LOST_SHARE`) of the article text that
    trafilatura's full (non-fast) extraction finds on the same, unpruned page, where "article
    text" is that extraction minus every block with positive evidence against it:
      - inside an element pruning removed by its markup (a paywall or registration barrier,
        a dialog, a named widget: ad slot, share bar, newsletter box, related-links box);
      - inside an element the page hides (hidden, aria-hidden, display:none), or one that
        trafilatura's own extractor discards by its markup before it starts (navigation,
        consent boxes, "most popular" lists, comment headers: its `OVERALL_DISCARD_XPATH`);
      - inside a story card: an <article> nested in another, or one of three or more list
        items each holding a link and a heading or paragraph (a feed of other stories);
      - a line whose own words say what it is (`pipeline.extract.clean.LINE_RULES`), or a
        line this site repeats in every article (learned boilerplate);
      - at or after the start of a subscription barrier in the second half of the text.
    When the kept text falls short, the blocks it lacks and nothing excuses are put back,
    in the full extraction's order, between the kept lines they stood between; the fast pass
    then evidently took the wrong box, and what it kept of the excused kind goes (a "Read
    next" feed kept instead of the body).

The full extraction costs about 1.3 times the fast one, so it runs only when the kept text could
be short of it: when trafilatura's fast pass kept under half (`SHORT_SHARE`) of the prose that
pruning left on the page (paragraph text, or all visible text on pages that set their text
outside paragraphs). The full extraction, like the fast one, takes its text from that prose; a
fast result holding more than half of it leaves the full one no room to hold much more article.
The benchmark (`benchmarks/extraction.py`) counts "lost articles" to check the rule's effect.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Container, Iterable

from lxml.etree import XPath, _Element
from trafilatura.xpaths import OVERALL_DISCARD_XPATH

from pipeline.extract.clean import cut_barrier_tail, junk_rule, line_key

SHORT_SHARE = 0.5  # ask for the full extraction when the fast pass kept under this share of the prose
LOST_SHARE = 0.2  # "much less": the kept text lacks this share of the full extraction's article text
COVERED = 0.5  # a block counts as kept when this share of its word triples is in the kept text

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
_HIDDEN = XPath(
    ".//*[@hidden or @aria-hidden='true' or "
    "contains(translate(@style, ' ', ''), 'display:none') or "
    "contains(translate(@style, ' ', ''), 'visibility:hidden')]"
)
# Story cards: an <article> inside another (HTML's own markup for a related or nested item), or
# one of three or more list items each holding a link and a heading or paragraph (a teaser feed).
_CARDS = XPath(
    ".//article//article | "
    ".//li[count(../li) >= 3][.//a][.//p or .//h2 or .//h3 or .//h4]"
)
EVIDENCE_XPATHS = (_HIDDEN, _CARDS, *OVERALL_DISCARD_XPATH)


def needs_second_opinion(kept: str, prose_left: int) -> bool:
    """The fast pass kept too little of the page's remaining prose to be sure it kept the article."""
    return len(kept) < SHORT_SHARE * prose_left


@dataclass(frozen=True)
class Evidence:
    """What may excuse a dropped block: removed and hidden elements' text, line rules, boilerplate."""

    removed_text: str  # text of pruned, hidden and card elements, whitespace taken out, one a line
    junk: re.Pattern[str]  # the line rules in force
    boilerplate: Container[str]  # the site's learned boilerplate line keys
    barrier_cut: bool

    @classmethod
    def gather(
        cls,
        removed: Iterable[_Element],
        page: _Element,
        families: frozenset[str],
        boilerplate: Container[str],
        barrier_cut: bool,
    ) -> "Evidence":
        texts = [element.text_content() for element in removed]
        texts += [element.text_content() for xpath in EVIDENCE_XPATHS for element in xpath(page)]
        removed_text = "\n".join(_compact(text) for text in texts)
        return cls(removed_text, junk_rule(families), boilerplate, barrier_cut)

    def excuses(self, line: str) -> bool:
        bare = line[2:] if line.startswith("- ") else line  # trafilatura's list-item mark
        return bool(
            self.junk.match(line)
            or line_key(line) in self.boilerplate
            or (len(bare) > 1 and _compact(bare) in self.removed_text)
        )


def restore_lost_blocks(kept: str, full: str, evidence: Evidence) -> str:
    """`kept` with the blocks of `full` it lacks and nothing excuses, when those are much."""
    kept_lines = _lines(kept)
    full_lines = _lines(full)
    barrier_free = len(cut_barrier_tail(full_lines)) if evidence.barrier_cut else len(full_lines)
    unmatched = _triples(kept)  # each kept triple vouches for one block: repeats count
    article = lost = 0
    missing: set[int] = set()
    for index, line in enumerate(full_lines):
        if index >= barrier_free or evidence.excuses(line):
            continue
        article += len(line)
        mine = _triples(line)
        found = mine & unmatched
        unmatched -= found
        if sum(found.values()) < COVERED * sum(mine.values()):
            missing.add(index)
            lost += len(line)
    if not missing or lost < LOST_SHARE * article:
        return kept
    # The fast pass took the wrong box: what it kept from a story card or hidden box goes too.
    kept_lines = [line for line in kept_lines if not evidence.excuses(line)]
    return "\n".join(_merge(kept_lines, full_lines, missing))


def _merge(kept: list[str], full: list[str], missing: set[int]) -> list[str]:
    """Kept lines in their order, each missing line of `full` put back where `full` had it."""
    matcher = SequenceMatcher(None, [_normal(l) for l in kept], [_normal(l) for l in full], autojunk=False)
    merged: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        merged.extend(kept[i1:i2])
        if tag in ("insert", "replace"):
            merged.extend(full[j] for j in range(j1, j2) if j in missing)
    return merged


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _compact(text: str) -> str:
    """Without any whitespace: markup puts none between a link and the next block, while
    trafilatura's text does."""
    return "".join(text.split()).casefold()


def _triples(text: str) -> Counter[tuple[str, ...]]:
    words = _TOKEN.findall(text.casefold())
    if len(words) < 3:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(tuple(words[i : i + 3]) for i in range(len(words) - 2))

