"""dsl.graph: reachability answers agree with brute-force enumeration of all short programs."""
from itertools import product

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsl import get_profile, parse, run, trace
from dsl.abstract import abstract_stack, run_abstract, transfer
from dsl.graph import AbstractGraph, can_reach, first_ops, min_steps, reach_table

SMALL = get_profile("small")


def _matches(s, a_out, match):
    return s == a_out if match == "exact" else len(s) >= len(a_out) and s[len(s) - len(a_out):] == a_out


def _brute(a_in, aconsts, level, max_len=2):
    """{program: its outcome stacks} for every program of length 0..max_len over the small profile's ops."""
    out = {}
    for n in range(max_len + 1):
        for code in product(SMALL.ops, repeat=n):
            out[code] = {o for o in run_abstract(code, a_in, aconsts, level, SMALL) if type(o) is tuple}
    return out


CASES = [  # (level, aconsts, inputs, targets)
    ("type", (), [(), ("int",), ("str",), ("int", "int"), ("list", "int"), ("bool", "str", "int")],
     [("int",), ("bool",), ("str", "int"), ("list",), ("int", "int", "int"), ("bool", "bool")]),
    ("type", ("int", "str"), [(), ("int",), ("list", "bool")],
     [("int",), ("str", "str"), ("bool",), ("list", "int", "int")]),
    ("sign", ("int>0,odd",), [("int<0,even",), ("list[2]", "int=0"), ("str[1]", "true")],
     [("int>0,even",), ("int=0",), ("false",), ("list[4]",), ("str[2]",), ("int<0,odd", "int>0,odd")]),
]


@pytest.mark.parametrize("level,aconsts,inputs,targets", CASES)
def test_agrees_with_brute_force(level, aconsts, inputs, targets):
    seen = set()
    for a_in in inputs:
        runs = _brute(a_in, aconsts, level)
        for a_out, match in product(targets, ("top", "exact")):
            hits = {code for code, stacks in runs.items() if any(_matches(s, a_out, match) for s in stacks)}
            kw = dict(level=level, profile="small", aconsts=aconsts, match=match)
            shortest = min((len(c) for c in hits), default=None)
            seen.add(shortest)
            assert min_steps(a_in, a_out, 2, **kw) == shortest, (a_in, a_out, match)
            for k in range(3):
                assert can_reach(a_in, a_out, k, **kw) == any(len(c) <= k for c in hits), (a_in, a_out, k)
            for k in (1, 2):
                want = {c[0] for c in hits if 1 <= len(c) <= k}
                assert first_ops(a_in, a_out, k, **kw) == want, (a_in, a_out, match, k)
    assert seen == {None, 0, 1, 2}   # the cases cover unreachable, already there, one and two steps


def test_known_programs_are_found():
    prog = parse("dup mul c0 add")
    steps = trace(prog, [3], [1])
    for level in ("type", "sign", "concrete"):
        aconsts = abstract_stack([1], level)
        a_out = abstract_stack([10], level)
        assert "dup" in first_ops(abstract_stack([3], level), a_out, 4, level, aconsts=aconsts)
        for i, step in enumerate(steps):   # every intermediate state can still finish in time, with its op
            a_in = abstract_stack(step.before, level)
            assert can_reach(a_in, a_out, len(prog) - i, level, aconsts=aconsts)
            assert step.item in first_ops(a_in, a_out, len(prog) - i, level, aconsts=aconsts)
        assert min_steps(abstract_stack([3], level), a_out, None, level, aconsts=aconsts) <= 4


CONSTS = (5, "x")


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.integers(-64, 63), st.booleans(), st.text("ab-7", max_size=3),
                          st.lists(st.integers(-64, 63), max_size=3).map(tuple)), min_size=1, max_size=3),
       st.integers(1, 5), st.data())
def test_random_programs_first_op_is_allowed(stack, length, data):
    code = []
    for _ in range(length):  # grow a program that runs without error, one op at a time
        ok = [op for op in SMALL.ops if run(code + [op], stack, CONSTS, SMALL).ok]
        code.append(data.draw(st.sampled_from(ok)))
    res = run(code, stack, CONSTS, SMALL)
    for level in ("type", "sign"):
        a_in, aconsts = abstract_stack(stack, level), abstract_stack(CONSTS, level)
        for match, out in (("exact", res.stack), ("top", res.stack[-1:])):
            a_out = abstract_stack(out, level)
            assert code[0] in first_ops(a_in, a_out, len(code), level, aconsts=aconsts, match=match)
            assert min_steps(a_in, a_out, len(code), level, aconsts=aconsts, match=match) <= len(code)


