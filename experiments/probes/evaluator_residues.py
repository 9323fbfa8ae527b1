"""What the decoder's residue heads read off the transition's output: per modulus, for arithmetic ops.

    python experiments/probes/evaluator_residues.py                     # shipped evaluator, 800 programs per op
    python experiments/probes/evaluator_residues.py --checkpoint runs/ft_c2/evaluator.pt --n 2000 --ops add sub

For each op, random one-op programs on uniformly drawn ints (only those that succeed), one latent step from
the encoded input, then: accuracy of every residue head (value mod m) at the new top slot, of the direct int
head alone, and of the int logits with the residue experts added (what decoding uses). Chance for mod m is 1/m.
"""
from __future__ import annotations

import argparse
import random

import torch

from dsl import get_profile, run
from synth.evaluator import State, load_evaluator


def inputs(rng: random.Random, op: str, lo: int, hi: int) -> tuple:
    if op == "sum":
        return (tuple(rng.randint(lo, hi) for _ in range(rng.randint(1, 6))),)
    if op in ("inc", "dec", "neg", "double", "half", "abs", "square"):
        return (rng.randint(lo, hi),)
    return rng.randint(lo, hi), rng.randint(lo, hi)


@torch.no_grad()
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--ops", nargs="+", default=["add", "sub", "inc", "sum"])
    ap.add_argument("--n", type=int, default=800)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    ev = load_evaluator(a.checkpoint)
    dec, p = ev.model.decoder, get_profile(ev.profile.name)
    if not len(dec.res):
        raise SystemExit("this evaluator has no residue heads (model.residues)")
    rng = random.Random(a.seed)
    print("| op | " + " | ".join(f"mod {m}" for m in dec.res) + " | direct int head | with experts |")
    print("|---" * (len(dec.res) + 3) + "|")
    for op in a.ops:
        ins, tgt = [], []
        while len(ins) < a.n:
            x = inputs(rng, op, p.int_min, p.int_max)
            r = run([op], list(x), [], p)
            if r.ok and isinstance(r.stack[-1], int):
                ins.append(x)
                tgt.append(r.stack[-1])
        z = ev.step_items(ev.encode([State((), x) for x in ins]), [op] * len(ins))
        h = dec.trunk(dec.split(z)[0][:, 1 + ev.tok.n_consts])                 # (N, H): the new top slot
        t = torch.tensor(tgt)
        res = [float((lin(h).argmax(-1) == t % int(m)).float().mean()) for m, lin in dec.res.items()]
        direct = float(((dec.head["int"](h)[:, :dec.n_int].argmax(-1) + dec.int_min) == t).float().mean())
        full = float(((dec.run("int", h)[:, :dec.n_int].argmax(-1) + dec.int_min) == t).float().mean())
        print(f"| `{op}` | " + " | ".join(f"{x:.2f}" for x in res) + f" | {direct:.2f} | {full:.2f} |")


if __name__ == "__main__":
    main()
