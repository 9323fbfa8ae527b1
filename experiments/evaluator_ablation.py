"""Several evaluator checkpoints side by side on the held-out runs: overall, per length, the weakest ops.

    python experiments/evaluator_ablation.py NAME=CKPT [NAME=CKPT ...] [--out experiments/results/evaluator_ablation.md]

Used for the fine-tune ablation of the bilinear ALU path (README, "The evaluator"): two arms warm-started from
the same checkpoint, same data seed, steps and learning rate, one with `model.alu_bilinear=512`:

    synth train-evaluator --out runs/ft_a --steps 1200 init=runs/ev_small_h/checkpoint.pt train.seed=5 \\
        train.lr=0.0006 train.warmup=50                               # (+ model.alu_bilinear=512 for ft_b)
    python experiments/evaluator_ablation.py start=runs/ev_small_h/evaluator.pt mlp=runs/ft_a/evaluator.pt \\
        bilinear=runs/ft_b/evaluator.pt

Every number is `synth eval-evaluator` on datasets/heldout/small_runs.jsonl (programs run in latent space,
decoded once; per op: its `one_op` accuracy, one-op records only). Prints a markdown table, writes it to --out.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from eval_evaluator import run_eval

ROOT = Path(__file__).resolve().parent.parent
OPS = ("add", "sub", "mod", "div", "sum", "sort", "filter_pos", "filter_even", "concat", "max", "min", "inc", "lt")


def table(reports: dict[str, dict]) -> str:
    names = list(reports)
    rows = [("one op", "1"), ("2 ops", "2"), ("3 ops", "3"), ("4 ops", "4")]
    lines = ["| held-out exact | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for label, k in rows:
        lines.append(f"| {label} | " + " | ".join(f"{r['per_length'].get(k, float('nan')):.3f}"
                                                 for r in reports.values()) + " |")
    lines.append("| ops >= 0.97 | " + " | ".join(
        f"{sum(v >= 0.97 for v in r['one_op'].values())}/{len(r['one_op'])}" for r in reports.values()) + " |")
    for op in OPS:
        lines.append(f"| `{op}` | " + " | ".join(f"{r['one_op'].get(op, float('nan')):.2f}"
                                                  for r in reports.values()) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("arms", nargs="+", metavar="NAME=CKPT")
    ap.add_argument("--traces", default=str(ROOT / "datasets" / "heldout" / "small_runs.jsonl"))
    ap.add_argument("--out", default=str(ROOT / "experiments" / "results" / "evaluator_ablation.md"))
    a = ap.parse_args()
    arms = dict(x.split("=", 1) for x in a.arms if "=" in x)
    if len(arms) != len(a.arms):
        ap.error("every arm is NAME=CHECKPOINT")
    text = table({name: run_eval(a.traces, ckpt) for name, ckpt in arms.items()})
    print(text)
    Path(a.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
