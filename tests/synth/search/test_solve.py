"""Exact constant solving: at the end of a program (solve_tail, solve_op) and mid-program (Junction)."""
from __future__ import annotations

import json

import pytest

from dsl import get_profile, parse_tasks
from synth.search import verify
from synth.search.bidir import Meet
from synth.search.guided import GuidedConfig, GuidedSearch
from synth.search.solve import Junction, op_tables, solve_op


def _task(fn, xs=(5, -7, 12, 30, 0, 23), free=1, profile="small"):
    return parse_tasks(json.dumps({"name": "t", "profile": profile, "free_constants": free,
                                   "examples": [{"input": [x], "output": [fn(x)]} for x in xs]}))[0]


def _joins(task, state=None):
    p = get_profile(task.profile)
    meet = Meet(task, p, [-1, 0, 1, 2], n_free=task.free_constants, depth=3)
    state = state or tuple((ex.input[0],) for ex in task.examples)
    return Junction(meet, p)(state, 0)


@pytest.mark.parametrize("fn, head", [
    (lambda x: str(-(x % 9)), ("c0", "mod")),           # c mod, then moves the meeting found backward
    (lambda x: str(-max(x, 17)), ("c0", "max")),
    (lambda x: str(-(40 - x)), ("c0", "swap", "sub")),  # the swapped form: c - x
])
def test_junction_solves_a_constant_mid_program(fn, head):
    t = _task(fn)
    found = _joins(t)
    assert found, "no junction"
    tail, new = found[0]
    assert tail[:len(head)] == head and len(new) == 1 and len(tail) > len(head)
    assert verify(t, tail, new)


def test_junction_needs_a_free_constant_and_a_consistent_one():
    assert not _joins(_task(lambda x: str(-(x % 9)), free=0))      # 9 is no literal: nothing to invent
    assert _joins(_task(lambda x: str(-(x % 2)), free=0))          # 2 is a literal
    xs = (5, -7, 12, 30, 0, 23)
    noise = dict(zip(xs, (3, 1, 4, 1, 5, 9)))
    assert not _joins(_task(lambda x: str(-noise[x])))             # no c makes x op c fit every example


def test_op_tables_agree_with_solve_op():
    p = get_profile("small")
    ops, t = op_tables(p)
    k = ops.index(("mod", False))
    lo = p.int_min
    assert t[k, 17 - lo, 5 - lo] + lo == 17 % 5 and t[k, -17 - lo, 5 - lo] + lo == -17 % 5
    assert t[k, 3 - lo, 0 - lo] == t.shape[1]                      # mod by zero fails
    m = ops.index(("mul", False))
    assert t[m, 60 - lo, 2 - lo] == t.shape[1]                     # 120 leaves the small profile's range
    state, outs = ((17,), (-3,)), ((2,), (2,))
    assert solve_op(state, outs, "mod", p) == 5


def test_guided_search_uses_the_junction():
    t = _task(lambda x: str(-(x % 9) * 2))
    on = GuidedSearch(GuidedConfig(policy="uniform"))(t, 5.0, get_profile("small"), GuidedConfig(policy="uniform"))
    assert on.solved and verify(t, on.program, on.constants)
    off_cfg = GuidedConfig(policy="uniform", junction=False)
    off = GuidedSearch(off_cfg)(t, 5.0, get_profile("small"), off_cfg)
    assert not off.solved or off.candidates > on.candidates
