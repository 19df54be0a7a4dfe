"""Find mentions of watched entities in an article's cleaned title and text.

Every alias, weak alias, context word and exclusion of the whole watchlist is compiled once into
two indexes, so a scan costs about the same with 10 or 50,000 entities:

* terms that start with a word of a spaced script (Latin, Cyrillic, digits…) are indexed by that
  first word: the article's words are intersected with the index as sets (in C), and only the few
  words that are some term's first word are looked at further;
* terms that start with a CJK character (no spaces, no word boundaries) are indexed by their first
  two characters: the character pairs of the article's CJK runs are intersected with that index;
* the rare term that starts with punctuation goes into an Aho-Corasick automaton (pyahocorasick).

(One automaton for everything was the first design: at 50,000 entities pyahocorasick costs about
0.5 µs a character, several times this whole scan.) Hits are then checked for word boundaries at their
ends, case where an alias asks for it, exclusions, overlaps (the longest alias wins), and
weak-alias evidence.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import ahocorasick

from pipeline.match.textnorm import Folded, fold, fold_term, is_cjk
from pipeline.models import Mention

STRONG, WEAK, CONTEXT, EXCLUDE = "strong", "weak", "context", "exclude"
TICKER, STOCK_WORD = "ticker", "stock word"  # a bare stock code; a word that makes one count
# Words next to which a bare stock code is a stock code ("stock code 2899", "股票代码：02899").
STOCK_WORDS = (
    "stock code", "stock", "stocks", "ticker", "symbol", "shares", "listed", "listing", "exchange",
    "HKEX", "SEHK", "SZSE", "SSE", "NYSE", "Nasdaq", "股票代码", "证券代码", "股票", "代码", "股份", "港股",
    "A股", "H股", "上市", "証券コード", "銘柄コード",
)
STOCK_WORDS_WINDOW = 6  # words either side (CJK: 12 characters)
_GLOBAL = -1  # the entity index of terms that belong to no entity (stock words)
# A word character of a script that separates words (Latin, Cyrillic, digits…): CJK excluded.
_W = (
    r"[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u0e00-\u0e7f"
    r"\uff66-\uff9f\U00020000-\U0002fa1f]"
)
_SPACED_WORD = re.compile(_W + "+")
_CJK_CLASS = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u0e00-\u0e7f]"
_CJK = re.compile(_CJK_CLASS)
_CJK_RUN = re.compile(_CJK_CLASS + "+")
CONTEXT_WORDS = 25
SNIPPET_CHARS = 90
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class EntitySpec:
    """What the matcher needs to know of one watched entity."""

    name: str
    aliases: Sequence[str]
    weak_aliases: Sequence[str] = ()
    context: Sequence[str] = ()
    exclude: Sequence[str] = ()
    case_sensitive: Sequence[str] = ()
    tickers: Sequence[str] = ()  # bare codes ("2899", "02899"): count only with evidence


@dataclass(frozen=True)
class Candidate:
    """One place an alias, weak alias or stock code of an entity was seen, and why it did or did
    not count (what `newswatch match --explain` prints)."""

    entity: str
    alias: str
    field: str
    position: int
    snippet: str
    counted: bool
    why: str


@dataclass(frozen=True)
class _Term:
    entity: int
    kind: str
    term: str
    case_sensitive: bool


@dataclass
class _Hit:
    start: int  # folded offsets
    end: int
    term: _Term


@dataclass
class _FieldScan:
    name: str
    original: str
    folded: Folded
    aliases: list[_Hit] = field(default_factory=list)
    context: dict[int, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    stock_words: list[tuple[int, str]] = field(default_factory=list)
    rejected: list[tuple[_Hit, str]] = field(default_factory=list)  # only when explaining


def _is_spaced_word_char(ch: str) -> bool:
    return (ch.isalnum() or ch == "_") and not _CJK.match(ch)


def _whole_word_end(text: str, end: int) -> bool:
    """A term ending in a word character must not run on into another word character."""
    return end >= len(text) or not (_is_spaced_word_char(text[end - 1]) and _is_spaced_word_char(text[end]))


_TRAILING_MARKS = re.compile(r"[^\w\s]+")


def _candidate_ends(text: str, start: int, words: int) -> Iterable[int]:
    """Where a term starting at `start` may end: after each of the next `words` words, and after
    punctuation glued to such a word ("Yahoo!", "Face++")."""
    for count, match in enumerate(_SPACED_WORD.finditer(text, start), 1):
        end = match.end()
        yield end
        marks = _TRAILING_MARKS.match(text, end)
        if marks:
            yield marks.end()
        if count >= words:
            return


def _word_starts(text: str, word: str) -> Iterable[int]:
    """Offsets where `word` stands as a whole spaced-script word in `text`."""
    at = text.find(word)
    while at != -1:
        end = at + len(word)
        if (at == 0 or not _is_spaced_word_char(text[at - 1])) and (
            end == len(text) or not _is_spaced_word_char(text[end])
        ):
            yield at
        at = text.find(word, at + 1)


def needs_case(alias: str) -> bool:
    """Short all-caps aliases (GE, 3M, ABB) are case-sensitive: 'ge' in a sentence is not GE."""
    letters = [c for c in alias if c.isalpha()]
    return bool(letters) and len(alias) <= 4 and all(c.isupper() for c in letters)


class Watchlist:
    """The compiled watchlist: build once, then call `find` for each article."""

    def __init__(self, entities: Iterable[EntitySpec]):
        self.entities: list[EntitySpec] = list(entities)
        terms: dict[str, list[_Term]] = defaultdict(list)
        for index, entity in enumerate(self.entities):
            forced = set(entity.case_sensitive)
            for kind, values in (
                (STRONG, entity.aliases),
                (WEAK, entity.weak_aliases),
                (CONTEXT, entity.context),
                (EXCLUDE, entity.exclude),
                (TICKER, entity.tickers),
            ):
                for value in values:
                    key = fold_term(value)
                    if not key:
                        continue
                    sensitive = kind in (STRONG, WEAK) and (value in forced or needs_case(value))
                    terms[key].append(_Term(index, kind, value, sensitive))
        if any(entity.tickers for entity in self.entities):
            for word in STOCK_WORDS:
                terms[fold_term(word)].append(_Term(_GLOBAL, STOCK_WORD, word, False))
        # Keys starting with a spaced-script word: looked up whole, from their first word.
        self._keys: dict[str, tuple[_Term, ...]] = {}
        self._words_in_longest: dict[str, int] = {}  # first word -> words in its longest key
        # Keys starting with CJK: first two characters -> the lengths of keys that start so.
        self._cjk_lengths: dict[str, tuple[int, ...]] = {}
        self._automaton = ahocorasick.Automaton()  # keys starting with punctuation
        for key, entries in terms.items():
            first = _SPACED_WORD.match(key)
            if first:
                self._keys[key] = tuple(entries)
                words = len(_SPACED_WORD.findall(key))
                self._words_in_longest[first.group()] = max(words, self._words_in_longest.get(first.group(), 0))
            elif is_cjk(key[0]):
                self._keys[key] = tuple(entries)
                head = key[:2]
                self._cjk_lengths[head] = tuple(sorted({*self._cjk_lengths.get(head, ()), len(key)}))
            else:
                self._automaton.add_word(key, (len(key), tuple(entries)))
        self._first_words = frozenset(self._words_in_longest)
        self._cjk_heads = frozenset(self._cjk_lengths)
        self._has_automaton = len(self._automaton) > 0
        if self._has_automaton:
            self._automaton.make_automaton()
        self._empty = not terms

    def __len__(self) -> int:
        return len(self.entities)

    def find(self, fields: Mapping[str, str]) -> list[Mention]:
        """Mentions in each named field (e.g. title, text), ordered by field and position."""
        if self._empty:
            return []
        return [self._mention(scan, hit) for scan, hit, _ in self._counted(self._scans(fields, False))]

    def explain(self, fields: Mapping[str, str]) -> list[Candidate]:
        """Every candidate hit, counted or not, with the reason (slower than `find`)."""
        if self._empty:
            return []
        scans = self._scans(fields, True)
        counted = self._counted(scans)
        out = [self._candidate(scan, hit, True, why) for scan, hit, why in counted]
        kept = {(scan.name, hit.start, hit.end, hit.term.entity) for scan, hit, _ in counted}
        for scan in scans:
            for hit in scan.aliases:
                if (scan.name, hit.start, hit.end, hit.term.entity) not in kept:
                    out.append(self._candidate(scan, hit, False, self._missing_evidence(hit)))
            out += [self._candidate(scan, hit, False, why) for hit, why in scan.rejected]
        return sorted(out, key=lambda c: (c.field != "title", c.position, not c.counted))

    def _scans(self, fields: Mapping[str, str], explain: bool) -> list[_FieldScan]:
        return [self._scan(name, text or "", explain) for name, text in fields.items()]

    def _counted(self, scans: list[_FieldScan]) -> list[tuple[_FieldScan, _Hit, str]]:
        """The hits that count, each with its evidence: strong aliases always; weak aliases and
        bare stock codes with a strong alias of their entity in the article or a word nearby."""
        strong: dict[int, str] = {}
        for scan in scans:
            for hit in scan.aliases:
                if hit.term.kind == STRONG:
                    strong.setdefault(hit.term.entity, hit.term.term)
        counted = []
        for scan in scans:
            for hit in scan.aliases:
                kind, entity = hit.term.kind, hit.term.entity
                if kind == STRONG:
                    why = "an alias"
                elif entity in strong:
                    why = f"the article also has {strong[entity]!r}"
                elif kind == WEAK and (word := self._context_word(scan, hit)):
                    why = f"context word {word!r} nearby"
                elif kind == TICKER and (word := self._stock_word(scan, hit)):
                    why = f"stock-code word {word!r} next to it"
                else:
                    continue
                counted.append((scan, hit, why))
        return counted

    def _missing_evidence(self, hit: _Hit) -> str:
        entity = self.entities[hit.term.entity]
        if hit.term.kind == TICKER:
            return (f"a bare stock code: needs a stock-code word within {STOCK_WORDS_WINDOW} words "
                    f"(stock code, ticker, 股票代码…) or an alias of {entity.name} in the article")
        return (f"a weak alias: needs one of its context words within {CONTEXT_WORDS} words "
                f"({', '.join(entity.context[:5]) or 'none configured'}) or an alias of {entity.name}")

    def _scan(self, name: str, text: str, explain: bool = False) -> _FieldScan:
        folded = fold(text)
        scan = _FieldScan(name, text, folded)
        candidates: list[_Hit] = []
        excluded: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
        for start, end, entries in self._hits(folded.text):
            for term in entries:
                if term.case_sensitive and not _same_case(text, folded, start, end, term.term):
                    if explain and term.kind in (STRONG, WEAK, TICKER):
                        scan.rejected.append((_Hit(start, end, term), f"case: {term.term!r} counts only "
                                              "written exactly so"))
                    continue
                if term.kind == CONTEXT:
                    scan.context[term.entity].append((start, term.term))
                elif term.kind == STOCK_WORD:
                    scan.stock_words.append((start, term.term))
                elif term.kind == EXCLUDE:
                    excluded[term.entity].append((start, end, term.term))
                else:
                    candidates.append(_Hit(start, end, term))
        kept = []
        for hit in candidates:
            cover = next((x for s, e, x in excluded.get(hit.term.entity, ()) if s <= hit.start and hit.end <= e), None)
            if cover is None:
                kept.append(hit)
            elif explain:
                scan.rejected.append((hit, f"excluded by {cover!r}"))
        scan.aliases = _longest_first(kept)
        if explain:
            chosen = {id(h) for h in scan.aliases}
            for hit in kept:
                if id(hit) not in chosen:
                    longer = next((h for h in scan.aliases if h.start <= hit.start and hit.end <= h.end), None)
                    scan.rejected.append((hit, f"part of the longer {longer.term.term!r}" if longer
                                          else "overlaps a longer alias"))
        return scan

    def _hits(self, haystack: str) -> Iterable[tuple[int, int, tuple[_Term, ...]]]:
        """Every whole-word occurrence of a watchlist term in folded text: (start, end, entries)."""
        words = set(_SPACED_WORD.findall(haystack))
        for word in words & self._first_words:
            limit = self._words_in_longest[word]
            for start in _word_starts(haystack, word):
                for end in _candidate_ends(haystack, start, limit):
                    entries = self._keys.get(haystack[start:end])
                    if entries is not None and _whole_word_end(haystack, end):
                        yield start, end, entries
        if self._cjk_heads:
            yield from self._cjk_hits(haystack)
        if self._has_automaton:
            for end_index, (length, entries) in self._automaton.iter(haystack):
                end = end_index + 1
                start = end - length
                if _whole_word_end(haystack, end) and (
                    start == 0
                    or not _is_spaced_word_char(haystack[start])
                    or not _is_spaced_word_char(haystack[start - 1])
                ):
                    yield start, end, entries

    def _cjk_hits(self, haystack: str) -> Iterable[tuple[int, int, tuple[_Term, ...]]]:
        """Hits of CJK-led terms: the text's character pairs meet the index as sets (in C)."""
        heads: set[str] = set()
        for run in _CJK_RUN.finditer(haystack):
            text = run.group()
            heads.update(text)  # single-character keys
            heads.update(map(str.__add__, text, text[1:]))
        for head in heads & self._cjk_heads:
            lengths = self._cjk_lengths[head]
            at = haystack.find(head)
            while at != -1:
                for length in lengths:
                    entries = self._keys.get(haystack[at : at + length])
                    if entries is not None and _whole_word_end(haystack, at + length):
                        yield at, at + length, entries
                at = haystack.find(head, at + 1)

    def _context_word(self, scan: _FieldScan, hit: _Hit) -> str | None:
        """A context word of the hit's entity within the context window, or None."""
        found = scan.context.get(hit.term.entity)
        if not found:
            return None
        low, high = _context_window(scan.folded.text, hit.start, hit.end)
        near = [(abs(start - hit.start), word) for start, word in found if low <= start <= high]
        return min(near)[1] if near else None

    def _stock_word(self, scan: _FieldScan, hit: _Hit) -> str | None:
        if not scan.stock_words:
            return None
        low, high = _context_window(scan.folded.text, hit.start, hit.end, STOCK_WORDS_WINDOW)
        near = [(abs(start - hit.start), -len(word), word) for start, word in scan.stock_words
                if low <= start <= high and not hit.start <= start < hit.end]
        return min(near)[2] if near else None

    def _candidate(self, scan: _FieldScan, hit: _Hit, counted: bool, why: str) -> Candidate:
        mention = self._mention(scan, hit)
        return Candidate(mention.entity, mention.alias, mention.field, mention.position, mention.snippet,
                         counted, why)

    def _mention(self, scan: _FieldScan, hit: _Hit) -> Mention:
        start, end = scan.folded.original_span(hit.start, hit.end)
        return Mention(
            entity=self.entities[hit.term.entity].name,
            alias=hit.term.term,
            field=scan.name,
            position=start,
            length=end - start,
            snippet=make_snippet(scan.original, start, end),
            weak=hit.term.kind in (WEAK, TICKER),
        )


