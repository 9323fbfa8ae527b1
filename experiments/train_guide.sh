#!/usr/bin/env bash
# Train a shipped guide from scratch: one profile per call, one CPU thread. Round 1 (teacher forcing on the
# reference programs, ONE command: 20-25 min on the shared 2-core machine, task draws included) is what ships.
# (A DAgger-style round 2 measured equal and was removed: experiments/results/removed.md.)
# Each run resumes from its folder under runs/ after a kill.
#
#   bash experiments/train_guide.sh small       # then: cp runs/guide_small/guide.pt synth/pretrained/guide_small.pt
#   bash experiments/train_guide.sh deepcoder   # then: cp runs/guide_deepcoder/guide.pt synth/pretrained/guide_deepcoder.pt
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${1:?usage: bash experiments/train_guide.sh small|deepcoder}
export OMP_NUM_THREADS=1
python -m synth train-guide --out "runs/guide_$PROFILE" "profile=$PROFILE"
