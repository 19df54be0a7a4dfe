"""Text folding for matching, with a map from folded offsets back to the original text.

Matching runs on folded text (NFKC, case-folded, accents stripped, curly quotes and dashes made
plain), but snippets and `mentions.position` must point into the text the user reads. Folding can
change a string's length ("ß" -> "ss", "Ⅻ" -> "xii"), so every folded character remembers the
original character it came from.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

_PUNCTUATION_FOLDS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "`": "'", "\uff07": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"',
    "\u00bb": '"', "\u2033": '"', "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
    "\u2014": "-", "\u2015": "-", "\u2212": "-", "\ufe58": "-", "\ufe63": "-", "\uff0d": "-",
    "\u00a0": " ", "\u3000": " ",
}
# Whitespace becomes a plain space; \x02 and \x03 (the matcher's word markers) never survive.
_ASCII_TABLE = str.maketrans(
    {"\n": " ", "\r": " ", "\t": " ", "\f": " ", "\v": " ", "`": "'", "\x02": " ", "\x03": " "}
)
# ASCII runs, CJK ideograph runs (stable under folding), and everything else.
# Full-width ASCII forms (，！Ａ１) fold to ASCII one for one, so runs of them stay linear.
_FULLWIDTH = str.maketrans({chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)} | {"\u3000": " "})
_RUNS = re.compile(r"[\x00-\x7f]+|[\u3400-\u4dbf\u4e00-\u9fff]+|[^\x00-\x7f\u3400-\u4dbf\u4e00-\u9fff]+")


def _is_no_boundary_char(ch: str) -> bool:
    """Scripts written without spaces between words: no word boundary is needed next to them."""
    code = ord(ch)
    return (
        0x3040 <= code <= 0x30FF  # Hiragana, Katakana
        or 0x3400 <= code <= 0x4DBF  # CJK Extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK Unified Ideographs
        or 0xF900 <= code <= 0xFAFF  # CJK Compatibility Ideographs
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0x0E00 <= code <= 0x0E7F  # Thai
        or 0x20000 <= code <= 0x2FA1F  # CJK Extensions B-F, compatibility supplement
        or 0xFF66 <= code <= 0xFF9F  # half-width Katakana
    )


def is_cjk(ch: str) -> bool:
    return _is_no_boundary_char(ch)


def _fold_char(ch: str, casefold: bool) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    if casefold:
        folded = folded.casefold()
    folded = unicodedata.normalize("NFKD", folded)
    return "".join(_PUNCTUATION_FOLDS.get(c, c) for c in folded if not unicodedata.combining(c))


def _is_stable(run: str, casefold: bool) -> bool:
    """True when folding leaves a non-ASCII run unchanged (most CJK text), so it maps 1:1."""
    return (
        unicodedata.is_normalized("NFKD", run)
        and unicodedata.is_normalized("NFKC", run)
        and (not casefold or run.casefold() == run)
        and not any(c in _PUNCTUATION_FOLDS for c in run)
    )


@dataclass(frozen=True)
class Folded:
    """Folded text plus segments (folded_start, original_start, linear) for mapping offsets back."""

    text: str
    _starts: tuple[int, ...]
    _origins: tuple[int, ...]
    _linear: tuple[bool, ...]
    original_length: int

    def to_original(self, offset: int) -> int:
        """Original offset of the character at folded `offset` (len(text) maps to the end)."""
        if offset >= len(self.text):
            return self.original_length
        index = bisect_right(self._starts, offset) - 1
        origin = self._origins[index]
        return origin + (offset - self._starts[index]) if self._linear[index] else origin

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) covering folded [start, end)."""
        if end <= start:
            at = self.to_original(start)
            return at, at
        return self.to_original(start), self.to_original(end - 1) + 1


def fold(text: str, casefold: bool = True) -> Folded:
    """Fold `text` for matching and keep the way back to original offsets."""
    pieces: list[str] = []
    starts: list[int] = []
    origins: list[int] = []
    linear: list[bool] = []
    position = 0
    for run_match in _RUNS.finditer(text):
        run, origin = run_match.group(), run_match.start()
        if run[0] >= "\x80" and not _is_stable(run, casefold):
            narrowed = run.translate(_FULLWIDTH)
            if narrowed != run and _is_stable(narrowed, casefold):
                run = narrowed.lower() if casefold else narrowed
        if run[0] < "\x80" or _is_stable(run, casefold):
            if run[0] < "\x80":
                run = run.translate(_ASCII_TABLE)
                run = run.lower() if casefold else run
            starts.append(position)
            origins.append(origin)
            linear.append(True)
            pieces.append(run)
            position += len(run)
            continue
        for offset, ch in enumerate(run):
            folded = _fold_char(ch, casefold)
            if not folded:
                continue
            starts.append(position)
            origins.append(origin + offset)
            linear.append(len(folded) == 1)
            pieces.append(folded)
            position += len(folded)
    return Folded("".join(pieces), tuple(starts), tuple(origins), tuple(linear), len(text))


def fold_term(term: str, casefold: bool = True) -> str:
    """A watchlist term folded the same way as text, whitespace runs made single spaces."""
    return " ".join(fold(term, casefold).text.split())
