"""The op table (docs §4): one declarative row per op — signature, implementation, profiles.

Signatures are Forth style `( inputs -- outputs )`, top of stack last. Type tokens:
`int bool str list` are concrete; `a b c` are any type, independent; `T` is any type but every `T`
of the row is the same type; `s` is a sequence type (`str` or `list`), the same for every `s` of the
row; `e` is the element type of `s` (`str` for a str, `int` for a list); `a|b` is an output that is
`a` or `b` depending on a value. `fn(p, *inputs)` returns the tuple of outputs or raises `Fail(kind)`;
when `checked`, the machine checks every output against the profile's limits (`overflow`).

    from dsl.ops import OPS, out_types
    OPS["add"].arity == 2;  out_types("head", ("str",)) == [("str",)]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .profiles import ALL_OPS, PROFILES


class Fail(Exception):
    """An op failed with an error kind of docs §2 (never escapes the machine)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True)
class Op:
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    fn: Callable
    checked: bool = True
    profiles: tuple[str, ...] = field(default=())

    @property
    def arity(self) -> int:
        return len(self.inputs)

    @property
    def signature(self) -> str:
        return f"( {' '.join(self.inputs)} -- {' '.join(self.outputs)} )".replace("  ", " ")


def _tdiv(a: int, b: int) -> int:  # division truncating toward zero (DeepCoder's lambdas)
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _nonempty(s):
    if not s:
        raise Fail("index")
    return s


