"""The gradient search and its ablations on the hard suites: solved per suite (mean ± s.e. over seeds), steps, alpha.

    python experiments/bench_gradient.py                                   # every config, 3 seeds, all tasks
    python experiments/bench_gradient.py --first 10 --configs gradient_nomeet,gradient,meet --seeds 0,1,2

Every config runs every task of datasets/hard/small.jsonl and datasets/hard/deepcoder.jsonl (or the first
`--first` of each) for `--time-limit` seconds of this process's CPU time (`clock=cpu`: fair on a shared
machine), once per seed (the search's `seed`). Printed per config: tasks solved per suite as mean ± standard
error over the seeds, the median optimiser steps per task (res.info["steps"]), the median lowest alpha
reached and the share of runs whose schedule reached alpha 0 (res.info["min_alpha"]). Every solution is
verified by the machine (synth.search.build checks it again). Per-task results are appended to `--raw`
(a JSONL file; a rerun skips what it already holds, so a stopped run resumes), the table is written to `--out`.
`--suites-for` limits a config to some suites (the metric needs the small profile's evaluator).
"""
from __future__ import annotations

import argparse
import json
import cProfile
import platform
import pstats
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITES = {"small": ROOT / "datasets" / "hard" / "small.jsonl", "deepcoder": ROOT / "datasets" / "hard" / "deepcoder.jsonl"}
CPU = {"clock": "cpu", "start": "noise"}                                # the noise start (the ablation)
EVAL = {**CPU, "executor": "evaluator", "cycle_steps": 16}              # ~15x slower steps: shorter cycles
# name -> (method, config section, what it tests)
CONFIGS = {
    "gradient_nomeet": ("gradient_nomeet", CPU, "pure gradient descent (no backward tails), noise start"),
    "gradient": ("gradient", CPU, "gradient + backward tails (meet), noise start"),
    "meet": ("meet", {"enumerate": {"clock": "cpu"}}, "the BFS + meet baseline (no gradient)"),
    "nomeet_guide": ("gradient_nomeet", {**CPU, "start": "guide"}, "pure gradient, learned start: the >= 0.30 goal"),
    "gradient_guide": ("gradient", {**CPU, "start": "guide"}, "gradient + tails, learned start (the default)"),
    "nomeet_noanneal": ("gradient_nomeet", {**CPU, "anneal": False}, "noise start, annealing off (alpha 0)"),
    "nomeet_nomask": ("gradient_nomeet", {**CPU, "mask": False}, "noise start, abstract-graph mask off"),
    "nomeet_nolatent": ("gradient_nomeet", {**CPU, "latent_weight": 0.0}, "noise start, latent term off"),
    "nomeet_eval": ("gradient_nomeet", EVAL, "noise start, big evaluator as executor, metric off"),
    "nomeet_eval_metric": ("gradient_nomeet", {**EVAL, "metric_weight": 1.0}, "noise start, big evaluator + metric"),
    "guide_noanneal": ("gradient_nomeet", {**CPU, "start": "guide", "anneal": False}, "learned start, annealing off"),
    "guide_nomask": ("gradient_nomeet", {**CPU, "start": "guide", "mask": False}, "learned start, mask off"),
    "guide_nolatent": ("gradient_nomeet", {**CPU, "start": "guide", "latent_weight": 0.0},
                       "learned start, latent term off"),
    "guide_eval": ("gradient_nomeet", {**EVAL, "start": "guide"}, "learned start, big evaluator, metric off"),
    "guide_eval_metric": ("gradient_nomeet", {**EVAL, "start": "guide", "metric_weight": 1.0},
                          "learned start, big evaluator, field metric on"),
}
ONLY_SMALL = {"nomeet_eval", "nomeet_eval_metric", "guide_eval", "guide_eval_metric"}   # no evaluator for deepcoder


def chosen(suites: list[str], first: int, subset: str) -> dict[str, set[str]]:
    """suite -> the task names to run: the first `first` (0: all), and with `subset` (a raw results file) only
    the tasks some record of it solved (e.g. the ablations on the tasks the full method solves in any seed)."""
    from dsl.tasks import parse_tasks
    keep = {s: {parse_tasks(x)[0].name for x in SUITES[s].read_text().splitlines()[:first or None]} for s in suites}
    if subset:
        won = {(r["suite"], r["task"]) for r in map(json.loads, Path(subset).read_text().splitlines()) if r["solved"]}
        keep = {s: {t for t in names if (s, t) in won} for s, names in keep.items()}
    return keep


