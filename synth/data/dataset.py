"""Training data for the evaluator: short rollouts (constants, state_0, item_1, state_1, ..., item_K, state_K).

Drawn on the fly, exactly reproducible from a `random.Random` (the training loop seeds it from (seed, step)):

    gen = RolloutGenerator("small", GenConfig(steps=4))
    samples = [gen.rollout(rng, op_weights) for _ in range(B)]      # list of Rollout
    batch = collate(samples, tok, gen.op_index)                     # tensors, see collate()
    batch = rollout_batch(rng, B, gen, tok, level_weights([0.8, 0.1, 0.1]), op_weights)   # the trainers' batches

or read from `synth generate-data` trace shards (`ShardRollouts(dir)` in shard_rollouts.py: windows of K items
cut from the recorded runs), mixed with the generator by `--data DIR` in train-evaluator.

How a rollout is drawn: random constants and a random stack (depth, types and a mixture of value ranges:
small ints, the whole range, the edges of the range, so overflow is seen often); then K items. Item 1 is
an op drawn by weight, and with probability `fit_p` the top of the stack is redrawn to fit its signature
(`eq` gets equal arguments half of the time); later items are, with probability `fit_p`, drawn among the
ops that accept the current stack, else among all ops (errors teach the status head). With probability
`literal_p` an item pushes a literal instead (op id `PUSH`). After an error the state stays that error.
"""
from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from dsl.machine import apply
from dsl.ops import CONST_INDEX, OPS, Fail, out_types
from dsl.profiles import Profile, get_profile

from .tokenizer import State, StateTokenizer

TYPES = ("int", "bool", "str", "list")
_LOWER, _DIGITS = "abcdefghijklmnopqrstuvwxyz", "0123456789"
_PRINTABLE = "".join(chr(c) for c in range(32, 127))


@dataclass
class GenConfig:
    steps: int = 4                 # K items per rollout
    fit_p: float = 0.85            # chance an item is drawn among the ops that accept the stack
    literal_p: float = 0.04        # chance an item pushes a literal
    depth_max: int = 0             # 0 = the profile's max_depth
    deep_p: float = 0.3            # chance the depth is drawn from 0..depth_max (else 0..4)
    consts_max: int = 3            # at most this many constants
    w_int: float = 4.0             # value type weights
    w_bool: float = 1.5
    w_str: float = 2.0
    w_list: float = 2.5
    small_int_p: float = 0.35      # an int (or a list's ints) from -10..10
    edge_int_p: float = 0.2        # ... from the 12 values at either end of the range; else uniform
    eq_same_p: float = 0.5         # `eq` with two equal arguments


@dataclass
class Rollout:
    constants: tuple
    states: list          # K + 1 States
    items: list           # K items: op names (str) or literals (1-tuples)


