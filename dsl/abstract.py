"""Abstraction levels (DESIGN "Abstraction levels"): see a value as its type, its sign/parity/length, or itself.

    from dsl.abstract import level_of, abstract, abstract_stack, transfer, run_abstract
    level_of(1.0) == "type";  level_of(0.3) == "sign";  level_of(0) == "concrete"
    abstract(-3, "sign") == "int<0,odd";  abstract((4, 5), "sign") == "list[2]";  abstract("ab", "type") == "str"
    transfer("add", ("int>0,odd", "int>0,odd"), (), "sign", "small") == {("int>0,even",), "overflow"}
    run_abstract(parse("dup mul").code, ("int",), (), "type") == {("int",), "overflow"}

Levels. `LEVELS` maps each level to its alpha: type 1.0, sign 0.5, concrete 0.0. `level_of(alpha)` rounds
alpha UP to the nearest defined level (the most concrete level whose alpha is >= the given one), so a level
never shows more than alpha allows: (0.5, 1] -> type, (0, 0.5] -> sign, 0 -> concrete.

Abstract values are hashable and print readably:
  type      `int` `bool` `str` `list` (plain strings)
  sign      ints as sign x parity: `int<0,odd` `int<0,even` `int=0` `int>0,odd` `int>0,even`;
            bools stay concrete, `true` / `false` (only two values, and it keeps `select` and `not` exact);
            strs and lists by length: `str[3]`, `list[2]` (plain strings)
  concrete  the value itself (int, bool, str, tuple); `show(av, level)` prints it as a literal.
An abstract stack is a tuple of abstract values, bottom first, like a concrete stack.

Transfer functions (what an op does to abstract values) and abstract runs: dsl/transfer.py, re-exported here.
"""
from __future__ import annotations

import re
from functools import lru_cache
from itertools import product
from typing import Iterable, Sequence

from .profiles import Profile, get_profile
from .values import TYPES, Value, literal_text

LEVELS = {"type": 1.0, "sign": 0.5, "concrete": 0.0}
ERRORS = ("underflow", "type", "overflow", "div_zero", "index", "missing_constant", "too_long")
EXHAUSTIVE_LIMIT = 1 << 16   # most concrete runs spent on one (op, abstract inputs) entry before going coarse
_COMPUTE_ERRORS = ("div_zero", "index", "type")  # what an op's fn may raise (plus overflow when checked)
_PRINTABLE = [chr(c) for c in range(32, 127)]


def level_of(alpha_or_name) -> str:
    """Level name for a name or an alpha in [0, 1] (rounded up to the nearest defined level)."""
    if isinstance(alpha_or_name, str):
        if alpha_or_name in LEVELS:
            return alpha_or_name
        raise ValueError(f"unknown abstraction level {alpha_or_name!r}; choose one of "
                         f"{', '.join(LEVELS)} or an alpha in [0, 1]")
    if isinstance(alpha_or_name, bool) or not isinstance(alpha_or_name, (int, float)) \
            or not 0.0 <= alpha_or_name <= 1.0:
        raise ValueError(f"alpha must be a number in [0, 1] or one of {', '.join(LEVELS)}; "
                         f"got {alpha_or_name!r}")
    return min((a, name) for name, a in LEVELS.items() if a >= alpha_or_name)[1]


# ---- abstract values --------------------------------------------------------------------------------------

_NEG, _POS = ("int<0,even", "int<0,odd"), ("int>0,even", "int>0,odd")
INT_CLASSES = ("int<0,odd", "int<0,even", "int=0", "int>0,odd", "int>0,even")
_TYPE_NAME = {int: "int", bool: "bool", str: "str", tuple: "list"}
_SEQ = {"str": [f"str[{n}]" for n in range(65)], "list": [f"list[{n}]" for n in range(65)]}


def _seq_av(t: str, n: int) -> str:
    return _SEQ[t][n] if n < 65 else f"{t}[{n}]"


def _sign(v) -> str:
    t = type(v)
    if t is int:
        return "int=0" if v == 0 else _NEG[v & 1] if v < 0 else _POS[v & 1]
    if t is bool:
        return "true" if v else "false"
    if t is str:
        return _seq_av("str", len(v))
    if t is tuple:
        return _seq_av("list", len(v))
    raise TypeError(f"not a stack value: {v!r}")


def _type(v) -> str:
    try:
        return _TYPE_NAME[type(v)]
    except KeyError:
        raise TypeError(f"not a stack value: {v!r}") from None


_ABSTRACT = {"type": _type, "sign": _sign, "concrete": lambda v: v}


