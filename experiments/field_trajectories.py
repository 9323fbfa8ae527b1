"""Latent trajectories of a few programs through the field, projected to 2-D by PCA.

Usage:
    python experiments/field_trajectories.py                    # shipped field, 6 held-out 3-op programs
    python experiments/field_trajectories.py --checkpoint runs/field/checkpoint.pt --evaluator EV.pt --n 4

Each program is integrated from E(input) with `--points` solver outputs per op (`--solver`, `--steps` per op; default
euler 1, the shipped field's setting; `--solver rk4 --steps 4 --out ...` shows the multi-step regime);
the latents of the whole path (slots flattened, S*C numbers) are projected on the top two principal
components of all paths together. Circles mark the encoder's latents of the true intermediate states
E(x_k), so one sees whether the field passes through them at the op boundaries (t = 1, 2, 3).
Writes experiments/figures/field_trajectories.png.
"""
from __future__ import annotations

import argparse
import random
from pathlib import Path

import torch

from dsl.machine import trace
from synth.data.tokenizer import State
from synth.field import load_field
from synth.field.evaluate import _items, load_records, parse_case

FIG = Path(__file__).resolve().parent / "figures"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint")
    ap.add_argument("--evaluator")
    ap.add_argument("--traces", default="datasets/heldout/small_runs.jsonl")
    ap.add_argument("--n", type=int, default=6)
    ap.add_argument("--length", type=int, default=3)
    ap.add_argument("--points", type=int, default=1, help="outputs per op (more than --steps adds solver steps)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solver", default="euler")
    ap.add_argument("--steps", type=int, default=1, help="solver steps per op")
    ap.add_argument("--out", default=str(FIG / "field_trajectories.png"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    field = load_field(args.checkpoint, args.evaluator)
    lat, p = field.latent, field.profile
    cases = [parse_case(r, p) for r in load_records(args.traces)]
    cases = [c for c in cases if c is not None and len(c.code) == args.length and c.final.error is None]
    random.Random(args.seed).shuffle(cases)
    cases = cases[:args.n]
    with torch.no_grad():
        z0 = lat.encode([c.start for c in cases])
        ops, lit = _items(cases, lat, 0)
        L = args.length
        path = field.integrate_ops(z0, ops, solver=args.solver, steps=args.steps, points=args.points,
                                   lit=lit)
        truth = []                                                        # E(x_k), k = 0..L
        for c in cases:
            sts = [c.start] + [State(c.start.constants, s.after, None) if s.after is not None
                               else State(c.start.constants, (), s.error) for s in trace(c.code, c.start.stack,
                                                                                         c.start.constants, p)]
            truth.append(lat.encode(sts[:L + 1]))
        truth = torch.stack(truth, 1)                                     # (L+1, n, T, C)
        decoded = lat.decode_states(path[-1])
    flat = path.flatten(2)                                                # (T, n, S*C)
    X = torch.cat([flat.flatten(0, 1), truth.flatten(2).flatten(0, 1)])
    mean = X.mean(0)
    _, _, V = torch.pca_lowrank(X - mean, q=2, center=False)
    proj = lambda A: (A - mean) @ V[:, :2]                                # noqa: E731
    P, Q = proj(flat), proj(truth.flatten(2))                             # (T, n, 2), (L+1, n, 2)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 6.5))
    for i, c in enumerate(cases):
        col = plt.cm.tab10(i % 10)
        text = " ".join(it if type(it) is str else repr(it[0]) for it in c.code)
        ok = decoded[i].stack == c.final.stack and decoded[i].error == c.final.error
        ax.plot(P[:, i, 0], P[:, i, 1], "-", color=col, lw=1.5, label=f"{text}  {'ok' if ok else 'wrong'}")
        ax.plot(P[::args.points, i, 0], P[::args.points, i, 1], "s", color=col, ms=4)
        ax.plot(Q[:, i, 0], Q[:, i, 1], "o", mfc="none", color=col, ms=10)
        ax.annotate("x0", Q[0, i].tolist(), fontsize=7, color=col)
    ax.set_title(f"field trajectories (PCA of latents); squares: integrated state at t = 0..{args.length}, "
                 "circles: E(true x_k)", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
