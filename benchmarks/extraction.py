"""Extraction quality and speed on two corpora, trafilatura alone against newswatch, side by side.

Corpora (same layout: ``html/<name>.html.gz`` and ``ground-truth.json``):

- the article-extraction-benchmark (181 news pages, human reference bodies, MIT licence);
- readability-test-pages (124 pages in some 15 languages; the reference is Mozilla
  Readability's output, Apache 2.0).

Scoring is the article-extraction-benchmark's own: per page, tp/fp/fn over 4-token shingles scaled
to sum to 1; precision averaged over pages with output, recall over pages with a reference, F1 of
the two means. Tokens are lower-cased words, except that each Han or Kana character is a token of
its own (Chinese and Japanese have no spaces between words). A page is a "lost article" when
newswatch keeps under half of its reference shingles while trafilatura alone (either mode) keeps
at least 80%.

Each corpus is split into two fixed halves by a hash of the page name: rules are tuned on half A
and half B is held back; both are reported. Pages of both corpora are interleaved and every
extractor runs on a page before the next page starts (in a rotating order), so machine noise
hits all of them alike; times are ms/page, median and 95th percentile, and the ratio of each
median to trafilatura fast's. "trafilatura fast + metadata" is trafilatura asked for what
newswatch returns (text, title, author, date): its scores are fast's, its time is the
like-for-like one.

    uv run python benchmarks/extraction.py              # the quality and speed table
    uv run python benchmarks/extraction.py --ablation   # each rule switched off in turn
    uv run python benchmarks/extraction.py --worst 15   # pages where newswatch trails most
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import hashlib
import json
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Callable

import trafilatura

from pipeline.extract.article import ExtractionError, extract
from pipeline.extract.rules import ALL_RULES, Rules

CORPORA = ("article-extraction-benchmark", "readability-test-pages")


def default_data() -> Path:
    """The nearest ``shared/data`` above this checkout (``../shared/data`` of the main one)."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return Path("shared/data")
TRAFILATURA_FAST = "trafilatura 2.3.1 fast"
TRAFILATURA_FULL = "trafilatura 2.3.1 default (full)"
TRAFILATURA_FAST_META = "trafilatura 2.3.1 fast + metadata"
NEWSWATCH = "newswatch"
LOST_BELOW, TRAFILATURA_KEEPS = 0.5, 0.8

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


def tokens(text: str) -> list[str]:
    """Lower-case words; each Han or Kana character is one token."""
    return _TOKEN.findall(text.lower())


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    words = tokens(text)
    return Counter(tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1)) if words)


@dataclass(frozen=True)
class PageScore:
    precision: float | None  # None: no output
    recall: float | None  # None: no reference
    ms: float


def page_score(reference: str, predicted: str, ms: float) -> PageScore:
    truth, guess = shingles(reference), shingles(predicted)
    tp = sum((truth & guess).values())
    fp = sum((guess - truth).values())
    fn = sum((truth - guess).values())
    precision = tp / (tp + fp) if predicted.strip() and tp + fp else (0.0 if predicted.strip() else None)
    recall = tp / (tp + fn) if reference.strip() and tp + fn else (0.0 if reference.strip() else None)
    return PageScore(precision, recall, ms)


@dataclass
class Summary:
    precision: float
    recall: float
    f1: float
    ms_median: float
    ms_p95: float
    pages: int
    lost: list[str] = field(default_factory=list)


def summarise(scores: dict[str, PageScore]) -> Summary:
    precisions = [s.precision for s in scores.values() if s.precision is not None]
    recalls = [s.recall for s in scores.values() if s.recall is not None]
    precision = statistics.fmean(precisions) if precisions else 0.0
    recall = statistics.fmean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    times = sorted(s.ms for s in scores.values())
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))] if times else 0.0
    return Summary(precision, recall, f1, statistics.median(times) if times else 0.0, p95, len(scores))


def half_of(name: str) -> str:
    """A or B, fixed by a hash of the page name (A is the half rules are tuned on)."""
    return "A" if hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()[0] % 2 == 0 else "B"