def abstract(v: Value, level="type"):
    """The abstract value of concrete value `v` at `level` (a name or an alpha)."""
    return _ABSTRACT[level_of(level)](v)


def abstract_stack(stack: Iterable[Value], level="type") -> tuple:
    """Abstract every value of a stack (or of a constants tuple)."""
    return tuple(map(_ABSTRACT[level_of(level)], stack))


def abstracter(level):
    """The per-value abstraction function of a level, for hot loops: `f = abstracter("sign"); f(-3)`."""
    return _ABSTRACT[level_of(level)]


_ATYPE: dict[str, str] = {}


def type_of_abstract(av) -> str:
    """The type of a type- or sign-level abstract value (`"int>0,odd"` -> `"int"`, `"true"` -> `"bool"`)."""
    t = _ATYPE.get(av)
    if t is None:
        if av in ("true", "false", "bool"):
            t = "bool"
        else:
            t = next((k for k in ("int", "str", "list") if av.startswith(k)), None)
            if t is None:
                raise ValueError(f"not a type- or sign-level abstract value: {av!r}")
        _ATYPE[av] = t
    return t


def _check_av(av, level: str) -> None:
    if level == "type":
        ok = av in TYPES
    else:
        ok = av in INT_CLASSES or av in ("true", "false") or (
            isinstance(av, str) and re.fullmatch(r"(str|list)\[\d+\]", av) is not None)
    if not ok:
        raise ValueError(f"{av!r} is not an abstract value at the {level} level")


def _seq_len(av: str) -> int:
    return int(av[av.index("[") + 1:-1])


def values_of(type_name: str, level, profile="small") -> tuple:
    """Every abstract value of a type at the type or sign level (`values_of("list", "sign")` = list[0..max_len])."""
    level, p = level_of(level), get_profile(profile)
    if type_name not in TYPES:
        raise ValueError(f"unknown type {type_name!r}; choose one of {', '.join(TYPES)}")
    if level == "type":
        return (type_name,)
    if level == "concrete":
        raise ValueError("values_of: the concrete level has too many values to list")
    if type_name == "int":
        return INT_CLASSES
    if type_name == "bool":
        return ("false", "true")
    return tuple(_seq_av(type_name, n) for n in range(p.max_len + 1))


def concretize(av, level, profile="small") -> Iterable[Value]:
    """Every concrete value whose abstraction at `level` is `av` (an iterator; may be astronomically long)."""
    level, p = level_of(level), get_profile(profile)
    if level == "concrete":
        return iter((av,))
    if level == "type":
        return (v for sv in values_of(av, "sign", p) for v in concretize(sv, "sign", p))
    return iter(_gamma(av, p)[1]())


def show(av, level="type") -> str:
    """Readable text of an abstract value (concrete values as literals)."""
    return literal_text(av) if level_of(level) == "concrete" else str(av)


def show_stack(astack: Sequence, level="type") -> str:
    return "[" + " ".join(show(v, level) for v in astack) + "]"


# ---- concretizations at the sign level --------------------------------------------------------------------

def _gamma(av: str, p: Profile):
    """(size, factory of an iterator over every concrete value) of a sign-level abstract value."""
    t = type_of_abstract(av)
    if t == "int":
        vals = _int_class_values(av, p)
        return len(vals), lambda: iter(vals)
    if t == "bool":
        return 1, lambda: iter((av == "true",))
    n = _seq_len(av)
    if t == "str":
        return len(_PRINTABLE) ** n, lambda: ("".join(cs) for cs in product(_PRINTABLE, repeat=n))
    ints = range(p.int_min, p.int_max + 1)
    return len(ints) ** n, lambda: product(ints, repeat=n)


@lru_cache(maxsize=None)
def _int_class_values(av: str, p: Profile) -> tuple[int, ...]:
    return tuple(v for v in range(p.int_min, p.int_max + 1) if _sign(v) == av)


def _eq_reps(av: str, p: Profile) -> list:
    """Two distinct values of the class (one if it has one): enough to decide `==` exactly."""
    t = type_of_abstract(av)
    if t == "int":
        return list(_int_class_values(av, p)[:2])
    if t == "bool":
        return [av == "true"]
    n = _seq_len(av)
    if n == 0:
        return ["" if t == "str" else ()]
    return ["a" * n, "b" * n] if t == "str" else [(0,) * n, (1,) * n]


from .transfer import op_outcomes, outcome_of, run_abstract, transfer  # noqa: E402,F401  (re-exported)
