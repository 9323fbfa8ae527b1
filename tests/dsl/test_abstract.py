"""dsl.abstract: levels, abstract values, and soundness of the transfer functions against the real machine."""
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl import get_profile, parse, run
from dsl.abstract import (INT_CLASSES, LEVELS, abstract, abstract_stack, level_of, op_outcomes, outcome_of,
                          run_abstract, show, show_stack, transfer, type_of_abstract, values_of)
from dsl.ops import OPS
from dsl.values import from_json, stack_from_json

from conftest import spec_cases

SMALL = get_profile("small")
ABSTRACT_LEVELS = ("type", "sign")
UNARY_INT = ("neg", "abs", "inc", "dec", "double", "half", "square", "to_str")
BINARY_INT = ("add", "sub", "mul", "div", "mod", "min", "max", "lt", "gt", "eq")
SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_levels():
    assert LEVELS == {"type": 1.0, "sign": 0.5, "concrete": 0.0}
    assert [level_of(a) for a in (1, 1.0, 0.75, 0.51, 0.5, 0.2, 0.01, 0, 0.0)] == \
        ["type"] * 4 + ["sign"] * 3 + ["concrete"] * 2
    assert level_of("sign") == "sign"
    for bad in ("signs", -0.1, 1.5, None, True):
        with pytest.raises(ValueError):
            level_of(bad)


def test_abstract_values_and_forms():
    assert [abstract(v, "sign") for v in (-3, -2, 0, 5, 64)] == \
        ["int<0,odd", "int<0,even", "int=0", "int>0,odd", "int>0,even"]
    assert abstract(True, "sign") == "true" and abstract(False, "type") == "bool"
    assert abstract("abc", "sign") == "str[3]" and abstract((), "sign") == "list[0]"
    assert abstract_stack([1, "x", (2, 3), True], 1.0) == ("int", "str", "list", "bool")
    assert abstract_stack([1, "x"], 0) == (1, "x")
    assert show("a b", "concrete") == '"a b"' and show_stack(("int", "str")) == "[int str]"
    assert type_of_abstract("int<0,odd") == "int" and type_of_abstract("list[4]") == "list"
    assert values_of("list", "sign", "small") == tuple(f"list[{n}]" for n in range(7))
    assert values_of("int", "sign") == INT_CLASSES
    with pytest.raises(ValueError):
        op_outcomes("add", ("int", "int=0"), "sign")   # a type-level value at the sign level


def test_precise_answers():
    s = "sign"
    assert transfer("add", ("int>0,odd", "int>0,odd"), (), s) == {("int>0,even",), "overflow"}
    assert transfer("mul", ("int<0,odd", "int=0"), (), s) == {("int=0",)}
    assert transfer("div", ("int>0,odd", "int=0"), (), s) == {"div_zero"}
    assert transfer("add", ("int", "int"), (), "type") == {("int",), "overflow"}
    assert transfer("eq", ("int=0", "int>0,odd"), (), s) == {("false",)}
    assert transfer("eq", ("str[2]", "str[2]"), (), s) == {("true",), ("false",)}
    assert transfer("eq", ("str[0]", "str[0]"), (), s) == {("true",)}
    assert transfer("eq", ("int", "str"), (), "type") == {"type"}
    assert transfer("select", ("list[1]", "true", "str[2]", "int=0"), (), s) == {("list[1]", "str[2]")}
    assert transfer("select", ("bool", "str", "int"), (), "type") == {("str",), ("int",)}
    assert transfer("concat", ("str[2]", "str[3]"), (), s) == {("str[5]",)}
    assert transfer("concat", ("list[3]", "list[4]"), (), s) == {"overflow"}
    assert transfer("head", ("str[0]",), (), s) == {"index"}
    assert transfer("head", ("list[2]",), (), s) == {(c,) for c in INT_CLASSES}
    assert transfer("len", ("list[2]",), (), s) == {("int>0,even",)}
    assert transfer("map_inc", ("list[2]",), (), s) == {("list[2]",), "overflow"}
    assert transfer("filter_pos", ("list[1]",), (), s) == {("list[0]",), ("list[1]",)}
    coarse = transfer("sum", ("list[5]",), (), s)     # too many lists to enumerate: coarse but sound
    assert {(c,) for c in INT_CLASSES} | {"overflow"} <= coarse
    assert transfer("dup", (), (), s) == {"underflow"}
    assert transfer("dup", ("int",) * 8, (), "type") == {"overflow"}
    assert transfer("c1", ("int",), ("str",), "type") == {"missing_constant"}
    assert transfer("c0", ("int",), ("str[1]",), s) == {("int", "str[1]")}
    assert transfer("swap", ("bool", "int", "str"), (), "type") == {("bool", "str", "int")}
    assert transfer("add", ("int", "str"), (), "type") == {"type"}
    with pytest.raises(ValueError):
        transfer("frobnicate", ("int",))


