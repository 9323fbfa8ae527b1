"""The search benchmark of the README: every method and ablation on the hard and the ordinary suites, one run.

    python experiments/bench_search.py                              # 10 s per task, CPU clock, all suites
    python experiments/bench_search.py --time-limit 2 --limit 10    # a quick look (10 tasks per suite)
    torchrun --nproc_per_node 2 experiments/bench_search.py         # ranks split the jobs (synth.search.scaleout)

Writes into --out (default experiments/figures/):
  search_results.csv    suite, task, method, solved, seconds, candidates, program, constants, ref_length
  search_table.md       solved/total per suite and method (+ mean seconds of the solved), and the anytime check
  search_solve_rate.png fraction solved within t against t, one panel per suite, one line per method
  search_anytime.csv    ordinary suites: `default` and `enumerate` run again at 0.5, 1, 2, 5 s; solved counts
  .search_partial.R.jsonl  rank R's finished jobs, appended as they finish: a killed run started again with
                        the same arguments resumes (delete them for a fresh run)
Times are this process's CPU seconds (`clock: cpu` for every method) so that the load of a shared machine
does not decide the ranking; --clock wall measures wall time instead. Every method runs on the same tasks
with the same limit; all results are verified by the real machine (synth.search.build checks it again).
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HARD = ["datasets/hard/small.jsonl", "datasets/hard/deepcoder.jsonl"]
ORDINARY = ["datasets/public/small.jsonl", "datasets/public/deepcoder.jsonl"]
METHODS = ["enumerate", "default", "hybrid", "hybrid_nomeet", "gradient", "field", "gradient_nolatent",
           "gradient_noanneal", "gradient_nomask", "gradient_nomeet"]
ORDINARY_METHODS = ["enumerate", "default", "hybrid", "gradient"]
ANYTIME = [0.5, 1.0, 2.0, 5.0]

LEGEND = {
    "enumerate": "baseline: BFS by length, observational equivalence, type pruning, solve_tail",
    "default": "the baseline's BFS + meet in the middle (backward goal sets); no neural part",
    "hybrid": "default + a gradient phase whose distributions order the BFS (neural prior)",
    "hybrid_nomeet": "the baseline's BFS ordered by the neural prior, no meeting",
    "gradient": "relaxed programs through the evaluator + grounded REINFORCE + backward tails",
    "field": "gradient with the field's integration instead of the evaluator's transition",
    "gradient_nolatent": "gradient without the evaluator (grounded signal only)",
    "gradient_noanneal": "gradient with alpha 0 throughout (no types -> values annealing)",
    "gradient_nomask": "gradient without the abstract-graph mask",
    "gradient_nomeet": "gradient without the backward tails",
}

_SOLVERS: dict = {}
SEED: int | None = None          # --seed: given to every method whose config has a `seed` (gradient and variants)


def _solver(method: str, clock: str, checkpoint: str | None):
    key = (method, clock, checkpoint)
    if key not in _SOLVERS:
        from synth.search import build, get_method
        m = get_method(method)
        fields = m.config.__dataclass_fields__ if m.config is not None else {}
        section = ({"clock": clock} if "clock" in fields
                   else {"enumerate": {"clock": clock}} if "enumerate" in fields else None)   # hybrid, default
        if SEED is not None and "seed" in fields:
            section = {**(section or {}), "seed": SEED}
        _SOLVERS[key] = build(method, section, checkpoint)
    return _SOLVERS[key]


def run_job(job) -> dict:
    suite, task, method, tl, clock, checkpoints = job
    ck = checkpoints.get("field") if method == "field" else checkpoints.get("evaluator")
    try:
        res = _solver(method, clock, ck)(task, tl)
    except Exception as e:  # noqa: BLE001 - a method that cannot run (e.g. no field model) is reported, not fatal
        return {"suite": suite, "task": task.name, "method": method, "solved": False, "seconds": tl,
                "candidates": 0, "program": "", "constants": "[]", "ref_length": ref_length(task),
                "error": f"{type(e).__name__}: {e}", "limit": tl}
    return {"suite": suite, "task": task.name, "method": method, "solved": res.solved,
            "seconds": round(res.seconds, 4), "candidates": res.candidates, "program": res.program or "",
            "constants": json.dumps(res.to_json()["constants"]), "ref_length": ref_length(task), "error": "",
            "limit": tl}


def ref_length(task):
    if task.program is None:
        return ""
    return len(task.program.split())


def load(paths, limit):
    from synth.search.suites import load_suite
    out = []
    for p in paths:
        if (ROOT / p).exists():
            out.append((Path(p).parent.name + "/" + Path(p).stem, load_suite(ROOT / p)[:limit or None]))
        else:
            print(f"bench_search: {p} missing, skipped", file=sys.stderr)
    return out


def table(rows, suites, methods) -> str:
    lines = ["| method | " + " | ".join(suites) + " |", "|---" * (len(suites) + 1) + "|"]
    for m in methods:
        cells = []
        for s in suites:
            mine = [r for r in rows if r["suite"] == s and r["method"] == m]
            if not mine:
                cells.append("-")
                continue
            ok = [r for r in mine if r["solved"]]
            mean = sum(float(r["seconds"]) for r in ok) / len(ok) if ok else 0.0
            cells.append(f"{len(ok)}/{len(mine)} ({len(ok) / len(mine):.2f}, {mean:.2f} s)")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(rows, suites, methods, tl, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    fig, axes = plt.subplots(1, len(suites), figsize=(4.2 * len(suites), 3.8), squeeze=False)
    ts = np.logspace(-2, np.log10(tl), 200)
    for ax, s in zip(axes[0], suites):
        for m in methods:
            mine = [r for r in rows if r["suite"] == s and r["method"] == m and float(r["limit"]) == tl]
            if not mine:
                continue
            times = np.sort([float(r["seconds"]) for r in mine if r["solved"]])
            ax.step(ts, np.searchsorted(times, ts, side="right") / len(mine), where="post",
                    label=f"{m} ({len(times)})", lw=2.2 if m == "default" else 1.2,
                    ls="--" if m.startswith(("gradient_", "hybrid_")) else "-")
        ax.set_xscale("log")
        ax.set_title(s, fontsize=10)
        ax.set_xlabel("time limit per task (s)")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("fraction solved")
    full = max(axes[0], key=lambda ax: len(ax.get_lines()))          # the panel with every method
    full.legend(fontsize=6, loc="upper left")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    path.write_bytes(buf.getvalue())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--limit", type=int, default=0, help="tasks per suite (0 = all)")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--ordinary-methods", default=",".join(ORDINARY_METHODS))
    ap.add_argument("--suites", default="hard,ordinary", help="hard, ordinary or both")
    ap.add_argument("--no-anytime", action="store_true", help="skip the 0.5..5 s reruns on the ordinary suites")
    ap.add_argument("--clock", default="cpu", choices=["cpu", "wall"])
    ap.add_argument("--evaluator", default=None, help="evaluator checkpoint (default: the shipped one)")
    ap.add_argument("--field", default=None, help="field checkpoint (default: the shipped one)")
    ap.add_argument("--seed", type=int, default=None, help="seed of the methods that have one (default: theirs)")
    ap.add_argument("--out", default=str(ROOT / "experiments/figures"))
    args = ap.parse_args(argv)
    global SEED
    SEED = args.seed
    from synth.search.scaleout import run_jobs, world
    rank, size = world()
    tl, ck = args.time_limit, {"evaluator": args.evaluator, "field": args.field}
    kinds = set(args.suites.split(","))
    hard = load(HARD, args.limit) if "hard" in kinds else []
    ordinary = load(ORDINARY, args.limit) if "ordinary" in kinds else []
    methods, omethods = args.methods.split(","), args.ordinary_methods.split(",")
    notes = []
    field_profile = None                         # the field model's profile: `field` runs on its suites only
    if "field" in methods + omethods:
        from synth.field import DEFAULT_FIELD
        path = Path(args.field or DEFAULT_FIELD)
        if not path.exists():                    # without a field model `field` would be gradient_nolatent
            methods, omethods = [m for m in methods if m != "field"], [m for m in omethods if m != "field"]
            notes.append(f"field: not run (no field checkpoint at {path}; pass --field PATH)")
        else:
            from synth.core.checkpoint import load_checkpoint
            field_profile = load_checkpoint(path)["meta"]["profile"]
            notes.append(f"field: run on the `{field_profile}` suites only (its model's profile)")

    def runs(m, ts):                             # a method that has no model for the suite's profile is skipped
        return m != "field" or bool(ts) and ts[0].profile == field_profile
    jobs = [(s, t, m, tl, args.clock, ck) for s, ts in hard for m in methods if runs(m, ts) for t in ts]
    jobs += [(s, t, m, tl, args.clock, ck) for s, ts in ordinary for m in omethods if runs(m, ts) for t in ts]
    if not args.no_anytime:
        jobs += [(s, t, m, a, args.clock, ck) for s, ts in ordinary for m in ("enumerate", "default")
                 for a in ANYTIME if a < tl for t in ts]
    t0 = time.time()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    part = out / f".search_partial.{rank}.jsonl"      # each rank's finished jobs: a killed run resumes
    done = {}
    for f in out.glob(".search_partial.*.jsonl"):
        for line in f.read_text().splitlines():
            r = json.loads(line)
            done[(r["suite"], r["task"], r["method"], float(r["limit"]))] = r

    def job_or_done(job):
        key = (job[0], job[1].name, job[2], float(job[3]))
        return done[key] if key in done else run_job(job)

    def progress(i, r):
        key = (r["suite"], r["task"], r["method"], float(r["limit"]))
        if key not in done:
            with open(part, "a") as f:
                f.write(json.dumps(r) + "\n")
        print(f"[rank {rank}] {i + 1}/{len(jobs)} {r['suite']} {r['method']}@{r['limit']} {r['task']}: "
              f"{'solved' if r['solved'] else 'no'} {r['seconds']} s {r['error']}", file=sys.stderr, flush=True)
    rows = run_jobs(jobs, job_or_done, progress)
    if rank != 0:
        return 0
    main_rows = [r for r in rows if float(r["limit"]) == tl]
    cols = ["suite", "task", "method", "limit", "solved", "seconds", "candidates", "program", "constants",
            "ref_length", "error"]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    (out / "search_results.csv").write_text(buf.getvalue())
    suites = [s for s, _ in hard + ordinary]
    text = [f"Search benchmark: {tl:g} s ({args.clock} clock) per task and method; solved/total (rate, mean "
            f"seconds of the solved); {size} rank(s), {time.time() - t0:.0f} s wall.", "",
            table(main_rows, suites, methods)]
    text += ["", "Methods:"] + [f"- `{m}`: {LEGEND.get(m, '')}" for m in methods]
    anytime = []
    for s, ts in ordinary:
        for a in [x for x in ANYTIME if x < tl] + [tl]:
            n = {m: sum(1 for r in rows if r["suite"] == s and r["method"] == m and float(r["limit"]) == a
                        and r["solved"]) for m in ("enumerate", "default")}
            anytime.append({"suite": s, "limit": a, **n})
    if ordinary and not args.no_anytime:
        text += ["", "Anytime check on the ordinary suites (each limit a separate run): solved by",
                 "| suite | limit (s) | enumerate | default |", "|---|---|---|---|"]
        text += [f"| {a['suite']} | {a['limit']:g} | {a['enumerate']} | {a['default']} |" for a in anytime]
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=["suite", "limit", "enumerate", "default"], lineterminator="\n")
        w.writeheader()
        w.writerows(anytime)
        (out / "search_anytime.csv").write_text(buf.getvalue())
    errors = notes + sorted({f"{r['method']}: {r['error']}" for r in rows if r["error"]})
    if errors:
        text += ["", "Methods that could not run:"] + [f"- {e}" for e in errors]
    (out / "search_table.md").write_text("\n".join(text) + "\n")
    plot(main_rows, suites, methods, tl, out / "search_solve_rate.png")
    print("\n".join(text))
    print(f"wrote {out}/search_results.csv, search_table.md, search_solve_rate.png", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
