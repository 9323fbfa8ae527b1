"""Guided search against the non-neural searches: every method on the same tasks, one table.

    python experiments/bench_guided.py                                  # 10 s CPU per task, both hard suites
    python experiments/bench_guided.py --time-limit 5 --limit 20        # a quicker look
    python experiments/bench_guided.py --methods meet,enumerate         # some methods now, the rest later

Methods (default): meet (BFS + meeting in the middle: today's `default`), enumerate (the baseline BFS),
guided (beam search ordered by the shipped guide of each task's profile, synth/pretrained/guide_{small,
deepcoder}.pt) and guided_uniform (the same
search with a uniform policy, value and constant head). Times are this process's CPU seconds (`clock: cpu`
for every method) so that the load of the shared machine does not decide the ranking (--clock wall for wall
time). Every result is verified by the real machine (synth.search.build checks it again).

Each finished (suite, task, method) is appended to --partial (JSON lines); running again with the same
arguments skips what is there, so the methods of one table may be run in several sittings (the table says
so). Prints and writes (--out, default experiments/results/guided.md): solved per suite and method, the
median candidates (programs run on the machine) before the solution on the tasks both guided and each
other method solve, and the guide's cost per node beside the BFS's cost per candidate.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SUITES = ["datasets/hard/small.jsonl", "datasets/hard/deepcoder.jsonl"]
METHODS = ["meet", "enumerate", "guided", "guided_uniform"]


def run_all(args) -> list[dict]:
    from dsl.tasks import load_tasks
    from synth.search import build
    part = Path(args.partial)
    done = {}
    if part.exists():
        for line in part.read_text().splitlines():
            d = json.loads(line)
            if d["time_limit"] == args.time_limit and d["clock"] == args.clock:
                done[(d["suite"], d["task"], d["method"])] = d
    solvers = {}
    for suite in args.suites:
        tasks = load_tasks(ROOT / suite)[:args.limit or None]
        for m in args.methods:
            for t in tasks:
                if (suite, t.name, m) in done:
                    continue
                if m not in solvers:
                    solvers[m] = build(m, {**clock_section(m, args.clock), **json.loads(args.over or "{}")},
                                       checkpoint=args.checkpoint)
                t0 = time.process_time()
                r = solvers[m](t, args.time_limit)
                d = {"suite": suite, "task": t.name, "method": m, "time_limit": args.time_limit, "clock": args.clock,
                     "solved": r.solved, "seconds": round(r.seconds, 3), "cpu": round(time.process_time() - t0, 3),
                     "candidates": r.candidates, "program": r.program, "ref_length": len((t.program or "").split())}
                done[(suite, t.name, m)] = d
                with open(part, "a") as f:
                    f.write(json.dumps(d) + "\n")
                print(f"{Path(suite).stem} {t.name} {m}: {'solved' if r.solved else '-'} {r.seconds:.2f}s "
                      f"{r.candidates} cand {r.program or ''}", file=sys.stderr, flush=True)
    names = {(s, t.name) for s in args.suites for t in load_tasks(ROOT / s)[:args.limit or None]}
    return [d for k, d in done.items() if (k[0], k[1]) in names and k[2] in args.methods]


def guide_cost(checkpoint: str | None, n: int = 2048) -> tuple[float, float]:
    """(µs per node for featurising + one batched guide call, µs per BFS candidate) on one thread."""
    import random

    import torch
    from dsl.tasks import load_tasks
    from synth.guide.api import Oracle, load_guide
    from synth.search import build
    torch.set_num_threads(1)
    task = load_tasks(ROOT / SUITES[0])[0]
    from dsl import get_profile
    p = get_profile(task.profile)
    rng = random.Random(0)
    states = []
    for _ in range(n):                      # random stacks of the task's input values
        states.append(tuple(tuple(ex.input[:rng.randint(1, len(ex.input))]) + (rng.randint(-64, 63),)
                            for ex in task.examples))
    orc = Oracle(load_guide(checkpoint), task, p, 0)
    t0 = time.process_time()
    orc.ask(states, [()] * n, batch=256)
    per_node = (time.process_time() - t0) / n * 1e6
    solve = build("enumerate", {"clock": "cpu"})
    t0 = time.process_time()
    r = solve(task, 2.0)
    per_cand = (time.process_time() - t0) / max(1, r.candidates) * 1e6
    return per_node, per_cand


def table(rows: list[dict], args) -> str:
    by = {(d["suite"], d["task"], d["method"]): d for d in rows}
    tasks = sorted({(d["suite"], d["task"]) for d in rows})
    out = [f"Time limit {args.time_limit} s ({args.clock} clock) per task; solved / tasks.", "",
           "| suite | " + " | ".join(args.methods) + " |", "|---|" + "---|" * len(args.methods)]
    for suite in args.suites:
        ts = [t for s, t in tasks if s == suite]
        cells = []
        for m in args.methods:
            got = [by[(suite, t, m)] for t in ts if (suite, t, m) in by]
            cells.append(f"{sum(d['solved'] for d in got)}/{len(got)}")
        out.append(f"| {Path(suite).stem} | " + " | ".join(cells) + " |")
    if "guided" in args.methods:
        out += ["", "Median candidates (programs run on the machine) before the solution, on the tasks both solve:",
                "", "| suite | other | both solve | guided | other's | ratio |", "|---|---|---|---|---|---|"]
        for suite in args.suites:
            for m in args.methods:
                if m == "guided":
                    continue
                both = [t for s, t in tasks if s == suite and all(
                    (suite, t, x) in by and by[(suite, t, x)]["solved"] for x in ("guided", m))]
                if not both:
                    continue
                g = statistics.median(by[(suite, t, "guided")]["candidates"] for t in both)
                o = statistics.median(by[(suite, t, m)]["candidates"] for t in both)
                out.append(f"| {Path(suite).stem} | {m} | {len(both)} | {g:.0f} | {o:.0f} | {o / max(g, 1):.1f}x |")
    return "\n".join(out)


def clock_section(method: str, clock: str) -> dict:
    """The config section that sets `method`'s clock (the BFS-based methods take it from their enumerate part)."""
    import dataclasses
    from synth.search import get_method
    fields = {f.name for f in dataclasses.fields(get_method(method).config)}
    return {"clock": clock} if "clock" in fields else {"enumerate": {"clock": clock}}


