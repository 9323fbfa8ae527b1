#!/usr/bin/env bash
# How the shipped models in synth/pretrained/ were trained, stage by stage, on this 2-core CPU (1 thread per run).
#
#     bash experiments/train_shipped.sh          # all stages; a killed stage resumes when the script runs again
#
# Evaluator: about 3.1 CPU-hours in all (10100 steps of batch 64); field: about 25 CPU-minutes on top of it
# (plus 85 + 30 for the two previous fields, whose learned metric it starts from).
# Stages 1-2 are the earlier default (run f) and its longer schedule; stages 3-5 are warm-started fine-tunes
# that add the ALU's bilinear path, the decoder's residue heads, then a third transition layer and the
# element pointer (README, "The evaluator"). Stages 1-4 predate those two, hence OLD.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=(model.trans_layers=2 model.elem_copy=false)
PLAIN=(model.alu_bilinear=0 "model.residues=[]" "${OLD[@]}")
run() { synth train-evaluator train.warmup=100 train.lr=0.0015 "$@"; }

# 1. run f: from scratch (killed at 1700 then resumed on a shorter schedule, reproduced by stop_at)
run --out runs/ev_small_f --steps 3000 train.stop_at=1700 "${PLAIN[@]}"
run --out runs/ev_small_f --steps 2600 "${PLAIN[@]}"
# 2. run h: run f continued on a longer schedule (a warm restart of the learning rate), cut at 4100
[ -e runs/ev_small_h/checkpoint.pt ] || { mkdir -p runs/ev_small_h && cp runs/ev_small_f/checkpoint.pt runs/ev_small_f/metrics.csv runs/ev_small_h/; }
run --out runs/ev_small_h --steps 8000 train.stop_at=4100 "${PLAIN[@]}"
# 3. + the ALU's bilinear path, a low-lr fine-tune on fresh data
synth train-evaluator --out runs/ft_b --steps 1200 init=runs/ev_small_h/checkpoint.pt train.seed=5 \
    train.lr=0.0006 train.warmup=50 model.alu_bilinear=512 "model.residues=[]" "${OLD[@]}"
# 4. + the decoder's residue heads (run C2, the previous default)
synth train-evaluator --out runs/ft_c2 --steps 1800 init=runs/ft_b/checkpoint.pt train.seed=6 \
    train.lr=0.0005 train.warmup=50 "${OLD[@]}"
python -c "from synth.evaluator import export; export('runs/ft_c2/checkpoint.pt', 'runs/evaluator_c2_shipped.pt', half=True)"
# 5. + a third transition layer and the element pointer (model=small as shipped; both start as a no-op),
#    ops drawn by (recent loss)^1.5
synth train-evaluator --out runs/ft_e --steps 3000 init=runs/ft_c2/checkpoint.pt train.seed=8 \
    train.lr=0.0004 train.warmup=50 loss.adapt=1.5
python -c "from synth.evaluator import export; export('runs/ft_e/checkpoint.pt', 'synth/pretrained/evaluator_small.pt', half=True)"

# 6. the field. First the two previous defaults (runs/field_f, 85 CPU-minutes, on run f; runs/field_g, 30,
#    on C2), each starting its learned metric from the one before; then the field on the shipped evaluator
#    (a warm start of its transition)
[ -e data/field_small/manifest.json ] || synth generate-data --out data/field_small --count 400000 --seed 11
python -c "from synth.evaluator import export; export('runs/ev_small_f/checkpoint.pt', 'runs/evaluator_f_shipped.pt', half=True)"
synth train-field --evaluator runs/evaluator_f_shipped.pt --data data/field_small --out runs/field_f \
    train.steps=1500 train.lr=0.0002 train.warmup=50 loss.roll=1.0 loss.roll_batch=48 loss.t0_p=0.4
python -c "from synth.field.train import export; export('runs/field_f/checkpoint.pt', 'runs/field_f_shipped.pt')"
#    (450 steps first, then continued on a 1000-step schedule: a mild warm restart of the learning rate)
for n in 450 1000; do
    synth train-field --evaluator runs/evaluator_c2_shipped.pt --data data/field_small --out runs/field_g \
        train.steps=$n train.lr=0.0002 train.warmup=20 loss.roll=1.0 loss.roll_batch=48 loss.t0_p=0.4 \
        train.eval_every=150 init_metric=runs/field_f_shipped.pt
done
python -c "from synth.field.train import export; export('runs/field_g/checkpoint.pt', 'runs/field_g_shipped.pt')"
synth train-field --evaluator synth/pretrained/evaluator_small.pt --data data/field_small --out runs/field_i \
    train.steps=1000 train.lr=0.0002 train.warmup=20 loss.roll=1.0 loss.roll_batch=48 loss.t0_p=0.4 \
    train.eval_every=250 init_metric=runs/field_g_shipped.pt
python -c "from synth.field.train import export; export('runs/field_i/checkpoint.pt', 'synth/pretrained/field_small.pt')"