def _same_case(original: str, folded: Folded, start: int, end: int, term: str) -> bool:
    o_start, o_end = folded.original_span(start, end)
    return fold_term(original[o_start:o_end], casefold=False) == fold_term(term, casefold=False)


def _longest_first(hits: list[_Hit]) -> list[_Hit]:
    """Resolve overlapping hits: the longest wins; equal spans keep every entity that claims them.

    Kept spans never overlap, so a new span only needs checking against its two neighbours in
    start order: O(n log n) however many hits an article has.
    """
    taken: list[tuple[int, int]] = []
    claimed: set[tuple[int, int, int]] = set()
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start - h.end, h.start)):
        span = (hit.start, hit.end)
        index = bisect_left(taken, span)
        neighbours = [taken[j] for j in (index - 1, index) if 0 <= j < len(taken)]
        if any(n != span and hit.start < n[1] and n[0] < hit.end for n in neighbours):
            continue
        key = (hit.start, hit.end, hit.term.entity)
        if key in claimed:
            continue
        if span not in neighbours:
            insort(taken, span)
        claimed.add(key)
        kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


def _context_window(text: str, start: int, end: int, span: int = CONTEXT_WORDS) -> tuple[int, int]:
    """Folded offsets [low, high] within which a context word must start: `span` words either
    side (25 by default; CJK text: twice as many characters)."""
    nearby = text[max(0, start - 20) : end + 20]
    if len(_CJK.findall(nearby)) * 2 >= len(nearby.replace(" ", "")):
        return max(0, start - 2 * span), end + 2 * span
    words = [m.start() for m in _WORD.finditer(text)]
    first = bisect_left(words, start)
    last = bisect_left(words, end)
    low = words[max(0, first - span)] if words and first > 0 else 0
    high_index = min(len(words) - 1, last + span - 1)
    high = words[high_index] if words and last < len(words) else end
    return low, max(high, end)


def make_snippet(text: str, start: int, end: int, width: int = SNIPPET_CHARS) -> str:
    """About `width` characters either side of [start, end), cut at spaces, whitespace folded.

    CJK carries about three times the meaning per character, so its window is a third as wide.
    """
    if len(_CJK.findall(text, max(0, start - 20), end + 20)) > 10:
        width //= 3
    left = max(0, start - width)
    right = min(len(text), end + width)
    if left > 0:
        space = text.find(" ", left, start)
        left = space + 1 if space != -1 else left
    if right < len(text):
        space = text.rfind(" ", end, right)
        right = space if space != -1 else right
    snippet = " ".join(text[left:right].split())
    return ("…" if left > 0 else "") + snippet + ("…" if right < len(text) else "")
