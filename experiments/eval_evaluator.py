"""Held-out numbers and plots for the evaluator: training curves and per-op accuracy.

    python experiments/eval_evaluator.py                                   # shipped default, held-out file
    python experiments/eval_evaluator.py --checkpoint runs/ev/evaluator.pt --metrics runs/ev/metrics.csv
    python experiments/eval_evaluator.py --metrics runs/ev_small_h/metrics.csv:4100 runs/ft_b/metrics.csv:1200 \
        runs/ft_c2/metrics.csv runs/ft_e/metrics.csv     # stages 1-5 of experiments/train_shipped.sh
    python experiments/eval_evaluator.py --metrics runs/ft_f/metrics.csv runs/ft_g/metrics.csv \
        runs/ft_hc/metrics.csv --curves-out experiments/figures/evaluator_training_fg.png   # stages 6-8 (run H)
    python experiments/eval_evaluator.py --metrics runs/ft_fb/metrics.csv runs/ft_fc/metrics.csv \
        --curves-out experiments/figures/evaluator_training_focus.png                     # stages 9-10 (run FC)
    python experiments/eval_evaluator.py --metrics runs/ft_r2/metrics.csv runs/ft_r4/metrics.csv \
        --curves-out experiments/figures/evaluator_training_readout.png                   # stages 11-12 (run R4)
    python experiments/eval_evaluator.py --metrics runs/ft_r5/metrics.csv runs/ft_m5/metrics.csv \
        runs/ft_m6/metrics.csv runs/ft_d1/metrics.csv runs/ft_d2/metrics.csv \
        --curves-out experiments/figures/evaluator_training_mod.png                       # 13-17 (shipped: D2)

Runs `synth eval-evaluator` on datasets/heldout/small_runs.jsonl (make it with
experiments/make_heldout_evaluator.py), writes the report to experiments/results/evaluator_heldout.json,
and draws experiments/figures/evaluator_training.png (from a metrics.csv; --curves-out) and
experiments/figures/evaluator_per_op.png (one-op exact match per op, and per program length). Prints the
goal check (one-op >= 0.99 overall and >= 0.97 for every op; 2-4-op rollouts >= 0.90).
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIG = ROOT / "experiments" / "figures"


def run_eval(traces: str, checkpoint: str | None) -> dict:
    from synth.cli import main as cli
    argv = ["eval-evaluator", "--traces", traces] + (["--checkpoint", checkpoint] if checkpoint else [])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli(argv)
    if code:
        raise SystemExit(code)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def stitch(stages: list[str]) -> tuple[list[dict], list[int]]:
    """Rows of the metrics.csv files of consecutive stages ("PATH" or "PATH:LAST_STEP", a stage cut at
    LAST_STEP that the next one warm-started from), steps made cumulative; and where each stage begins."""
    rows, offset, starts = [], 0, []
    for spec in stages:
        path, _, last = spec.partition(":")
        part = [r for r in csv.DictReader(open(path)) if not last or int(r["step"]) <= int(last)]
        starts.append(offset)
        rows += [{**r, "step": str(int(r["step"]) + offset)} for r in part]
        offset += int(last) if last else int(part[-1]["step"])
    return rows, starts[1:]


def plot_training(stages: list[str], out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows, starts = stitch(stages)
    step = lambda k: [(int(r["step"]), float(r[k])) for r in rows if r.get(k)]  # noqa: E731
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for a in ax:
        for x in starts:
            a.axvline(x, color="grey", lw=0.8, ls=":")             # a warm-started stage begins
    for k in ("loss_rec", "loss_step", "loss_roll"):
        xs = step(k)
        if xs:
            ax[0].plot(*zip(*xs), label=k)
    ax[0].set_yscale("log"), ax[0].set_xlabel("step"), ax[0].set_title("training losses (per state)")
    ax[0].legend()
    for k in ("acc_step", "acc_roll", "val_acc_step", "val_acc_roll_last"):
        xs = step(k)
        if xs:
            ax[1].plot(*zip(*xs), label=k, marker="o" if k.startswith("val") else None, ms=3)
    ax[1].set_ylim(0, 1.01), ax[1].set_xlabel("step"), ax[1].set_title("exact match (train batches, validation)")
    ax[1].legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def plot_per_op(rep: dict, out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ops = list(rep["one_op"])
    fig, ax = plt.subplots(1, 2, figsize=(13, 4), gridspec_kw={"width_ratios": [5, 1]})
    vals = [rep["one_op"][o] for o in ops]
    ax[0].bar(range(len(ops)), vals, color=["tab:red" if v < 0.97 else "tab:blue" for v in vals])
    ax[0].axhline(0.97, color="k", lw=0.8, ls="--")
    ax[0].set_xticks(range(len(ops)), ops, rotation=90, fontsize=8)
    ax[0].set_ylim(min(0.8, min(vals) - 0.02), 1.0), ax[0].set_title("held-out one-op exact match per op")
    lens = list(rep["per_length"])
    ax[1].bar(lens, [rep["per_length"][k] for k in lens])
    ax[1].axhline(0.9, color="k", lw=0.8, ls="--")
    ax[1].set_ylim(0.5, 1.0), ax[1].set_title("per length")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--traces", default=str(ROOT / "datasets" / "heldout" / "small_runs.jsonl"))
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--metrics", nargs="+", default=None, metavar="CSV[:LAST]",
                    help="metrics.csv of train-evaluator for the training curves; several: consecutive stages")
    ap.add_argument("--results", default=str(ROOT / "experiments" / "results" / "evaluator_heldout.json"))
    ap.add_argument("--curves-out", default=str(FIG / "evaluator_training.png"),
                    help="where the training curves of --metrics go")
    a = ap.parse_args()
    rep = run_eval(a.traces, a.checkpoint)
    FIG.mkdir(parents=True, exist_ok=True)
    Path(a.results).parent.mkdir(parents=True, exist_ok=True)
    Path(a.results).write_text(json.dumps(rep, indent=1) + "\n")
    plot_per_op(rep, FIG / "evaluator_per_op.png")
    if a.metrics:
        plot_training(a.metrics, Path(a.curves_out))
    one = rep["one_op"]
    n1 = rep["counts"]["per_length"].get("1", 0)
    overall1 = rep["per_length"].get("1", 0.0)
    worst = min(one, key=one.get)
    multi = {k: v for k, v in rep["per_length"].items() if k in ("2", "3", "4")}
    print(json.dumps({"one_op_overall": overall1, "one_op_records": n1, "worst_op": [worst, one[worst]],
                      "ops_below_0.97": sorted(o for o, v in one.items() if v < 0.97), "multi": multi,
                      "goals_met": overall1 >= 0.99 and one[worst] >= 0.97 and all(v >= 0.9 for v in multi.values())}))


if __name__ == "__main__":
    main()
