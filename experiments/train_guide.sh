#!/usr/bin/env bash
# Train the shipped guide (synth/pretrained/guide.pt) from scratch: ONE command, one CPU thread.
# One profile-agnostic guide serves both profiles (small and deepcoder): the profile is an input and the
# ops a profile lacks are masked out of its policy. The task records are drawn first (cached per chunk of
# 1000 draws in runs/guide_data; draws 0..N step data_stride) and the run resumes from runs/guide after a kill.
#
#   bash experiments/train_guide.sh            # then: cp runs/guide/guide.pt synth/pretrained/guide.pt
set -euo pipefail
cd "$(dirname "$0")/.."
OMP_NUM_THREADS=1 PYTHONPATH=$PWD python -m synth.cli train-guide --out runs/guide \
  draws=9000 data_stride=1000 data_dir=runs/guide_data train.steps=10000 train.stop_at=2500
