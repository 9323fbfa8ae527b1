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

Transfer functions are SOUND: for every concrete stack and constants whose abstraction is the input, the
abstraction of the machine's outcome (a stack, or an error kind) is in the returned set. An outcome is an
abstract stack (tuple) or an error kind (str). They are derived from the concrete op table, not written per op:
  - concrete: run the machine's step.
  - sign: enumerate the concretization of each input and run the op's own `fn`. Exact (no loss) when every
    input is enumerated in full; ints (<= 128 per class for deepcoder) always are. Inputs the op can only move,
    never look into (signature tokens `a b c`, and the sequences `s` of len/reverse/concat/head/last/take/skip),
    are run as opaque placeholders (parametricity); an `e` taken out of a sequence may then be any element.
    The `T` inputs of `eq` only meet `==`, so two distinct representatives per class decide it exactly. When a
    `str`/`list` input (sum, sort, map_*, to_int, ...) would need more than EXHAUSTIVE_LIMIT runs (lists of
    length >= 3 in small), the answer is coarse but sound: every abstract value of the output type, plus every
    compute-phase error kind (`overflow` only for checked ops, which are the only ones that can overflow).
  - type: the union of the sign-level outcomes over the sign classes of each input, lifted to types.
Type- and sign-level results are cached per (op, abstract inputs, level, profile); the small profile's whole
sign table takes about 0.3 s to build (lazily), its type table a few ms more. Concrete ones are not cached.
"""
from __future__ import annotations

import re
from functools import lru_cache
from itertools import product
from typing import Iterable, Sequence

from .machine import STEPS
from .ops import CONST_INDEX, OPS, Fail, out_types
from .parser import Program
from .profiles import Profile, get_profile
from .values import TYPES, Value, check_value, literal_text

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


# ---- op-level transfer ------------------------------------------------------------------------------------

class _Hole:
    """An opaque input the op can only move: stands for whatever abstract value sat at position `i`."""
    __slots__ = ("i",)

    def __init__(self, i: int):
        self.i = i


_PARAMETRIC = ("a", "b", "c")
_CACHE: dict = {}


def op_outcomes(name: str, args: tuple, level="type", profile="small") -> frozenset:
    """Outcomes of op `name` on exactly its abstract inputs `args` (top last): output tuples and error kinds.
    No stack context: no underflow or depth check (see `transfer`)."""
    level, p = level_of(level), get_profile(profile)
    if name not in OPS or name in CONST_INDEX:
        raise ValueError(f"op_outcomes: {name!r} is not an op with inputs; choose one of "
                         f"{', '.join(n for n in OPS if n not in CONST_INDEX)}")
    args = tuple(args)
    if len(args) != OPS[name].arity:
        raise ValueError(f"op {name!r} takes {OPS[name].arity} inputs, got {len(args)}")
    return _outcomes(name, args, level, p)


def _outcomes(name: str, args: tuple, level: str, p: Profile) -> frozenset:
    """op_outcomes with normalised arguments (the graph's hot path)."""
    if level == "concrete":  # not cached: too many values, and 0 == False would share a cache key
        return _concrete_outcomes(name, args, p)
    key = (name, args, level, p)
    r = _CACHE.get(key)
    if r is None:
        for a in args:
            _check_av(a, level)
        r = _CACHE[key] = (_type_outcomes if level == "type" else _sign_outcomes)(name, args, p)
    return r


def _concrete_outcomes(name: str, args: tuple, p: Profile) -> frozenset:
    st = list(args)
    try:
        STEPS[name](st, p)
    except Fail as f:
        return frozenset((f.kind,))
    except Exception:  # the machine reads any other Python error as a type error
        return frozenset(("type",))
    return frozenset((tuple(st),))


def _lift(o):
    return o if type(o) is str else tuple(map(type_of_abstract, o))


def _type_outcomes(name: str, args: tuple, p: Profile) -> frozenset:
    """Union of the sign-level outcomes over the sign classes of each (non-placeholder) input, as types."""
    op = OPS[name]
    if not out_types(name, tuple(map(type_of_abstract, args))):
        return frozenset(("type",))
    choices = [(a,) if tok in _PARAMETRIC else values_of(a, "sign", p) for tok, a in zip(op.inputs, args)]
    out = set()
    for combo in product(*choices):
        key = (name, combo, "sign", p)
        r = _CACHE.get(key)
        if r is None:
            r = _CACHE[key] = _sign_outcomes(name, combo, p)
        out.update(map(_lift, r))
    return frozenset(out)


def _sign_outcomes(name: str, args: tuple, p: Profile) -> frozenset:
    """Run the op's fn on every combination of its inputs' concretizations (or placeholders), abstract."""
    op = OPS[name]
    types = tuple(map(type_of_abstract, args))
    if not out_types(name, types):
        return frozenset(("type",))
    s_type = next((t for tok, t in zip(op.inputs, types) if tok == "s"), None)
    domains, size = [], 1
    for i, (tok, a) in enumerate(zip(op.inputs, args)):
        if tok in _PARAMETRIC:
            domains.append((_Hole(i),))
        elif tok == "s":  # a sequence of distinct opaque elements
            domains.append((tuple(object() for _ in range(_seq_len(a))),))
        elif tok == "T":
            domains.append(_eq_reps(a, p))
        else:
            n, values = _gamma(a, p)
            size *= n
            if size > EXHAUSTIVE_LIMIT:
                return _coarse(op, args, s_type, p)
            domains.append(list(values()))
    raw = set()
    fn, checked = op.fn, op.checked
    for combo in product(*domains):
        try:
            r = fn(p, *combo)
        except Fail as f:
            raw.add(f.kind)
            continue
        except Exception:
            raw.add("type")
            continue
        raw.add("overflow" if checked and not _valid(r, op.outputs, p) else r)
    out = set()
    for r in raw:
        if type(r) is str:
            out.add(r)
        else:
            out.update(product(*(_abs_out(tok, v, args, s_type) for tok, v in zip(op.outputs, r))))
    return frozenset(out)


def _valid(r: tuple, toks: tuple, p: Profile) -> bool:
    for tok, v in zip(toks, r):
        if tok == "s":
            if len(v) > p.max_len:
                return False
        elif tok not in ("e", "a|b") and tok not in _PARAMETRIC and check_value(v, p) is not None:
            return False
    return True


def _abs_out(tok: str, v, args: tuple, s_type: str | None) -> tuple:
    """The possible abstract values of one raw output `v` with signature token `tok`."""
    if type(v) is _Hole:
        return (args[v.i],)
    if tok == "s":
        return (_seq_av(s_type, len(v)),)
    if tok == "e":  # an element of a sequence seen only by its length: any element
        return ("str[1]",) if s_type == "str" else INT_CLASSES
    return (_sign(v),)


def _coarse(op, args: tuple, s_type: str | None, p: Profile) -> frozenset:
    """Sound fallback: every abstract value of each output, plus every error the op could raise."""
    outs = []
    for tok in op.outputs:
        if tok in _PARAMETRIC:
            outs.append((args[op.inputs.index(tok)],))
        elif tok == "a|b":
            outs.append((args[op.inputs.index("a")], args[op.inputs.index("b")]))
        elif tok == "s":
            outs.append(values_of(s_type, "sign", p))
        elif tok == "e":
            outs.append(_abs_out("e", None, args, s_type))
        else:
            outs.append(values_of(tok, "sign", p))
    errors = _COMPUTE_ERRORS + (("overflow",) if op.checked else ())
    return frozenset(set(product(*outs)) | set(errors))


# ---- stack-level transfer and abstract runs ---------------------------------------------------------------

def transfer(name, astack, aconsts=(), level="type", profile="small") -> frozenset:
    """Outcomes of one item (op name, or literal as a 1-tuple) on abstract stack `astack` with abstract
    constants `aconsts`: abstract stacks (tuples) and error kinds (str), as the machine would order them."""
    return _step(name, tuple(astack), tuple(aconsts), level_of(level), get_profile(profile))


def _step(item, astack: tuple, aconsts: tuple, level: str, p: Profile) -> frozenset:
    if type(item) is tuple:  # a literal
        s = astack + (_ABSTRACT[level](item[0]),)
        return frozenset(("overflow" if len(s) > p.max_depth else s,))
    k = CONST_INDEX.get(item)
    if k is not None:
        if k >= len(aconsts):
            return frozenset(("missing_constant",))
        s = astack + (aconsts[k],)
        return frozenset(("overflow" if len(s) > p.max_depth else s,))
    op = OPS.get(item)
    if op is None:
        raise ValueError(f"unknown op {item!r}")
    n = op.arity
    if len(astack) < n:
        return frozenset(("underflow",))
    base, top = astack[:len(astack) - n], astack[len(astack) - n:]
    out = set()
    for o in _outcomes(item, top, level, p):
        if type(o) is str:
            out.add(o)
        else:
            s = base + o
            out.add("overflow" if len(s) > p.max_depth else s)
    return frozenset(out)


def run_abstract(code, astack, aconsts=(), level="type", profile="small") -> frozenset:
    """Every outcome of a whole program (Program, its .code, or op names / 1-tuple literals) under set
    semantics: the final abstract stacks and the error kinds some path can end in."""
    level, p = level_of(level), get_profile(profile)
    code = code.code if isinstance(code, Program) else tuple(code)
    if len(code) > p.max_program:
        return frozenset(("too_long",))
    aconsts, frontier, done = tuple(aconsts), {tuple(astack)}, set()
    for item in code:
        nxt = set()
        for s in frontier:
            for o in _step(item, s, aconsts, level, p):
                (done if type(o) is str else nxt).add(o)
        frontier = nxt
        if not frontier:
            break
    return frozenset(done | frontier)


def outcome_of(result, level="type"):
    """The abstract outcome of a machine `Result`: its abstract final stack, or its error kind."""
    return abstract_stack(result.stack, level) if result.ok else result.error


__all__ = ["LEVELS", "ERRORS", "INT_CLASSES", "EXHAUSTIVE_LIMIT", "level_of", "abstract", "abstract_stack",
           "abstracter", "type_of_abstract", "values_of", "concretize", "show", "show_stack", "op_outcomes",
           "transfer", "run_abstract", "outcome_of"]
