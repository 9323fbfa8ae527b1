"""The evaluator's state tokenizer: round trips at every level, layout, loud errors."""
import random

import pytest

from dsl.abstract import abstracter
from synth.data.dataset import GenConfig, RolloutGenerator
from synth.data.tokenizer import F_KIND, INT, LIST, State, StateTokenizer

TOK = StateTokenizer("small")


def _states(n=300, seed=0):
    gen = RolloutGenerator("small", GenConfig(steps=3))
    rng = random.Random(seed)
    return [s for _ in range(n) for s in gen.rollout(rng).states]


def _abstract(st, level):
    f = abstracter(level)
    return State(tuple(map(f, st.constants)), tuple(map(f, st.stack)), st.error)


def _same(a: State, b: State) -> bool:
    typed = lambda xs: tuple((type(x), x) for x in xs)  # noqa: E731 - keeps True apart from 1
    return typed(a.constants) == typed(b.constants) and typed(a.stack) == typed(b.stack) and a.error == b.error


@pytest.mark.parametrize("level", ["concrete", "sign", "type"])
def test_round_trip_every_level(level):
    states = _states()
    assert any(s.error for s in states) and any(len(s.stack) >= 3 for s in states)
    if level != "concrete":
        states = [_abstract(s, level) for s in states]
    b = TOK.encode(states, level)
    assert b["feats"].shape == (len(states), TOK.n_slots, TOK.n_feats)
    back = TOK.decode(b["feats"], b["status"], level)
    bad = [(s, t) for s, t in zip(states, back) if not _same(s, t)]
    assert not bad, bad[:3]


def test_layout_top_first_and_bool_is_not_int():
    b = TOK.encode([State((5,), (True, 1, (2, 3)))])
    f = b["feats"][0]
    nc = TOK.n_consts
    assert f[1, F_KIND] == INT                      # c0
    assert f[1 + nc, F_KIND] == LIST                 # top of stack first
    assert f[1 + nc + 2, F_KIND] != f[1 + nc + 1, F_KIND]   # True (bool) vs 1 (int)
    assert TOK.decode(b["feats"], b["status"])[0].stack == (True, 1, (2, 3))


def test_abstract_levels_hide_details():
    conc = TOK.row(-3, 0)
    sign = TOK.row("int<0,odd", 1)
    typ = TOK.row("int", 2)
    assert conc[1] != sign[1] and sign[1] == typ[1]            # value unknown above concrete
    assert sign[2] != typ[2]                                   # sign known at the sign level only
    assert TOK.value(TOK.row("list[2]", 1), 1) == "list[2]"
    assert TOK.value(TOK.row("true", 1), 1) == "true"
    assert TOK.value(TOK.row("str", 2), 2) == "str"
    assert TOK.value(TOK.row("int", 0), 0) == "int"           # a concrete string "int" stays a string


def test_errors_are_loud():
    with pytest.raises(ValueError):
        TOK.row(99, 0)                                         # outside -64..63
    with pytest.raises(ValueError):
        TOK.row("int<0", 1)
    with pytest.raises(ValueError):
        TOK.encode([State((), tuple(range(9)))])               # deeper than max_depth
    with pytest.raises(ValueError):
        TOK.encode([State()], "fuzzy")
