"""How much joining a story costs with many stored articles: `uv run python benchmarks/stories.py`.

Writes N synthetic articles (Zipf-distributed words, per-site boilerplate lines) with their MinHash
signatures into a real newswatch database, then measures what a crawl pays: building the story
index from the database once, and per new article the join (find its story, add it to the index)
for copies of stored articles (trimmed and reworded) and for new texts. Signing a text (shingles
and MinHash) is reported apart: it depends on the article's length, not on how many are stored.
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from pipeline.ingest.commit import build_story_index
from pipeline.match.stories import StoryIndex, StoryRules
from pipeline.store.sqlite import Store

SITES = 20


def synthetic_texts(count: int, rng: np.random.Generator) -> list[list[str]]:
    vocabulary = np.array([f"w{i}" for i in range(30_000)])
    boilerplate = [list(vocabulary[rng.integers(0, 500, 30)]) for _ in range(SITES)]
    texts = []
    for n in range(count):
        words = list(vocabulary[np.minimum(rng.zipf(1.3, rng.integers(250, 600)), 29_999)])
        texts.append(words + boilerplate[n % SITES])
    return texts


def copy_of(words: list[str], rng: np.random.Generator) -> list[str]:
    """An outlet's copy: the last fifth trimmed, one word in twenty replaced."""
    kept = list(words[: int(len(words) * 0.8)])
    for i in rng.integers(0, len(kept), len(kept) // 20):
        kept[i] = f"edit{rng.integers(0, 10**6)}"
    return kept


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--joins", type=int, default=2_000)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    rules = StoryRules()
    signer = StoryIndex(rules)

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.db")
        texts = synthetic_texts(args.articles, rng)
        started = time.perf_counter()
        sketches = [signer.sketch(" ".join(words)) for words in texts]
        sign_all = time.perf_counter() - started
        now = time.time()
        iso = datetime.fromtimestamp(now, timezone.utc).replace(microsecond=0).isoformat()
        # The synthetic corpus goes in through a connection of the benchmark's own: bulk rows, not
        # articles a crawl would store one transaction at a time.
        with sqlite3.connect(Path(tmp) / "bench.db") as conn:
            conn.executemany(
                "insert into stories (id, first_seen, title, article_count) values (?, ?, ?, 1)",
                ((i + 1, iso, f"story {i + 1}") for i in range(args.articles)))
            conn.executemany(
                "insert into articles (id, url, source, title, fetched_at, text, paywalled, story_id)"
                " values (?, ?, ?, ?, ?, 'synthetic', 0, ?)",
                ((i + 1, f"https://site{i % SITES}.example/{i}", f"site{i % SITES}", f"story {i + 1}",
                  iso, i + 1) for i in range(args.articles)))
            conn.executemany(
                "insert into story_signatures (article_id, seen_at, seen_epoch, shingles, minhash)"
                " values (?, ?, ?, ?, ?)",
                ((i + 1, iso, now, s.size, s.to_blob()) for i, s in enumerate(sketches)))

        gc.collect()
        started = time.perf_counter()
        index = build_story_index(store, rules, time.time())
        build = time.perf_counter() - started

        originals = rng.integers(0, args.articles, args.joins // 2)
        copies = [(copy_of(texts[i], rng), int(i) + 1) for i in originals]
        novel = [(words, None) for words in synthetic_texts(args.joins - len(copies), rng)]
        # The 40 million word strings of the synthetic corpus are the benchmark's, not a crawl's:
        # drop them so the garbage collector does not walk them during the timed joins.
        del texts, sketches
        gc.collect()
        join_ms, sign_ms, right, wrong = [], [], 0, 0
        for n, (words, story) in enumerate(copies + novel):
            started = time.perf_counter()
            sketch = index.sketch(" ".join(words))
            signed = time.perf_counter()
            match = index.find(sketch, time.time())
            index.add(args.articles + n + 1, match.story_id if match else -(n + 1), sketch, time.time())
            joined = time.perf_counter()
            sign_ms.append((signed - started) * 1000)
            join_ms.append((joined - signed) * 1000)
            found = match.story_id if match else None
            right += found == story
            wrong += story is None and found is not None
        store.close()

    print(f"stored articles: {args.articles:,} (signed in {sign_all:.1f} s, "
          f"{sign_all / args.articles * 1000:.2f} ms each)")
    print(f"index build from the database: {build:.2f} s")
    print(f"join (find story + add), {len(join_ms):,} new articles: median {statistics.median(join_ms):.3f} ms,"
          f" p99 {percentile(join_ms, 99):.3f} ms, max {max(join_ms):.3f} ms")
    print(f"sign (shingles + MinHash): median {statistics.median(sign_ms):.3f} ms,"
          f" p99 {percentile(sign_ms, 99):.3f} ms")
    print(f"decisions: {right}/{len(join_ms)} right (copies joined their story, new texts started one);"
          f" {wrong} new texts wrongly joined")


if __name__ == "__main__":
    main()
