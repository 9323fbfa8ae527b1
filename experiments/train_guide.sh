#!/usr/bin/env bash
# Train a shipped guide from scratch: ONE command per profile, one CPU thread (each about 40 min on the
# 2-core machine: the task draws, then 3000 steps). The run resumes from runs/guide_PROFILE after a kill.
#
#   bash experiments/train_guide.sh small       # then: cp runs/guide_small/guide.pt synth/pretrained/guide_small.pt
#   bash experiments/train_guide.sh deepcoder   # then: cp runs/guide_deepcoder/guide.pt synth/pretrained/guide_deepcoder.pt
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${1:?usage: bash experiments/train_guide.sh small|deepcoder}
OMP_NUM_THREADS=1 python -m synth train-guide --out "runs/guide_$PROFILE" "profile=$PROFILE"
