"""What every training command does before it trains (train-evaluator, distill, train-guide).

    cfg = compose_training("train_evaluator", TrainEvaluatorConfig, args)

--out and --steps become the overrides `train.out_dir` and `train.steps`; --data (where the command has it)
must be a `synth generate-data` directory; the run directory is made (a one-line error if it cannot be).
"""
from __future__ import annotations

from pathlib import Path


def compose_training(name: str, schema: type, args):
    from ..config import compose
    from ..errors import UserError
    from ..io import make_dir
    overrides = list(args.overrides)
    if getattr(args, "out", None):
        overrides.append(f"train.out_dir={args.out}")
    steps = getattr(args, "steps", None)
    if steps is not None:
        if steps < 1:
            raise UserError("--steps must be >= 1")
        overrides.append(f"train.steps={steps}")
    cfg = compose(name, overrides, schema)
    data = getattr(args, "data", None)
    if data and not (Path(data) / "manifest.json").exists():
        raise UserError(f"--data {data}: no manifest.json (make it with synth generate-data)")
    if not cfg.train.out_dir:
        raise UserError("train.out_dir must be set (--out DIR)")
    make_dir(cfg.train.out_dir, "--out")
    return cfg


def finish(res, out_dir, export, name: str, t0: float) -> int:
    """After a training run: on rank 0 only, export OUT/checkpoint.pt to OUT/name and print the one JSON
    summary line (out, steps, seconds, the exported checkpoint, the last logged losses and metrics)."""
    import json
    import os
    import time
    from pathlib import Path
    if int(os.environ.get("RANK", "0")) != 0:   # under torchrun only rank 0 writes; the others are done
        return 0
    out = Path(out_dir)
    export(out / "checkpoint.pt", out / name)
    last = res.history[-1] if res.history else {}
    print(json.dumps({"out": str(out), "steps": res.step, "seconds": round(time.perf_counter() - t0, 1),
                      "checkpoint": str(out / name),
                      **{k: round(v, 4) for k, v in last.items() if k.startswith(("loss", "acc", "val_"))}}))
    return 0
