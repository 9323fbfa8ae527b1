"""Rollouts cut from the runs of a `synth generate-data` directory, in the shape of dataset.RolloutGenerator's.

    shards = ShardRollouts("data/small", gen)    # gen: the RolloutGenerator that continues short windows
    r = shards.rollout(rng, op_weights)           # a dataset.Rollout of gen.cfg.steps items
"""
from __future__ import annotations

import random

from dsl.ops import OPS
from dsl.profiles import Profile

from .dataset import Rollout, RolloutGenerator, step_error
from .tokenizer import State


def code_of(program: str, profile: Profile):
    """Machine code of program text (fast path for programs made of op names and int/bool literals)."""
    if '"' not in program and "[" not in program:
        out = []
        for w in program.split():
            if w in OPS:
                out.append(w)
            elif w in ("true", "false"):
                out.append((w == "true",))
            else:
                out.append((int(w),))
        return tuple(out)
    from dsl import parse
    return parse(program, profile).code


class ShardRollouts:
    """Windows of K items cut from the runs of a `synth generate-data` directory (re-run concretely, so
    shards of any level serve). A window running past the program's end is continued by the generator."""

    def __init__(self, path, gen: RolloutGenerator, max_runs: int = 200_000):
        from dsl.values import from_json

        from .shards import iter_runs
        self.gen, p = gen, gen.p
        self.runs = []
        for rec in iter_runs(path):
            if rec.get("profile", "small") != p.name:
                from ..errors import UserError
                raise UserError(f"{path}: runs of profile {rec.get('profile')!r}, training profile is {p.name!r}")
            code = code_of(rec["program"], p)
            if not code or len(code) > p.max_program:
                continue
            stack = tuple(from_json(v, p) for v in rec.get("input", []))
            consts = tuple(from_json(v, p) for v in rec.get("constants", []))
            self.runs.append((code, stack, consts))
            if len(self.runs) >= max_runs:
                break
        if not self.runs:
            from ..errors import UserError
            raise UserError(f"{path}: no usable runs")

    def rollout(self, rng: random.Random, weights: dict[str, float] | None = None, steps: int | None = None) -> Rollout:
        K = self.gen.cfg.steps if steps is None else steps
        code, stack, consts = self.runs[rng.randrange(len(self.runs))]
        i = rng.randrange(len(code))
        st, err = list(stack), None
        for item in code[:i]:                       # the state before item i
            err = step_error(item, st, consts, self.gen.p)
            if err is not None:
                break
        states, items = [State(consts, () if err else tuple(st), err)], []
        window = list(code[i:i + K])
        for t in range(K):
            if t < len(window):
                item = window[t]
            else:
                ok = self.gen.accepting(st, consts) if err is None else ()
                item = self.gen.choose(rng, ok or self.gen.ops, weights or {})
            items.append(item)
            if err is None:
                err = step_error(item, st, consts, self.gen.p)
            states.append(State(consts, () if err else tuple(st), err))
        return Rollout(consts, states, items)
