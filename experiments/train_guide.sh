#!/usr/bin/env bash
# Train a shipped guide from scratch: one profile per call, one CPU thread. Round 1 (teacher forcing on the
# reference programs, ONE command: 20-25 min on the shared 2-core machine, task draws included) is what ships;
# ROUND=2 adds round 2 (DAgger-style: the states round 1's search visits on 600 new draws, labelled by the
# expert of synth/guide/dagger.py; 1000 steps from round 1's weights), compared in experiments/results/guided.md.
# Each run resumes from its folder under runs/ after a kill.
#
#   bash experiments/train_guide.sh small       # then: cp runs/guide_small/guide.pt synth/pretrained/guide_small.pt
#   bash experiments/train_guide.sh deepcoder   # then: cp runs/guide_deepcoder/guide.pt synth/pretrained/guide_deepcoder.pt
#   ROUND=2 bash experiments/train_guide.sh small                  # round 1, then round 2 in runs/guide_small_r2
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${1:?usage: bash experiments/train_guide.sh small|deepcoder}
export OMP_NUM_THREADS=1
python -m synth train-guide --out "runs/guide_$PROFILE" "profile=$PROFILE"
if [ "${ROUND:-1}" = 2 ]; then
    python -m synth train-guide --out "runs/guide_${PROFILE}_r2" "profile=$PROFILE" "data_dir=runs/guide_$PROFILE" \
        "dagger.init=runs/guide_$PROFILE/guide.pt" dagger.tasks=600 train.steps=1000 train.lr=0.001 train.warmup=50
fi