def run_config(name: str, suites: list[str], seeds: list[int], keep: dict, limit: float, raw: Path) -> None:
    from dsl.tasks import parse_tasks
    from synth.search import build, verify
    done = set()
    if raw.exists():
        for line in raw.read_text().splitlines():
            r = json.loads(line)
            done.add((r["config"], r["suite"], r["seed"], r["task"]))
    method, section, _ = CONFIGS[name]
    for seed in seeds:
        solve = None
        sec = {**section, "seed": seed} if method != "meet" else section
        for suite in suites:
            lines = SUITES[suite].read_text().splitlines()
            for line in lines:
                task = parse_tasks(line)[0]
                if task.name not in keep[suite] or (name, suite, seed, task.name) in done:
                    continue
                solve = solve or build(method, sec)
                t = time.process_time()
                res = solve(task, limit)
                ok = res.solved and verify(task, res.program, res.constants)
                rec = {"config": name, "suite": suite, "seed": seed, "task": task.name, "solved": ok,
                       "program": res.program, "steps": res.info.get("steps"), "min_alpha": res.info.get("min_alpha"),
                       "cpu_s": round(time.process_time() - t, 2)}
                with raw.open("a") as f:
                    f.write(json.dumps(rec) + "\n")
                print(json.dumps(rec), flush=True)


def steps_per_task(indices: list[int], overs: list[str], limit: float, profile: bool = False) -> None:
    """Optimiser steps in `limit` CPU s of `gradient` (GradientConfig defaults + each JSON override) on hard/small
    tasks `indices`: the steps goal (>= 300 per 10 s task at 8 restarts x 8 slots, the student executor)."""
    from dsl import get_profile
    from dsl.tasks import parse_tasks
    from synth.search.gradient import GradientConfig, GradientSearch
    lines = SUITES["small"].read_text().splitlines()
    for over in overs:
        cfg = GradientConfig(**{"clock": "cpu", **json.loads(over)})
        solve = GradientSearch(cfg)
        out = []
        prof = cProfile.Profile() if profile else None
        for i in indices:
            task = parse_tasks(lines[i])[0]
            prof and prof.enable()
            res = solve(task, limit, get_profile(task.profile), cfg)
            prof and prof.disable()
            out.append({"task": task.name, "steps": res.info["steps"], "min_alpha": res.info["min_alpha"],
                        "solved": res.solved})
        print(json.dumps({"override": json.loads(over), "runs": out}), flush=True)
        if prof:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(r"gradient|space\.py", 14)


def summarise(raw: Path, names: list[str], keep: dict) -> list[dict]:
    """Per config: solved per suite over seeds, steps, alpha; only the tasks in `keep` (suite -> names)."""
    suites = list(keep)
    recs = [json.loads(x) for x in raw.read_text().splitlines()] if raw.exists() else []
    recs = [r for r in recs if r["suite"] in keep and r["task"] in keep[r["suite"]]]
    rows = []
    for name in names:
        mine = [r for r in recs if r["config"] == name]
        if not mine:
            continue
        row = {"config": name, "method": CONFIGS[name][0], "what": CONFIGS[name][2]}
        for suite in suites:
            by_seed: dict = {}
            for r in mine:
                if r["suite"] == suite:
                    by_seed.setdefault(r["seed"], []).append(r["solved"])
            if not by_seed:
                continue
            counts = [sum(v) for v in by_seed.values()]
            n = statistics.mean(len(v) for v in by_seed.values())
            se = statistics.stdev(counts) / len(counts) ** 0.5 if len(counts) > 1 else 0.0
            row[suite] = {"mean": statistics.mean(counts), "se": se, "tasks": n, "seeds": sorted(by_seed)}
        steps = [r["steps"] for r in mine if r["steps"] is not None]
        alphas = [r["min_alpha"] for r in mine if r["min_alpha"] is not None]
        row["median_steps"] = statistics.median(steps) if steps else None
        row["median_min_alpha"] = statistics.median(alphas) if alphas else None
        row["alpha0_share"] = sum(a == 0.0 for a in alphas) / len(alphas) if alphas else None
        rows.append(row)
    return rows