class RolloutGenerator:
    def __init__(self, profile: str | Profile = "small", cfg: GenConfig | None = None):
        self.p = p = get_profile(profile)
        self.cfg = cfg = cfg or GenConfig()
        self.ops = tuple(p.ops)
        self.op_index = {o: i for i, o in enumerate(self.ops)}
        self.PUSH = len(self.ops)                       # op id of a literal push
        self.consts_max = min(cfg.consts_max, sum(o in CONST_INDEX for o in p.ops))
        self.depth_max = cfg.depth_max or p.max_depth
        tw = (cfg.w_int, cfg.w_bool, cfg.w_str, cfg.w_list)
        self.type_cum = list(np.cumsum(tw))
        self._fit: dict = {}

    # ---- values ---------------------------------------------------------------------------------
    def type(self, rng: random.Random) -> str:
        return TYPES[bisect_right(self.type_cum, rng.random() * self.type_cum[-1])]

    def int_regime(self, rng: random.Random) -> int:
        r = rng.random()
        return 0 if r < self.cfg.small_int_p else 1 if r < self.cfg.small_int_p + self.cfg.edge_int_p else 2

    def int(self, rng: random.Random, regime: int | None = None) -> int:
        p = self.p
        regime = self.int_regime(rng) if regime is None else regime
        if regime == 0:
            return rng.randint(max(p.int_min, -10), min(p.int_max, 10))
        if regime == 1:
            return rng.randint(p.int_min, p.int_min + 11) if rng.random() < 0.5 else rng.randint(p.int_max - 11, p.int_max)
        return rng.randint(p.int_min, p.int_max)

    def value(self, rng: random.Random, t: str):
        if t == "int":
            return self.int(rng)
        if t == "bool":
            return rng.random() < 0.5
        n = rng.randint(0, self.p.max_len)
        if t == "list":
            reg = self.int_regime(rng)
            return tuple(self.int(rng, reg) for _ in range(n))
        r = rng.random()
        if r < 0.25:                                      # a decimal number (to_str / to_int shapes)
            s = str(self.int(rng))
            if len(s) <= self.p.max_len:
                return s
        pool = _LOWER if r < 0.6 else _DIGITS if r < 0.75 else _PRINTABLE
        return "".join(pool[rng.randrange(len(pool))] for _ in range(n))

    def fitting(self, rng: random.Random, op: str) -> list:
        """Fresh values fitting `op`'s input signature (top last)."""
        sig = OPS[op].inputs
        env = {"s": "list" if rng.random() < 0.5 else "str"}
        types = [tok if tok in TYPES else env["s"] if tok == "s" else env.setdefault(tok, self.type(rng))
                 for tok in sig]
        vals = [self.value(rng, t) for t in types]
        if op == "eq" and rng.random() < self.cfg.eq_same_p:
            vals[1] = vals[0]
        return vals

    # ---- rollouts -------------------------------------------------------------------------------
    def start(self, rng: random.Random) -> tuple[tuple, list]:
        nc = rng.randint(0, self.consts_max)
        consts = tuple(self.int(rng) if rng.random() < 0.6 else self.value(rng, self.type(rng)) for _ in range(nc))
        depth = rng.randint(0, self.depth_max if rng.random() < self.cfg.deep_p else min(4, self.depth_max))
        return consts, [self.value(rng, self.type(rng)) for _ in range(depth)]

    def accepting(self, stack: list, consts: tuple) -> list[str]:
        """The ops that run on this stack without underflow/type/missing_constant (cached by top types)."""
        top = tuple(type(v).__name__ for v in stack[-3:])
        key = (top, len(stack) >= self.p.max_depth, len(consts))
        hit = self._fit.get(key)
        if hit is None:
            tnames = tuple({"int": "int", "bool": "bool", "str": "str", "tuple": "list"}[t] for t in top)
            hit = []
            for o in self.ops:
                if o in CONST_INDEX:
                    if CONST_INDEX[o] < len(consts) and not key[1]:
                        hit.append(o)
                    continue
                n = OPS[o].arity
                if n <= len(tnames) and out_types(o, tnames[len(tnames) - n:]):
                    hit.append(o)
            self._fit[key] = hit
        return hit

    def choose(self, rng: random.Random, names: Sequence[str], weights: dict[str, float]) -> str:
        cum, total = [], 0.0
        for o in names:
            total += weights.get(o, 1.0)
            cum.append(total)
        return names[min(bisect_right(cum, rng.random() * total), len(names) - 1)]

    def rollout(self, rng: random.Random, weights: dict[str, float] | None = None, steps: int | None = None) -> Rollout:
        weights = weights or {}
        K = self.cfg.steps if steps is None else steps
        consts, stack = self.start(rng)
        states, items, err = [State(consts, tuple(stack), None)], [], None
        for i in range(K):
            if err is None and rng.random() < self.cfg.literal_p:
                item = (self.value(rng, self.type(rng)),)
            elif i == 0:
                item = self.choose(rng, self.ops, weights)
                if item not in CONST_INDEX and rng.random() < self.cfg.fit_p:
                    args = self.fitting(rng, item)
                    below = rng.randint(0, max(0, min(len(stack), self.depth_max - len(args))))
                    stack = stack[:below] + args
                    states[0] = State(consts, tuple(stack), None)
            else:
                ok = self.accepting(stack, consts) if err is None and rng.random() < self.cfg.fit_p else ()
                item = self.choose(rng, ok or self.ops, weights)
            items.append(item)
            if err is None:
                err = step_error(item, stack, consts, self.p)
            states.append(State(consts, () if err else tuple(stack), err))
        return Rollout(consts, states, items)


def step_error(item, stack: list, consts: tuple, p: Profile) -> str | None:
    """Run one item on `stack` in place (dsl.machine.apply): None, or the kind of the error it fails with."""
    try:
        apply(item, stack, consts, p)
    except Fail as f:
        return f.kind
    except Exception:   # the machine's rule: an unforeseen Python error is a type error
        return "type"
    return None


