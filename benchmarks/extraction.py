"""Extraction quality and speed on the article-extraction-benchmark (181 news pages, MIT licence).

Scored the way that benchmark scores: per page, 4-word-shingle tp/fp/fn scaled to sum to 1;
precision averaged over pages with output, recall over pages with a reference, F1 of the two
means. trafilatura alone and newswatch run side by side on each page (interleaved, so machine
noise hits both), and the median ms/page of each is reported with their ratio.

    uv run python benchmarks/extraction.py [--data ../shared/data/article-extraction-benchmark]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Callable

import trafilatura

from pipeline.extract.article import ExtractionError, extract

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/article-extraction-benchmark"


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = re.findall(r"\w+", text.lower())
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)


def page_scores(reference: str, predicted: str) -> tuple[float, float, float]:
    truth, guess = shingles(reference), shingles(predicted)
    tp = sum((truth & guess).values())
    fp = sum((guess - truth).values())
    fn = sum((truth - guess).values())
    total = tp + fp + fn
    if total == 0:
        return 0.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


def score(references: dict[str, str], outputs: dict[str, str]) -> dict[str, float]:
    precisions, recalls = [], []
    for key, reference in references.items():
        predicted = outputs.get(key, "")
        tp, fp, fn = page_scores(reference, predicted)
        if predicted.strip():
            precisions.append(tp / (tp + fp) if tp + fp else 0.0)
        if reference.strip():
            recalls.append(tp / (tp + fn) if tp + fn else 0.0)
    precision = statistics.fmean(precisions) if precisions else 0.0
    recall = statistics.fmean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def trafilatura_alone(html: str) -> str:
    return trafilatura.extract(html, include_comments=False) or ""


def newswatch(html: str) -> str:
    try:
        return extract(html).text
    except ExtractionError:
        return ""


def run(data: Path, extractors: dict[str, Callable[[str], str]]) -> dict[str, dict[str, float]]:
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    references = {key: value["articleBody"] for key, value in truth.items()}
    outputs: dict[str, dict[str, str]] = {name: {} for name in extractors}
    timings: dict[str, list[float]] = {name: [] for name in extractors}
    for key in references:
        html = gzip.decompress((data / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8")
        for name, function in extractors.items():
            started = time.perf_counter()
            outputs[name][key] = function(html)
            timings[name].append((time.perf_counter() - started) * 1000)
    results = {}
    for name in extractors:
        results[name] = score(references, outputs[name])
        results[name]["ms_per_page_median"] = statistics.median(timings[name])
        results[name]["ms_per_page_mean"] = statistics.fmean(timings[name])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    results = run(args.data, {"trafilatura 2.3.1 alone": trafilatura_alone, "newswatch": newswatch})
    print(f"{'extractor':<26}{'precision':>10}{'recall':>9}{'F1':>8}{'ms/page (median)':>19}{'mean':>8}")
    for name, r in results.items():
        print(f"{name:<26}{r['precision']:>10.3f}{r['recall']:>9.3f}{r['f1']:>8.3f}"
              f"{r['ms_per_page_median']:>19.1f}{r['ms_per_page_mean']:>8.1f}")
    base, ours = results["trafilatura 2.3.1 alone"], results["newswatch"]
    print(f"newswatch / trafilatura time (median): {ours['ms_per_page_median'] / base['ms_per_page_median']:.2f}")


if __name__ == "__main__":
    main()
