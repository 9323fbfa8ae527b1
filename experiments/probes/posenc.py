"""Positional encodings compared on the evaluator: accuracy and training speed at a fixed short budget.

    python experiments/probes/posenc.py                        # ~35 CPU-minutes in all; resumes finished arms
    python experiments/probes/posenc.py --steps 300 --arms rotary,none,rotary@1     # name@seed: another seed

Every arm trains the same small evaluator (synth.evaluator.train, d_model 64, 2+2 layers, batch 32, 1 CPU
thread) for the same number of steps from the same seed; only the transformer's `pos` changes. The shipped
model also adds a learned per-slot embedding before E, which already tells slots apart; so that the
positional encoding is what carries position, the arms below zero and freeze it, except the reference arm
`rotary+slot` (the shipped design). `none` (no position at all) is the control. The rotary variants get a
second seed: they are the same function class (complex_rotary = rotary with the head dims paired
differently, see tests/synth/inspect/test_inspect.py), so their spread is the seed noise of this budget.

Measured per arm: held-out exact match (datasets/heldout/small_runs.jsonl, evenly spaced records) as
`synth eval-evaluator` counts it (whole programs in latent space, decoded once; the one-op records alone),
the validation one-step accuracy curve from metrics.csv, CPU seconds per step (process time, robust to
other jobs on the machine) and the first step where validation one-step accuracy reaches --target.
Writes experiments/figures/inspect_posenc.csv, inspect_posenc.md (the README table) and
inspect_posenc.png; checkpoints go to runs/posenc/<arm>/.
"""
from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARMS = {                      # name: (pos, keep the learned slot embedding)
    "none": ("none", False),
    "learned": ("learned", False),
    "sinusoidal": ("sinusoidal", False),
    "rotary": ("rotary", False),
    "complex_rotary": ("complex_rotary", False),
    "rotary+slot": ("rotary", True),
}


def config(pos: str, steps: int, out_dir: Path, seed: int):
    from synth.config import compose
    from synth.evaluator.train import TrainEvaluatorConfig
    return compose("train_evaluator", [
        "evaluator=small", "model.d_model=64", "model.n_heads=4", "model.enc_layers=2", "model.trans_layers=2",
        "model.elem_dim=16", "model.dec_hidden=128", f"model.pos={pos}", "threads=1",
        f"train.steps={steps}", "train.batch_size=32", "train.lr=0.002", f"train.warmup={min(100, steps // 10)}",
        "train.eval_every=50", "train.ckpt_every=0", "train.log_every=25", f"train.seed={seed}",
        f"train.out_dir={out_dir}", "train.progress=false", "train.device=cpu", "data.val_size=256",
    ], TrainEvaluatorConfig)


def arm_dir(runs: Path, arm: str) -> Path:
    return runs / arm.replace("+", "_").replace("@", "_seed")


def _loads(ckpt: Path) -> bool:
    """Does a finished arm's checkpoint still fit the current evaluator code?"""
    from synth.evaluator import load_evaluator
    try:
        load_evaluator(ckpt)
        return True
    except Exception:  # noqa: BLE001 - any mismatch means: train again
        return False


def train_arm(arm: str, steps: int, runs: Path) -> dict:
    import torch

    from synth.core.train import fit
    from synth.evaluator.train import build, meta_of
    name, seed = arm.split("@")[0], int(arm.split("@")[1]) if "@" in arm else 0
    pos, slot = ARMS[name]
    out = arm_dir(runs, arm)
    done = out / "posenc.json"
    if done.exists() and json.loads(done.read_text()).get("steps") == steps and _loads(out / "checkpoint.pt"):
        return json.loads(done.read_text())
    out.mkdir(parents=True, exist_ok=True)
    for f in ("checkpoint.pt", "metrics.csv"):                 # a fresh run: no resume across settings
        (out / f).unlink(missing_ok=True)
    cfg = config(pos, steps, out, seed)
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    model, get_batch, loss_fn, eval_fn, stats = build(cfg)
    if not slot:
        with torch.no_grad():
            model.slot.zero_()
        model.slot.requires_grad_(False)
    cpu, wall = time.process_time(), time.time()
    fit(model, loss_fn, get_batch, cfg.train, meta=meta_of(cfg, model), extra={"opstats": stats}, eval_fn=eval_fn)
    rec = {"arm": arm, "pos": pos, "slot_embedding": slot, "seed": seed, "steps": steps,
           "cpu_s": time.process_time() - cpu, "wall_s": time.time() - wall,
           "params": sum(p.numel() for p in model.parameters() if p.requires_grad)}
    done.write_text(json.dumps(rec))
    return rec


def curve(metrics: Path, key: str = "val_acc_step") -> list[tuple[int, float]]:
    with metrics.open() as f:
        return [(int(r["step"]), float(r[key])) for r in csv.DictReader(f) if r.get(key) not in (None, "")]


