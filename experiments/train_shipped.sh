#!/usr/bin/env bash
# How the shipped models in synth/pretrained/ were trained, stage by stage, on this 2-core CPU (1 thread per run).
#
#     bash experiments/train_shipped.sh          # all stages; a killed stage resumes when the script runs again
#
# HISTORY: this lineage runs at commit 260c6ed only. Its early stages switch off options that are always on
# since (elem_copy, alu_readout, list_readout, rank_pointer, a smaller ALU) and its side arms set removed ones
# (elem_set, elem_fold): experiments/results/removed.md. The result tables it cites (evaluator_ablation2..8.md)
# are at 260c6ed too (experiments/results/README.md); the probe scripts it names are in experiments/probes/.
#
# Evaluator: about 9 CPU-hours in all (29100 steps of batch 64, and 2500 drill steps of batch 512); field:
# about 20 CPU-minutes on top of it (plus 85 + 30 + 27 + 31 + 30 + 29 for the previous fields, whose learned
# metric it starts from).
# Stages 1-2 are the earlier default (run f) and its longer schedule; stages 3-5 are warm-started fine-tunes
# that add the ALU's bilinear path, the decoder's residue heads, then a third transition layer and the
# element pointer (README, "The evaluator"); stages 6-8 continue run D on fresh data (run G with teacher-forced
# one-step losses; run H, plain); stages 9-10 draw the weak ops more often (runs FB, FC); stages 11-12 add
# fixed read-outs of the top list (its decoded sum and ranks) and of the operands' values (runs R2, R4); stages
# 13-15 teach `mod` (run R5: focus; run M5: an ALU-only drill; run M6: the whole model re-aligned), stages
# 16-17 `div` the same way (runs D1, D2; D2 is the shipped default). The model config
# (synth/conf/evaluator/small.yaml) is the shipped architecture: stages 1-10 predate its read-outs, hence NOREAD,
# and stages 1-4 also its third layer and pointer, hence OLD.
set -euo pipefail
cd "$(dirname "$0")/.."
NOREAD=(model.alu_readout=false model.list_readout=false model.rank_pointer=false)
OLD=(model.trans_layers=2 model.elem_copy=false "${NOREAD[@]}")
PLAIN=(model.alu_bilinear=0 "model.residues=[]" "${OLD[@]}")
run() { synth train-evaluator train.warmup=100 train.lr=0.0015 "$@"; }
field() { synth train-field --data data/field_small train.lr=0.0002 loss.roll=1.0 loss.roll_batch=48 loss.t0_p=0.4 "$@"; }

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
# 5. + a third transition layer and the element pointer (evaluator=small as shipped; both start as a no-op),
#    ops drawn by (recent loss)^1.5
synth train-evaluator --out runs/ft_e --steps 3000 init=runs/ft_c2/checkpoint.pt train.seed=8 \
    train.lr=0.0004 train.warmup=50 loss.adapt=1.5 "${NOREAD[@]}"
python -c "from synth.evaluator import export; export('runs/ft_e/checkpoint.pt', 'runs/evaluator_d_shipped.pt', half=True)"
# 6. run F: run D continued on fresh data (a warm restart of the learning rate)
synth train-evaluator --out runs/ft_f --steps 2000 init=runs/evaluator_d_shipped.pt train.seed=9 \
    train.lr=0.0003 train.warmup=50 loss.adapt=1.5 "${NOREAD[@]}"
python -c "from synth.evaluator import export; export('runs/ft_f/checkpoint.pt', 'runs/evaluator_F.pt', half=True)"
# 7. run G: F continued with teacher-forced one-step losses from every true state
synth train-evaluator --out runs/ft_g --steps 1500 init=runs/ft_f/checkpoint.pt train.seed=10 \
    train.lr=0.0003 train.warmup=50 loss.adapt=1.5 loss.teacher=true "${NOREAD[@]}"
python -c "from synth.evaluator import export; export('runs/ft_g/checkpoint.pt', 'runs/evaluator_G.pt', half=True)"
# 8. run H: G continued on fresh data (the default before stages 9-10; 2000 steps, about 40 CPU-minutes)
synth train-evaluator --out runs/ft_hc --steps 2000 init=runs/evaluator_G.pt train.seed=12 \
    train.lr=0.0004 train.warmup=50 loss.adapt=1.5 "${NOREAD[@]}"