def _exhaustive_check(op, pairs, level):
    """Soundness AND exactness: per abstract input, the abstractions of all concrete outcomes = transfer."""
    seen = defaultdict(set)
    for args in pairs:
        seen[abstract_stack(args, level)].add(outcome_of(run((op,), args, (), SMALL), level))
    for astack, outs in seen.items():
        assert transfer(op, astack, (), level, SMALL) == outs, (op, astack)


@pytest.mark.slow
@pytest.mark.parametrize("level", ABSTRACT_LEVELS)
def test_int_ops_exhaustive_small(level):
    ints = range(SMALL.int_min, SMALL.int_max + 1)
    for op in UNARY_INT:
        _exhaustive_check(op, [(x,) for x in ints], level)
    pairs = [(a, b) for a in ints for b in ints]   # every pair: 16384 per op
    for op in BINARY_INT:
        _exhaustive_check(op, pairs, level)


def _values(p):
    ints = st.integers(p.int_min, p.int_max)
    chars = st.characters(min_codepoint=32, max_codepoint=126)
    return st.one_of(ints, st.booleans(), st.text(chars, max_size=p.max_len).filter(lambda s: len(s) <= p.max_len),
                     st.lists(ints, max_size=p.max_len).map(tuple), st.sampled_from([p.int_min, p.int_max, 0, -1]))


def _check_all_ops(p, stack, consts):
    for op in p.ops:
        res = run((op,), stack, consts, p)
        for level in ("type", "sign", "concrete"):
            outs = transfer(op, abstract_stack(stack, level), abstract_stack(consts, level), level, p)
            assert outcome_of(res, level) in outs, (op, stack, consts, level, res)


@pytest.mark.parametrize("profile", ["small", "deepcoder"])
def test_every_op_sound_on_random_stacks(profile):
    p = get_profile(profile)
    vals = _values(p)

    @SETTINGS
    @given(st.lists(vals, max_size=p.max_depth), st.lists(vals, max_size=3))
    def check(stack, consts):
        _check_all_ops(p, stack, consts)

    check()


def test_seq_ops_sound_on_short_sequences():
    """Short lists/strs (the exhaustively enumerated ones) with boundary elements, every op of both profiles."""
    for p in (SMALL, get_profile("deepcoder")):
        edge = (p.int_min, p.int_max, 0, -1, 1, 2)
        seqs = [(), "", "7", "-", "-3", "ab"] + [(a,) for a in edge] + [(a, b) for a in edge for b in edge[:3]]
        for a in seqs:
            for b in seqs[:12] + [5, -2, 0, True]:
                _check_all_ops(p, [a, b], ())
                _check_all_ops(p, [b, a], ())


