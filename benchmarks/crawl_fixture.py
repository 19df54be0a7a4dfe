"""How long one `newswatch crawl` of the bundled fixture site takes, as cron would run it.

    uv run python benchmarks/crawl_fixture.py [--runs 5]

Each run uses a fresh database: a first crawl (2 feeds, 5 pages, 3 alerts to the console) and a
second one (both feeds answer 304). Reports the median wall time of each, whole processes
included (the CLI, and the crawl child it starts).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.cli.demo import DEMO_CONFIG  # noqa: E402
from pipeline.cli.site_server import SiteServer  # noqa: E402


def timed_crawl(config: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pipeline.cli", "--config", str(config), "crawl"],
                   capture_output=True, check=True, cwd=ROOT)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    first, second = [], []
    with SiteServer() as site, tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            config = Path(tmp) / f"run{run}" / "config.yaml"
            config.parent.mkdir()
            config.write_text(DEMO_CONFIG.format(base=site.base), encoding="utf-8")
            first.append(timed_crawl(config))
            second.append(timed_crawl(config))
    print(f"first crawl (5 new pages): median {statistics.median(first):.2f} s; "
          f"second crawl (feeds 304): median {statistics.median(second):.2f} s; runs {args.runs}")


if __name__ == "__main__":
    main()
