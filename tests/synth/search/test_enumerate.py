"""Enumerative search: fast op steps agree with the machine; known programs are found; time limits hold;
nothing unverified is ever reported; the registry and `synth search` work end to end."""
from __future__ import annotations

import itertools
import json
import random
import time

import pytest

from dsl import OPS, get_profile, load_tasks, parse_tasks
from dsl.machine import apply
from dsl.ops import CONST_INDEX, Fail, out_types
from synth.cli import main
from synth.search import ALIASES, SearchResult, build, get_method, method_names, verify
from synth.search.prune import Goal
from synth.search.enumerate import EnumerateConfig, enumerate_search
from synth.search.fastops import generic_step, state_step


def _task(examples, **kw):
    return parse_tasks(json.dumps({"name": kw.pop("name", "t"), "examples": examples, **kw}))[0]


def _value(rng, t, p):
    edge = [p.int_min, p.int_max, 0, -1, 1]
    if t == "int":
        return rng.choice(edge) if rng.random() < 0.3 else rng.randint(p.int_min, p.int_max)
    if t == "bool":
        return rng.random() < 0.5
    n = rng.choice([0, 1, p.max_len, rng.randint(0, p.max_len)])
    if t == "str":
        return "".join(rng.choice("ab1-9 ") for _ in range(n))
    return tuple(rng.choice(edge) if rng.random() < 0.3 else rng.randint(-9, 9) for _ in range(n))


@pytest.mark.parametrize("profile", ["small", "deepcoder"])
def test_fast_steps_agree_with_machine(profile):
    p = get_profile(profile)
    rng = random.Random(0)
    types = ("int", "bool", "str", "list")
    for name in p.ops:
        if name in CONST_INDEX:
            continue
        fast, slow, tried = state_step(name, p), generic_step(name, p), 0
        n = OPS[name].arity
        tops = [c for c in itertools.product(types, repeat=n) if out_types(name, c)]
        for _ in range(150):
            sig = tuple(rng.choice(types) for _ in range(rng.randint(0, 2))) + rng.choice(tops)
            stacks = [tuple(_value(rng, t, p) for t in sig) for _ in range(3)]
            want = []
            for s in stacks:
                st = list(s)
                try:
                    apply(name, st, (), p)
                    want.append(tuple(st))
                except Fail:
                    want = None
                    break
            state = tuple(stacks)
            for got in (fast(state), slow(state)):
                assert (got is None) == (want is None), (name, stacks)
                if want is not None:
                    assert all(type(x) is type(y) and x == y for a, b in zip(got, want) for x, y in zip(a, b))
                    assert got == tuple(want)
            tried += 1
        assert tried == 150, name


AFFINE = [{"input": [x], "output": [7 * x + 3]} for x in (3, -1, 0, 5, -6)]


def test_finds_program_with_given_constants():
    res = enumerate_search(_task(AFFINE, constants=[7, 3]), 20.0)
    assert res.solved and res.program == "c0 mul c1 add" and res.constants == [7, 3]
    assert 0 < res.candidates and res.method == "enumerate"


def test_finds_free_constant_outside_literal_pool():
    t = _task([{"input": [x], "output": [x * x + 37]} for x in (-1, 2, 0, 3, -4)], free_constants=1)
    res = enumerate_search(t, 20.0)
    assert res.solved and res.constants == [37] and len(res.program.split()) == 3
    assert verify(t, res.program, res.constants)
    off = enumerate_search(t, 20.0, config=EnumerateConfig(max_length=3))   # given by the task: still found
    assert off.solved
    no_free = enumerate_search(_task(t.to_json()["examples"], free_constants=0, max_length=3), 20.0)
    assert not no_free.solved            # 37 is no literal: impossible in 3 items without a free constant


def test_tail_constant_is_solved_for_any_value():
    t = parse_tasks(json.dumps({"name": "sq", "profile": "deepcoder", "free_constants": 1, "max_length": 3,
                                "examples": [{"input": [x], "output": [x * x - 150]} for x in (1, -4, 7, 2, 3)]}))[0]
    res = enumerate_search(t, 20.0)
    assert res.solved and res.constants in ([150], [-150]) and verify(t, res.program, res.constants)
    off = enumerate_search(t, 20.0, config=EnumerateConfig(solve_tail=False))   # -150 is outside the pool
    assert not off.solved and off.seconds < 20.0
    inc = enumerate_search(_task([{"input": [x], "output": [x + 1]} for x in (1, 5)], free_constants=1), 5.0)
    assert inc.program == "inc" and inc.constants == []      # shorter than the tail solution `c0 add`


