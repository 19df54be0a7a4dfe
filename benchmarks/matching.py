"""Matcher speed, build time and memory with 10 to 50,000 entities, against a compiled regex.

    uv run python benchmarks/matching.py [--texts 2000] [--sizes 10,1000,10000,50000]

Entities are synthetic but shaped like real watchlists: legal names with prefixes and suffixes,
short names, Chinese and Cyrillic names, stock codes, and the awkward real ones ("AT&T", "3M",
"L'Oréal", "Yahoo!", "GE"). Texts are about 3,000 characters of English (10% Chinese) with a few
watched names mixed in. Each size runs in a fresh process so memory is measured cleanly (RSS
growth during the build). The regex baseline (one alternation, case-insensitive, lookaround
boundaries) runs on a sample of 50 texts up to 10,000 entities; beyond that its build alone takes
minutes.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.match.watchlist import EntitySpec, Watchlist  # noqa: E402

SYLLABLES = "ka ri to mo na shi zen hua tek lon vor dex ar ion bel cor dan fer gal hel ix jun kor lum".split()
PREFIXES = ["", "", "Zhejiang ", "Hangzhou ", "Shenzhen ", "Global ", "Northern ", "United ", "First ", "Royal "]
SUFFIXES = ["Technology", "Holdings", "Group", "Bank", "Energy", "Motors", "Pharma", "Systems", "Industries", "Capital"]
HAN = "海康威视大华股份华为中兴商汤科技旷视讯飞腾讯阿里巴巴百度京东美团比亚迪宁德时代联想小米格力美的"
# Article text draws on 3,000 common ideographs: real Chinese prose, not a soup of company names.
HAN_TEXT = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 3000))
CYRILLIC = "абвгдежзиклмнопрстуфхцчшэюя"
REAL = [
    ("AT&T", ["AT&T"]), ("3M", ["3M"]), ("L'Oréal", ["L'Oréal", "L'Oreal"]), ("Yahoo", ["Yahoo!"]),
    ("General Electric", ["General Electric", "GE"]), ("ABB", ["ABB"]), ("Nestlé", ["Nestlé"]),
    ("Gazprom", ["Gazprom", "Газпром"]), ("Hikvision", ["Hikvision", "海康威视", "002415"]),
]
WORDS = (
    "the of and to in a is that for on it with as was said by at from his an were are which this be "
    "has have had not but its they who their been more one year new after would market government "
    "company shares report percent people million billion city state officials week group court "
    "police contract cameras surveillance rights investors fund pension sanctions export trade"
).split()


def entity_names(rng: random.Random, count: int) -> list[EntitySpec]:
    specs = [EntitySpec(name, tuple(aliases)) for name, aliases in REAL][:count]
    seen = {s.name for s in specs}
    cores: set[str] = set()
    while len(specs) < count:
        core = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        name = f"{rng.choice(PREFIXES)}{core} {rng.choice(SUFFIXES)}"
        if name in seen or core in cores:  # short names are mostly unique in real lists
            continue
        seen.add(name)
        cores.add(core)
        aliases = [name, core]
        if rng.random() < 0.3:
            aliases.append("".join(rng.choice(HAN + HAN_TEXT) for _ in range(rng.randint(2, 4))))
        if rng.random() < 0.1:
            aliases.append("".join(rng.choice(CYRILLIC) for _ in range(rng.randint(5, 8))).capitalize())
        if rng.random() < 0.3:
            aliases.append(f"{rng.randint(0, 999999):06d}")
        specs.append(EntitySpec(name, tuple(aliases)))
    return specs


def texts(rng: random.Random, count: int, specs: list[EntitySpec]) -> list[str]:
    out = []
    for i in range(count):
        if i % 10 == 0:
            body = "".join(rng.choice(HAN_TEXT + "的是在了和有这为也，。") for _ in range(1200))
        else:
            body = " ".join(rng.choice(WORDS) for _ in range(520))
        words = body.split(" ")
        for _ in range(3):
            words.insert(rng.randrange(len(words)), rng.choice(rng.choice(specs).aliases))
        out.append(" ".join(words))
    return out


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def regex_baseline(specs: list[EntitySpec]) -> re.Pattern[str]:
    aliases = sorted({a for s in specs for a in s.aliases}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, aliases)) + r")(?!\w)", re.IGNORECASE)


def one_size(size: int, text_count: int) -> dict[str, float]:
    rng = random.Random(size)
    specs = entity_names(rng, size)
    corpus = texts(rng, text_count, specs)
    before = rss_kb()
    started = time.perf_counter()
    watchlist = Watchlist(specs)
    build_s = time.perf_counter() - started
    memory_mb = (rss_kb() - before) / 1024
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        found = sum(len(watchlist.find({"title": "", "text": t})) for t in corpus)
        runs.append(time.perf_counter() - started)
    result = {
        "entities": size, "build_s": build_s, "memory_mb": memory_mb,
        "articles_per_s": text_count / statistics.median(runs), "mentions": found,
    }
    if size <= 10_000:
        started = time.perf_counter()
        pattern = regex_baseline(specs)
        result["regex_build_s"] = time.perf_counter() - started
        sample = corpus[:50]
        started = time.perf_counter()
        for text in sample:
            pattern.findall(text)
        result["regex_articles_per_s"] = len(sample) / (time.perf_counter() - started)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--sizes", default="10,1000,10000,50000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.texts)))
        return
    print(f"{'entities':>9}{'build s':>9}{'MB':>7}{'articles/s':>12}{'regex articles/s':>18}{'regex build s':>15}")
    for size in map(int, args.sizes.split(",")):
        done = subprocess.run([sys.executable, __file__, "--one", str(size), "--texts", str(args.texts)],
                              capture_output=True, text=True, check=True)
        r = json.loads(done.stdout)
        regex = f"{r['regex_articles_per_s']:>18.1f}{r['regex_build_s']:>15.2f}" if "regex_articles_per_s" in r else f"{'-':>18}{'-':>15}"
        print(f"{r['entities']:>9}{r['build_s']:>9.2f}{r['memory_mb']:>7.1f}{r['articles_per_s']:>12.0f}{regex}", flush=True)


if __name__ == "__main__":
    main()
