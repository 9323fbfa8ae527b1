"""Evaluate a field on runs: integrate every record's program through the field, decode, compare.

    synth eval-field --traces datasets/heldout/runs.jsonl
    synth eval-field --traces runs.jsonl --checkpoint runs/field/checkpoint.pt --solver rk4 --steps 2
    synth eval-field --traces data/heldout --level sign --limit 2000

--traces is a JSON Lines file of docs §7 records (.jsonl or .jsonl.gz) or a `synth generate-data`
directory. The per-op table goes to stderr; the last stdout line is
{"records": N, "exact_match": x, "per_op": {...}, "per_length": {...}, "one_op": {...}, "metric_top1": y, ...}
(per_op: every record containing the op; one_op: the one-item records, as in `synth eval-evaluator`;
metric_top1: the learned metric ranks the true final state first among 10 candidates, measured from the
integrated latent; metric_top1_exact: the same over the records decoded right). See synth.field.evaluate.
"""
from __future__ import annotations

import json
import sys

HELP = "evaluate a field: integrate programs, decode, exact match per op and per length"


def add_arguments(p) -> None:
    p.add_argument("--traces", required=True, help="runs: .jsonl[.gz] file or generate-data directory")
    p.add_argument("--checkpoint", help="field checkpoint (default: synth/pretrained/field_small.pt)")
    p.add_argument("--evaluator", help="evaluator checkpoint (default: the one the field names)")
    p.add_argument("--solver", default="euler", help="ODE solver (synth.core.solvers.METHODS), default euler")
    p.add_argument("--steps", type=int, default=1,
                   help="solver steps per op (fixed-step solvers), default 1 (the shipped field is trained for it)")
    p.add_argument("--level", default="concrete", help="concrete (default), sign or type")
    p.add_argument("--limit", type=int, help="evaluate only the first N records")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--no-metric", action="store_true", help="skip the metric ranking")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")


def main(args) -> int:
    from ..core.solvers import METHODS
    from ..data.tokenizer import LEVEL_NAMES
    from ..errors import UserError
    from ..field import load_field
    from ..field.evaluate import evaluate, format_table, load_records

    if args.solver not in METHODS:
        raise UserError(f"unknown solver {args.solver!r}; valid: {', '.join(METHODS)}")
    if args.level not in LEVEL_NAMES:
        raise UserError(f"unknown level {args.level!r}; valid: {', '.join(LEVEL_NAMES)}")
    if args.steps < 1 or args.batch_size < 1:
        raise UserError("--steps and --batch-size must be >= 1")
    from pathlib import Path

    from ..io import read_jsonl
    from .run import _load
    if Path(args.traces).is_file() and not args.traces.endswith(".gz"):   # a user's file: checked line by line
        for n, rec in read_jsonl(args.traces):
            _load(rec, f"{args.traces}: line {n}")
    from ..core.checkpoint import read_checkpoint
    for flag in ("checkpoint", "evaluator"):      # unreadable files: one line before anything loads
        if getattr(args, flag):
            read_checkpoint(getattr(args, flag), f"--{flag} {getattr(args, flag)}")
    field = load_field(args.checkpoint, args.evaluator, device=args.device)
    records = load_records(args.traces, args.limit)
    report = evaluate(field, records, solver=args.solver, steps=args.steps, level=args.level,
                      batch_size=args.batch_size, metric=not args.no_metric)
    print(format_table(report), file=sys.stderr)
    print(json.dumps(report))
    return 0
