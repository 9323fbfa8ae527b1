"""Train the evaluator (the latent state machine) on rollouts; resumable.

    synth train-evaluator --out runs/evaluator                       # on-the-fly rollouts, evaluator=small
    synth train-evaluator --data data/small --out runs/ev --steps 2000 evaluator=tiny train.batch_size=32

Rollouts are drawn on the fly from the type-directed rollout generator (synth.data.dataset), seeded by
(seed, step); with --data DIR, a share (`data.shard_frac`) is cut from the runs of a `synth generate-data`
directory instead. Rerunning the same command after a kill resumes from OUT/checkpoint.pt exactly.
Writes OUT/checkpoint.pt (full training state), OUT/metrics.csv and OUT/evaluator.pt (weights and
meta only: what `synth eval-evaluator --checkpoint` and `load_evaluator` read). Config:
synth/conf/train_evaluator.yaml with the `model/` group (small, tiny). Prints one JSON summary line.
"""
from __future__ import annotations

import time

HELP = "train the latent-state-machine evaluator (resumable)"


def add_arguments(p) -> None:
    p.add_argument("--data", help="a `synth generate-data` directory to mix into the rollouts (optional)")
    p.add_argument("--out", help="run directory (config default runs/evaluator)")
    p.add_argument("--steps", type=int, help="optimizer steps in all (config default train.steps)")


def main(args) -> int:

    from ..errors import UserError
    from ..evaluator.api import export
    from ..evaluator.train import TrainEvaluatorConfig, train
    from .training import compose_training, finish

    cfg = compose_training("train_evaluator", TrainEvaluatorConfig, args)
    if cfg.init:
        from ..core.checkpoint import check_path
        check_path(cfg.init, f"init={cfg.init}")
    try:
        t0 = time.perf_counter()
        res = train(cfg, args.data)
    except ValueError as e:
        raise UserError(str(e)) from None
    return finish(res, cfg.train.out_dir, export, "evaluator.pt", t0)
