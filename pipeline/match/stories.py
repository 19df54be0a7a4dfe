"""Stories: copies of one wire story (and its rewrites) grouped, so that one story makes one alert.

Outlets republish a wire story with their own headline, boilerplate and cuts, so the headline and
URL say nothing; the cleaned text does. Each article gets a MinHash (datasketch) of its 4-word
shingles. Candidates come from a banded index over the signatures, and the decision is made on
*containment* of the smaller text in the larger, with a low Jaccard floor: a copy trimmed to
two-thirds of the original has a low Jaccard but a containment near 1, while a different article
about the same company shares only a few phrases (measured on tests/fixtures/stories, see README).

The index is not datasketch's MinHashLSH: with the 64 bands a low Jaccard floor needs, that index
took about 1 GB and 8 s to build for 100,000 articles (sets of one key per bucket). Here each band
is one sorted numpy array, about 100 bytes per article and band-free lookups by binary search.
The index lives in one `StoryIndex` per crawl; signatures are persisted by the store, so a new
process joins new copies to stories stored by earlier crawls.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import types
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

if TYPE_CHECKING:
    from datasketch.minhash import MinHash

from pipeline.match.textnorm import is_cjk

SHINGLE_WORDS = 4  # 3 joins rewrites a little better but lets stock phrases match; 5 the reverse
NUM_PERM = 128
ROWS = 2  # per band: P(candidate) = 1 - (1 - J^2)^64 is 0.94 at J=0.2, 0.998 at J=0.3
BANDS = NUM_PERM // ROWS
SEED = 1
SCHEME = "affine32"  # datasketch's permutation scheme; stored signatures are only valid with it
_TOKEN = re.compile(r"\w+")
_BAND_BITS = 6  # 64 bands: the band number is kept in the top bits of each band key
_KEY_MASK = np.uint64((1 << (64 - _BAND_BITS)) - 1)


@dataclass(frozen=True)
class StoryRules:
    """When a new article joins a story (config `stories:`)."""

    window_seconds: float = 7 * 86400.0
    min_containment: float = 0.5
    min_jaccard: float = 0.2


@dataclass(frozen=True)
class Sketch:
    """The MinHash of an article's shingles and how many shingles there were."""

    hashvalues: np.ndarray  # NUM_PERM uint32
    size: int

    def to_blob(self) -> bytes:
        return self.hashvalues.astype("<u4").tobytes()

    @classmethod
    def from_blob(cls, blob: bytes, size: int) -> "Sketch":
        return cls(np.frombuffer(blob, dtype="<u4").astype(np.uint32), size)


@dataclass(frozen=True)
class Match:
    story_id: int
    article_id: int
    containment: float
    jaccard: float


def tokens(text: str) -> list[str]:
    """Words, case-folded; Chinese and Japanese text (no spaces) counts one character as a word."""
    words: list[str] = []
    for word in _TOKEN.findall(text.casefold()):
        if word.isascii() or not any(is_cjk(c) for c in word):
            words.append(word)
            continue
        run = ""
        for char in word:
            if is_cjk(char):
                if run:
                    words.append(run)
                    run = ""
                words.append(char)
            else:
                run += char
        if run:
            words.append(run)
    return words


def minhash_class() -> type[MinHash]:
    """datasketch's MinHash, without the rest of datasketch.

    `import datasketch` runs its package __init__, which imports every sketch it has, LSH among
    them, and LSH imports scipy.integrate: 0.75 s of a crawl child's start here, against 5 ms for
    the MinHash module alone. So, unless datasketch is already loaded, its package is registered as
    an empty shell (its real __path__, nothing run) and only `datasketch.minhash` and what that
    imports (`datasketch.hashfunc`) are loaded from it.
    """
    if "datasketch" not in sys.modules:
        spec = importlib.util.find_spec("datasketch")
        if spec is not None and spec.submodule_search_locations:
            shell = types.ModuleType("datasketch")
            shell.__path__ = list(spec.submodule_search_locations)
            shell.__spec__ = spec
            sys.modules["datasketch"] = shell
    from datasketch.minhash import MinHash

    return MinHash


def new_minhash(**options: Any) -> MinHash:
    """A datasketch MinHash with our permutations and seed (loaded on first use, see above)."""
    return minhash_class()(num_perm=NUM_PERM, seed=SEED, **options)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    words = tokens(text)
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


def similarity(a: Sketch, b: Sketch) -> tuple[float, float]:
    """(containment of the smaller set in the larger, Jaccard), both estimated from the MinHashes."""
    jaccard = float(np.mean(a.hashvalues == b.hashvalues))
    return _containment(jaccard, a.size, b.size), jaccard


def _containment(jaccard: float | np.ndarray, a: int | np.ndarray, b: int | np.ndarray) -> np.ndarray:
    # |A ∩ B| = J (|A| + |B|) / (1 + J); divided by the smaller set.
    inter = jaccard * (a + b) / (1.0 + jaccard)
    return np.minimum(1.0, inter / np.maximum(1, np.minimum(a, b)))