def test_two_free_constants_get_two_slots():
    t = _task([{"input": [x], "output": [x + 23, 45]} for x in (1, 2, -3, 3, -1)], constants=[6], free_constants=2)
    res = enumerate_search(t, 30.0, config=EnumerateConfig(free_min=20, free_max=30))  # 45: from the outputs
    assert res.solved and verify(t, res.program, res.constants)
    assert res.program == "c1 add c2" and res.constants == [6, 23, 45]


@pytest.mark.parametrize("examples,program,extra", [
    ([{"input": [[1, -2, 3]], "output": [4]}, {"input": [[5]], "output": [5]}, {"input": [[]], "output": [0]},
      {"input": [[-1, 2, -3, 4]], "output": [6]}, {"input": [[7, 0, 0]], "output": [7]}], "filter_pos sum", {}),
    ([{"input": ["abc"], "output": ["cbaabc"]}, {"input": [""], "output": [""]}, {"input": ["x"], "output": ["xx"]},
      {"input": ["ab"], "output": ["baab"]}, {"input": ["zzy"], "output": ["yzzzzy"]}], None, {}),
    ([{"input": [1, 2], "output": [2, 1]}, {"input": [5, -3], "output": [-3, 5]}], "swap", {"match": "exact"}),
])
def test_finds_list_string_exact(examples, program, extra):
    t = _task(examples, **extra)
    res = enumerate_search(t, 20.0)
    assert res.solved and verify(t, res.program, res.constants)
    if program:
        assert res.program == program


def test_examples_of_different_types_use_generic_path():
    t = _task([{"input": ["abc"], "output": [3]}, {"input": [[1, 2]], "output": [2]}, {"input": [""], "output": [0]}])
    res = enumerate_search(t, 10.0)
    assert res.solved and res.program == "len"
    t = _task([{"input": [True, "ab", 1], "output": ["ab", 1]}, {"input": [False, "ab", 1], "output": ["ab", 1]}])
    assert enumerate_search(t, 10.0).solved   # e.g. `drop drop` ... whatever: verified below anyway


def test_bool_never_matches_int():
    goal = Goal(_task([{"input": [], "output": [1]}]))
    assert goal.any_ok(((1,),)) and not goal.any_ok(((True,),))
    t = _task([{"input": [2, 2], "output": [1]}, {"input": [3, 4], "output": [0]}])  # `eq` would give True/False
    res = enumerate_search(t, 10.0)
    assert res.solved and verify(t, res.program, res.constants) and res.program != "eq"


def test_empty_program_and_exhaustion():
    t = _task([{"input": [4], "output": [4]}])
    res = enumerate_search(t, 5.0)
    assert res.solved and res.program == "" and res.candidates == 0
    rng = random.Random(1)
    noise = _task([{"input": [x], "output": [rng.randint(-60, 60)]} for x in range(5)], max_length=2)
    t0 = time.perf_counter()
    res = enumerate_search(noise, 30.0)     # every program of <= 2 items tried: stops long before the limit
    assert not res.solved and res.program is None and time.perf_counter() - t0 < 5.0 and res.candidates > 100


@pytest.mark.parametrize("limit", [0.2, 0.6])
def test_time_limit_is_honoured(limit):
    rng = random.Random(2)
    noise = _task([{"input": [x, -x], "output": [rng.randint(-60, 60)]} for x in range(1, 6)])
    t0 = time.perf_counter()
    res = enumerate_search(noise, limit)
    wall = time.perf_counter() - t0
    assert not res.solved and res.seconds <= wall and wall < limit + 0.5, wall
    assert res.to_json() == {"task": "t", "solved": False, "program": None, "constants": [],
                             "seconds": round(res.seconds, 4), "method": "enumerate", "candidates": res.candidates}


def test_solved_always_verified_on_suite(root):
    tasks = load_tasks(root / "datasets/public/small.jsonl")[::14] + load_tasks(root / "datasets/public/deepcoder.jsonl")[::20]
    solved = 0
    for t in tasks:
        for cfg in (EnumerateConfig(), EnumerateConfig(prune=False, free_constants=1)):
            res = enumerate_search(t, 0.1, config=cfg)
            if res.solved:
                solved += 1
                assert verify(t, res.program, res.constants)
                prog_len = len(res.program.split())
                assert t.program is None or prog_len <= len(t.program.split()) or t.free_constants
    assert solved >= len(tasks) // 3


