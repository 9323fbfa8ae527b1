"""Benchmark search methods on task suites in one run: every method on every task, same time limit.

    synth bench --suite datasets/public/small.jsonl --methods enumerate,enumerate_noprune --time-limit 5
    synth bench --suite a.jsonl b.jsonl --methods enumerate,default --out runs/bench1 --workers 2

Writes into --out: `results.csv` (suite, task, method, solved, seconds, candidates, program, constants,
length, ref_length), `results.jsonl` (docs §5 result objects plus suite), `solve_rate.png` (fraction of tasks
solved within t seconds against t, log scale, one line per method); prints a summary table (per method:
solved/total, and by reference program length when the suite knows it). Suites are docs §5 task files or
DeepCoder-style JSON Lines (detected per file). Settings: synth/conf/bench.yaml (+ search.yaml's sections).
"""
from __future__ import annotations

import csv
import io
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .search import check_seconds, make_solver, seconds, split_config

HELP = "run search methods on task suites; write results.csv, a solve-rate plot and a summary"


@dataclass
class BenchConfig:
    methods: str = "enumerate"
    time_limit: float = 5.0
    out: str = "runs/bench"
    workers: int = 1
    profile: Optional[str] = None
    checkpoint: Optional[str] = None
    method: str = "enumerate"   # from search.yaml; unused here


def add_arguments(p) -> None:
    p.add_argument("--suite", nargs="+", required=True, metavar="FILE", help="task files (docs §5 or DeepCoder JSONL)")
    p.add_argument("--methods", help="comma-separated method names (default from config: enumerate)")
    p.add_argument("--time-limit", type=seconds, metavar="S", help="seconds per task and method (default 5)")
    p.add_argument("--out", metavar="DIR", help="output folder (default runs/bench)")
    p.add_argument("--workers", type=int, metavar="W", help="parallel worker processes (default 1)")
    p.add_argument("--profile", help="profile for every task (default: each task's own)")
    p.add_argument("--checkpoint", metavar="PATH", help="model checkpoint for neural methods")


_WORKER: dict = {}


def _job(job):
    """Run one (suite, task, method) job; builds each method once per process."""
    suite, task, method, ref_len, setup = job
    sections, checkpoint, time_limit, profile = setup
    if method not in _WORKER:
        _WORKER[method] = make_solver(method, sections, checkpoint)
    res = _WORKER[method](task, time_limit, profile)
    return suite, ref_len, method, res


def ref_length(task) -> int | None:
    if task.program is None:
        return None
    from dsl import DslSyntaxError, parse
    try:
        return len(parse(task.program, task.profile))
    except DslSyntaxError:
        return None


def run_bench(suites: list[str], methods: list[str], cfg: BenchConfig, sections: dict, log=sys.stderr) -> list[dict]:
    """Run every method on every task of every suite; returns the result rows (also written to cfg.out)."""
    from ..errors import UserError
    from ..search.suites import load_suite
    loaded = [(Path(s).stem, load_suite(s, cfg.profile)) for s in suites]  # all files validated first
    from .search import check_constants
    for m in methods:
        solve = make_solver(m, sections, cfg.checkpoint)  # unknown method or bad settings: fail before running
        for _, tasks in loaded:
            check_constants(tasks, solve, cfg.profile)
    check_seconds(cfg.time_limit)
    if cfg.workers < 1:
        raise UserError("--workers must be at least 1")
    setup = (sections, cfg.checkpoint, cfg.time_limit, cfg.profile)
    jobs = [(name, t, m, ref_length(t), setup) for name, tasks in loaded for t in tasks for m in methods]
    if cfg.workers == 1:
        results = map(_job, jobs)
    else:
        import multiprocessing as mp
        pool = mp.get_context("fork").Pool(cfg.workers)
        results = pool.imap(_job, jobs)
    rows = []
    for k, (suite, ref_len, method, res) in enumerate(results, 1):
        rows.append({"suite": suite, "task": res.task, "method": method, "solved": res.solved,
                     "seconds": round(res.seconds, 4), "candidates": res.candidates, "program": res.program or "",
                     "constants": json.dumps(res.to_json()["constants"]),
                     "length": len(res.program.split()) if res.solved and res.program else "",
                     "ref_length": "" if ref_len is None else ref_len, "result": res.to_json()})
        print(f"[{k}/{len(jobs)}] {suite}/{res.task} {method}: "
              f"{'solved' if res.solved else 'not solved'} ({res.seconds:.2f} s)", file=log, flush=True)
    if cfg.workers > 1:
        pool.close()
    write_outputs(rows, methods, cfg)
    return rows


