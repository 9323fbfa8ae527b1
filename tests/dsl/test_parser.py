"""Parser: docs §3 text, canonical round trips, error positions with a caret line."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl import DslSyntaxError, Program, get_profile, parse
from dsl.values import check_value


@pytest.mark.parametrize("text,canonical", [
    ("dup mul c0 add", "dup mul c0 add"),
    ("  dup\n\tmul   # a comment\n c0 add # end", "dup mul c0 add"),
    ('"a\\"b\\\\c" len', '"a\\"b\\\\c" len'),
    ("[ 1  -2 3 ] sort", "[1 -2 3] sort"),
    ("[] [1] concat", "[] [1] concat"),
    ("true false select", "true false select"),
    ("-0 007", "0 7"),
    ("", ""),
])
def test_canonical_text(text, canonical):
    prog = parse(text)
    assert prog.text == canonical
    assert parse(prog.text) == prog


def test_items_keep_positions():
    prog = parse("dup\n  mul [1 2]")
    assert [(i.line, i.column) for i in prog.items] == [(1, 1), (2, 3), (2, 7)]


def test_literal_kinds_are_distinct():
    assert parse("1").items[0].value == 1 and parse("true").items[0].value is True
    assert parse("1") != parse("true")


@pytest.mark.parametrize("text,line,col,words", [
    ("dup foo", 1, 5, "unknown op 'foo'"),
    ("dup\n  take", 2, 3, "not in profile 'small'"),
    ('"abc', 1, 1, "unterminated string"),
    ('"a\\nb"', 1, 1, "bad escape"),
    ("[1 2", 1, 5, "unterminated list"),
    ("64", 1, 1, "outside -64..63"),
    ("[1 -65]", 1, 4, "outside -64..63"),
    ('"abcdefg"', 1, 1, "longer than 6"),
    ("3 4add", 1, 3, "separated by white space"),
    ("dup ]", 1, 5, "unexpected ']'"),
    ("[1 [2]]", 1, 4, "unexpected '['"),
    ("Dup", 1, 1, "unexpected 'D'"),
])
def test_syntax_errors_name_line_and_column(text, line, col, words):
    with pytest.raises(DslSyntaxError) as ei:
        parse(text)
    e = ei.value
    assert (e.line, e.column) == (line, col), str(e)
    assert words in str(e)
    assert str(e).startswith(f"line {line}, column {col}: ")
    assert e.caret.splitlines()[-1] == " " * (col - 1) + "^"


def test_deepcoder_profile_knows_more_ops():
    assert parse("take", "deepcoder").text == "take"
    assert parse("255", "deepcoder").items[0].value == 255


@pytest.mark.parametrize("pname", ["small", "deepcoder"])
def test_round_trip_random_programs(pname):
    p = get_profile(pname)
    ints = st.integers(p.int_min, p.int_max)
    value = st.one_of(ints, st.booleans(),
                      st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=p.max_len),
                      st.lists(ints, max_size=p.max_len).map(tuple))
    item = st.one_of(st.sampled_from(p.ops), value.map(lambda v: (v,)))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(item, max_size=12))
    def check(xs):
        prog = Program.from_code(xs)
        back = parse(prog.text, p)
        assert back == prog and back.text == prog.text and back.code == tuple(xs)
        assert all(i.op is not None or check_value(i.value, p) is None for i in back.items)

    check()
