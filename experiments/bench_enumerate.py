"""Throughput of the enumerative search: candidate programs checked per second on 5 examples, one core.

Usage:
    python experiments/bench_enumerate.py                  # about 30 s: 4 tasks x 3 settings x 2 s
    python experiments/bench_enumerate.py --seconds 5 --out experiments/results/bench_enumerate.json

Each task is unsolvable (random outputs), so the search runs for the whole budget and every candidate is
counted. A candidate is one program run on all 5 examples (`synth.search.enumerate`). For scale, the same
number is given for the naive way: each candidate program run separately through `dsl.machine.run` on the 5
examples. Rates are given per wall-clock second and per CPU second of this process (`time.process_time`),
the latter being the fair number on a shared machine. Also reports the peak resident memory (the dedup set
of states dominates it).
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dsl import parse_tasks, run  # noqa: E402
from synth.search.enumerate import EnumerateConfig, enumerate_search  # noqa: E402


def tasks() -> list:
    rng = random.Random(0)
    rows = [
        ("int2", lambda: [rng.randint(-20, 20), rng.randint(-20, 20)], lambda: rng.randint(-64, 63)),
        ("list", lambda: [tuple(rng.randint(-9, 9) for _ in range(rng.randint(0, 6)))], lambda: rng.randint(-64, 63)),
        ("str", lambda: ["".join(rng.choice("abc") for _ in range(rng.randint(0, 6)))], lambda: "zq"),
        ("mixed", lambda: [rng.randint(-9, 9), tuple(rng.randint(-9, 9) for _ in range(3)), "ab"],
         lambda: rng.randint(-64, 63)),
    ]
    out = []
    for name, inp, outp in rows:
        exs = [{"input": [list(v) if isinstance(v, tuple) else v for v in inp()], "output": [outp()]} for _ in range(5)]
        out.append(parse_tasks(json.dumps({"name": name, "examples": exs}))[0])
    return out


def naive_rate(task, seconds: float) -> float:
    """Candidates/s when each program of a fixed list is run through dsl.machine.run on every example."""
    progs = [("dup", "mul"), ("add",), ("swap", "sub", "abs"), ("len", "inc"), ("reverse",), ("sum", (3,), "add")]
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        for code in progs:
            for ex in task.examples:
                run(code, ex.input, (), "small")
            n += 1
    return n / (time.perf_counter() - t0), n / (time.process_time() - c0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="search time per task and setting")
    ap.add_argument("--out", help="also write the rows as JSON here")
    args = ap.parse_args()
    settings = {"prune": EnumerateConfig(), "no prune": EnumerateConfig(prune=False),
                "prune, 1 free const": EnumerateConfig(free_constants=1)}
    rows = []
    print(f"{'task':6} {'setting':20} {'candidates':>11} {'cand/s':>9} {'cand/cpu-s':>10}")
    for t in tasks():
        for name, cfg in settings.items():
            c0 = time.process_time()
            res = enumerate_search(t, args.seconds, config=cfg)
            cpu = time.process_time() - c0
            assert not res.solved
            rate, cpu_rate = res.candidates / res.seconds, res.candidates / cpu
            rows.append({"task": t.name, "setting": name, "candidates": res.candidates, "seconds": res.seconds,
                         "cpu_seconds": cpu, "per_second": rate, "per_cpu_second": cpu_rate})
            print(f"{t.name:6} {name:20} {res.candidates:11d} {rate:9.0f} {cpu_rate:10.0f}", flush=True)
        naive, naive_cpu = naive_rate(t, min(1.0, args.seconds))
        rows.append({"task": t.name, "setting": "naive machine.run", "per_second": naive, "per_cpu_second": naive_cpu})
        print(f"{t.name:6} {'naive machine.run':20} {'':>11} {naive:9.0f} {naive_cpu:10.0f}", flush=True)
    main_rows = [r for r in rows if r["setting"] == "prune"]
    wall = sum(r["per_second"] for r in main_rows) / len(main_rows)
    cpu = sum(r["per_cpu_second"] for r in main_rows) / len(main_rows)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"mean candidates/s (prune, 5 examples): {wall:.0f} per wall second, {cpu:.0f} per CPU second; "
          f"peak RSS {rss:.0f} MiB")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"seconds": args.seconds, "rows": rows, "peak_rss_mib": rss}, indent=1))


if __name__ == "__main__":
    main()
