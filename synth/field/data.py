"""Training batches for the field: short rollouts at every level, plus one near-miss state per rollout.

    src = FieldBatches("small", FieldDataConfig(), tok, data_dir=None)   # data_dir: `synth generate-data` shards
    batch = src(step, generator, batch_size)
    # feats (B, K+1, S, F), status (B, K+1), ops (B, K), lit (B, K, F), level (B,)      (synth.data.dataset)
    # mj (B,) a state index in 1..K; pert_feats (B, S, F), pert_status (B,): that state, slightly changed
    # seed: int for the loss's own noise generator

Rollouts come from the evaluator's generator (`synth.data.dataset.RolloutGenerator`) and, with probability
`shard_frac`, from windows of recorded runs (`ShardRollouts`); each is seen at the concrete, sign or type
level with probabilities `levels`. A rollout's consecutive states are the field's (E(x), E(op(x))) pairs.
The near miss (`perturb`) changes one thing: a value nudged (int +-1 or redrawn, a bool flipped, one element
or the length of a sequence changed), two values swapped, a value dropped or added, or the error kind changed;
it gives the metric hard negatives. Everything is drawn from a `random.Random` seeded by the core loop's
per-step generator, so a resumed run sees the same batches.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import torch

from ..data.dataset import GenConfig, RolloutGenerator, collate
from ..data.shard_rollouts import ShardRollouts
from ..data.tokenizer import ERRORS, State, StateTokenizer


@dataclass
class FieldDataConfig:
    gen: GenConfig = field(default_factory=lambda: GenConfig(steps=3))
    levels: list = field(default_factory=lambda: [0.7, 0.15, 0.15])    # P(concrete, sign, type)
    shard_frac: float = 0.5        # share of rollouts cut from --data shards (when given)
    max_runs: int = 200_000        # runs loaded from --data
    val_size: int = 256            # fixed validation rollouts (concrete); 0 = none


def perturb(st: State, rng: random.Random, gen: RolloutGenerator) -> State:
    """A state close to `st` but different (at the concrete level)."""
    p = gen.p
    if st.error is not None:
        return State(st.constants, st.stack, rng.choice([e for e in ERRORS if e != st.error]))
    stack = list(st.stack)
    r = rng.random()
    if not stack or (r < 0.1 and len(stack) < p.max_depth):                  # add a value
        stack.insert(rng.randint(0, len(stack)), gen.value(rng, gen.type(rng)))
    elif r < 0.2:                                                             # drop a value
        del stack[rng.randrange(len(stack))]
    elif r < 0.3 and len(stack) >= 2:                                         # swap two values
        i, j = rng.sample(range(len(stack)), 2)
        if stack[i] == stack[j]:
            stack[i] = _nudge(stack[i], rng, gen)
        stack[i], stack[j] = stack[j], stack[i]
    elif r < 0.35:                                                            # an error instead
        return State(st.constants, (), rng.choice(ERRORS))
    else:                                                                     # nudge one value, often the top
        i = len(stack) - 1 if rng.random() < 0.5 else rng.randrange(len(stack))
        stack[i] = _nudge(stack[i], rng, gen)
    return State(st.constants, tuple(stack), None)


def _nudge(v, rng: random.Random, gen: RolloutGenerator):
    p = gen.p
    if type(v) is bool:
        return not v
    if type(v) is int:
        w = v + rng.choice((-1, 1)) if rng.random() < 0.6 else gen.int(rng)
        w = min(max(w, p.int_min), p.int_max)
        return w if w != v else (v + 1 if v < p.int_max else v - 1)
    seq = list(v)
    ints = type(v) is tuple
    pick = (lambda: gen.int(rng)) if ints else (lambda: chr(rng.randint(32, 126)))
    r = rng.random()
    if seq and r < 0.6:
        j = rng.randrange(len(seq))
        old = seq[j]
        while seq[j] == old:
            seq[j] = pick()
    elif len(seq) < p.max_len and (r < 0.8 or not seq):
        seq.insert(rng.randint(0, len(seq)), pick())
    else:
        del seq[rng.randrange(len(seq))]
    return tuple(seq) if ints else "".join(seq)


class FieldBatches:
    def __init__(self, profile: str, cfg: FieldDataConfig, tok: StateTokenizer, data_dir: str | None = None):
        self.cfg, self.tok = cfg, tok
        self.gen = RolloutGenerator(profile, cfg.gen)
        self.shards = ShardRollouts(data_dir, self.gen, cfg.max_runs) if data_dir else None
        self.levels = [float(x) for x in cfg.levels]
        if len(self.levels) != 3 or min(self.levels) < 0 or sum(self.levels) <= 0:
            raise ValueError(f"data.levels must be 3 non-negative weights (concrete, sign, type), got {cfg.levels}")
        from dsl.abstract import abstracter
        self.absf = [None, abstracter("sign"), abstracter("type")]

    def draw(self, rng: random.Random, bs: int, levels: list[int] | None = None) -> dict:
        samples, lv = [], []
        for _ in range(bs):
            src = self.shards if self.shards is not None and rng.random() < self.cfg.shard_frac else self.gen
            samples.append(src.rollout(rng))
            lv.append(rng.choices((0, 1, 2), self.levels)[0])
        if levels is not None:
            lv = list(levels)
        batch = collate(samples, self.tok, self.gen.op_index, lv)
        K = len(samples[0].items)
        S, F = self.tok.n_slots, self.tok.n_feats
        mj = np.zeros(bs, dtype=np.int64)
        pf = np.zeros((bs, S, F), dtype=np.int64)
        ps = np.zeros(bs, dtype=np.int64)
        for b, r in enumerate(samples):
            j = mj[b] = rng.randint(1, K)
            st = perturb(r.states[j], rng, self.gen)
            f = self.absf[lv[b]]
            if f is not None:
                st = State(tuple(map(f, st.constants)), tuple(map(f, st.stack)), st.error)
            self.tok.state_rows(st, lv[b], pf[b, 1:])
            ps[b] = self.tok.status_id(st)
        batch.update(mj=torch.from_numpy(mj), pert_feats=torch.from_numpy(pf), pert_status=torch.from_numpy(ps),
                     seed=rng.randrange(2**62))
        return batch

    def __call__(self, step: int, g: torch.Generator, bs: int) -> dict:
        return self.draw(random.Random(int(torch.randint(0, 2**62, (1,), generator=g))), bs)

    def validation(self, seed: int) -> dict | None:
        if not self.cfg.val_size:
            return None
        return self.draw(random.Random(f"field-val:{seed}"), self.cfg.val_size, [0] * self.cfg.val_size)
