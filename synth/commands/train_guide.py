"""Train the guide (policy, value and free constants for the guided search); resumable.

    synth train-guide --out runs/guide_small                   # guide=small, profile=small, 3000 steps
    synth train-guide --out runs/guide_deepcoder profile=deepcoder
    synth train-guide --out runs/g --steps 200 guide=tiny draws=200 short_sets=2 data_dir=runs/guide_data

One guide per profile (the shipped ones: synth/pretrained/guide_{small,deepcoder}.pt, made by
experiments/train_guide.sh). Data: the profile's short programs and task stream (synth.guide.data), built
once in chunks and cached (data_dir, default the run directory). Rerunning the same command after a kill resumes from OUT/checkpoint.pt exactly. Writes
OUT/checkpoint.pt, OUT/metrics.csv and OUT/guide.pt (weights and meta: what `--method guided
--checkpoint` reads). Config: synth/conf/train_guide.yaml with the `guide/` group (small, tiny).
Runs under `torchrun --nproc_per_node N` (DDP, gloo on CPU). Prints one JSON summary line.
"""
from __future__ import annotations

import sys
import time

HELP = "train the guide of the guided search (resumable)"


def add_arguments(p) -> None:
    p.add_argument("--out", help="run directory (config default runs/guide)")
    p.add_argument("--steps", type=int, help="optimizer steps in all (config default train.steps)")


def main(args) -> int:

    from ..errors import UserError
    from ..guide.train import TrainGuideConfig, export, train
    from .training import compose_training, finish

    cfg = compose_training("train_guide", TrainGuideConfig, args)
    t0 = time.perf_counter()
    try:
        res = train(cfg, log=lambda m: print(m, file=sys.stderr, flush=True))
    except ValueError as e:
        raise UserError(str(e)) from None
    return finish(res, cfg.train.out_dir, export, "guide.pt", t0)
