"""Every program of 1 and 2 items, as guide training tasks (the short programs, covered exhaustively). No torch.

    from synth.guide.short import short_tasks
    recs = short_tasks("small", n_sets=40, seed=1000)     # task records, as synth.guide.data.draw gives them

For each of `n_sets` input sets (5 distinct input stacks of one type signature: drawn by the profile's
sampler, and for `deepcoder` every other set by the DeepCoder-DSL generator's input kinds), every program of
one item and of two items (the profile's ops without constant references, and the literal pool) is run on
the 5 inputs. A program becomes a task when every run succeeds, its outputs (final top values) are not all
equal, are not the inputs' tops, and no program enumerated before it on this set gave the same outputs
(one-item programs come first, so the shortest program of a behaviour is the label). Draws use the string
seeds `guide:short:{profile}:{seed}:{k}`; a task equal to one in datasets/ is dropped.
"""
from __future__ import annotations

import random

from dsl import get_profile
from dsl.deepcoder import INPUTS as DC_INPUTS
from dsl.deepcoder import sample_inputs as dc_inputs
from dsl.machine import apply
from dsl.ops import CONST_INDEX, Fail
from dsl.sampler import get_sampler

from .data import N_EX, suite_key
from .features import LITERALS


def input_set(profile: str, seed: int, k: int) -> list[tuple] | None:
    """5 distinct input stacks of one type signature (None when they cannot be drawn distinct)."""
    rng = random.Random(f"guide:short:{profile}:{seed}:{k}")
    if profile == "deepcoder" and k % 2:
        types = rng.choice(DC_INPUTS)
        draw = lambda: dc_inputs(rng, types)  # noqa: E731
    else:
        s = get_sampler(profile)
        types = s.types(rng)
        draw = lambda: tuple(s.inputs(rng, types))  # noqa: E731
    seen: dict = {}
    for _ in range(50):
        x = draw()
        seen.setdefault(repr(x), x)
        if len(seen) == N_EX:
            return list(seen.values())
    return None


def _step(stacks, item, p):
    out = []
    for s in stacks:
        s = list(s)
        try:
            apply(item, s, (), p)
        except Fail:
            return None
        out.append(tuple(s))
    return out


def short_tasks(profile: str, n_sets: int, seed: int, keys: set = frozenset()) -> list[dict]:
    """The records of every kept program of 1 and 2 items on each of the n_sets input sets."""
    p = get_profile(profile)
    items = [op for op in p.ops if op not in CONST_INDEX] + [(v,) for v in LITERALS if p.int_min <= v <= p.int_max]
    recs = []
    for k in range(n_sets):
        inputs = input_set(profile, seed, k)
        if inputs is None:
            continue
        tops = repr([s[-1:] for s in inputs])
        seen = {tops}
        ones = []
        for a in items:
            sa = _step(inputs, a, p)
            if sa is not None:
                ones.append((a, sa))
        progs = [((a,), sa) for a, sa in ones]
        progs += [((a, b), sb) for a, sa in ones for b in items if (sb := _step(sa, b, p)) is not None]
        for code, final in progs:
            if any(not s for s in final):
                continue
            outs = [tuple(s[-1:]) for s in final]
            key = repr(outs)
            if key in seen or len(set(map(repr, outs))) == 1:
                continue
            seen.add(key)
            if len(code) == 2 and repr(final) == repr([tuple(s) for s in inputs]):
                continue                      # a no-op pair
            if keys and suite_key(inputs, outs) in keys:
                continue
            recs.append({"profile": profile, "inputs": inputs, "outputs": outs, "given": (), "free": (),
                         "code": list(code)})
    return recs
