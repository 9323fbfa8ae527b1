#!/usr/bin/env bash
# Train the shipped models from scratch on today's architecture: the evaluator (`small` preset) in 3 stages,
# then the field on it in 2 stages. Resumable: run the same command again (after a kill, or in a later session)
# and every stage continues from its own checkpoint; a finished stage is skipped in seconds.
#
#     bash experiments/train_default.sh                       # everything, into runs/default/ (1 CPU thread)
#     SHIP=1 bash experiments/train_default.sh                # ... then copy the two models into synth/pretrained/
#     SCALE=0.0005 RUNS=/tmp/smoke bash experiments/train_default.sh   # smoke check: every stage, a few steps
#
# Budget on one CPU thread (steps timed on the 2-core machine of experiments/train_shipped.sh, about 1.1 s a
# step of batch 64 for the `small` evaluator): stage 1 about 4.9 h, stage 2 about 0.5 h, stage 3 about 0.3 h,
# so about 5.7 CPU-hours for the evaluator; the field about 1.5 h more, and the trace data for it a few minutes.
#
# The recipe is the end point of train_shipped.sh's 17-stage lineage, without its detours: the architecture
# is the shipped preset as it stands (no flags undoing it for old stages); stage 1 trains everything with the
# op sampling that lineage ended on (ops drawn by recent loss^1.5, the weak ops focused, 75% of ints uniform);
# stage 2 is the ALU drill that taught `mod` and `div` (runs M5, D1: only the ALU trains, one-step rollouts in
# batches of 512); stage 3 re-aligns the whole model at a low learning rate (runs M6, D2). The field: stage 1
# trains it and its learned metric from scratch (run f's recipe), stage 2 is the shipped field's recipe (M8:
# most samples at t = 0, 4-op rollouts) with its metric started from stage 1's.
#
# Each run records its command, config, data seed and commit in its checkpoints (`synth info FILE`).
# Env: RUNS (output root), SCALE (multiplies every step count; for smoke checks), THREADS (torch threads per
# run), SHIP (1: copy the results into synth/pretrained/), EVAL (0: skip the held-out evaluations at the end),
# SYNTH (how to call synth; default `python -m synth`).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs/default}
SCALE=${SCALE:-1}
THREADS=${THREADS:-1}
SYNTH=${SYNTH:-python -m synth}
export OMP_NUM_THREADS=$THREADS
EV=evaluator     # the evaluator's config group (synth/conf/evaluator/)
steps() { python -c "import sys; print(max(2, round($1 * float(sys.argv[1]))))" "$SCALE"; }
synth() { $SYNTH "$@"; }
mkdir -p "$RUNS"

INTS=(loss.adapt=1.5 data.gen.small_int_p=0.15 data.gen.edge_int_p=0.1 "threads=$THREADS")
FOCUS='data.focus={div:4,mod:6,sum:4,sort:4,map_inc:2,map_neg:2,eq:1.5,concat:1.5,filter_even:1.5,min:1.5,sub:1.5}'
DRILL='data.focus={div:30,mod:30,eq:3,sum:2,sort:2,map_inc:2,map_neg:2,concat:1.5,filter_even:1.5,min:1.5,sub:1.5}'
ALIGN='data.focus={div:8,mod:8,eq:3,sum:2,sort:2,map_inc:2,map_neg:2,concat:1.5,filter_even:1.5,min:1.5,sub:1.5}'

# Evaluator 1: everything from scratch
synth train-evaluator --out "$RUNS/ev1" --steps "$(steps 16000)" "$EV=small" train.seed=0 train.lr=0.0015 \
    train.warmup=100 "${INTS[@]}" "$FOCUS"
# Evaluator 2: the ALU drill (only the ALU trains; one-step rollouts, batches of 512)
synth train-evaluator --out "$RUNS/ev2" --steps "$(steps 1500)" "$EV=small" init="$RUNS/ev1/evaluator.pt" \
    'trainable=[alu.]' train.seed=1 train.batch_size=512 data.gen.steps=1 train.lr=0.001 train.warmup=50 \
    "${INTS[@]}" "$DRILL"
# Evaluator 3: the whole model re-aligned on 4-step rollouts at a low learning rate
synth train-evaluator --out "$RUNS/ev3" --steps "$(steps 1000)" "$EV=small" init="$RUNS/ev2/evaluator.pt" \
    train.seed=2 train.lr=0.0001 train.warmup=50 "${INTS[@]}" "$ALIGN"
EVALUATOR="$RUNS/evaluator_small.pt"   # the shipped name: the field refers to its evaluator by file name
cp "$RUNS/ev3/evaluator.pt" "$EVALUATOR"

# Trace data for the field (resumable too; --count is in trace steps)
synth generate-data --out "$RUNS/field_data" --count "$(steps 400000)" --seed 11
FIELD=(--evaluator "$EVALUATOR" --data "$RUNS/field_data" "threads=$THREADS")
# Field 1: the field and its learned metric from scratch
synth train-field "${FIELD[@]}" --out "$RUNS/field1" --steps "$(steps 1500)" train.lr=0.0002 train.warmup=50 \
    loss.roll=1.0 loss.roll_batch=48 loss.t0_p=0.4 --export "$RUNS/field1.pt"
# Field 2: the shipped recipe, its metric started from field 1's
synth train-field "${FIELD[@]}" --out "$RUNS/field2" --steps "$(steps 600)" init_metric="$RUNS/field1.pt" \
    train.lr=0.0001 train.warmup=20 train.eval_every=0 data.gen.steps=4 loss.roll=2.0 loss.roll_batch=64 \
    loss.roll_steps_max=1 loss.t0_p=0.8 loss.dec=1.0 --export "$RUNS/field_small.pt"

if [ "${EVAL:-1}" = 1 ]; then   # the held-out numbers of the README's goals
    synth eval-evaluator --traces datasets/heldout/small_runs.jsonl --checkpoint "$EVALUATOR" | tail -1 \
        > "$RUNS/eval_evaluator.json"
    synth eval-field --traces datasets/heldout/small_runs.jsonl --checkpoint "$RUNS/field_small.pt" | tail -1 \
        > "$RUNS/eval_field.json"
fi
if [ "${SHIP:-0}" = 1 ]; then
    cp "$EVALUATOR" synth/pretrained/evaluator_small.pt
    cp "$RUNS/field_small.pt" synth/pretrained/field_small.pt
fi
echo "done: $EVALUATOR, $RUNS/field_small.pt"
