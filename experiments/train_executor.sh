#!/usr/bin/env bash
# Rebuilds the shipped student executor synth/pretrained/executor_small.pt (the gradient search's fast executor):
# real interpreter rollouts + distillation from the shipped evaluator, executor=small, seed 0, one thread.
# Resumable: rerun the same command after a kill. About 40 minutes on one CPU core shared with other jobs (README, executor.md).
set -euo pipefail
cd "$(dirname "$0")/.."
OMP_NUM_THREADS=1 PYTHONPATH=$PWD python -m synth.cli distill --out runs/executor_small --steps 4000 \
    --export synth/pretrained/executor_small.pt --half
