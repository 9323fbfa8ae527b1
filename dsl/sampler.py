"""Type-directed sampling of inputs, programs, runs and tasks, seeded by a `random.Random`.

    import random
    from dsl.sampler import sample_inputs, sample_program, sample_run, sample_task
    rng = random.Random(0)
    sample_inputs(rng, "small", ("int", "list"))            # e.g. [5, (3, -1)]  (a list value is a tuple)
    sample_inputs(rng, "small", int_range=(-5, 5))          # random types; narrower ints (a held-out shift)
    prog = sample_program(rng, "small", ("int",), length=4, n_consts=1, const_types=("int",))
    rec = sample_run(rng, "small")                          # a docs §7 record with its `result`
    task = sample_task(rng, "small", length=3, n_examples=5)  # a dsl.tasks.Task with reference `program`

How programs are sampled: walk left to right over the *types* of the stack (`dsl.ops.out_types`), choosing
among the profile's ops that accept the top types, so a sampled program never underflows and never meets
a `type` error on inputs of `in_types` (`to_int` on a non-numeric string is the one value-dependent type
error; it is not in `small`). Useless patterns (`dup drop`, `swap swap`, a push then `drop`, `not not`,
`swap add`, `dup sub`, ...) are never emitted. Op weights are calibrated once per profile and config so
that every op of the profile is sampled about equally often (`op_weights`). A program is then probed on
`probes` random inputs: one failing on more than `max_fail` of them is resampled, except with probability
`keep_failing` (so data also teaches error kinds). With probability `bad_step_p` a program instead ends
with one deliberately ill-typed item (`underflow`, `type` or `missing_constant`).

All knobs live in `SamplerConfig`; the functions take `cfg=` and/or field overrides as keywords
(`int_range=(lo, hi)` is short for `int_min=lo, int_max=hi`). `Sampler` is the fast, reusable object
behind them (trace generation uses it directly); how it draws input types and values is in
dsl/sample_values.py (`ValueSampler`, its base class).
"""
from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import astuple, dataclass, replace
from typing import Optional, Sequence

from .machine import apply, code_text  # noqa: F401  (code_text: dsl.sampler.code_text stays importable)
from .ops import OPS, Fail, out_types
from .profiles import Profile, get_profile
from .sample_values import ValueSampler
from .values import Value

# (previous item, op) pairs never emitted: no-ops, identities and redundant orders.
_BANNED = {("swap", "swap"), ("not", "not"), ("neg", "neg"), ("reverse", "reverse"), ("sort", "sort"),
           ("abs", "abs"), ("neg", "abs"), ("square", "abs"), ("inc", "dec"), ("dec", "inc"),
           ("double", "half"), ("map_neg", "map_neg"), ("map_inc", "map_dec"), ("map_dec", "map_inc"),
           ("dup", "swap"), ("rot*2", "rot")}
_BANNED |= {(op, op) for op in ("filter_pos", "filter_neg", "filter_even", "filter_odd",
                                 "scanl1_min", "scanl1_max")}
_BANNED |= {("dup", op) for op in ("eq", "sub", "min", "max", "lt", "gt", "and", "or", "div", "mod",
                                    "zipwith_sub", "zipwith_min", "zipwith_max")}
_BANNED |= {("swap", op) for op in ("add", "mul", "min", "max", "eq", "and", "or",
                                     "zipwith_add", "zipwith_mul", "zipwith_min", "zipwith_max")}
_DROP_AFTER = {None, "swap", "rot", "rot*2", "drop"}  # `drop` right after anything else wastes the push


@dataclass
class SamplerConfig:
    length_min: int = 1              # program length range (items), inclusive
    length_max: int = 8
    depth_min: int = 1               # input stack depth range, inclusive
    depth_max: int = 3
    consts_max: int = 4              # at most this many constants (capped by the profile's c0.. ops)
    const_int_p: float = 0.75        # a constant is an int that often, else any type
    int_min: Optional[int] = None    # int values (inputs, constants, list elements); None: the profile's
    int_max: Optional[int] = None
    small_int_p: float = 0.5         # draw an int from -10..10 (within range) that often
    max_len: Optional[int] = None    # str/list length; None: the profile's max_len
    numeric_str_p: float = 0.15      # a str input is a decimal number that often (so to_int can succeed)
    w_int: float = 4.0               # input type weights
    w_bool: float = 1.0
    w_str: float = 1.5
    w_list: float = 2.5
    same_type_p: float = 0.3         # all input values share one type that often (feeds binary ops)
    op_input_p: float = 0.4          # the input's top values fit a random op's signature that often
    literal_p: float = 0.0           # chance an item is a literal push instead of an op
    probes: int = 4                  # inputs each program is tried on before acceptance (0: no check)
    max_fail: float = 0.5            # resample programs failing on more than this fraction of probes ...
    keep_failing: float = 0.1        # ... except with this probability
    bad_step_p: float = 0.0          # chance a program ends in a deliberately ill-typed item
    balance: bool = True             # calibrate op weights so every op is sampled about equally often