@dataclass(frozen=True)
class Page:
    corpus: str
    name: str
    html: bytes
    reference: str


def load_corpus(corpus: str, path: Path) -> list[Page]:
    truth = json.loads((path / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Page(corpus, name, gzip.decompress((path / "html" / f"{name}.html.gz").read_bytes()),
             entry["articleBody"])
        for name, entry in truth.items()
    ]


def interleaved(corpora: dict[str, list[Page]]) -> list[Page]:
    return [page for group in zip_longest(*corpora.values()) for page in group if page is not None]


def trafilatura_fast(html: bytes) -> str:
    return trafilatura.extract(html, include_comments=False, fast=True) or ""


def trafilatura_full(html: bytes) -> str:
    return trafilatura.extract(html, include_comments=False) or ""


def trafilatura_fast_with_metadata(html: bytes) -> str:
    """What trafilatura costs for what newswatch returns: text plus title, author and date."""
    document = trafilatura.bare_extraction(html, include_comments=False, fast=True, with_metadata=True)
    return (document.text or "") if document is not None else ""


def newswatch_with(rules: Rules) -> Callable[[bytes], str]:
    def run(html: bytes) -> str:
        try:
            return extract(html, rules=rules).text
        except ExtractionError:
            return ""

    return run


Scores = dict[str, dict[tuple[str, str], PageScore]]  # extractor -> (corpus, page) -> score


def run(pages: list[Page], extractors: dict[str, Callable[[bytes], str]]) -> Scores:
    """Every extractor on every page, page by page, the extractors' order rotating."""
    names = list(extractors)
    scores: Scores = {name: {} for name in names}
    for index, page in enumerate(pages):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            output = extractors[name](page.html)
            elapsed = (time.perf_counter() - started) * 1000
            scores[name][(page.corpus, page.name)] = page_score(page.reference, output, elapsed)
    return scores


def lost_articles(scores: Scores, keys: list[tuple[str, str]]) -> list[str]:
    lost = []
    for key in keys:
        ours = scores[NEWSWATCH][key].recall
        theirs = max(scores[name][key].recall or 0.0 for name in (TRAFILATURA_FAST, TRAFILATURA_FULL)
                     if name in scores)
        if ours is not None and ours < LOST_BELOW and theirs >= TRAFILATURA_KEEPS:
            lost.append(key[1])
    return lost


def selection(scores: Scores, corpus: str, half: str | None) -> list[tuple[str, str]]:
    any_scores = next(iter(scores.values()))
    return [key for key in any_scores if key[0] == corpus and (half is None or half_of(key[1]) == half)]


def print_table(scores: Scores, corpora: list[str]) -> None:
    header = f"{'corpus / half':<42}{'extractor':<34}{'P':>7}{'R':>7}{'F1':>7}{'ms med':>8}{'ms p95':>8}{'lost':>6}"
    print(header)
    print("-" * len(header))
    for corpus in corpora:
        for half in (None, "A", "B"):
            keys = selection(scores, corpus, half)
            label = f"{corpus} {'all' if half is None else 'half ' + half} ({len(keys)})"
            for name in scores:
                s = summarise({key: scores[name][key] for key in keys})
                lost = str(len(lost_articles(scores, keys))) if name == NEWSWATCH else ""
                print(f"{label:<42}{name:<34}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}"
                      f"{s.ms_median:>8.1f}{s.ms_p95:>8.1f}{lost:>6}")
                label = ""
        print()
    everything = list(next(iter(scores.values())))
    medians = {name: summarise({k: scores[name][k] for k in everything}).ms_median for name in scores}
    if TRAFILATURA_FAST in medians:
        fast = medians[TRAFILATURA_FAST]
        print("median time, both corpora, as a multiple of trafilatura fast: "
              + ", ".join(f"{name} {medians[name] / fast:.2f}" for name in medians if name != TRAFILATURA_FAST))
    for corpus in corpora:
        lost = lost_articles(scores, selection(scores, corpus, None))
        if lost:
            print(f"lost articles in {corpus}: {', '.join(lost)}")


def print_worst(scores: Scores, corpora: list[str], count: int, half: str | None) -> None:
    """Pages where newswatch's recall (then precision) trails trafilatura full's most."""
    for corpus in corpora:
        keys = selection(scores, corpus, half)
        print(f"{corpus}: newswatch minus trafilatura full, worst {count} pages")
        def gap(key: tuple[str, str], part: str) -> float:
            ours, theirs = scores[NEWSWATCH][key], scores[TRAFILATURA_FULL][key]
            return (getattr(ours, part) or 0.0) - (getattr(theirs, part) or 0.0)
        for part in ("recall", "precision"):
            for key in sorted(keys, key=lambda k: gap(k, part))[:count]:
                if gap(key, part) < 0:
                    print(f"  {part:<9} {gap(key, part):+.3f}  {key[1]}")
        print()


def ablation(pages: list[Page], corpora: list[str]) -> None:
    """newswatch with each rule switched off in turn: ΔP/ΔR/ΔF1 against all rules on, per corpus.

    A negative ΔF1 means the rule helps (switching it off costs F1).
    """
    variants = {"all rules": ALL_RULES} | {
        f"without {rule.name}": dataclasses.replace(ALL_RULES, **{rule.name: False})
        for rule in dataclasses.fields(Rules)
    }
    scores = run(pages, {name: newswatch_with(rules) for name, rules in variants.items()})
    halves = [(corpus, half) for corpus in corpora for half in (None, "A", "B")]
    base = {ch: summarise({k: scores["all rules"][k] for k in selection(scores, *ch)}) for ch in halves}
    print(f"{'rule switched off':<32}" + "".join(f"{c[:26] + (' ' + h if h else ''):>30}" for c, h in halves if h is None))
    print(f"{'':<32}" + "".join(f"{'ΔP':>10}{'ΔR':>10}{'ΔF1':>10}" for c, h in halves if h is None))
    for name in variants:
        row = f"{name:<32}"
        for corpus, half in halves:
            if half is not None:
                continue
            s = summarise({k: scores[name][k] for k in selection(scores, corpus, None)})
            b = base[(corpus, None)]
            row += f"{s.precision - b.precision:>+10.4f}{s.recall - b.recall:>+10.4f}{s.f1 - b.f1:>+10.4f}"
        print(row)
    print("\nΔF1 per half (A tuned on, B held back):")
    print(f"{'rule switched off':<32}" + "".join(f"{c[:22] + ' ' + h:>26}" for c, h in halves if h))
    for name in variants:
        row = f"{name:<32}"
        for corpus, half in halves:
            if half is None:
                continue
            s = summarise({k: scores[name][k] for k in selection(scores, corpus, half)})
            row += f"{s.f1 - base[(corpus, half)].f1:>+26.4f}"
        print(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=default_data(),
                        help="the folder holding both corpora (default: the nearest shared/data)")
    parser.add_argument("--corpus", action="append", choices=CORPORA,
                        help="score only this corpus (repeatable; default both)")
    parser.add_argument("--ablation", action="store_true", help="switch each rule off in turn")
    parser.add_argument("--worst", type=int, default=0, metavar="N",
                        help="also list the N pages where newswatch trails trafilatura most")
    parser.add_argument("--half", choices=["A", "B"], help="with --worst: only this half")
    args = parser.parse_args()
    names = args.corpus or list(CORPORA)
    pages = interleaved({name: load_corpus(name, args.data / name) for name in names})
    if args.ablation:
        ablation(pages, names)
        return
    scores = run(pages, {TRAFILATURA_FAST: trafilatura_fast, TRAFILATURA_FULL: trafilatura_full,
                         TRAFILATURA_FAST_META: trafilatura_fast_with_metadata,
                         NEWSWATCH: newswatch_with(ALL_RULES)})
    print_table(scores, names)
    if args.worst:
        print()
        print_worst(scores, names, args.worst, args.half)


if __name__ == "__main__":
    main()