def plot(rows: list[dict], path: str, time_limit: float) -> None:
    """Tasks solved within t seconds against t, per suite and method, from ONE run's per-task times (an anytime
    reading of a single run at `time_limit`, not a separate run per limit)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    suites = sorted({r["suite"] for r in rows})
    fig, axes = plt.subplots(1, len(suites), figsize=(5.5 * len(suites), 4), squeeze=False)
    grid = np.geomspace(0.01, time_limit, 200)
    for ax, suite in zip(axes[0], suites):
        mine = [r for r in rows if r["suite"] == suite]
        n = len({r["task"] for r in mine})
        for m in sorted({r["method"] for r in mine}):
            t = np.sort([r["seconds"] for r in mine if r["method"] == m and r["solved"]])
            ax.plot(grid, np.searchsorted(t, grid, side="right"), label=f"{m} ({len(t)}/{n})",
                    lw=2.2 if m in ("default", "guided") else 1.2)
        ax.set(xscale="log", xlabel=f"seconds per task ({rows[0]['clock']} clock)", ylabel="tasks solved",
               title=Path(suite).stem if "/" not in suite else "/".join(Path(suite).parts[-2:]))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--limit", type=int, default=0, help="first N tasks of each suite (0: all)")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--suites", default=",".join(SUITES))
    ap.add_argument("--clock", default="cpu", choices=["cpu", "wall"])
    ap.add_argument("--checkpoint", default=None, help="guide checkpoint (default: the shipped one)")
    ap.add_argument("--partial", default=str(ROOT / "runs/bench_guided_partial.jsonl"))
    ap.add_argument("--out", default=str(ROOT / "experiments/results/guided.md"))
    ap.add_argument("--no-cost", action="store_true", help="skip the cost-per-node measurement")
    ap.add_argument("--over", help='JSON of config keys set for every method, e.g. \'{"meet_frac": 0.02}\' '
                                   "(use its own --partial file: the partial records do not hold it)")
    ap.add_argument("--plot", metavar="PNG", help="also draw tasks solved against time from this run's results")
    args = ap.parse_args(argv)
    args.methods, args.suites = args.methods.split(","), args.suites.split(",")
    import torch
    torch.set_num_threads(1)
    rows = run_all(args)
    text = table(rows, args)
    if not args.no_cost:
        node, cand = guide_cost(args.checkpoint)
        text += (f"\n\nCost on one thread (CPU time): the guide {node:.1f} µs per node (features + one batched call "
                 f"of 256 nodes); the BFS {cand:.2f} µs per candidate (enumerate, first task of the small suite).")
    print(text)
    if args.plot:
        plot(rows, args.plot, args.time_limit)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("# Guided search benchmark (experiments/bench_guided.py)\n\n" + text + "\n")


if __name__ == "__main__":
    main()
