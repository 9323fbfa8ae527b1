"""Random values for the sampler: input types and values within a profile's bounds (the value half of
dsl.sampler.Sampler, which adds programs). Methods take the `random.Random` to draw from.

    s = get_sampler("small")                  # a Sampler, so also a ValueSampler
    s.types(rng)                              # e.g. ("int", "list"): depth and types of an input stack
    s.inputs(rng, ("int", "str"))             # e.g. [3, "k9"]  (a list value is a tuple)

Ints come from -10..10 (within range) with probability `small_int_p`, else from the whole range; a str is a
decimal number with probability `numeric_str_p` (so `to_int` can succeed), else lower-case letters, digits
and other printable characters mixed 50/20/30. Input types sometimes all agree (`same_type_p`) or fit the
arguments of a random op (`op_input_p`), so binary ops find fitting tops.
"""
from __future__ import annotations

import random
from bisect import bisect_right
from typing import Sequence

from .ops import CONST_INDEX, OPS
from .profiles import Profile
from .values import Value

TYPES = ("int", "bool", "str", "list")
_PRINTABLE = "".join(chr(c) for c in range(32, 127))
_LOWER, _DIGITS = "abcdefghijklmnopqrstuvwxyz", "0123456789"


class ValueSampler:
    """Types and values for one profile and config (a dsl.sampler.SamplerConfig)."""

    def __init__(self, p: Profile, cfg):
        self.p, self.cfg = p, cfg
        lo = p.int_min if cfg.int_min is None else cfg.int_min
        hi = p.int_max if cfg.int_max is None else cfg.int_max
        if not p.int_min <= lo <= hi <= p.int_max:
            raise ValueError(f"int range {lo}..{hi} must lie within profile '{p.name}' ({p.int_min}..{p.int_max})")
        self.lo, self.hi = lo, hi
        self.slo, self.shi = max(lo, -10), min(hi, 10)
        if self.slo > self.shi:
            self.slo, self.shi = lo, hi
        self.n, self.sn, self.small_p = hi - lo + 1, self.shi - self.slo + 1, cfg.small_int_p
        self.max_len = p.max_len if cfg.max_len is None else cfg.max_len
        if not 0 <= self.max_len <= p.max_len:
            raise ValueError(f"max_len {self.max_len} must lie within 0..{p.max_len} (profile '{p.name}')")
        self.const_ops = tuple(o for o in p.ops if o in CONST_INDEX)
        self.n_consts_max = min(cfg.consts_max, len(self.const_ops))
        self.ops = tuple(o for o in p.ops if o not in CONST_INDEX)
        tw = (cfg.w_int, cfg.w_bool, cfg.w_str, cfg.w_list)
        self.type_cum = [sum(tw[:i + 1]) for i in range(4)]

    def type(self, rng: random.Random) -> str:
        return TYPES[bisect_right(self.type_cum, rng.random() * self.type_cum[-1])]

    def types(self, rng: random.Random, depth: int | None = None) -> tuple[str, ...]:
        if depth is None:
            depth = self.cfg.depth_min + int(rng.random() * (self.cfg.depth_max - self.cfg.depth_min + 1))
        r = rng.random()
        if r < self.cfg.same_type_p:
            return (self.type(rng),) * depth
        if r < self.cfg.same_type_p + self.cfg.op_input_p:  # the top fits a random op's inputs
            op = OPS[self.ops[int(rng.random() * len(self.ops))]]
            env, top = {"s": "list" if rng.random() < 0.5 else "str"}, []
            for tok in op.inputs:
                top.append(tok if tok in TYPES else env["s"] if tok == "s" else env.setdefault(tok, self.type(rng)))
            return tuple(self.type(rng) for _ in range(max(0, depth - len(top)))) + tuple(top)
        return tuple(self.type(rng) for _ in range(depth))

    def int(self, rng: random.Random) -> int:
        r = rng.random
        return self.slo + int(r() * self.sn) if r() < self.small_p else self.lo + int(r() * self.n)

    def value(self, rng: random.Random, t: str) -> Value:
        r = rng.random
        if t == "int":
            return self.slo + int(r() * self.sn) if r() < self.small_p else self.lo + int(r() * self.n)
        if t == "bool":
            return r() < 0.5
        n = int(r() * (self.max_len + 1))
        if t == "list":
            slo, sn, sp, lo, nn = self.slo, self.sn, self.small_p, self.lo, self.n
            return tuple([slo + int(r() * sn) if r() < sp else lo + int(r() * nn) for _ in range(n)])
        if r() < self.cfg.numeric_str_p:
            s = str(self.int(rng))
            if len(s) <= self.max_len:
                return s
        out = []
        for _ in range(n):
            x = r()
            pool = _LOWER if x < 0.5 else _DIGITS if x < 0.7 else _PRINTABLE
            out.append(pool[int(r() * len(pool))])
        return "".join(out)

    def inputs(self, rng: random.Random, types: Sequence[str] | None = None) -> list:
        return [self.value(rng, t) for t in (self.types(rng) if types is None else types)]

    def const_types(self, rng: random.Random, n: int | None = None) -> tuple[str, ...]:
        if n is None:
            n = int(rng.random() * (self.n_consts_max + 1))
        return tuple("int" if rng.random() < self.cfg.const_int_p else self.type(rng) for _ in range(n))