python -c "from synth.evaluator import export; export('runs/ft_hc/checkpoint.pt', 'runs/evaluator_H.pt', half=True)"
#    Side arms, not shipped (README, "The evaluator"; evaluator_ablation4.md and evaluator_ablation5.md; these
#    and the side arms of stages 9-10 also take "${NOREAD[@]}" now that the config has the read-outs):
#    synth train-evaluator --out runs/ft_h --steps 2000 init=runs/evaluator_G.pt train.seed=12 train.lr=0.0004 \
#        train.warmup=50 loss.adapt=1.5 model.elem_set=128                                          # S
#    synth train-evaluator --out runs/ft_fold --steps 2000 init=runs/evaluator_H.pt train.seed=13 \
#        train.lr=0.0004 train.warmup=50 loss.adapt=1.5 model.elem_fold=256                         # fold
#    synth train-evaluator --out runs/ft_ud --steps 900 init=runs/evaluator_H.pt train.seed=14 \
#        train.lr=0.0003 train.warmup=30 loss.adapt=1.5 data.gen.small_int_p=0.15 data.gen.edge_int_p=0.1
#        (and its control runs/ft_uc: the same without the two data.gen keys)
# 9. run FB: H with the weak ops drawn more often (data.focus) and 75% of ints uniform (README, "The evaluator";
#    evaluator_ablation6.md; its side arm runs/ft_fa: the same without the two data.gen keys)
FOCUS=(loss.adapt=1.5 data.gen.small_int_p=0.15 data.gen.edge_int_p=0.1 train.lr=0.0003 train.warmup=50)
synth train-evaluator --out runs/ft_fb --steps 2500 init=runs/evaluator_H.pt train.seed=21 "${FOCUS[@]}" "${NOREAD[@]}" \
    'data.focus={sum:6,sort:4,mod:4,concat:1.5,eq:1.5,filter_even:1.5,min:1.5,sub:1.5}'
python -c "from synth.evaluator import export; export('runs/ft_fb/checkpoint.pt', 'runs/evaluator_FB.pt', half=True)"
# 10. run FC: FB continued with a stronger focus (the default before stages 11-12; its side arm runs/ft_fd adds
#     model.elem_fold=256)
synth train-evaluator --out runs/ft_fc --steps 2500 init=runs/evaluator_FB.pt train.seed=22 "${FOCUS[@]}" "${NOREAD[@]}" \
    'data.focus={sum:8,sort:6,mod:6,concat:1.5,eq:1.5,filter_even:1.5,min:1.5,sub:1.5}'
python -c "from synth.evaluator import export; export('runs/ft_fc/checkpoint.pt', 'runs/evaluator_FC.pt', half=True)"
#    Side arm, not shipped (a plateau): run FE, FC continued on the same recipe
#    synth train-evaluator --out runs/ft_fe --steps 2500 init=runs/evaluator_FC.pt train.seed=23 "${FOCUS[@]}" \
#        'data.focus={sum:8,sort:6,mod:6,concat:1.5,eq:1.5,filter_even:1.5,min:1.5,sub:1.5}'
#    and run sum24: --out runs/ft_ff --steps 1500 train.seed=24, the same with sum:24 (held-out sum unmoved)
# 11. run R2: FC + the list read-out (the sum of the top list's decoded elements as number features for the
#     ALU, their ranks for its element tokens) + the operands' read-out (README, "The evaluator";
#     evaluator_ablation7.md; its side arm runs/ft_r: the same without model.alu_readout)
READ=(model.list_readout=true model.alu_readout=true)
synth train-evaluator --out runs/ft_r2 --steps 2500 init=runs/evaluator_FC.pt train.seed=23 "${FOCUS[@]}" "${READ[@]}" model.rank_pointer=false \
    'data.focus={sum:8,sort:6,mod:6,concat:1.5,eq:1.5,filter_even:1.5,min:1.5,sub:1.5}'
python -c "from synth.evaluator import export; export('runs/ft_r2/checkpoint.pt', 'runs/evaluator_R2.pt', half=True)"
# 12. run R4: R2 continued with the focus moved to mod and sort, and the element pointer's rank score
#     (model.rank_pointer; the shipped default; its side arm runs/ft_r3: the same without it)
synth train-evaluator --out runs/ft_r4 --steps 2500 init=runs/evaluator_R2.pt train.seed=24 "${FOCUS[@]}" "${READ[@]}" \
    model.rank_pointer=true \
    'data.focus={sum:2,sort:6,mod:8,map_inc:2,map_neg:2,concat:1.5,eq:1.5,filter_even:1.5,min:1.5,sub:1.5}'