def evaluate(arm: str, runs: Path, heldout: Path, limit: int) -> dict:
    from synth.evaluator import load_evaluator
    from synth.inspect import load_runs, per_op_programs
    model = load_evaluator(arm_dir(runs, arm) / "checkpoint.pt").model
    recs = load_runs(heldout, model.profile, limit=limit)
    acc = per_op_programs(model, recs)
    one = [i for i, c in enumerate(recs.codes) if len(c) == 1]
    sub = type(recs)(*([xs[i] for i in one] for xs in (recs.codes, recs.inputs, recs.consts, recs.results)))
    acc1 = per_op_programs(model, sub)
    ops = [k for k in acc1 if k != "ALL"]
    out = {"heldout_exact": acc["ALL"][0] / acc["ALL"][1], "records": acc["ALL"][1],
           "one_op_exact": acc1["ALL"][0] / acc1["ALL"][1],
           "one_op_macro": sum(acc1[o][0] / acc1[o][1] for o in ops) / len(ops)}
    for group, members in op_groups(ops).items():           # one-op exact by what T must read
        h, n = sum(acc1[o][0] for o in members), sum(acc1[o][1] for o in members)
        out[f"one_op_{group}"] = h / max(n, 1)
    return out


def op_groups(ops) -> dict[str, list[str]]:
    """stack: dup drop swap over rot c0.. push (moved by the routing table, nothing to compute); unary: the
    new top depends on s0 only (needs no attention); multi: on s0 and s1 (and s2): T must find them."""
    from dsl.ops import CONST_INDEX, OPS
    stack = {"dup", "drop", "swap", "over", "rot", "push"} | set(CONST_INDEX)
    g = {"stack": [], "unary": [], "multi": []}
    for o in ops:
        g["stack" if o in stack else "unary" if o in OPS and OPS[o].arity <= 1 else "multi"].append(o)
    return g


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=700)
    ap.add_argument("--arms", default=",".join(list(ARMS) + ["rotary@1", "complex_rotary@1"]),
                    help="comma-separated arms; name@seed for another seed (default: all, 2 seeds of the rotaries)")
    ap.add_argument("--runs", default=str(ROOT / "runs" / "posenc"))
    ap.add_argument("--heldout", default=str(ROOT / "datasets" / "heldout" / "small_runs.jsonl"))
    ap.add_argument("--limit", type=int, default=2000, help="held-out records (evenly spaced)")
    ap.add_argument("--target", type=float, default=0.3, help="validation one-step accuracy to time")
    args = ap.parse_args()
    arms = args.arms.split(",")
    bad = [a for a in arms if a.split("@")[0] not in ARMS or not (a.count("@") == 0 or a.split("@")[1].isdigit())]
    if bad:
        raise SystemExit(f"unknown arms {bad}; valid: {', '.join(ARMS)}")
    runs = Path(args.runs)
    rows, curves = [], {}
    for a in arms:
        print(f"[posenc] {a}: training {args.steps} steps", flush=True)
        rec = train_arm(a, args.steps, runs)
        rec.update(evaluate(a, runs, Path(args.heldout), args.limit))
        c = curves[a] = curve(arm_dir(runs, a) / "metrics.csv")
        rec["val_acc_step"] = c[-1][1] if c else float("nan")
        rec["steps_to_target"] = next((s for s, v in c if v >= args.target), None)
        rec["cpu_s_per_step"] = rec["cpu_s"] / rec["steps"]
        rows.append(rec)
        print(f"[posenc] {a}: " + json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in rec.items()}),
              flush=True)
    write(rows, curves, args)


def write(rows: list[dict], curves: dict, args) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig_dir = ROOT / "experiments" / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    keys = ["arm", "pos", "slot_embedding", "seed", "steps", "heldout_exact", "one_op_exact", "one_op_macro",
            "one_op_stack", "one_op_unary", "one_op_multi", "val_acc_step",
            "steps_to_target", "cpu_s_per_step", "cpu_s", "wall_s", "params", "records"]
    with (fig_dir / "inspect_posenc.csv").open("w") as f:
        w = csv.DictWriter(f, keys, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    total = sum(r["cpu_s"] for r in rows)
    import subprocess
    head = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                          text=True).stdout.strip()
    md = [f"Code: {head}. Budget: {rows[0]['steps']} steps x batch 32 per arm, d_model 64, 2+2 layers, 1 thread; "
          f"{total / 60:.1f} CPU-minutes in all. Held-out: {rows[0]['records']} records of "
          f"{Path(args.heldout).name}.", "",
          "| pos | slot emb. | seed | held-out exact | one-op exact | stack ops | 1-input ops | 2/3-input ops | "
          f"val one-step | steps to {args.target:.0%} | CPU ms/step |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        md.append(f"| {r['pos']} | {'yes' if r['slot_embedding'] else 'no'} | {r.get('seed', 0)} | {r['heldout_exact']:.3f} | "
                  f"{r['one_op_exact']:.3f} | {r['one_op_stack']:.3f} | {r['one_op_unary']:.3f} | "
                  f"{r['one_op_multi']:.3f} | {r['val_acc_step']:.3f} | "
                  f"{r['steps_to_target'] if r['steps_to_target'] is not None else '-'} | "
                  f"{1000 * r['cpu_s_per_step']:.0f} |")
    (fig_dir / "inspect_posenc.md").write_text("\n".join(md) + "\n")
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for k, r in enumerate(rows):
        c = curves[r["arm"]]
        if c:
            ax.plot(*zip(*c), label=r["arm"], color="k" if r["arm"] == "rotary+slot" else f"C{k}",
                    ls="--" if r["arm"] == "rotary+slot" else "-")
    ax.set_xlabel("training step (batch 32)")
    ax.set_ylabel("validation one-step exact match")
    ax.set_title("positional encodings (slot embedding frozen at 0 unless +slot)", fontsize=9)
    ax.legend(fontsize=7)
    fig.savefig(fig_dir / "inspect_posenc.png", dpi=110, bbox_inches="tight")
    print("\n".join(md))


if __name__ == "__main__":
    main()
