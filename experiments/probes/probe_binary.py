"""A binary int op on every operand pair: one-step exact match of evaluators over the whole (a, b) grid.

    python experiments/probes/probe_binary.py [--op mod] [--checkpoints NAME=PATH ...] [--out FILE]

The held-out file has about 100 one-op records per op (s.e. ~2-3 points); this probe runs the op on the stack
[a, b] for every a, b in the profile's int range (16,384 pairs for `small`, ~0.2 points s.e.), with the
interpreter as truth (errors such as div_zero or overflow included), and splits the result by |b| (the top
operand: the divisor of `mod` and `div`). Prints a markdown table; with --out also writes it.
Default checkpoint: the shipped evaluator.
"""
from __future__ import annotations

import argparse
import functools
from pathlib import Path

import torch

from dsl.machine import run
from synth.evaluator.api import PRETRAINED, load_evaluator

BINS = ((0, 0), (1, 7), (8, 15), (16, 23), (24, 31), (32, 47), (48, 64))       # |b| ranges


@functools.cache
def interpreter_grid(op: str, lo: int, hi: int) -> tuple[list, list]:
    """Every operand pair (a, b) in lo..hi and the interpreter's result of `op` on [a, b] (once per op)."""
    pairs = [(a, b) for a in range(lo, hi + 1) for b in range(lo, hi + 1)]
    return pairs, [run((op,), s, ()) for s in pairs]


def grid_accuracy(path: str, op: str) -> tuple[float, list[float]]:
    """Exact match of checkpoint `path` on `op` over every (a, b) pair: overall and per |b| bin of BINS."""
    ev = load_evaluator(path)
    p = ev.profile
    if op not in p.ops:
        raise ValueError(f"op {op!r} is not in profile {p.name!r}")
    pairs, truth = interpreter_grid(op, p.int_min, p.int_max)
    with torch.no_grad():
        out = ev.run_programs([(op,)] * len(pairs), pairs, [()] * len(pairs))
    ok = [o.stack == t.stack and o.error == t.error for o, t in zip(out, truth)]
    per_bin = []
    for lo, hi in BINS:
        hits = [k for (a, b), k in zip(pairs, ok) if lo <= abs(b) <= hi]
        per_bin.append(sum(hits) / len(hits) if hits else float("nan"))
    return sum(ok) / len(ok), per_bin


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--op", default="mod", help="a binary int op of the profile (mod, div, add, ...)")
    ap.add_argument("--checkpoints", nargs="+", default=[f"shipped={PRETRAINED}"], metavar="NAME=PATH")
    ap.add_argument("--out", help="also write the table here (markdown)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    head = ["| checkpoint | all pairs |"] + [f" \\|b\\| {lo}-{hi} |" if lo != hi else f" b = {lo} |" for lo, hi in BINS]
    lines = ["".join(head), "|---|---|" + "---|" * len(BINS)]
    for spec in a.checkpoints:
        name, sep, path = spec.partition("=")
        if not sep or not Path(path).is_file():
            ap.error(f"--checkpoints wants NAME=PATH of an existing file, got {spec!r}")
        try:
            acc, bins = grid_accuracy(path, a.op)
        except ValueError as e:
            ap.error(f"--op: {e}")
        lines.append(f"| {name} | {acc:.3f} |" + "".join(f" {x:.2f} |" for x in bins))
        print(lines[-1], flush=True)
    text = f"`{a.op}` on every operand pair [a, b] (one step, exact match against the interpreter)\n\n" + "\n".join(lines)
    print(text)
    if a.out:
        Path(a.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