def _div(p, a, b):
    if b == 0:
        raise Fail("div_zero")
    return (a // b,)


def _mod(p, a, b):
    if b == 0:
        raise Fail("div_zero")
    return (a % b,)


def _to_int(p, s):
    body = s[1:] if s.startswith("-") else s
    if not body or not all("0" <= ch <= "9" for ch in body):
        raise Fail("type")
    return (int(s),)


def _access(p, xs, n):
    if not 0 <= n < len(xs):
        raise Fail("index")
    return (xs[n],)


def _scanl1(f):
    def run(p, xs):
        out, acc = [], None
        for i, x in enumerate(xs):
            acc = x if i == 0 else f(acc, x)
            out.append(acc)
        return (tuple(out),)
    return run


def _clamp(n, s):
    return max(0, min(n, len(s)))


_ROWS = [
    # name, inputs, outputs, fn, checked
    ("dup", "a", "a a", lambda p, a: (a, a), False),
    ("drop", "a", "", lambda p, a: (), False),
    ("swap", "a b", "b a", lambda p, a, b: (b, a), False),
    ("over", "a b", "a b a", lambda p, a, b: (a, b, a), False),
    ("rot", "a b c", "b c a", lambda p, a, b, c: (b, c, a), False),
    ("add", "int int", "int", lambda p, a, b: (a + b,), True),
    ("sub", "int int", "int", lambda p, a, b: (a - b,), True),
    ("mul", "int int", "int", lambda p, a, b: (a * b,), True),
    ("div", "int int", "int", _div, True),
    ("mod", "int int", "int", _mod, False),
    ("min", "int int", "int", lambda p, a, b: (min(a, b),), False),
    ("max", "int int", "int", lambda p, a, b: (max(a, b),), False),
    ("neg", "int", "int", lambda p, a: (-a,), True),
    ("abs", "int", "int", lambda p, a: (abs(a),), True),
    ("inc", "int", "int", lambda p, a: (a + 1,), True),
    ("dec", "int", "int", lambda p, a: (a - 1,), True),
    ("double", "int", "int", lambda p, a: (2 * a,), True),
    ("half", "int", "int", lambda p, a: (a // 2,), False),
    ("square", "int", "int", lambda p, a: (a * a,), True),
    ("eq", "T T", "bool", lambda p, a, b: (a == b,), False),
    ("lt", "int int", "bool", lambda p, a, b: (a < b,), False),
    ("gt", "int int", "bool", lambda p, a, b: (a > b,), False),
    ("not", "bool", "bool", lambda p, a: (not a,), False),
    ("and", "bool bool", "bool", lambda p, a, b: (a and b,), False),
    ("or", "bool bool", "bool", lambda p, a, b: (a or b,), False),
    ("select", "bool a b", "a|b", lambda p, c, a, b: (a if c else b,), False),
    ("len", "s", "int", lambda p, s: (len(s),), False),
    ("reverse", "s", "s", lambda p, s: (s[::-1],), False),
    ("concat", "s s", "s", lambda p, s, t: (s + t,), True),
    ("head", "s", "e", lambda p, s: (_nonempty(s)[0],), False),
    ("last", "s", "e", lambda p, s: (_nonempty(s)[-1],), False),
    ("take", "s int", "s", lambda p, s, n: (s[:_clamp(n, s)],), False),
    ("skip", "s int", "s", lambda p, s, n: (s[_clamp(n, s):],), False),
    ("access", "list int", "int", _access, False),
    ("to_str", "int", "str", lambda p, a: (str(a),), True),
    ("to_int", "str", "int", _to_int, True),
    ("sum", "list", "int", lambda p, xs: (sum(xs),), True),
    ("minimum", "list", "int", lambda p, xs: (min(_nonempty(xs)),), False),
    ("maximum", "list", "int", lambda p, xs: (max(_nonempty(xs)),), False),
    ("sort", "list", "list", lambda p, xs: (tuple(sorted(xs)),), False),
    ("map_inc", "list", "list", lambda p, xs: (tuple(x + 1 for x in xs),), True),
    ("map_dec", "list", "list", lambda p, xs: (tuple(x - 1 for x in xs),), True),
    ("map_double", "list", "list", lambda p, xs: (tuple(2 * x for x in xs),), True),
    ("map_half", "list", "list", lambda p, xs: (tuple(_tdiv(x, 2) for x in xs),), False),
    ("map_neg", "list", "list", lambda p, xs: (tuple(-x for x in xs),), True),
    ("map_square", "list", "list", lambda p, xs: (tuple(x * x for x in xs),), True),
    ("map_triple", "list", "list", lambda p, xs: (tuple(3 * x for x in xs),), True),
    ("map_third", "list", "list", lambda p, xs: (tuple(_tdiv(x, 3) for x in xs),), False),
    ("map_quadruple", "list", "list", lambda p, xs: (tuple(4 * x for x in xs),), True),
    ("map_quarter", "list", "list", lambda p, xs: (tuple(_tdiv(x, 4) for x in xs),), False),
    ("filter_pos", "list", "list", lambda p, xs: (tuple(x for x in xs if x > 0),), False),
    ("filter_neg", "list", "list", lambda p, xs: (tuple(x for x in xs if x < 0),), False),
    ("filter_even", "list", "list", lambda p, xs: (tuple(x for x in xs if x % 2 == 0),), False),
    ("filter_odd", "list", "list", lambda p, xs: (tuple(x for x in xs if x % 2),), False),
    ("count_pos", "list", "int", lambda p, xs: (sum(1 for x in xs if x > 0),), False),
    ("count_neg", "list", "int", lambda p, xs: (sum(1 for x in xs if x < 0),), False),
    ("count_even", "list", "int", lambda p, xs: (sum(1 for x in xs if x % 2 == 0),), False),
    ("count_odd", "list", "int", lambda p, xs: (sum(1 for x in xs if x % 2),), False),
    ("zipwith_add", "list list", "list", lambda p, a, b: (tuple(x + y for x, y in zip(a, b)),), True),
    ("zipwith_sub", "list list", "list", lambda p, a, b: (tuple(x - y for x, y in zip(a, b)),), True),
    ("zipwith_mul", "list list", "list", lambda p, a, b: (tuple(x * y for x, y in zip(a, b)),), True),
    ("zipwith_min", "list list", "list", lambda p, a, b: (tuple(map(min, a, b)),), False),
    ("zipwith_max", "list list", "list", lambda p, a, b: (tuple(map(max, a, b)),), False),
    ("scanl1_add", "list", "list", _scanl1(lambda x, y: x + y), True),
    ("scanl1_sub", "list", "list", _scanl1(lambda x, y: x - y), True),
    ("scanl1_mul", "list", "list", _scanl1(lambda x, y: x * y), True),
    ("scanl1_min", "list", "list", _scanl1(min), False),
    ("scanl1_max", "list", "list", _scanl1(max), False),
]
CONST_NAMES = ("c0", "c1", "c2", "c3")


def _build() -> dict[str, Op]:
    table = {}
    for name, ins, outs, fn, checked in _ROWS:
        profs = tuple(p.name for p in PROFILES.values() if name in p.ops)
        table[name] = Op(name, tuple(ins.split()), tuple(outs.split()), fn, checked, profs)
    for k, name in enumerate(CONST_NAMES):  # constants: handled by the machine, listed for the table
        profs = tuple(p.name for p in PROFILES.values() if name in p.ops)
        table[name] = Op(name, (), ("a",), None, False, profs)
    missing = set(ALL_OPS) ^ set(table)
    assert not missing, f"op table and profiles disagree on {missing}"
    return table


OPS: dict[str, Op] = _build()
CONST_INDEX = {name: k for k, name in enumerate(CONST_NAMES)}

_PY = {"int": int, "bool": bool, "str": str, "list": tuple}
_ELEM = {"str": "str", "list": "int"}


def out_types(name: str, in_types: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Type-level semantics: the possible output type tuples of op `name` on inputs of `in_types`
    (top last), or [] when the op rejects those types (`type` error). Constants are not typed here."""
    op = OPS[name]
    env: dict[str, str] = {}
    for tok, t in zip(op.inputs, in_types):
        if tok in _PY:
            if t != tok:
                return []
        elif tok == "s":
            if t not in ("str", "list") or env.setdefault("s", t) != t:
                return []
        elif tok == "T":
            if env.setdefault("T", t) != t:
                return []
        else:
            env[tok] = t
    if op.outputs == ("a|b",):
        return sorted({(env["a"],), (env["b"],)})
    out = tuple(env[tok] if tok in env else _ELEM[env["s"]] if tok == "e" else tok for tok in op.outputs)
    return [out]


def types_ok(op: Op, args: tuple) -> bool:
    """Runtime type check of `args` (top last) against `op`'s signature."""
    seen_s = seen_t = None
    for tok, v in zip(op.inputs, args):
        tv = type(v)
        if tok in _PY:
            if tv is not _PY[tok]:
                return False
        elif tok == "s":
            if tv is not str and tv is not tuple:
                return False
            if seen_s is None:
                seen_s = tv
            elif seen_s is not tv:
                return False
        elif tok == "T":
            if seen_t is None:
                seen_t = tv
            elif seen_t is not tv:
                return False
    return True
