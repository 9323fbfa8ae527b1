"""Flow matching against score (denoising) matching for the field, in one run, same budget.

Usage:
    python experiments/field_flow_vs_score.py --evaluator synth/pretrained/evaluator_small.pt --train-steps 600
    python experiments/field_flow_vs_score.py --evaluator EV.pt --variants linear vp vp_eps   # three variants

Each variant trains a field with the same config (synth/conf/train_field.yaml, preset `field=small` unless
--preset) except its path: `linear` (flow matching on straight paths, x1 prediction), `vp` (the core's
variance-preserving cosine path, denoiser x1 target), `vp_eps` (same path, noise/eps target). All start from
the evaluator's transition weights (model.warm_start). Runs go to
runs/field_cmp_<variant> and resume if killed. Then every variant is evaluated on the same held-out records
(<= 4 ops) with Euler at several steps per op and with rk4; the plot shows exact match after 1 op and after
2-4 ops against steps, and the validation curve during training. Writes experiments/figures/
field_flow_vs_score.{png,csv,md}.
"""
from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

import torch

from synth.config import compose
from synth.field import load_field
from synth.field.evaluate import evaluate, load_records
from synth.field.train import TrainFieldConfig, export, train

FIG = Path(__file__).resolve().parent / "figures"
VARIANTS = {"linear": ["model.path=linear", "model.target=x1"], "vp": ["model.path=vp", "model.target=x1"],
            "vp_eps": ["model.path=vp", "model.target=eps"]}


def per_group(rep: dict, recs: list[dict]) -> tuple[float, float]:
    counts: dict[str, int] = {}
    for r in recs:
        k = str(len(r["program"].split()))
        counts[k] = counts.get(k, 0) + 1
    def mean(keys):
        den = sum(counts.get(k, 0) for k in keys)
        return sum(rep["per_length"].get(k, 0) * counts.get(k, 0) for k in keys) / den if den else float("nan")
    return mean(["1"]), mean(["2", "3", "4"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--evaluator", default="synth/pretrained/evaluator_small.pt")
    ap.add_argument("--data", help="trace shards for training (default: on the fly)")
    ap.add_argument("--traces", default="datasets/heldout/small_runs.jsonl")
    ap.add_argument("--variants", nargs="+", default=["linear", "vp"], choices=list(VARIANTS))
    ap.add_argument("--preset", default="small")
    ap.add_argument("--train-steps", type=int, default=600)
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--steps", nargs="+", type=int, default=[1, 2, 4, 8, 16])
    ap.add_argument("--runs", default="runs")
    ap.add_argument("overrides", nargs="*", help="extra key=value config overrides for every variant")
    args = ap.parse_args()
    torch.set_num_threads(1)
    recs = load_records(args.traces)
    random.Random(0).shuffle(recs)
    recs = [r for r in recs if len(r["program"].split()) <= 4][:args.limit]
    rows, curves = [], {}
    for v in args.variants:
        out = Path(args.runs) / f"field_cmp_{v}"
        cfg = compose("train_field", [f"field={args.preset}", f"train.steps={args.train_steps}",
                                      f"train.out_dir={out}", "train.progress=false", *VARIANTS[v],
                                      *args.overrides], TrainFieldConfig)
        train(cfg, args.evaluator, args.data)
        curves[v] = read_curve(out / "metrics.csv")
        field = load_field(export(out / "checkpoint.pt", out / "field.pt"), args.evaluator)
        for solver, steps in [("euler", s) for s in args.steps] + [("rk4", 4)]:
            rep = evaluate(field, recs, solver=solver, steps=steps, metric=False)
            one, multi = per_group(rep, recs)
            rows.append({"variant": v, "solver": solver, "steps": steps, "one_op": one, "two_to_four": multi,
                         "exact": rep["exact_match"], "seconds": rep["seconds"]})
            print(rows[-1], flush=True)
    path = Path(FIG / "field_flow_vs_score")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    lines = [f"# Field: flow matching vs score matching ({args.train_steps} training steps each, "
             f"preset {args.preset}; {len(recs)} held-out records)", "",
             f"Evaluator: `{args.evaluator}` (fingerprint {field.latent.fingerprint}); training data: "
             f"{args.data or 'on the fly'}; overrides: {' '.join(args.overrides) or 'none'}.", "",
             "| variant | solver | steps/op | 1 op | 2-4 ops | all |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['variant']} | {r['solver']} | {r['steps']} | {r['one_op']:.3f} | {r['two_to_four']:.3f} | "
              f"{r['exact']:.3f} |" for r in rows]
    path.with_suffix(".md").write_text("\n".join(lines) + "\n")
    plot(rows, curves, path.with_suffix(".png"))
    print("\n".join(lines))


def read_curve(metrics: Path) -> list[tuple[int, float]]:
    with open(metrics, newline="") as f:
        return [(int(r["step"]), float(r["val_acc_k1"])) for r in csv.DictReader(f) if r.get("val_acc_k1")]


def plot(rows: list[dict], curves: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for i, v in enumerate(dict.fromkeys(r["variant"] for r in rows)):
        col = plt.cm.tab10(i)
        rs = [r for r in rows if r["variant"] == v and r["solver"] == "euler"]
        for ax, key in ((axes[0], "one_op"), (axes[1], "two_to_four")):
            ax.plot([r["steps"] for r in rs], [r[key] for r in rs], "o-", color=col, label=f"{v} (euler)")
            for r in rows:
                if r["variant"] == v and r["solver"] == "rk4":
                    ax.plot([r["steps"]], [r[key]], "*", ms=12, color=col, label=f"{v} (rk4 x {r['steps']})")
        if curves.get(v):
            axes[2].plot(*zip(*curves[v]), "o-", color=col, label=v)
    for ax, title in ((axes[0], "exact match, 1 op"), (axes[1], "exact match, 2-4 ops")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("steps per op")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    axes[2].set_title("validation: 1 op (euler x 4) during training")
    axes[2].set_xlabel("training step")
    axes[2].grid(alpha=0.3)
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