def write_outputs(rows: list[dict], methods: list[str], cfg: BenchConfig) -> None:
    from ..io import atomic_write_text
    out = Path(cfg.out)
    cols = ["suite", "task", "method", "solved", "seconds", "candidates", "program", "constants", "length",
            "ref_length"]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    atomic_write_text(out / "results.csv", buf.getvalue())
    atomic_write_text(out / "results.jsonl", "".join(json.dumps({"suite": r["suite"], **r["result"]}) + "\n"
                                                     for r in rows))
    plot_solve_rate(rows, methods, cfg.time_limit, out / "solve_rate.png")


def plot_solve_rate(rows: list[dict], methods: list[str], time_limit: float, path: Path) -> None:
    """Fraction of tasks solved within t seconds, against t (log scale), one step line per method."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    fig, ax = plt.subplots(figsize=(6, 4))
    lo = max(1e-4, min([r["seconds"] for r in rows if r["solved"]] + [time_limit]) / 2)
    ts = np.logspace(np.log10(lo), np.log10(time_limit), 200)
    for m in methods:
        mine = [r for r in rows if r["method"] == m]
        times = np.sort([r["seconds"] for r in mine if r["solved"]])
        frac = np.searchsorted(times, ts, side="right") / max(1, len(mine))
        ax.step(ts, frac, where="post", label=f"{m} ({len(times)}/{len(mine)})")
    ax.set_xscale("log")
    ax.set_xlabel("time budget per task (s)")
    ax.set_ylabel("fraction of tasks solved")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    ax.set_title("solve rate against time")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    from ..io import atomic_write_bytes
    atomic_write_bytes(path, buf.getvalue())


def summary(rows: list[dict], methods: list[str]) -> str:
    """Text table: per method solved/total overall and by reference program length ("?": unknown)."""
    key = lambda r: "?" if r["ref_length"] == "" else r["ref_length"]  # noqa: E731
    known = sorted({r["ref_length"] for r in rows if r["ref_length"] != ""})
    groups = known + (["?"] if known and any(key(r) == "?" for r in rows) else [])
    table = [["method", "solved", "mean s (solved)"] + [f"len {n}" for n in groups]]
    for m in methods:
        mine = [r for r in rows if r["method"] == m]
        ok = [r for r in mine if r["solved"]]
        mean = sum(r["seconds"] for r in ok) / len(ok) if ok else 0.0
        line = [m, f"{len(ok)}/{len(mine)}", f"{mean:.3f}"]
        for n in groups:
            grp = [r for r in mine if key(r) == n]
            line.append(f"{sum(r['solved'] for r in grp)}/{len(grp)}")
        table.append(line)
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table)


def main(args) -> int:
    suites, overrides = [], list(args.overrides)
    for s in args.suite:  # `--suite a.jsonl key=value` puts the override into --suite: move it back
        (overrides if "=" in s and not os.path.exists(s) else suites).append(s)
    cfg, sections = split_config("bench", overrides, BenchConfig,
                                 {"methods": args.methods, "time_limit": args.time_limit, "out": args.out,
                                  "workers": args.workers, "profile": args.profile, "checkpoint": args.checkpoint})
    methods = [m.strip() for m in str(cfg.methods).split(",") if m.strip()]
    if not suites or not methods:
        from ..errors import UserError
        raise UserError("give at least one --suite FILE and one method in --methods")
    from ..io import make_dir
    make_dir(cfg.out, "--out")
    rows = run_bench(suites, methods, cfg, sections)
    print(summary(rows, methods))
    print(f"wrote {Path(cfg.out) / 'results.csv'}, results.jsonl, solve_rate.png", file=sys.stderr)
    return 0
