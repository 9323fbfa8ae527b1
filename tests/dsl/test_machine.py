"""The machine against the language reference: every case of tests/data/edge_cases.jsonl, edge cases, never raising."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl import OPS, get_profile, parse, run, trace
from dsl.machine import matches
from dsl.values import check_value, from_json, stack_from_json

from conftest import spec_cases

CASES = spec_cases()


@pytest.mark.parametrize("case", CASES, ids=[f"{c['program']}@{c['input']}" for c in CASES])
def test_spec_case(case):
    p = get_profile(case.get("profile", "small"))
    prog = parse(case["program"], p)
    stack = stack_from_json(case["input"], p, "input")
    consts = [from_json(c, p) for c in case.get("constants", [])]
    assert run(prog, stack, consts, p).to_json() == case["result"]


def test_spec_cases_cover_every_error_kind():
    kinds = {c["result"].get("error") for c in CASES} - {None}
    assert kinds == {"underflow", "type", "overflow", "div_zero", "index", "missing_constant", "too_long"}


@pytest.mark.parametrize("prog,inp,out", [
    ("take", [(1, 2, 3), 0], [()]),
    ("skip", ["ab", 2], [""]),
    ("head", [(5,)], [5]),
    ("concat", ["", ""], [""]),
    ("reverse", [()], [()]),
    ("sort", [()], [()]),
    ("div", [-64, -1], None),            # 64 overflows the small profile
    ("mod", [-1, 5], [4]),
    ("min", [3, -3], [-3]),
    ("select", [True, "a", (1,)], ["a"]),
    ("eq", [(), ()], [True]),
    ("eq", [True, True], [True]),
    ("to_str", [-64], ["-64"]),
])
def test_op_edge_cases(prog, inp, out):
    p = "deepcoder" if prog in ("take", "skip") else "small"
    r = run(parse(prog, p), inp, (), p)
    if out is None:
        assert (r.ok, r.error) == (False, "overflow")
    else:
        assert r.ok and list(r.stack) == out


def test_bool_is_not_int():
    assert run(parse("inc"), [True]).error == "type"
    assert run(parse("eq"), [1, True]).error == "type"
    assert not matches(run(parse("1"), []), [True])


def test_match_top_and_exact():
    r = run(parse("dup"), [1, 2])
    assert matches(r, [2, 2]) and matches(r, [2]) and not matches(r, [2], "exact")
    assert matches(r, [1, 2, 2], "exact") and not matches(r, [9, 1, 2, 2])


def test_trace_records_every_step_and_stops_at_error():
    steps = trace(parse("dup mul head"), [3])
    assert [s.after for s in steps[:2]] == [(3, 3), (9,)]
    assert steps[-1].error == "type" and steps[-1].index == 2 and len(steps) == 3


def test_too_long_reported_at_max_program():
    p = get_profile("small")
    r = run(["dup", "drop"] * 9, [1])
    assert (r.ok, r.error, r.at) == (False, "too_long", p.max_program)


# --- property: the machine never raises and never creates a value outside the limits -------------

def _values(p):
    ints = st.integers(p.int_min, p.int_max)
    strs = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=p.max_len)
    lists = st.lists(ints, max_size=p.max_len).map(tuple)
    return st.one_of(ints, st.booleans(), strs, lists)


def _items(p):
    return st.one_of(st.sampled_from(p.ops), _values(p).map(lambda v: (v,)))


@pytest.mark.slow
@pytest.mark.parametrize("pname", ["small", "deepcoder"])
def test_never_raises_and_limits_hold(pname):
    p = get_profile(pname)

    @settings(max_examples=400, deadline=None)
    @given(code=st.lists(_items(p), max_size=p.max_program + 2),
           stack=st.lists(_values(p), max_size=p.max_depth),
           consts=st.lists(_values(p), max_size=4))
    def check(code, stack, consts):
        r = run(code, stack, consts, p)
        if r.ok:
            assert len(r.stack) <= p.max_depth
            assert all(check_value(v, p) is None for v in r.stack)
        else:
            assert r.error in {"underflow", "type", "overflow", "div_zero", "index", "missing_constant", "too_long"}
            assert 0 <= r.at <= p.max_program

    check()


def test_every_op_has_a_profile_and_a_signature():
    for name, op in OPS.items():
        assert op.profiles, name
        assert op.signature.startswith("(")