def _bfs_min_steps(g, a_in, a_out, match, bound):
    """Oracle: plain forward BFS over g.successors, no tables, no pruning."""
    seen, frontier = {a_in}, [a_in]
    for d in range(bound + 1):
        if any(_matches(s, a_out, match) for s in frontier):
            return d
        frontier = [t for s in frontier for _, t in g.successors(s) if t not in seen and not seen.add(t)]
    return None


@pytest.mark.parametrize("level,aconsts,a_in,bound", [
    ("type", ("int",), ("list", "int"), 5),
    ("sign", ("int>0,odd",), ("list[2]", "int<0,even"), 4),
    ("sign", ("str[1]",), ("int=0",), 5),
])
def test_pruned_tables_agree_with_plain_bfs(level, aconsts, a_in, bound):
    """Deeper than brute force: the pruned, shared tables give the same distances as a plain BFS."""
    g = AbstractGraph("small", level, aconsts)
    reached = sorted(g.explore(a_in, 3).items(), key=str)[::7]   # sample targets at distances 0..3
    found = set()
    for a_out, _ in reached[:12]:
        for match, out in (("exact", a_out), ("top", a_out[-2:])):
            want = _bfs_min_steps(g, a_in, out, match, bound)
            found.add(want)
            assert min_steps(a_in, out, bound, level, aconsts=aconsts, match=match) == want, (out, match)
    for out in (("bool", "str") if level == "type" else ("false", "str[3]"), ("str", "int", "list")
                if level == "type" else ("str[2]", "int>0,odd", "list[1]")):
        assert min_steps(a_in, out, bound, level, aconsts=aconsts) == _bfs_min_steps(g, a_in, out, "top", bound)
    assert len(found) >= 3


def test_impossible_targets():
    assert first_ops((), ("int",), 6) == frozenset()     # nothing to push without constants
    assert not can_reach((), ("int",), 16) and min_steps((), ("int",)) is None
    assert first_ops(("str",), ("bool",), 1) == frozenset()
    assert first_ops(("str",), ("bool",), 2) == frozenset({"dup"})   # `dup eq` is the only way
    assert first_ops(("int",), ("list",), 8, aconsts=("int", "str", "bool")) == frozenset()
    assert can_reach(("int", "str"), ("str",), 0) and min_steps(("int", "str"), ("str",)) == 0
    assert not can_reach(("int", "str"), ("str",), 0, match="exact")
    assert min_steps(("int", "str"), ("str",), match="exact") == 2          # swap drop
    assert min_steps(("int",), ("int",) * 9) is None                        # deeper than max_depth


def test_answers_are_cached_and_fast():
    r = reach_table(("bool", "str"), "type", "small", ("int",))
    assert r.min_steps(("int", "list"), 8) == 4
    assert r.can_reach(("int", "list"), 4) and not r.can_reach(("int", "list"), 3)
    assert ("int", "list") in r.exact   # settled, so the next calls are dict lookups
    assert reach_table(("bool", "str"), "type", "small", ("int",)) is r


def test_networkx_export_and_edges_are_sound():
    g = AbstractGraph("small", "sign", ("int>0,odd",))
    dist = g.explore(("list[2]", "int<0,even"), 2)
    G = g.graph
    assert isinstance(G, nx.DiGraph) and G.number_of_nodes() == len(g.states) >= len(dist) > 10
    for u, v, op in G.edges(data="op"):
        assert v in transfer(op, u, g.aconsts, "sign", "small")
        assert len(v) <= SMALL.max_depth
    assert G.has_edge(("list[2]", "int<0,even"), ("list[2]",), key="drop")


def test_concrete_level_keeps_bools_apart_from_ints():
    g = AbstractGraph("small", "concrete", ())
    assert g.node((0,)) != g.node((False,))
    assert can_reach((1,), (True,), 2, "concrete", match="exact")            # dup eq
    assert can_reach((1,), (1,), 0, "concrete", match="exact")            # 0 steps: already there
    assert not can_reach((True,), (1,), 1, "concrete", match="exact")
    assert not can_reach((True,), (1,), 0, "concrete", match="exact")
    assert can_reach((), (1,), 1, "concrete", aconsts=(1,))
    assert not can_reach((), (1,), 1, "concrete", aconsts=(True,))


def test_bad_arguments():
    with pytest.raises(ValueError):
        first_ops(("int",), ("int",), 2, match="middle")
    with pytest.raises(ValueError):
        can_reach(("int",), ("int",), 2, level="fuzzy")