def _local_reach(t):
    """enumerate_search with the local look-ahead (synth.search.space.Reach) in place of dsl.graph's table."""
    from unittest import mock
    with mock.patch("synth.search.bfs.graph_reach", lambda *a, **k: None):
        return enumerate_search(t, 10.0, config=EnumerateConfig(prune=True))


def test_pruning_is_sound_and_cheaper(root):
    """With max_length = the reference length, pruned and unpruned search (and the local type-level look-ahead,
    the pruning's fallback) find equally short programs."""
    from dataclasses import replace
    tasks = [t for t in load_tasks(root / "datasets/public/small.jsonl") if t.program
             and len(t.program.split()) == 3 and not t.free_constants][:6]
    saved = 0
    for t in tasks:
        t = replace(t, max_length=3)
        a = enumerate_search(t, 10.0, config=EnumerateConfig(prune=True))
        b = enumerate_search(t, 10.0, config=EnumerateConfig(prune=False))
        c = _local_reach(t)
        assert a.solved and b.solved and c.solved
        assert len(a.program.split()) == len(b.program.split()) == len(c.program.split())
        assert a.candidates <= b.candidates and c.candidates <= b.candidates
        saved += b.candidates - a.candidates
    assert saved > 0


def test_registry():
    assert {"enumerate", "enumerate_noprune", "default"} <= set(method_names())
    with pytest.raises(ValueError, match="enumerate_noprune"):
        get_method("bogus")
    ALIASES["fast"] = "enumerate"
    try:
        assert get_method("fast").name == "enumerate" and "fast" in method_names()
    finally:
        del ALIASES["fast"]
    solve = build("enumerate_noprune", {"max_length": 4})
    assert solve.config.prune is False and solve.config.max_length == 4
    with pytest.raises(Exception, match="unknown keys"):
        build("enumerate", {"nope": 1})
    res = build("enumerate")(_task(AFFINE, constants=[7, 3]), 10.0)
    assert isinstance(res, SearchResult) and res.method == "enumerate" and res.solved
    assert set(res.to_json()) == {"task", "solved", "program", "constants", "seconds", "method", "candidates"}


def test_verify_rejects_wrong_and_too_long():
    t = _task(AFFINE, constants=[7, 3], max_length=4)
    assert verify(t, "c0 mul c1 add", [7, 3]) and not verify(t, "c0 mul c1 add", [7, 4])
    assert not verify(t, "c0 mul c1 add dup drop", [7, 3]) and not verify(t, "c0 mul c1 plus", [7, 3])
    assert not verify(t, "c0 mul c1 add", [7])      # missing constant: an error never matches


@pytest.mark.slow
def test_cli_search_end_to_end(root, capsys):
    f = root / "datasets/examples/mixed.jsonl"
    assert main(["search", "--io", str(f), "--method", "enumerate", "--time-limit", "5",
                 "enumerate.max_length=5"]) == 0
    out, err = capsys.readouterr()
    lines = [json.loads(x) for x in out.splitlines()]
    tasks = load_tasks(f)
    assert [r["task"] for r in lines] == [t.name for t in tasks] and all(r["solved"] for r in lines)
    for r, t in zip(lines, tasks):
        assert verify(t, r["program"], r["constants"]) and r["method"] == "enumerate"
    assert f"solved {len(tasks)}/{len(tasks)}" in err
    assert main(["search", "--io", str(f), "--method", "nope"]) == 2
    assert main(["search", "--io", str(f), "enumerate.bogus=1"]) == 2
    assert main(["search", "--io", str(root / "datasets/examples/affine.json"), "--method", "enumerate",
                 "--checkpoint", "ignored.pt", "--time-limit", "5"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["program"] == "c0 mul c1 add" and "Traceback" not in err
    assert main(["search", "--io", str(root / "datasets/examples/affine.json"), "--time-limit", "5"]) == 0
    out, err = capsys.readouterr()                     # no --method: `default`, which finds the constants
    res = json.loads(out)
    affine = load_tasks(root / "datasets/examples/affine.json")[0]
    assert res["method"] == "default" and res["solved"] and res["constants"]
    assert verify(affine, res["program"], res["constants"])
