"""Train the field (programs as vector fields) on a frozen evaluator's latent space.

    synth train-field --evaluator synth/pretrained/evaluator_small.pt --data data/small
    synth train-field --evaluator EV.pt field=tiny train.steps=50 --out runs/field_tiny
    synth train-field --evaluator EV.pt --data data/small field=score           # the score variant
    synth train-field --evaluator EV.pt --out runs/field --export synth/pretrained/field_small.pt

Without --data, rollouts are sampled on the fly (the evaluator's generator); with it, half of them
(data.shard_frac) are windows of the recorded runs. The config is synth/conf/train_field.yaml (schema
synth.field.train.TrainFieldConfig), presets in synth/conf/field/ (field=small|tiny|score). A killed run
started again with the same arguments resumes exactly from OUT/checkpoint.pt. --export writes a slim copy
(the weights training changed, float16, + meta; no optimizer) that `load_field` and `synth eval-field
--checkpoint` read; the frozen rest comes from the evaluator, looked up beside the file first. The field
refuses any evaluator other than the one it was trained on. Prints one JSON summary line.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

HELP = "train the program vector field on a frozen evaluator (flow matching or score)"


def add_arguments(p) -> None:
    p.add_argument("--evaluator", required=True, help="evaluator checkpoint (synth train-evaluator)")
    p.add_argument("--data", help="trace shards directory (synth generate-data); default: sample on the fly")
    p.add_argument("--out", help="run directory (checkpoint.pt, metrics.csv); default train.out_dir")
    p.add_argument("--steps", type=int, help="optimizer steps (train.steps)")
    p.add_argument("--export", help="also write a slim checkpoint here when training ends")


def main(args) -> int:
    from ..config import compose
    from ..field.train import TrainFieldConfig, export, train

    overrides = list(args.overrides)
    if args.out:
        overrides.append(f"train.out_dir={args.out}")
    if args.steps is not None:
        overrides.append(f"train.steps={args.steps}")
    cfg = compose("train_field", overrides, TrainFieldConfig)
    from ..core.checkpoint import check_path
    from ..errors import UserError
    from ..io import make_dir
    check_path(args.evaluator, f"--evaluator {args.evaluator}")
    if args.data and not (Path(args.data) / "manifest.json").exists():
        raise UserError(f"--data {args.data}: no manifest.json (make it with synth generate-data)")
    if cfg.train.out_dir:
        make_dir(cfg.train.out_dir, "--out")
    if args.export:
        make_dir(Path(args.export).parent, "--export")
    t0 = time.perf_counter()
    try:
        res = train(cfg, args.evaluator, args.data)
    except ValueError as e:              # UserError included: one line
        raise UserError(str(e).splitlines()[0] if str(e) else type(e).__name__) from None
    if int(os.environ.get("RANK", "0")) != 0:   # under torchrun only rank 0 writes; the others are done
        return 0
    last = res.history[-1] if res.history else {}
    out = {"out": cfg.train.out_dir, "steps": res.step, "checkpoint": res.checkpoint,
           "seconds": round(time.perf_counter() - t0, 1), **{k: round(v, 5) for k, v in last.items() if k != "step"}}
    if args.export:
        if not res.checkpoint:
            raise UserError("--export needs a checkpoint: set train.out_dir (or --out)")
        out["export"] = str(export(res.checkpoint, args.export))
    print(json.dumps(out))
    return 0
