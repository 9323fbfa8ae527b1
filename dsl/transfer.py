"""Sound transfer functions of the ops at the type and sign levels, and abstract runs (levels: dsl/abstract.py).

    from dsl.transfer import transfer, run_abstract          # also re-exported by dsl.abstract
    transfer("add", ("int>0,odd", "int>0,odd"), (), "sign", "small") == {("int>0,even",), "overflow"}

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

from itertools import product

from .abstract import (_ABSTRACT, _COMPUTE_ERRORS, ERRORS, EXHAUSTIVE_LIMIT, INT_CLASSES, LEVELS, _check_av,
                       _eq_reps, _gamma, _seq_av, _seq_len, _sign, abstract, abstract_stack, abstracter,
                       concretize, level_of, show, show_stack, type_of_abstract, values_of)
from .machine import STEPS
from .ops import CONST_INDEX, OPS, Fail, out_types
from .parser import Program
from .profiles import Profile, get_profile
from .values import check_value

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
