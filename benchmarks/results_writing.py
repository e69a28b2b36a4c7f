"""What writing benchmark rows costs as a results file grows: appending (``ResultsFile``, what the
benchmark does) against rewriting the whole file at every flush (what it did before).

Writes N rows in flushes of 100 (a benchmark flushes every 2 s) and prints the seconds per 1,000 rows
written at several file sizes: constant for appends (O(n) in all), growing with the file for rewrites
(O(n^2) in all, so they stop at ``--rewrite-rows``). Usage:
``python benchmarks/results_writing.py [--rows 100000] [--rewrite-rows 50000]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from inpaint_core.benchmark import METRIC_COLUMNS, ResultsFile, write_atomic

ROW = {"method": "telea", "index": 0, "image": "images/val/101085.jpg", "hole_ratio": 0.1, "bucket": "(0.1,0.2]",
       **{c: 0.123456789 for c in METRIC_COLUMNS}, "ms": 12.345, "log_likelihood": None, "train_min": None,
       "lpips": 0.0987654321, "peak_rss_mb": 812.5}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rewrite-rows", type=int, default=50_000)
    args = parser.parse_args()
    marks = {args.rows // 10, args.rows // 2, args.rows}
    print("| rows written | append: s per 1,000 rows | rewrite: s per 1,000 rows |\n|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        results = ResultsFile(Path(tmp) / "append.csv", pd.DataFrame())
        frames: list[pd.DataFrame] = []
        rewrite_path = Path(tmp) / "rewrite.csv"
        append_t = rewrite_t = 0.0
        window = 0
        for written in range(100, args.rows + 1, 100):
            batch = [ROW] * 100
            start = time.perf_counter()
            results.add(batch)
            results.flush()
            append_t += time.perf_counter() - start
            if written <= args.rewrite_rows:
                start = time.perf_counter()
                frames.append(pd.DataFrame(batch))
                write_atomic(pd.concat(frames, ignore_index=True), rewrite_path)
                rewrite_t += time.perf_counter() - start
            window += 100
            if written in marks or written == 1_000:
                rewrite = f"{1000 * rewrite_t / window:.4f}" if written <= args.rewrite_rows else "-"
                print(f"| {written:,} | {1000 * append_t / window:.4f} | {rewrite} |", flush=True)
                append_t = rewrite_t = 0.0
                window = 0


if __name__ == "__main__":
    main()
