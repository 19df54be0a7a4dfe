"""Find mentions of watched entities in an article's cleaned title and text.

One Aho-Corasick automaton (pyahocorasick) holds every alias, weak alias, context word and
exclusion of the whole watchlist, so a scan costs the same with 10 or 50,000 entities. Hits are
then checked for word boundaries (per script: none needed next to CJK), case where an alias asks for
it, exclusions, overlaps (the longest alias wins), and weak-alias evidence.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import ahocorasick

from pipeline.textnorm import Folded, fold, fold_term, is_cjk, is_word_char

STRONG, WEAK, CONTEXT, EXCLUDE = "strong", "weak", "context", "exclude"
CONTEXT_WORDS = 25
CONTEXT_CHARS_CJK = 50
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


@dataclass(frozen=True)
class Mention:
    entity: str
    alias: str
    field: str
    position: int  # character offset in the original field text
    length: int
    snippet: str
    weak: bool = False


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
    context: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))


def needs_case(alias: str) -> bool:
    """Short all-caps aliases (GE, 3M, ABB) are case-sensitive: 'ge' in a sentence is not GE."""
    letters = [c for c in alias if c.isalpha()]
    return bool(letters) and len(alias) <= 4 and all(c.isupper() for c in letters)


class Watchlist:
    """The compiled watchlist: build once, then call `find` for each article."""

    def __init__(self, entities: Iterable[EntitySpec]):
        self.entities: list[EntitySpec] = list(entities)
        self._automaton = ahocorasick.Automaton()
        terms: dict[str, list[_Term]] = defaultdict(list)
        for index, entity in enumerate(self.entities):
            forced = set(entity.case_sensitive)
            for kind, values in (
                (STRONG, entity.aliases),
                (WEAK, entity.weak_aliases),
                (CONTEXT, entity.context),
                (EXCLUDE, entity.exclude),
            ):
                for value in values:
                    key = fold_term(value)
                    if not key:
                        continue
                    sensitive = kind in (STRONG, WEAK) and (value in forced or needs_case(value))
                    terms[key].append(_Term(index, kind, value, sensitive))
        for key, entries in terms.items():
            self._automaton.add_word(key, (len(key), tuple(entries)))
        if terms:
            self._automaton.make_automaton()
        self._empty = not terms

    def __len__(self) -> int:
        return len(self.entities)

    def find(self, fields: Mapping[str, str]) -> list[Mention]:
        """Mentions in each named field (e.g. title, text), ordered by field and position."""
        if self._empty:
            return []
        scans = [self._scan(name, text or "") for name, text in fields.items()]
        strong_entities = {
            hit.term.entity for scan in scans for hit in scan.aliases if hit.term.kind == STRONG
        }
        mentions: list[Mention] = []
        for scan in scans:
            for hit in scan.aliases:
                if hit.term.kind == WEAK and hit.term.entity not in strong_entities:
                    if not self._has_context(scan, hit):
                        continue
                mentions.append(self._mention(scan, hit))
        return mentions

    def _scan(self, name: str, text: str) -> _FieldScan:
        folded = fold(text)
        scan = _FieldScan(name, text, folded)
        candidates: list[_Hit] = []
        excluded: dict[int, list[tuple[int, int]]] = defaultdict(list)
        haystack = folded.text
        for end_index, (length, entries) in self._automaton.iter(haystack):
            end = end_index + 1
            start = end - length
            if not _on_boundaries(haystack, start, end):
                continue
            for term in entries:
                if term.case_sensitive and not _same_case(text, folded, start, end, term.term):
                    continue
                if term.kind == CONTEXT:
                    scan.context[term.entity].append(start)
                elif term.kind == EXCLUDE:
                    excluded[term.entity].append((start, end))
                else:
                    candidates.append(_Hit(start, end, term))
        candidates = [
            hit
            for hit in candidates
            if not any(s <= hit.start and hit.end <= e for s, e in excluded.get(hit.term.entity, ()))
        ]
        scan.aliases = _longest_first(candidates)
        return scan

    def _has_context(self, scan: _FieldScan, hit: _Hit) -> bool:
        starts = sorted(scan.context.get(hit.term.entity, ()))
        if not starts:
            return False
        low, high = _context_window(scan.folded.text, hit.start, hit.end)
        return bisect_left(starts, low) < bisect_right(starts, high)

    def _mention(self, scan: _FieldScan, hit: _Hit) -> Mention:
        start, end = scan.folded.original_span(hit.start, hit.end)
        return Mention(
            entity=self.entities[hit.term.entity].name,
            alias=hit.term.term,
            field=scan.name,
            position=start,
            length=end - start,
            snippet=make_snippet(scan.original, start, end),
            weak=hit.term.kind == WEAK,
        )


def _on_boundaries(text: str, start: int, end: int) -> bool:
    """Latin-like terms need a non-word character (or a CJK one) on each side; CJK terms need none."""
    if start < 0:
        return False
    if is_word_char(text[start]) and start > 0 and is_word_char(text[start - 1]):
        return False
    if is_word_char(text[end - 1]) and end < len(text) and is_word_char(text[end]):
        return False
    return True


def _same_case(original: str, folded: Folded, start: int, end: int, term: str) -> bool:
    o_start, o_end = folded.original_span(start, end)
    return fold_term(original[o_start:o_end], casefold=False) == fold_term(term, casefold=False)


def _longest_first(hits: list[_Hit]) -> list[_Hit]:
    """Resolve overlapping hits: the longest wins; equal spans keep every entity that claims them."""
    ordered = sorted(hits, key=lambda h: (-(h.end - h.start), h.start))
    taken: list[tuple[int, int]] = []
    kept: list[_Hit] = []
    for hit in ordered:
        if any(hit.start < e and s < hit.end and (s, e) != (hit.start, hit.end) for s, e in taken):
            continue
        if any((s, e) == (hit.start, hit.end) for s, e in taken) and any(
            k.term.entity == hit.term.entity and (k.start, k.end) == (hit.start, hit.end) for k in kept
        ):
            continue
        taken.append((hit.start, hit.end))
        kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


def _context_window(text: str, start: int, end: int) -> tuple[int, int]:
    """Folded offsets [low, high] within which a context word must start: 25 words (50 CJK chars)."""
    nearby = text[max(0, start - 20) : end + 20]
    if sum(map(is_cjk, nearby)) * 2 >= len(nearby.replace(" ", "")):
        return max(0, start - CONTEXT_CHARS_CJK), end + CONTEXT_CHARS_CJK
    words = [m.start() for m in _WORD.finditer(text)]
    first = bisect_left(words, start)
    last = bisect_left(words, end)
    low = words[max(0, first - CONTEXT_WORDS)] if words and first > 0 else 0
    high_index = min(len(words) - 1, last + CONTEXT_WORDS - 1)
    high = words[high_index] if words and last < len(words) else end
    return low, max(high, end)


def make_snippet(text: str, start: int, end: int, width: int = SNIPPET_CHARS) -> str:
    """About `width` characters either side of [start, end), cut at spaces, whitespace folded.

    CJK carries about three times the meaning per character, so its window is a third as wide.
    """
    if sum(map(is_cjk, text[max(0, start - 20) : end + 20])) > 10:
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