def test_type_level_covers_sign_level():
    """Lifting a sign-level outcome to types gives a type-level outcome (the levels agree)."""
    for op in ("add", "head", "concat", "eq", "select", "sum", "to_str", "rot"):
        n = OPS[op].arity
        for t in ("int", "list", "str", "bool"):
            for c in values_of(t, "sign")[:4]:
                astack = ("true", "list[2]", c)[3 - n:]
                lifted = {o if isinstance(o, str) else tuple(map(type_of_abstract, o))
                          for o in transfer(op, astack, (), "sign")}
                assert lifted <= transfer(op, tuple(map(type_of_abstract, astack)), (), "type"), (op, astack)


@pytest.mark.parametrize("profile", ["small", "deepcoder"])
def test_run_abstract_sound_on_random_programs(profile):
    p = get_profile(profile)
    vals = _values(p)
    items = st.one_of(st.sampled_from(p.ops), vals.map(lambda v: (v,)))

    @SETTINGS
    @given(st.lists(items, min_size=1, max_size=6), st.lists(vals, max_size=4), st.lists(vals, max_size=3))
    def check(code, stack, consts):
        res = run(code, stack, consts, p)
        for level in ("type", "sign", "concrete"):
            outs = run_abstract(code, abstract_stack(stack, level), abstract_stack(consts, level), level, p)
            assert outcome_of(res, level) in outs, (code, stack, consts, level, res)

    check()


def test_run_abstract_sound_on_int_programs():
    """Programs of stack/int/const ops on int stacks: most runs get far, many overflow or divide by zero."""
    p = SMALL
    ops = [o for o in p.ops if o in ("dup", "drop", "swap", "over", "rot", "c0", "c1", "select", "lt", "eq")
           or o in UNARY_INT or o in BINARY_INT]
    ints = st.one_of(st.integers(p.int_min, p.int_max), st.sampled_from([p.int_min, p.int_max, 0, 1, -1]))
    ok = []

    @SETTINGS
    @given(st.lists(st.sampled_from(ops), min_size=1, max_size=8), st.lists(ints, min_size=2, max_size=5),
           st.lists(ints, min_size=2, max_size=2))
    def check(code, stack, consts):
        res = run(code, stack, consts, p)
        ok.append(res.ok)
        for level in ("type", "sign"):
            outs = run_abstract(code, abstract_stack(stack, level), abstract_stack(consts, level), level, p)
            assert outcome_of(res, level) in outs, (code, stack, consts, level, res)

    check()
    assert sum(ok) >= 10   # the property was exercised on successful runs, not only on errors


def test_spec_cases_sound_at_every_level():
    """Every SPEC edge case: the abstraction of its recorded answer is among the abstract outcomes."""
    for case in spec_cases():
        p = get_profile(case.get("profile", "small"))
        try:
            prog = parse(case["program"], p)
        except ValueError:
            continue   # syntax cases have no run
        stack = stack_from_json(case["input"], p, "input")
        consts = [from_json(c, p) for c in case.get("constants", [])]
        res = run(prog, stack, consts, p)
        for level in ("type", "sign", "concrete"):
            outs = run_abstract(prog, abstract_stack(stack, level), abstract_stack(consts, level), level, p)
            assert outcome_of(res, level) in outs, (case, level)


def test_run_abstract_examples():
    assert run_abstract(parse("dup mul").code, ("int",), (), "type") == {("int",), "overflow"}
    assert run_abstract(parse("dup mul").code, ("int<0,odd",), (), "sign") == {("int>0,odd",), "overflow"}
    assert run_abstract(parse("dup mul").code, ("int=0",), (), "sign") == {("int=0",)}
    assert run_abstract(parse("dup mul c0 add").code, (3,), (1,), "concrete") == {(10,)}
    assert run_abstract(["head", "len"], ("str",), (), "type") == {("int",), "index"}
    assert run_abstract(["head", "not"], ("str",), (), "type") == {"type", "index"}
    assert run_abstract(["drop"] * 17, (), (), "type") == {"too_long"}
    assert run_abstract(parse('"ab" len').code, (), (), "sign") == {("int>0,even",)}