def _config(cfg: SamplerConfig | None, kw: dict) -> SamplerConfig:
    cfg = cfg or SamplerConfig()
    if "int_range" in kw:
        lo, hi = kw.pop("int_range")
        kw.update(int_min=lo, int_max=hi)
    return replace(cfg, **kw) if kw else cfg


_SAMPLERS: dict = {}


def get_sampler(profile: str | Profile = "small", cfg: SamplerConfig | None = None) -> "Sampler":
    """A Sampler for (profile, cfg), cached by value (calibration takes about a second)."""
    p, cfg = get_profile(profile), cfg or SamplerConfig()
    key = (p, astuple(cfg))
    s = _SAMPLERS.get(key)
    if s is None:
        if len(_SAMPLERS) >= 64:
            _SAMPLERS.clear()
        s = _SAMPLERS[key] = Sampler(p, replace(cfg))
    return s


def trace_stacks(code: Sequence, stack: Sequence[Value], constants: Sequence[Value], p: Profile):
    """Run `code` with the real machine's `apply`: (stacks, error, at). `stacks[i]` is the stack before
    item i, `stacks[i+1]` after it; on an error at item k, `stacks` ends with the stack before item k."""
    if len(code) > p.max_program:
        return [tuple(stack)], "too_long", p.max_program
    st = list(stack)
    stacks = [tuple(st)]
    for i, item in enumerate(code):
        try:
            apply(item, st, constants, p)
        except Fail as f:
            return stacks, f.kind, i
        except Exception:  # the machine's own rule: an unforeseen Python error is a type error
            return stacks, "type", i
        stacks.append(tuple(st))
    return stacks, None, None


