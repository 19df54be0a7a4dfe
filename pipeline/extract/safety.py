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
        consent boxes, "most popular" lists, comment headers: its `OVERALL_DISCARD_XPATH`),
        unless that box encloses a block the fast pass kept (then it wraps the article);
      - inside a story card: an <article> nested in another, or one of three or more list
        items each holding a link and a heading or paragraph (a feed of other stories);
      - a line whose own words say what it is (`pipeline.extract.clean.LINE_RULES`), or a
        line this site repeats in every article (learned boilerplate);
      - at or after the start of a subscription barrier in the second half of the text.
    When the kept text falls short, the blocks it lacks and nothing excuses are put back,
    in the full extraction's order, between the kept lines they stood between; the fast pass
    then evidently took the wrong box, and what it kept of a story card goes (a "Read next"
    feed kept instead of the body).

The full extraction costs about 1.3 times the fast one, so it runs only when the kept text could
be short of it: when trafilatura's fast pass kept under half (`SHORT_SHARE`) of the prose that
pruning left on the page (paragraph text, or all visible text on pages that set their text
outside paragraphs). That trigger is the compromise with time (it fires on about one page in
nine): a fast result holding more than half of the prose could only be short of a full one that
took nearly all of it, menus and teasers included. The benchmark (`benchmarks/extraction.py`)
counts "lost articles" on two corpora to check the compromise.
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
CARD_SHARE = 0.5  # a story card with this share of the page's text is the article, not evidence
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


def needs_second_opinion(kept: str, prose_left: int) -> bool:
    """The fast pass kept too little of the page's remaining prose to be sure it kept the article."""
    return len(kept) < SHORT_SHARE * prose_left


@dataclass(frozen=True)
class Evidence:
    """What may excuse a dropped block: the text of boxes that are not article (pruned,
    hidden, discarded, story cards), the line rules and the site's learned boilerplate."""

    box_text: str  # the boxes' text, whitespace taken out, one box a line
    card_text: str  # the story cards' part of it
    junk: re.Pattern[str]  # the line rules in force
    boilerplate: Container[str]  # the site's learned boilerplate line keys
    barrier_cut: bool

    @classmethod
    def gather(
        cls,
        removed: Iterable[_Element],
        page: _Element,
        kept: str,
        families: frozenset[str],
        boilerplate: Container[str],
        barrier_cut: bool,
    ) -> "Evidence":
        """Evidence from the boxes pruning `removed` and from `page`, the unpruned page, for a
        fast pass that kept `kept`.

        A hidden or discarded box that encloses a block the fast pass kept wraps the article
        (a hidden-until-loaded <div>, an ``ad-portal`` around the whole page): it is evidence
        of nothing. A story card holding half the page is the article itself.
        """
        shown = [element for xpath in (_HIDDEN, *OVERALL_DISCARD_XPATH) for element in xpath(page)]
        wrappers = _enclosing(shown, _kept_blocks(page, kept, shown))
        boxes = [_compact(element.text_content()) for element in removed]
        boxes += [_compact(element.text_content()) for element in shown if element not in wrappers]
        limit = CARD_SHARE * len(_compact(page.text_content()))
        cards = [text for text in (_compact(card.text_content()) for card in _CARDS(page)) if len(text) < limit]
        return cls("\n".join(boxes + cards), "\n".join(cards), junk_rule(families), boilerplate, barrier_cut)

    def says_not_article(self, line: str) -> bool:
        """The line's own words or the site's boilerplate say it is not article text."""
        return bool(self.junk.match(line)) or line_key(line) in self.boilerplate

    def in_boxes(self, line: str, used: Counter[str]) -> bool:
        """Another copy of the line stands in an excusing box (each copy excuses one line, so
        a paragraph repeated in a hidden box excuses only its hidden repeat)."""
        key = _compact(_unmarked(line))
        if len(key) < 2 or self.box_text.count(key) <= used[key]:
            return False
        used[key] += 1
        return True

    def in_card(self, line: str) -> bool:
        key = _compact(_unmarked(line))
        return len(key) > 1 and key in self.card_text


def restore_lost_blocks(kept: str, full: str, evidence: Evidence) -> str:
    """`kept` with the blocks of `full` it lacks and nothing excuses, when those are much."""
    kept_lines = _lines(kept)
    full_lines = _lines(full)
    barrier_free = len(cut_barrier_tail(full_lines)) if evidence.barrier_cut else len(full_lines)
    unmatched = _triples(kept)  # each kept triple vouches for one block: repeats count
    used: Counter[str] = Counter()
    article = lost = 0
    missing: set[int] = set()
    for index, line in enumerate(full_lines):
        if index >= barrier_free or evidence.says_not_article(line):
            continue
        mine = _triples(line)
        found = mine & unmatched
        unmatched -= found
        if sum(found.values()) >= COVERED * sum(mine.values()):
            article += len(line)
        elif not evidence.in_boxes(line, used):
            article += len(line)
            missing.add(index)
            lost += len(line)
    if not missing or lost < LOST_SHARE * article:
        return kept
    # The fast pass took the wrong box: what it kept of a story card goes too.
    kept_lines = [line for line in kept_lines if not evidence.in_card(line)]
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


_BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "td", "dd")


def _kept_blocks(page: _Element, kept: str, boxes: list[_Element]) -> list[_Element]:
    """The page's text blocks whose text is a line the fast pass kept; of several copies, one
    outside every box (a visible paragraph, rather than its hidden duplicate)."""
    by_text: dict[str, list[_Element]] = {}
    for block in page.iter(*_BLOCKS):
        by_text.setdefault(_compact(block.text_content()), []).append(block)
    inside = {node for box in boxes for node in box.iter()}  # elements, not ids: kept alive
    found = []
    for line in _lines(kept):
        copies = by_text.get(_compact(_unmarked(line)), [])
        if copies:
            found.append(next((c for c in copies if c not in inside), copies[0]))
    return found


def _enclosing(boxes: list[_Element], blocks: list[_Element]) -> set[_Element]:
    """The boxes that hold one of the blocks."""
    candidates = set(boxes)
    holding: set[_Element] = set()
    for block in blocks:
        node = block
        while node is not None:
            if node in candidates:
                holding.add(node)
            node = node.getparent()
    return holding


def _unmarked(line: str) -> str:
    """Without trafilatura's list-item mark."""
    return line[2:] if line.startswith("- ") else line


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