python -c "from synth.evaluator import export; export('runs/ft_r4/checkpoint.pt', 'runs/evaluator_R4.pt', half=True)"
#    Side arms, not shipped (evaluator_ablation7.md): run R, stage 11 with model.alu_readout=false (sum unmoved);
#    run R3, stage 12 with model.rank_pointer=false; run R6, R4 continued as in stage 13 but with --steps 2000
#    train.seed=26 train.lr=0.0001 threads=2: mod 0.93
INTS=(loss.adapt=1.5 data.gen.small_int_p=0.15 data.gen.edge_int_p=0.1 train.warmup=50)   # FOCUS without its lr
MODF='data.focus={mod:12,eq:3,sum:2,sort:2,map_inc:2,map_neg:2,concat:1.5,filter_even:1.5,min:1.5,sub:1.5}'
# 13. run R5: R4 continued with mod drawn 12x as often (mod 0.91 -> 0.92 held out, 0.86 -> 0.89 on the grid)
synth train-evaluator --out runs/ft_r5 --steps 1500 init=runs/evaluator_R4.pt train.seed=25 "${FOCUS[@]}" "$MODF"
python -c "from synth.evaluator import export; export('runs/ft_r5/checkpoint.pt', 'runs/evaluator_R5.pt', half=True)"
# 14. run M5: an ALU drill. Only the ALU trains (trainable=[alu.]), on one-step rollouts (data.gen.steps=1) in
#     batches of 512 with mod drawn 30x as often, at lr 1e-3: about 190 mod transitions a step, with no backward
#     pass through T (mod on the whole operand grid 0.89 -> 0.99, 25 CPU-minutes; 4-op rollouts fall to 0.91)
synth train-evaluator --out runs/ft_m5 --steps 1500 init=runs/evaluator_R5.pt 'trainable=[alu.]' train.seed=31 \
    train.batch_size=512 data.gen.steps=1 "${INTS[@]}" train.lr=0.001 \
    'data.focus={mod:30,eq:3,sum:2,sort:2,map_inc:2,map_neg:2,concat:1.5,filter_even:1.5,min:1.5,sub:1.5}'
python -c "from synth.evaluator import export; export('runs/ft_m5/checkpoint.pt', 'runs/evaluator_M5.pt', half=True)"
# 15. run M6: the whole model re-aligned on 4-step rollouts at lr 1e-4 (4-op back to 0.94)
synth train-evaluator --out runs/ft_m6 --steps 1000 init=runs/evaluator_M5.pt train.seed=33 "${INTS[@]}" \
    train.lr=0.0001 "$MODF"
python -c "from synth.evaluator import export; export('runs/ft_m6/checkpoint.pt', 'runs/evaluator_M6.pt', half=True)"
#    Side arm (evaluator_ablation8.md): run M6a, stage 15 from M5 at step 700 (stage 14 with train.stop_at=700).
#    Tried and dropped (`python experiments/probe_binary.py`, mod on the whole grid; R5 0.889): R6 continued at
#    lr 1e-4 with mod:12 (0.896 after 1200 steps) or mod:30 (0.894 after 800), R5 continued at lr 3e-4 with
#    mod:30 (0.884 after 700), the ALU alone at lr 1e-3 on 4-step rollouts of 64 (0.872 after 800), and the
#    drill of stage 14 on 2-step rollouts of 256 (0.903 after 300 steps, where stage 14 had 0.935).
# 16. run D1: the same drill for `div` (div on the grid 0.959 -> 0.999; 4-op rollouts 0.942 -> 0.921)
synth train-evaluator --out runs/ft_d1 --steps 1000 init=runs/evaluator_M6.pt 'trainable=[alu.]' train.seed=34 \
    train.batch_size=512 data.gen.steps=1 "${INTS[@]}" train.lr=0.001 \
    'data.focus={div:30,mod:12,eq:3,sum:2,sort:2,map_inc:2,map_neg:2,concat:1.5,filter_even:1.5,min:1.5,sub:1.5}'
python -c "from synth.evaluator import export; export('runs/ft_d1/checkpoint.pt', 'runs/evaluator_D1.pt', half=True)"
# 17. run D2: re-aligned as in stage 15 (the shipped default; 2 threads)
synth train-evaluator --out runs/ft_d2 --steps 1000 init=runs/evaluator_D1.pt train.seed=35 threads=2 "${INTS[@]}" \
    train.lr=0.0001 \
    'data.focus={div:8,mod:8,eq:3,sum:2,sort:2,map_inc:2,map_neg:2,concat:1.5,filter_even:1.5,min:1.5,sub:1.5}'