class Sampler(ValueSampler):
    """Samples for one profile and config: the values of ValueSampler (dsl/sample_values.py), and programs.
    Methods take the `random.Random` to draw from."""

    def __init__(self, p: Profile, cfg: SamplerConfig):
        super().__init__(p, cfg)
        if not 1 <= cfg.length_min <= cfg.length_max <= p.max_program:
            raise ValueError(f"need 1 <= length_min <= length_max <= {p.max_program} (max_program of '{p.name}')")
        if not 0 <= cfg.depth_min <= cfg.depth_max <= p.max_depth:
            raise ValueError(f"need 0 <= depth_min <= depth_max <= {p.max_depth} (max_depth of '{p.name}')")
        self.weights = {o: 1.0 for o in self.ops + self.const_ops}
        self._cands: dict = {}
        if cfg.balance:
            self.weights = _calibrate(self)
            self._cands = {}

    # ---- programs -----------------------------------------------------------------------------
    def length(self, rng: random.Random) -> int:
        return self.cfg.length_min + int(rng.random() * (self.cfg.length_max - self.cfg.length_min + 1))

    def _candidates(self, top: tuple, room: bool, prev):
        """(names, cumulative weights, effects (arity, output types)) of the ops allowed after `prev` on a
        stack whose top types are `top`; `room`: the stack may still grow. Cached."""
        key = (top, room, prev)
        hit = self._cands.get(key)
        if hit is not None:
            return hit
        names, cum, effects, total = [], [], [], 0.0
        for name in self.ops:
            op = OPS[name]
            n = op.arity
            if n > len(top) or (prev, name) in _BANNED or (name == "drop" and prev not in _DROP_AFTER):
                continue
            outs = out_types(name, top[len(top) - n:])
            if len(outs) != 1 or (not room and len(outs[0]) > n):
                continue  # ill-typed, or `select` on two different types (result type unknown)
            total += self.weights[name]
            names.append(name), cum.append(total), effects.append((n, outs[0]))
        hit = self._cands[key] = (names, cum, effects, total)
        return hit

    def _const_cum(self, n: int) -> list:
        hit = self._cands.get(n)
        if hit is None:
            hit = self._cands[n] = [sum(self.weights[c] for c in self.const_ops[:k + 1]) for k in range(n)]
        return hit

    def _bad_item(self, rng: random.Random, types: list, const_types: tuple):
        """An item that fails on this type stack with `underflow`, `type` or `missing_constant`."""
        top = tuple(types[-3:])
        bad = [o for o in self.ops if OPS[o].arity > len(types) or not out_types(o, top[len(top) - OPS[o].arity:])]
        bad += list(self.const_ops[len(const_types):])
        return bad[int(rng.random() * len(bad))] if bad else None

    def walk(self, rng: random.Random, in_types: Sequence[str], length: int, const_types: tuple = (),
             bad_at: int | None = None) -> list | None:
        """One type-directed program (machine code) of `length` items, or None at a dead end."""
        types, code, prev, maxd, lit_p = list(in_types), [], None, self.p.max_depth, self.cfg.literal_p
        nc, cands = min(len(const_types), len(self.const_ops)), self._cands
        for i in range(length):
            if i == bad_at:
                item = self._bad_item(rng, types, const_types)
                if item is not None:
                    code.append(item)
                    return code
            if lit_p and len(types) < maxd and rng.random() < lit_p:
                t = self.type(rng)
                code.append((self.value(rng, t),))
                types.append(t)
                prev = "<push>"
                continue
            room = len(types) < maxd
            key = (tuple(types[-3:]), room, prev)
            names, cum, effects, total = cands.get(key) or self._candidates(*key)
            ccum = self._const_cum(nc) if room and nc else None
            r = rng.random() * (total + (ccum[-1] if ccum else 0.0))
            if r < total:
                j = bisect_right(cum, r)
                name = names[j]
                n, outs = effects[j]
            elif ccum:
                j = min(bisect_right(ccum, r - total), nc - 1)
                name, n, outs = self.const_ops[j], 0, (const_types[j],)
            else:
                return None
            if n:
                del types[len(types) - n:]
            types.extend(outs)
            code.append(name)
            prev = "rot*2" if name == "rot" and prev == "rot" else name
        return code

    def program(self, rng: random.Random, in_types: Sequence[str], length: int | None = None,
                const_types: tuple = (), constants: Sequence[Value] | None = None, tries: int = 50) -> list:
        """A program accepted by the probe rule (see module doc); machine code."""
        cfg = self.cfg
        code = None
        for _ in range(tries):
            n = self.length(rng) if length is None else length
            bad_at = int(rng.random() * n) if cfg.bad_step_p and rng.random() < cfg.bad_step_p else None
            cand = self.walk(rng, in_types, n, const_types, bad_at)
            if cand is None:
                continue
            code = cand
            if bad_at is not None or cfg.probes <= 0:
                return code
            fails = 0
            for _ in range(cfg.probes):
                consts = constants if constants is not None else [self.value(rng, t) for t in const_types]
                fails += trace_stacks(code, self.inputs(rng, in_types), consts, self.p)[1] is not None
            if fails <= cfg.max_fail * cfg.probes or rng.random() < cfg.keep_failing:
                return code
        if code is None:
            raise ValueError(f"no program of length {length} fits input types {tuple(in_types)} with "
                             f"constant types {const_types} in profile '{self.p.name}'")
        return code

    def runs(self, rng: random.Random, n_runs: int) -> tuple:
        """One accepted program run on `n_runs` fresh inputs: (code, constants, [(stacks, error, at), ...]).
        Input types, constants and length are sampled; the probe rule is applied to these runs."""
        cfg, p = self.cfg, self.p
        for _ in range(100):
            in_types, ctypes = self.types(rng), self.const_types(rng)
            consts = tuple(self.value(rng, t) for t in ctypes)
            n = self.length(rng)
            bad_at = int(rng.random() * n) if cfg.bad_step_p and rng.random() < cfg.bad_step_p else None
            code = self.walk(rng, in_types, n, ctypes, bad_at)
            if code is None:
                continue
            out = [trace_stacks(code, self.inputs(rng, in_types), consts, p) for _ in range(n_runs)]
            if bad_at is not None or self.accept(rng, sum(r[1] is not None for r in out), n_runs):
                return code, consts, out
        raise ValueError(f"no acceptable program found in 100 tries (profile '{p.name}'); loosen the config")

    def accept(self, rng: random.Random, fails: int, n: int) -> bool:
        """The probe rule applied to `fails` failing runs out of `n`."""
        return fails <= self.cfg.max_fail * n or rng.random() < self.cfg.keep_failing


def _calibrate(s: Sampler, rounds: int = 5, walks: int = 800) -> dict:
    """Op weights that make each op about equally frequent in accepted programs (deterministic)."""
    rng = random.Random(f"calibrate:{s.p.name}")
    weights = dict(s.weights)
    for _ in range(rounds):
        s.weights, s._cands = weights, {}
        counts = dict.fromkeys(weights, 0)
        for _ in range(walks):
            ct = s.const_types(rng)
            code = s.program(rng, s.types(rng), None, ct, [s.value(rng, t) for t in ct])
            for item in code:
                if type(item) is str:
                    counts[item] += 1
        usable = [c for c in counts.values() if c]
        mean = sum(usable) / max(len(usable), 1)
        weights = {o: w * (mean / max(counts[o], 1)) for o, w in weights.items()}
        gmean = math.exp(sum(math.log(w) for w in weights.values()) / len(weights))
        weights = {o: min(30.0, max(1 / 30, w / gmean)) for o, w in weights.items()}
    return weights


def op_weights(profile: str | Profile = "small", cfg: SamplerConfig | None = None, **kw) -> dict[str, float]:
    """The calibrated per-op sampling weights."""
    return dict(get_sampler(profile, _config(cfg, kw)).weights)


# the public functions over the Sampler (dsl/sampling.py), importable from here
from .sampling import sample_inputs, sample_program, sample_run, sample_task  # noqa: E402,F401