def _band_keys(hashvalues: np.ndarray) -> np.ndarray:
    """One uint64 per band: its two 32-bit values, with the band number in the top bits."""
    values = hashvalues.astype(np.uint64).reshape(-1, BANDS, ROWS)
    keys = ((values[..., 0] << np.uint64(32)) | values[..., 1]) & _KEY_MASK
    bands = np.arange(BANDS, dtype=np.uint64) << np.uint64(64 - _BAND_BITS)
    return keys | bands


class Sketcher:
    """Signs article texts. Holds datasketch's permutations, which are costly to make, for reuse."""

    def __init__(self) -> None:
        self._template: MinHash | None = None

    def sketch(self, text: str) -> Sketch:
        """The MinHash of a cleaned article text (never of the HTML or the headline)."""
        if self._template is None:
            self._template = new_minhash()
        grams = shingles(text)
        minhash = new_minhash(permutations=self._template.permutations, scheme=SCHEME)
        minhash.update_batch([g.encode("utf-8") for g in grams])
        return Sketch(minhash.hashvalues.astype(np.uint32), len(grams))


@dataclass
class StoryIndex:
    """Signatures of the articles seen within the window, and the story each belongs to.

    Built once per crawl from the store (`build`), then grows as the crawl adds articles (`add`):
    the loaded part is sorted arrays, the part added during this crawl a small dict.
    """

    rules: StoryRules = field(default_factory=StoryRules)
    article_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    story_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    seen_at: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    signatures: np.ndarray = field(default_factory=lambda: np.zeros((0, NUM_PERM), np.uint32))
    _sorted_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    _sorted_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    _recent: dict[int, list[int]] = field(default_factory=dict)
    _recent_rows: list[tuple[int, int, float, Sketch]] = field(default_factory=list)
    _sketcher: Sketcher = field(default_factory=lambda: Sketcher())

    @classmethod
    def build(
        cls, rules: StoryRules, rows: Iterable[tuple[int, int, float, int, bytes]]
    ) -> "StoryIndex":
        """From (article_id, story_id, seen_at epoch seconds, shingle count, signature blob) rows."""
        index = cls(rules)
        rows = list(rows)
        if not rows:
            return index
        index.article_ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        index.story_ids = np.fromiter((r[1] for r in rows), np.int64, len(rows))
        index.seen_at = np.fromiter((r[2] for r in rows), np.float64, len(rows))
        index.sizes = np.fromiter((r[3] for r in rows), np.int64, len(rows))
        index.signatures = np.frombuffer(b"".join(r[4] for r in rows), "<u4").reshape(len(rows), NUM_PERM)
        keys = _band_keys(index.signatures).ravel()
        order = np.argsort(keys, kind="stable")
        index._sorted_keys = keys[order]
        index._sorted_rows = (order // BANDS).astype(np.int32)
        return index

    def __len__(self) -> int:
        return len(self.article_ids) + len(self._recent_rows)

    def sketch(self, text: str) -> Sketch:
        """The MinHash of a cleaned article text (never of the HTML or the headline)."""
        return self._sketcher.sketch(text)

    def find(self, sketch: Sketch, now: float) -> Match | None:
        """The story this article belongs to: its best near-duplicate within the window, if any."""
        keys = _band_keys(sketch.hashvalues)[0]
        best = self._best_loaded(sketch, keys, now)
        for row in {r for key in keys.tolist() for r in self._recent.get(key, ())}:
            article_id, story_id, seen_at, other = self._recent_rows[row]
            containment, jaccard = similarity(sketch, other)
            if self._joins(containment, jaccard, seen_at, now) and (
                best is None or (containment, jaccard) > (best.containment, best.jaccard)
            ):
                best = Match(story_id, article_id, containment, jaccard)
        return best

    def add(self, article_id: int, story_id: int, sketch: Sketch, seen_at: float) -> None:
        row = len(self._recent_rows)
        self._recent_rows.append((article_id, story_id, seen_at, sketch))
        for key in _band_keys(sketch.hashvalues)[0].tolist():
            self._recent.setdefault(key, []).append(row)

    def _best_loaded(self, sketch: Sketch, keys: np.ndarray, now: float) -> Match | None:
        if not len(self._sorted_keys):
            return None
        starts = np.searchsorted(self._sorted_keys, keys, "left")
        ends = np.searchsorted(self._sorted_keys, keys, "right")
        hits = [self._sorted_rows[s:e] for s, e in zip(starts.tolist(), ends.tolist()) if e > s]
        if not hits:
            return None
        rows = np.unique(np.concatenate(hits))
        jaccard = (self.signatures[rows] == sketch.hashvalues).mean(axis=1)
        containment = _containment(jaccard, self.sizes[rows], sketch.size)
        ok = self._joins(containment, jaccard, self.seen_at[rows], now)
        if not ok.any():
            return None
        score = np.where(ok, containment * 2 + jaccard, -1.0)
        best = int(np.argmax(score))
        row = rows[best]
        return Match(int(self.story_ids[row]), int(self.article_ids[row]),
                     float(containment[best]), float(jaccard[best]))

    def _joins(self, containment, jaccard, seen_at, now):  # scalars or arrays alike
        return (
            (containment >= self.rules.min_containment)
            & (jaccard >= self.rules.min_jaccard)
            & (abs(now - seen_at) <= self.rules.window_seconds)
        )
