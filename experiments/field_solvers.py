"""Field accuracy against ODE solver and number of steps per op, on held-out runs.

Usage:
    python experiments/field_solvers.py                                  # shipped field, held-out runs
    python experiments/field_solvers.py --checkpoint runs/field/checkpoint.pt --evaluator EV.pt --limit 2000
    python experiments/field_solvers.py --solvers euler midpoint rk4 --steps 1 2 4 8 --adaptive dopri5

For every (solver, steps) pair it integrates every record's program through the field (synth.field.evaluate)
and records exact match for 1 op and for 2-4 ops, plus the wall time. Adaptive solvers run once
(rtol = atol = 1e-3). Writes experiments/figures/field_solvers.{png,csv,md}; the markdown names the
fastest setting that holds the goals (1 op >= 0.95, 2-4 ops >= 0.85), if any.
"""
from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

import torch

from synth.field import load_field
from synth.field.evaluate import evaluate, load_records

FIG = Path(__file__).resolve().parent / "figures"


def mean_over(per_length: dict, records: list[dict], lengths: range) -> float:
    """Record-weighted mean exact match over program lengths in `lengths`."""
    counts: dict[str, int] = {}
    for r in records:
        n = str(len(r["program"].split()))
        counts[n] = counts.get(n, 0) + 1
    num = sum(per_length[k] * counts.get(k, 0) for k in per_length if int(k) in lengths)
    den = sum(counts.get(k, 0) for k in per_length if int(k) in lengths)
    return num / den if den else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint")
    ap.add_argument("--evaluator")
    ap.add_argument("--traces", default="datasets/heldout/small_runs.jsonl")
    ap.add_argument("--limit", type=int, default=1500, help="records (a seeded sample of the file)")
    ap.add_argument("--solvers", nargs="+", default=["euler", "midpoint", "rk4"])
    ap.add_argument("--steps", nargs="+", type=int, default=[1, 2, 4, 8])
    ap.add_argument("--adaptive", nargs="*", default=["dopri5"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=str(FIG / "field_solvers"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    field = load_field(args.checkpoint, args.evaluator)
    recs = load_records(args.traces)
    random.Random(0).shuffle(recs)
    recs = [r for r in recs if len(r["program"].split()) <= 4][:args.limit]
    rows = []
    settings = [(s, k) for s in args.solvers for k in args.steps] + [(a, 0) for a in args.adaptive]
    for solver, steps in settings:
        kw = {"rtol": 1e-3, "atol": 1e-3} if steps == 0 else {}
        rep = evaluate(field, recs, solver=solver, steps=max(steps, 1), metric=False, **kw)
        row = {"solver": solver, "steps": steps or "adaptive", "exact": rep["exact_match"],
               "one_op": mean_over(rep["per_length"], recs, range(1, 2)),
               "two_to_four": mean_over(rep["per_length"], recs, range(2, 5)), "seconds": rep["seconds"]}
        rows.append(row)
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    ok = [r for r in rows if r["one_op"] >= 0.95 and r["two_to_four"] >= 0.85]
    best = min(ok, key=lambda r: r["seconds"]) if ok else None
    lines = [f"# Field: exact match vs solver and steps per op ({len(recs)} held-out records, <= 4 ops)", "",
             f"Field: `{args.checkpoint or 'synth/pretrained/field_small.pt'}`, evaluator fingerprint "
             f"{field.latent.fingerprint}; traces `{args.traces}`.", "",
             "| solver | steps/op | 1 op | 2-4 ops | all | seconds |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['solver']} | {r['steps']} | {r['one_op']:.3f} | {r['two_to_four']:.3f} | {r['exact']:.3f} | "
              f"{r['seconds']:.1f} |" for r in rows]
    lines += ["", f"Fastest setting holding the goals (1 op >= 0.95, 2-4 ops >= 0.85): "
              + (f"**{best['solver']} x {best['steps']}**" if best else "none")]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    plot(rows, out.with_suffix(".png"))
    print("\n".join(lines))


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, key, title, goal in ((axes[0], "one_op", "1 op", 0.95), (axes[1], "two_to_four", "2-4 ops", 0.85)):
        for solver in dict.fromkeys(r["solver"] for r in rows):
            rs = [r for r in rows if r["solver"] == solver and r["steps"] != "adaptive"]
            if rs:
                ax.plot([r["steps"] for r in rs], [r[key] for r in rs], marker="o", label=solver)
            for r in rows:
                if r["solver"] == solver and r["steps"] == "adaptive":
                    ax.axhline(r[key], ls=":", color="gray", label=f"{solver} (adaptive)")
        ax.axhline(goal, ls="--", color="red", lw=0.8, label=f"goal {goal}")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("solver steps per op")
        ax.set_title(f"exact match after {title}")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("exact match")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
