"""Evaluate an evaluator checkpoint on a docs §7 runs file: each program runs in latent space, decoded once.

    synth eval-evaluator --traces datasets/heldout/small_runs.jsonl                  # the shipped default
    synth eval-evaluator --traces runs.jsonl --checkpoint runs/evaluator/evaluator.pt

Each record's input state (constants, input) is encoded, every item of its program is one latent
transition (literals are pushes), and the final latent is decoded once. The prediction is exact when it
equals `result`: the same final stack (types kept apart: `true` is not `1`), or the same error kind (the
failing index `at` is not predicted). A record without `result` is answered by the real machine first.
Records whose program does not parse under their profile are skipped (counted in `skipped`).

Prints a table to stderr (per op: exact match over the one-op records `1-op`, and over every record
containing the op `any`; then per program length) and, as the LAST stdout line, one JSON object:
  {"records": N, "exact_match": x, "per_op": {op: x}, "per_length": {k: x}, "one_op": {op: x}, "skipped": n}
`per_op` counts every record containing the op (once per record); `one_op` only the one-op records.
Records of a profile other than the checkpoint's are an error (exit 2).
"""
from __future__ import annotations

import json
import sys

HELP = "exact match of an evaluator on a runs file (latent rollouts, decoded once)"


def add_arguments(p) -> None:
    p.add_argument("--traces", required=True, help="a docs §7 JSON Lines file of runs")
    p.add_argument("--checkpoint", help="evaluator checkpoint (default: the shipped one for `small`)")
    p.add_argument("--batch-size", type=int, default=512, help="programs per forward pass (default 512)")


def same_state(pred, result: dict) -> bool:
    """Does a predicted State equal a docs §7 result (stack with exact types, or error kind)?"""
    from dsl.values import to_json
    if not result.get("ok"):
        return pred.error is not None and pred.error == result.get("error")
    if pred.error is not None:
        return False
    want = result.get("stack", [])
    got = [to_json(v) for v in pred.stack]
    return len(got) == len(want) and all(type(a) is type(b) and a == b for a, b in zip(got, want))


def main(args) -> int:
    import torch

    from ..errors import UserError
    from ..evaluator.api import load_evaluator
    from ..io import read_jsonl
    from .run import _load

    if args.overrides:
        raise UserError(f"eval-evaluator takes no config overrides (got {args.overrides[0]!r})")
    if args.batch_size < 1:
        raise UserError("--batch-size must be >= 1")
    torch.set_num_threads(1)
    records = list(read_jsonl(args.traces))      # the whole file is read and checked before the model loads
    for n, rec in records:
        _load(rec, f"{args.traces}: line {n}")
    if args.checkpoint:
        from ..core.checkpoint import read_checkpoint
        read_checkpoint(args.checkpoint, f"--checkpoint {args.checkpoint}")
    ev = load_evaluator(args.checkpoint)
    from ..executor.evaluate import score
    report = score(ev, args.traces, args.batch_size, records=records)
    print_table(report, sys.stderr)
    print(json.dumps(report))
    return 0


def _name(item) -> str:
    return item if type(item) is str else "push"


def summarize(codes, hits) -> dict:
    """The JSON report from programs (machine code) and per-record exact-match flags."""
    per_op, one_op, per_len = {}, {}, {}
    for code, h in zip(codes, hits):
        for name in sorted({_name(it) for it in code}):
            per_op.setdefault(name, []).append(h)
        if len(code) == 1:
            one_op.setdefault(_name(code[0]), []).append(h)
        per_len.setdefault(len(code), []).append(h)
    mean = lambda xs: round(sum(xs) / len(xs), 4)  # noqa: E731
    return {"records": len(hits), "exact_match": mean(hits),
            "per_op": {k: mean(v) for k, v in sorted(per_op.items())},
            "per_length": {str(k): mean(v) for k, v in sorted(per_len.items())},
            "one_op": {k: mean(v) for k, v in sorted(one_op.items())},
            "counts": {"per_op": {k: len(v) for k, v in sorted(per_op.items())},
                       "per_length": {str(k): len(v) for k, v in sorted(per_len.items())},
                       "one_op": {k: len(v) for k, v in sorted(one_op.items())}}}


def print_table(rep: dict, f) -> None:
    c = rep["counts"]
    print(f"{'op':<14}{'1-op':>8}{'n':>6}{'any':>8}{'n':>7}", file=f)
    for op in rep["per_op"]:
        one = rep["one_op"].get(op)
        print(f"{op:<14}{'' if one is None else f'{one:.3f}':>8}{c['one_op'].get(op, 0):>6}"
              f"{rep['per_op'][op]:>8.3f}{c['per_op'][op]:>7}", file=f)
    print(f"{'length':<14}{'exact':>8}{'n':>6}", file=f)
    for k, v in rep["per_length"].items():
        print(f"{k:<14}{v:>8.3f}{c['per_length'][k]:>6}", file=f)
    print(f"{'all':<14}{rep['exact_match']:>8.3f}{rep['records']:>6}   skipped {rep.get('skipped', 0)}", file=f)