def table(rows: list[dict], suites: list[str]) -> list[str]:
    out = ["| config | method | " + " | ".join(f"hard/{s} solved (mean ± s.e.)" for s in suites)
           + " | median steps / task | median lowest alpha | runs reaching alpha 0 | what |",
           "|---|---|" + "---|" * len(suites) + "---|---|---|---|"]
    for r in rows:
        cells = []
        for s in suites:
            c = r.get(s)
            cells.append("-" if c is None else f"{c['mean']:.2f} ± {c['se']:.2f} / {c['tasks']:g} ({len(c['seeds'])} seeds)")
        st = "-" if r["median_steps"] is None else f"{r['median_steps']:g}"
        al = "-" if r["median_min_alpha"] is None else f"{r['median_min_alpha']:g}"
        a0 = "-" if r["alpha0_share"] is None else f"{r['alpha0_share']:.2f}"
        out.append(f"| {r['config']} | `{r['method']}` | " + " | ".join(cells) + f" | {st} | {al} | {a0} | {r['what']} |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", default=",".join(CONFIGS), help=f"comma list of {', '.join(CONFIGS)}")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--suites", default="small,deepcoder")
    ap.add_argument("--first", type=int, default=0, help="first N tasks of each suite (0: all)")
    ap.add_argument("--subset", default="", help="a raw results file: only the tasks solved in it")
    ap.add_argument("--time-limit", type=float, default=10.0, help="CPU seconds per task")
    ap.add_argument("--raw", default=str(ROOT / "experiments" / "results" / "gradient_raw.jsonl"))
    ap.add_argument("--out", default=str(ROOT / "experiments" / "results" / "gradient.md"))
    ap.add_argument("--note", default="", help="a paragraph for the results file (what was run, machine)")
    ap.add_argument("--report-only", action="store_true", help="only rewrite --out from --raw")
    ap.add_argument("--steps", default="", help="only count steps: gradient on these hard/small task indices")
    ap.add_argument("--over", action="append", default=[], help="with --steps: a JSON GradientConfig override")
    ap.add_argument("--profile", action="store_true", help="with --steps: cProfile (cumulative) of the searches")
    a = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    if a.steps:
        return steps_per_task([int(i) for i in a.steps.split(",")], a.over or ["{}"], a.time_limit, a.profile)
    names = [n for n in a.configs.split(",") if n]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        ap.error(f"unknown config(s) {unknown}; choose from {', '.join(CONFIGS)}")
    suites = [s for s in a.suites.split(",") if s]
    seeds = [int(s) for s in a.seeds.split(",") if s]
    raw = Path(a.raw)
    keep = chosen(suites, a.first, a.subset)
    if not a.report_only:
        for name in names:
            run_config(name, [s for s in suites if name not in ONLY_SMALL or s == "small"],
                       [0] if name == "meet" else seeds, keep, a.time_limit, raw)
    rows = summarise(raw, names, keep)
    lines = table(rows, suites)
    print("\n".join(lines))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    doc = ["# Gradient search on the hard suites: pure gradient, tails, ablations", "",
           "`python experiments/bench_gradient.py` (the full run: every config, seeds 0,1,2, all 60 + 60 tasks, "
           "10 CPU-s per task).", "",
           f"This file: `python experiments/bench_gradient.py --configs {','.join(names)} --seeds {a.seeds} "
           f"--suites {a.suites} --first {a.first}{' --subset ' + a.subset if a.subset else ''} --time-limit {a.time_limit:g}` (resumed from `--raw`; "
           f"`meet` runs seed 0 only: it has no seed), machine {platform.machine()}, 1 torch thread, commit {commit}.",
           ""] + ([a.note, ""] if a.note else []) + lines + ["", "```json", json.dumps(rows, indent=1), "```", ""]
    Path(a.out).write_text("\n".join(doc))


if __name__ == "__main__":
    main()
