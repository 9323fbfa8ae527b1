"""Solve rate of search methods on the public suites, by reference program length (README table and plot).

Usage:
    python experiments/run_bench.py                                   # enumerate, 5 s per task (~15 CPU-min)
    python experiments/run_bench.py --methods enumerate,default --time-limit 5 --out experiments/results/bench_public
    python experiments/run_bench.py --cpu-clock                       # budget = CPU seconds (shared machines)

A thin wrapper over `synth bench --suite datasets/public/small.jsonl datasets/public/deepcoder.jsonl ...`:
writes results.csv, results.jsonl and solve_rate.png into --out and prints the summary table.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synth.cli import main as synth_main  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="enumerate")
    ap.add_argument("--time-limit", default="5")
    ap.add_argument("--out", default=str(ROOT / "experiments/results/bench_public"))
    ap.add_argument("--workers", default="1")
    ap.add_argument("--suites", nargs="+", default=[str(ROOT / "datasets/public/small.jsonl"),
                                                    str(ROOT / "datasets/public/deepcoder.jsonl")])
    ap.add_argument("--cpu-clock", action="store_true", help="enumerate's budget counts CPU time, not wall time")
    ap.add_argument("overrides", nargs="*", help="key=value overrides passed to synth bench")
    a = ap.parse_args()
    overrides = list(a.overrides) + (["enumerate.clock=cpu"] if a.cpu_clock else [])
    return synth_main(["bench", "--methods", a.methods, "--time-limit", a.time_limit, "--out", a.out,
                       "--workers", a.workers, *overrides, "--suite", *a.suites])


if __name__ == "__main__":
    sys.exit(main())