def codec_states(gen: "RolloutGenerator", rng: random.Random, n: int, tok: StateTokenizer,
                 levels: Sequence[int]) -> torch.Tensor:
    """(n, S, F) feature rows of n pseudo-states whose every value slot holds an independent random
    value (EMPTY one time in five), at the given levels: cheap extra data for the per-slot codec."""
    from dsl.abstract import abstracter

    absf = [lambda v: v, abstracter("sign"), abstracter("type")]
    feats = np.zeros((n, tok.n_slots, tok.n_feats), dtype=np.int64)
    feats[:, 1:] = tok.empty_row
    for b in range(n):
        f, lv = absf[levels[b]], levels[b]
        for k in range(1, tok.n_slots):
            if rng.random() < 0.8:
                feats[b, k] = tok.row(f(gen.value(rng, gen.type(rng))), lv)
    return torch.from_numpy(feats)


def collate(samples: Sequence[Rollout], tok: StateTokenizer, op_index: dict[str, int],
            levels: Sequence[int] | None = None) -> dict[str, torch.Tensor]:
    """Rollouts (all of the same K) -> tensors, each sample seen at its level (0 concrete, 1 sign, 2 type):
    feats (B, K+1, S, F), status (B, K+1), ops (B, K) op ids (PUSH = len(op_index)), lit (B, K, F) the
    pushed literal's row (the empty row for ops), level (B,)."""
    from dsl.abstract import abstracter

    B, K = len(samples), len(samples[0].items)
    S, F = tok.n_slots, tok.n_feats
    levels = [0] * B if levels is None else list(levels)
    absf = [None, abstracter("sign"), abstracter("type")]
    feats = np.zeros((B, K + 1, S, F), dtype=np.int64)
    status = np.zeros((B, K + 1), dtype=np.int64)
    ops = np.zeros((B, K), dtype=np.int64)
    lit = np.broadcast_to(tok.empty_row, (B, K, F)).copy()
    push = len(op_index)
    for b, r in enumerate(samples):
        if len(r.items) != K:
            raise ValueError("all rollouts of a batch need the same number of items")
        lv, f = levels[b], absf[levels[b]]
        for t, st in enumerate(r.states):
            if f is not None:
                st = State(tuple(map(f, st.constants)), tuple(map(f, st.stack)), st.error)
            tok.state_rows(st, lv, feats[b, t, 1:])
            status[b, t] = tok.status_id(st)
        for t, it in enumerate(r.items):
            if type(it) is str:
                ops[b, t] = op_index[it]
            else:
                ops[b, t] = push
                lit[b, t] = tok.row(it[0] if f is None else f(it[0]), lv)
    return {"feats": torch.from_numpy(feats), "status": torch.from_numpy(status),
            "ops": torch.from_numpy(ops), "lit": torch.from_numpy(lit),
            "level": torch.tensor(levels, dtype=torch.int64)}


def level_weights(levels: Sequence) -> list[float]:
    """`data.levels` as the weights of (concrete, sign, type); ValueError unless 3 non-negative, not all 0."""
    lv = [float(x) for x in levels]
    if len(lv) != 3 or min(lv) < 0 or sum(lv) <= 0:
        raise ValueError(f"data.levels must be 3 non-negative weights (concrete, sign, type), got {lv}")
    return lv


def rollout_batch(rng: random.Random, bs: int, gen: RolloutGenerator, tok: StateTokenizer, lv: list[float],
                  weights: dict[str, float], shards=None, shard_frac: float = 0.0, codec: int = 0) -> dict:
    """A training batch, drawn from rng only: `collate` of bs rollouts (each cut from `shards` with probability
    shard_frac when given, else from gen, with op weights), each at a level drawn by the weights lv; and with
    codec > 0, "codec": `codec_states` of that many random-value states at drawn levels."""
    samples, levels = [], []
    for _ in range(bs):
        src = shards if shards is not None and rng.random() < shard_frac else gen
        samples.append(src.rollout(rng, weights))
        levels.append(rng.choices((0, 1, 2), lv)[0])
    batch = collate(samples, tok, gen.op_index, levels)
    if codec:
        batch["codec"] = codec_states(gen, rng, codec, tok, [rng.choices((0, 1, 2), lv)[0] for _ in range(codec)])
    return batch


def fixed_batch(gen: RolloutGenerator, tok: StateTokenizer, n: int, seed: str) -> dict | None:
    """`collate` of n concrete rollouts of gen drawn from random.Random(seed) (a validation set); None if n = 0."""
    if not n:
        return None
    rng = random.Random(seed)
    return collate([gen.rollout(rng) for _ in range(n)], tok, gen.op_index)
