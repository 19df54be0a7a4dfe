"""One search box over two full-text indexes: words for spaced scripts, substrings for CJK.

`articles_fts` (unicode61) matches whole words and ranks them; it takes a run of Chinese or
Japanese characters as one word, so `紫金` is not found in `紫金矿业`. `articles_cjk_fts` (trigram)
finds any substring of three characters or more in articles written with such characters. A query
is cut into terms; each term goes to the index that can answer it, and an article must match all:

- a Latin, Cyrillic, … word or "quoted phrase" (a trailing `*` for a prefix) -> `articles_fts`;
- a run of CJK characters of three or more -> `articles_cjk_fts` MATCH;
- a run of one or two CJK characters (trigram cannot index them) -> `instr` over the rows of
  `articles_cjk_fts`, which holds only the articles with such characters.

Pure: the Datasette hooks turn a `Search` into SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.match.textnorm import is_cjk

_TOKENS = re.compile(r'"([^"]*)"?|(\S+)')
_WORDLIKE = re.compile(r"\w", re.UNICODE)
TRIGRAM = 3  # the trigram tokenizer cannot match a shorter substring


def _fts_string(text: str) -> str:
    """An FTS5 string literal: the text as one phrase, no operator in it means anything."""
    return '"' + text.replace('"', '""') + '"'


@dataclass(frozen=True)
class Search:
    """The terms of a query, by the index that answers them."""

    words: tuple[str, ...] = ()  # FTS5 phrases for articles_fts, already quoted
    cjk: tuple[str, ...] = ()  # runs of >= 3 CJK characters, for articles_cjk_fts
    short_cjk: tuple[str, ...] = ()  # runs of 1-2 CJK characters
    terms: tuple[str, ...] = field(default=(), compare=False)  # as the user wrote them, for display

    @property
    def empty(self) -> bool:
        return not (self.words or self.cjk or self.short_cjk)

    def words_match(self) -> str | None:
        """The MATCH expression for articles_fts (every word), or None when there is no word."""
        return " AND ".join(self.words) or None

    def cjk_match(self) -> str | None:
        """The MATCH expression for articles_cjk_fts (every long CJK run), or None."""
        return " AND ".join(_fts_string(run) for run in self.cjk) or None


def _runs(text: str) -> list[tuple[bool, str]]:
    """(is CJK, run) pieces of a token, in order: `Hikvision海康` -> Latin, then CJK."""
    pieces: list[tuple[bool, str]] = []
    for ch in text:
        cjk = is_cjk(ch)
        if pieces and pieces[-1][0] == cjk:
            pieces[-1] = (cjk, pieces[-1][1] + ch)
        else:
            pieces.append((cjk, ch))
    return pieces


def parse(query: str) -> Search:
    """The terms of what was typed in the search box. Never raises: stray quotes or operators are
    searched for as text (FTS5 syntax is not exposed), and a term with no letter is dropped."""
    words: list[str] = []
    cjk: list[str] = []
    short: list[str] = []
    terms: list[str] = []
    for match in _TOKENS.finditer(query or ""):
        phrase, bare = match.group(1), match.group(2)
        token = phrase if phrase is not None else bare
        if not token.strip():
            continue
        terms.append(token)
        for is_cjk_run, run in _runs(token):
            run = run.strip()
            if not run:
                continue
            if is_cjk_run:
                (cjk if len(run) >= TRIGRAM else short).append(run)
                continue
            prefix = phrase is None and run.endswith("*")
            text = run.rstrip("*") if prefix else run
            if not _WORDLIKE.search(text):
                continue
            words.append(_fts_string(text) + ("*" if prefix else ""))
    return Search(tuple(dict.fromkeys(words)), tuple(dict.fromkeys(cjk)), tuple(dict.fromkeys(short)),
                  tuple(terms))


def where_clauses(search: Search, pk: str = "id", prefix: str = "nw") -> tuple[list[str], dict[str, str]]:
    """SQL conditions on a table whose `pk` is the article id, and their parameters."""
    clauses: list[str] = []
    params: dict[str, str] = {}
    if (words := search.words_match()) is not None:
        clauses.append(f"{pk} in (select rowid from articles_fts where articles_fts match :{prefix}_words)")
        params[f"{prefix}_words"] = words
    if (runs := search.cjk_match()) is not None:
        clauses.append(f"{pk} in (select rowid from articles_cjk_fts where articles_cjk_fts match :{prefix}_cjk)")
        params[f"{prefix}_cjk"] = runs
    for i, run in enumerate(search.short_cjk):
        name = f"{prefix}_short{i}"
        clauses.append(f"{pk} in (select rowid from articles_cjk_fts"
                       f" where instr(title, :{name}) > 0 or instr(text, :{name}) > 0)")
        params[name] = run
    return clauses, params
