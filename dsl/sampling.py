"""The public sampling functions (re-exported by dsl.sampler, whose docstring describes the sampling):

    from dsl.sampler import sample_inputs, sample_program, sample_run, sample_task

Each builds on the reusable `Sampler` of the profile and config (dsl/sampler.py, `get_sampler`).
"""
from __future__ import annotations

import hashlib
import random
from typing import Sequence

from .machine import code_text, run
from .ops import CONST_INDEX
from .profiles import Profile, get_profile
from .sampler import SamplerConfig, _config, get_sampler
from .tasks import Example, Task
from .values import Value, to_json, type_of


def sample_inputs(rng: random.Random, profile: str | Profile = "small", types: Sequence[str] | None = None,
                  *, depth: int | None = None, cfg: SamplerConfig | None = None, **kw) -> list:
    """A random input stack (bottom first) of `types`, or of random types and `depth` (default: the
    config's depth range). Keywords override SamplerConfig fields, e.g. `int_range=(-5, 5)`, `max_len=3`."""
    s = get_sampler(profile, _config(cfg, kw))
    return s.inputs(rng, s.types(rng, depth) if types is None else types)


def sample_program(rng: random.Random, profile: str | Profile, in_types: Sequence[str], length: int,
                   n_consts: int = 0, const_types: Sequence[str] | None = None, *,
                   constants: Sequence[Value] | None = None, cfg: SamplerConfig | None = None, **kw):
    """A well-typed, non-trivial `Program` of `length` items for input stacks of `in_types`, using up to
    `n_consts` constants c0.. of `const_types` (default: ints; or the types of `constants` when given)."""
    from .parser import Program
    s = get_sampler(profile, _config(cfg, kw))
    if constants is not None:
        const_types = tuple(type_of(v) for v in constants)
    elif const_types is None:
        const_types = ("int",) * n_consts
    if len(const_types) != max(n_consts, len(constants or ())):
        raise ValueError(f"n_consts={n_consts} but {len(const_types)} constant types/values given")
    code = s.program(rng, tuple(in_types), length, tuple(const_types), constants)
    return Program.from_code(code)


def sample_run(rng: random.Random, profile: str | Profile = "small", *, length: int | None = None,
               cfg: SamplerConfig | None = None, **kw) -> dict:
    """One random run as a docs §7 record: program, input, constants, profile, result."""
    s = get_sampler(profile, _config(cfg, kw))
    in_types, ctypes = s.types(rng), s.const_types(rng)
    consts = [s.value(rng, t) for t in ctypes]
    code = s.program(rng, in_types, length, ctypes, consts)
    stack = s.inputs(rng, in_types)
    return {"program": code_text(code), "input": [to_json(v) for v in stack],
            "constants": [to_json(v) for v in consts], "profile": s.p.name,
            "result": run(code, stack, consts, s.p).to_json()}


def sample_task(rng: random.Random, profile: str | Profile = "small", length: int = 3, n_examples: int = 5, *,
                name: str | None = None, n_consts: int | None = None, free_constants: bool = False,
                match: str = "top", tries: int = 200, cfg: SamplerConfig | None = None, **kw) -> Task:
    """A task whose reference `program` (of `length` items) succeeds on all `n_examples` distinct inputs,
    with outputs that are not all equal and not all the input's top. `match="top"`: the output is the
    final top value; `"exact"`: the whole final stack. `free_constants=True` hides the constants (ints):
    the task then asks for them, and `task.extra["constants"]` holds the reference values."""
    s = get_sampler(profile, _config(cfg, kw))
    for _ in range(tries):
        in_types = s.types(rng)
        ctypes = ("int",) * (n_consts if n_consts is not None else int(rng.random() * (s.n_consts_max + 1)))
        if not free_constants:
            ctypes = s.const_types(rng, len(ctypes))
        consts = tuple(s.value(rng, t) for t in ctypes)
        try:
            code = s.program(rng, in_types, length, ctypes, consts)
        except ValueError:
            continue
        used = {c for c in code if type(c) is str and c in CONST_INDEX}
        if len(code) != length or (consts and not used) or (free_constants and len(used) < len(consts)):
            continue  # given constants must matter; hidden ones must all be used
        seen, examples = set(), []
        for _ in range(4 * n_examples):
            stack = tuple(s.inputs(rng, in_types))
            key = repr(stack)
            if key in seen:
                continue
            seen.add(key)
            r = run(code, stack, consts, s.p)
            if not r.ok or not r.stack:
                break
            examples.append(Example(stack, r.stack[-1:] if match == "top" else r.stack))
            if len(examples) == n_examples:
                break
        if len(examples) < n_examples:
            continue
        outs = {repr(e.output) for e in examples}
        if n_examples > 1 and len(outs) == 1:
            continue
        if all(e.input and repr(e.output) == repr(e.input[-1:]) for e in examples):
            continue
        prog = code_text(code)
        task_name = name or "sampled-" + hashlib.sha1(f"{prog}|{examples!r}".encode()).hexdigest()[:10]
        if free_constants:
            return Task(task_name, tuple(examples), (), len(consts), None, match, s.p.name, prog,
                        extra={"constants": list(consts)})
        return Task(task_name, tuple(examples), consts, None, None, match, s.p.name, prog)
    raise ValueError(f"could not sample a task of length {length} in {tries} tries")


FAR = {"small": (11, 64), "deepcoder": (65, 255)}   # |c| of a hidden constant far from the literal pool


def far_constant(rng: random.Random, profile: str) -> int:
    """A hidden int constant for hard tasks: |c| in FAR[profile], either sign, within the profile's ints."""
    lo, hi = FAR[profile]
    p = get_profile(profile)
    while True:
        v = rng.randint(lo, hi) * rng.choice((-1, 1))
        if p.int_min <= v <= p.int_max:
            return v
