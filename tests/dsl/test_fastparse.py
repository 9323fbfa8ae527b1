"""The parser's fast path (canonical text, plain white space) gives exactly what Lark gives: the same items
at the same positions, the same errors at the same places, on generated programs and hostile texts."""
from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from dsl import DslSyntaxError, get_profile, parse
from dsl.fastparse import _fast, _memo, fast_code
from dsl.parser import _lark_parse
from dsl.sampler import sample_run

PROFILES = [get_profile("small"), get_profile("deepcoder")]


def outcome(fn):
    try:
        prog = fn()
    except DslSyntaxError as e:
        return ("error", str(e), e.line, e.column, e.caret)
    if prog is None:
        return None
    return ("ok", tuple((it.op, type(it.value).__name__, it.value, it.line, it.column) for it in prog.items))


def check(text: str, p) -> str:
    """Compare both paths on `text`; 'fast' when the fast path decided, 'lark' when it passed."""
    fast = outcome(lambda: _fast(text, p, _memo(p)))
    lark = outcome(lambda: _lark_parse(text, p))
    code = fast_code(text, p)
    if code is not None:
        assert lark[0] == "ok" and code == _lark_parse(text, p).code, (text, code, lark)
    assert outcome(lambda: parse(text, p)) == lark, text
    if fast is None:
        return "lark"
    assert fast == lark, (text, fast, lark)
    return "fast"


def _texts(rng: random.Random, n: int):
    for _ in range(n):
        p = rng.choice(PROFILES)
        text = sample_run(rng, p, literal_p=0.3, bad_step_p=0.1)["program"]
        yield text, p
        words = text.split(" ")
        yield rng.choice(["  ", "\t", "\n", " \n\t", " # c\n"]).join(words) + rng.choice(["", " ", "\n", "# x"]), p
        bad = rng.choice(["frob", "Dup", "1x", "3.5", "-", "999", "-300", "c3", "access", "to_int", "a-b", "x]",
                          "[1", "[1 2", "[300]", "[1 ]]", "[ 1]", '"', '"ab', '"a b"c', '"abcdefghijk"', "#",
                          "true1", "_x", "\v", "é"])
        words.insert(rng.randrange(len(words) + 1), bad)
        yield " ".join(words), p


def test_fast_path_equals_lark_on_generated_programs():
    seen = {"fast": 0, "lark": 0}
    for text, p in _texts(random.Random(7), 1500):
        seen[check(text, p)] += 1
    assert seen["fast"] > 0.6 * (seen["fast"] + seen["lark"]), seen   # the fast path really decides most


def test_fast_code_takes_canonical_programs():
    rng = random.Random(3)
    for _ in range(500):
        p = rng.choice(PROFILES)
        text = sample_run(rng, p, literal_p=0.3)["program"]
        assert fast_code(text, p) == parse(text, p).code, text


HOSTILE = ["", " ", "\n", "#", "dup#c", "dup #c\nmul", "1#c\n  2", "dup\vmul", "dup \u00a0 mul", "[]", "[ ]", "[]]",
           "[1 2]x", '"a b" len', '"a  b" len', '"a\\"b"', '"a\\\\"', '"a\\nb"', '"a\tb"', '"#" len', "dup\r\nmul",
           "true false", "-0 007", "dup\x0cmul", "[1 2] [3]", "[1 -64] [63]", "[-65]", "64", "-64 -65", "[\n1]",
           "dup\n\nfrob", "frob 1x", "1x frob", "frob\n  1x", "c0 c1 c2 c3", "x]", "]", "dup ]", '"open', "é"]


def test_fast_path_equals_lark_on_hostile_texts():
    for p in PROFILES:
        for text in HOSTILE:
            check(text, p)


ALPHABET = st.sampled_from(list("dupmlc0123 -[]\"\\#\n\t\rtruefalsx_9D\v\f\xa0") + ["dup", "mul", " ", "  ", "c3", "999", "[1", "2]"])


@settings(max_examples=400, deadline=None)
@given(st.lists(ALPHABET, max_size=14).map("".join), st.sampled_from(PROFILES))
def test_fast_path_equals_lark_on_random_texts(text, p):
    check(text, p)
