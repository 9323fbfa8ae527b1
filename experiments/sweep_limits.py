"""Is `default` ever behind `enumerate`? Solved tasks of the ordinary suites at every time limit from 0.5 s to 10 s.

    python experiments/sweep_limits.py                                   # public suites, 0.5 1 2 5 10 s
    python experiments/sweep_limits.py --limits 0.5,2 --suites datasets/public/small.jsonl

`default` runs once per limit (its time slices are shares of the limit, so a shorter limit is another
search). `enumerate` runs once at the largest limit: its breadth-first order does not depend on the limit,
so the tasks it solves within t are those its one run solved in t CPU-seconds or less (read off that run).
Times are this process's CPU seconds (`clock: cpu`). Per-task results are appended to --partial (JSON
lines; a rerun skips what is there), the table goes to --out (experiments/results/sweep_limits.md).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments"))

SUITES = ["datasets/public/small.jsonl", "datasets/public/deepcoder.jsonl"]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limits", default="0.5,1,2,5,10")
    ap.add_argument("--suites", default=",".join(SUITES))
    ap.add_argument("--partial", default=str(ROOT / "runs/sweep_limits.jsonl"))
    ap.add_argument("--out", default=str(ROOT / "experiments/results/sweep_limits.md"))
    ap.add_argument("--over", help="JSON of config keys for `default` (see bench_guided.py --over)")
    args = ap.parse_args(argv)
    import torch
    from bench_guided import run_all
    torch.set_num_threads(1)
    limits = [float(x) for x in args.limits.split(",")]
    suites = args.suites.split(",")
    common = dict(limit=0, suites=suites, clock="cpu", checkpoint=None, partial=args.partial)
    enum = run_all(argparse.Namespace(time_limit=max(limits), methods=["enumerate"], over=None, **common))
    rows = {}
    for lim in limits:
        rows[lim] = run_all(argparse.Namespace(time_limit=lim, methods=["default"], over=args.over, **common))
    lines = ["Tasks solved (CPU seconds per task). `default`: one run per limit; `enumerate`: its one run at "
             f"{max(limits):g} s read off at each limit.", "",
             "| limit | " + " | ".join(f"{Path(s).stem}: default | enumerate" for s in suites) + " | behind |",
             "|---|" + "---|---|" * len(suites) + "---|"]
    worst = []
    for lim in limits:
        cells, behind = [], []
        for s in suites:
            d = {r["task"] for r in rows[lim] if r["suite"] == s and r["solved"]}
            e = {r["task"] for r in enum if r["suite"] == s and r["solved"] and r["seconds"] <= lim}
            cells += [str(len(d)), str(len(e))]
            behind.append(len(d) < len(e))
            worst += [{"limit": lim, "suite": Path(s).stem, "task": t} for t in sorted(e - d)]
        lines.append(f"| {lim:g} s | " + " | ".join(cells) + f" | {'yes' if any(behind) else 'no'} |")
    lines += ["", "Tasks `enumerate` solves within the limit and `default` misses at that limit (per task):", ""]
    lines += [f"- {w['limit']:g} s, {w['suite']}: {w['task']}" for w in worst] or ["- none"]
    text = "\n".join(lines)
    print(text)
    Path(args.out).write_text("# default against enumerate at every limit (experiments/sweep_limits.py)\n\n"
                              + text + "\n")
    print(json.dumps({"limits": limits, "behind_anywhere": any("| yes |" in x for x in lines)}))


if __name__ == "__main__":
    main()