python -c "from synth.evaluator import export; export('runs/ft_d2/checkpoint.pt', 'runs/evaluator_D2.pt', half=True)"
cp runs/evaluator_D2.pt synth/pretrained/evaluator_small.pt

# 18. the fields. First the two earlier defaults (runs/field_f, 85 CPU-minutes, on run f; runs/field_g, 30,
#    on C2), each starting its learned metric from the one before (fields before field_j had no decoded term
#    in the metric, hence model.metric_decoded=0)
[ -e data/field_small/manifest.json ] || synth generate-data --out data/field_small --count 400000 --seed 11
python -c "from synth.evaluator import export; export('runs/ev_small_f/checkpoint.pt', 'runs/evaluator_f_shipped.pt', half=True)"
field --evaluator runs/evaluator_f_shipped.pt --out runs/field_f train.steps=1500 train.warmup=50 \
    model.metric_decoded=0
python -c "from synth.field.train import export; export('runs/field_f/checkpoint.pt', 'runs/field_f_shipped.pt')"
#    (450 steps first, then continued on a 1000-step schedule: a mild warm restart of the learning rate)
for n in 450 1000; do
    field --evaluator runs/evaluator_c2_shipped.pt --out runs/field_g train.steps=$n train.warmup=20 \
        train.eval_every=150 init_metric=runs/field_f_shipped.pt model.metric_decoded=0
done
python -c "from synth.field.train import export; export('runs/field_g/checkpoint.pt', 'runs/field_g_shipped.pt')"
#    Then one field per later evaluator (D: field_i, learned features only, model.metric_decoded=0; F: field_j;
#    G: field_k), each warm-started from its evaluator's transition and from the metric before.
field --evaluator runs/evaluator_d_shipped.pt --out runs/field_i train.steps=1000 train.warmup=20 \
    train.eval_every=250 init_metric=runs/field_g_shipped.pt model.metric_decoded=0
python -c "from synth.field.train import export; export('runs/field_i/checkpoint.pt', 'runs/field_i_shipped.pt')"
field --evaluator runs/evaluator_F.pt --out runs/field_j train.steps=1000 train.warmup=20 \
    train.eval_every=250 init_metric=runs/field_i_shipped.pt
python -c "from synth.field.train import export; export('runs/field_j/checkpoint.pt', 'runs/field_j_shipped.pt')"
field --evaluator runs/evaluator_G.pt --out runs/field_k train.steps=1000 train.warmup=20 \
    train.eval_every=250 init_metric=runs/field_j_shipped.pt
python -c "from synth.field.train import export; export('runs/field_k/checkpoint.pt', 'runs/field_k_shipped.pt')"
#    field_m8 (on H): most flow-matching samples at t = 0 (loss.t0_p=0.8), where a 1-step Euler solve reads
#    the field (training at t > 0 shares the weights and cost 4-op accuracy: README, "The field"), 4-op
#    rollouts in the roll loss with the decoder's cross-entropy at full weight; 600 steps. field_n is the same
#    recipe on FC, field_o on R4 and field_p on M6 (each shipped with its evaluator), and the shipped field
#    (field_q, 2 threads) on the shipped evaluator D2, each metric started from field_m8's.
M8=(train.steps=600 train.warmup=20 train.lr=0.0001 train.eval_every=0 data.gen.steps=4 loss.roll=2.0
    loss.roll_batch=64 loss.roll_steps_max=1 loss.t0_p=0.8 loss.dec=1.0)
field --evaluator runs/evaluator_H.pt --out runs/field_m8 init_metric=runs/field_k_shipped.pt "${M8[@]}"
python -c "from synth.field.train import export; export('runs/field_m8/checkpoint.pt', 'runs/field_m8_shipped.pt')"
field --evaluator runs/evaluator_FC.pt --out runs/field_n init_metric=runs/field_m8_shipped.pt "${M8[@]}"
field --evaluator runs/evaluator_R4.pt --out runs/field_o init_metric=runs/field_m8_shipped.pt "${M8[@]}"
field --evaluator runs/evaluator_M6.pt --out runs/field_p init_metric=runs/field_m8_shipped.pt "${M8[@]}"
field --evaluator synth/pretrained/evaluator_small.pt --out runs/field_q init_metric=runs/field_m8_shipped.pt \
    "${M8[@]}" threads=2
python -c "from synth.field.train import export; export('runs/field_q/checkpoint.pt', 'synth/pretrained/field_small.pt')"
