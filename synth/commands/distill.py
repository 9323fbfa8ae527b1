"""Train the student executor (synth.executor): real interpreter traces + distillation from the evaluator; resumable.

    synth distill --out runs/executor                                  # executor=small, the shipped evaluator as teacher
    synth distill --out runs/ex --steps 200 executor=tiny loss.kd=0 loss.hint=0     # no teacher
    synth distill --out runs/executor --export synth/pretrained/executor_small.pt --half

Rollouts are drawn on the fly from the interpreter's rollout generator (synth.data.dataset), seeded by
(seed, step); with --data DIR a share is cut from a `synth generate-data` directory. Rerunning the same
command after a kill resumes from OUT/checkpoint.pt exactly. Writes OUT/checkpoint.pt (full training
state; its meta records this command, the config, the data seed and the git commit), OUT/metrics.csv and
OUT/executor.pt (the student's weights and meta: what synth.executor.load_student reads); --export also
writes a copy there (--half: float16 weights). Config: synth/conf/distill.yaml with the `executor/` group
(small, tiny). Prints one JSON summary line.
"""
from __future__ import annotations

import json
import sys
import time

HELP = "train the student executor for the gradient search (distilled from the evaluator; resumable)"


def add_arguments(p) -> None:
    p.add_argument("--data", help="a `synth generate-data` directory to mix into the rollouts (optional)")
    p.add_argument("--out", help="run directory (config default runs/executor)")
    p.add_argument("--steps", type=int, help="optimizer steps in all (config default train.steps)")
    p.add_argument("--export", help="also write the slim checkpoint here when training ends")
    p.add_argument("--half", action="store_true", help="the exported weights in float16")


def main(args) -> int:
    from pathlib import Path

    from ..errors import UserError
    from ..executor.api import export
    from ..executor.distill import DistillConfig, train
    from .training import compose_training

    cfg = compose_training("distill", DistillConfig, args)
    command = "synth " + " ".join(sys.argv[1:]) if sys.argv and sys.argv[0].endswith("synth") else \
        "synth distill " + " ".join(a for a in sys.argv[1:] if a != "distill")
    try:
        t0 = time.perf_counter()
        res = train(cfg, args.data, command=command)
    except ValueError as e:
        raise UserError(str(e)) from None
    out = Path(cfg.train.out_dir)
    export(out / "checkpoint.pt", out / "executor.pt")
    summary = {"out": str(out), "steps": res.step, "seconds": round(time.perf_counter() - t0, 1),
               "checkpoint": str(out / "executor.pt")}
    if args.export:
        summary["export"] = str(export(out / "checkpoint.pt", args.export, half=args.half))
    last = res.history[-1] if res.history else {}
    print(json.dumps({**summary, **{k: round(v, 4) for k, v in last.items() if k.startswith(("loss", "acc", "val_"))}}))
    return 0
