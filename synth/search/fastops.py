"""Fast op steps for enumeration: one function per op over a whole search state at once.

A *state* is a tuple of stacks, one per example, each stack a tuple of values (bottom first). The step of
op `name` maps a state to the next state, or None as soon as any example fails:

    step = state_step("add", profile)        # step(((1, 2), (3, 4))) == ((3,), (7,))
    push = push_step(7)                      # push(((1,), (2,))) == ((1, 7), (2, 7))

The caller guarantees what the types allow (the stack is deep enough and the argument types fit the op's
signature: the enumerator checks that once per *type signature* of a state, `dsl.ops.out_types`), so these
functions skip type checks and check only values (overflow, div_zero, index). They never check `max_depth`
either (also a type-level fact). Common ops are generated from the one-line bodies in `_BODY`; the rest wrap
the op table's own `fn` (`generic_step`). tests/synth/search/test_enumerate.py checks every op against the machine.
"""
from __future__ import annotations

from dsl.ops import OPS, Fail
from dsl.profiles import Profile
from dsl.values import check_value

# Ops that cannot fail on well-typed input: an expression of the stack `s` giving the new stack.
_PURE = {
    "dup": "s + (s[-1],)",
    "drop": "s[:-1]",
    "swap": "s[:-2] + (s[-1], s[-2])",
    "over": "s + (s[-2],)",
    "rot": "s[:-3] + (s[-2], s[-1], s[-3])",
    "min": "s[:-2] + (min(s[-2], s[-1]),)",
    "max": "s[:-2] + (max(s[-2], s[-1]),)",
    "half": "s[:-1] + (s[-1] // 2,)",
    "eq": "s[:-2] + (s[-2] == s[-1],)",
    "lt": "s[:-2] + (s[-2] < s[-1],)",
    "gt": "s[:-2] + (s[-2] > s[-1],)",
    "not": "s[:-1] + (not s[-1],)",
    "and": "s[:-2] + (s[-2] and s[-1],)",
    "or": "s[:-2] + (s[-2] or s[-1],)",
    "select": "s[:-3] + ((s[-2] if s[-3] else s[-1]),)",
    "len": "s[:-1] + (len(s[-1]),)",
    "reverse": "s[:-1] + (s[-1][::-1],)",
    "take": "s[:-2] + (s[-2][:max(s[-1], 0)],)",
    "skip": "s[:-2] + (s[-2][max(s[-1], 0):],)",
    "sort": "s[:-1] + (tuple(sorted(s[-1])),)",
    "filter_pos": "s[:-1] + (tuple([x for x in s[-1] if x > 0]),)",
    "filter_neg": "s[:-1] + (tuple([x for x in s[-1] if x < 0]),)",
    "filter_even": "s[:-1] + (tuple([x for x in s[-1] if not x % 2]),)",
    "filter_odd": "s[:-1] + (tuple([x for x in s[-1] if x % 2]),)",
}
# Ops that can fail: statements that set `n` (the new stack) or `return None`. LO/HI/ML: profile limits.
_INT2 = "r = s[-2] {} s[-1]\nif r < LO or r > HI: return None\nn = s[:-2] + (r,)"
_INT1 = "r = {}\nif r < LO or r > HI: return None\nn = s[:-1] + (r,)"
_MAP = "r = tuple([{}])\nif r and (min(r) < LO or max(r) > HI): return None\nn = s[:-1] + (r,)"
_BODY = {
    "add": _INT2.format("+"),
    "sub": _INT2.format("-"),
    "mul": _INT2.format("*"),
    "div": "if not s[-1]: return None\n" + _INT2.format("//"),
    "mod": "if not s[-1]: return None\nn = s[:-2] + (s[-2] % s[-1],)",
    "neg": _INT1.format("-s[-1]"),
    "abs": _INT1.format("abs(s[-1])"),
    "inc": _INT1.format("s[-1] + 1"),
    "dec": _INT1.format("s[-1] - 1"),
    "double": _INT1.format("2 * s[-1]"),
    "square": _INT1.format("s[-1] * s[-1]"),
    "concat": "r = s[-2] + s[-1]\nif len(r) > ML: return None\nn = s[:-2] + (r,)",
    "head": "if not s[-1]: return None\nn = s[:-1] + (s[-1][0],)",
    "last": "if not s[-1]: return None\nn = s[:-1] + (s[-1][-1],)",
    "access": "if not 0 <= s[-1] < len(s[-2]): return None\nn = s[:-2] + (s[-2][s[-1]],)",
    "to_str": "r = str(s[-1])\nif len(r) > ML: return None\nn = s[:-1] + (r,)",
    "sum": _INT1.format("sum(s[-1])"),
    "minimum": "if not s[-1]: return None\nn = s[:-1] + (min(s[-1]),)",
    "maximum": "if not s[-1]: return None\nn = s[:-1] + (max(s[-1]),)",
    "map_inc": _MAP.format("x + 1 for x in s[-1]"),
    "map_dec": _MAP.format("x - 1 for x in s[-1]"),
    "map_double": _MAP.format("2 * x for x in s[-1]"),
    "map_neg": _MAP.format("-x for x in s[-1]"),
    "map_square": _MAP.format("x * x for x in s[-1]"),
    "map_triple": _MAP.format("3 * x for x in s[-1]"),
    "map_quadruple": _MAP.format("4 * x for x in s[-1]"),
}


def _compile(name: str, p: Profile):
    env = {"LO": p.int_min, "HI": p.int_max, "ML": p.max_len}
    if name in _PURE:
        src = f"def step(state):\n    return tuple([{_PURE[name]} for s in state])\n"
    else:
        body = "\n".join("        " + ln for ln in _BODY[name].splitlines())
        src = (f"def step(state):\n    out = []\n    for s in state:\n{body}\n"
               f"        out.append(n)\n    return tuple(out)\n")
    exec(compile(src, f"<fastops {name}>", "exec"), env)
    return env["step"]


def generic_step(name: str, p: Profile):
    """A (slower) step built on the op table's `fn`; correct for every op."""
    op = OPS[name]
    fn, n, checked = op.fn, op.arity, op.checked

    def step(state):
        out = []
        for s in state:
            k = len(s) - n
            try:
                res = fn(p, *s[k:])
            except (Fail, ValueError, OverflowError):
                return None
            if checked:
                for v in res:
                    if check_value(v, p) is not None:
                        return None
            out.append(s[:k] + res)
        return tuple(out)
    return step


_CACHE: dict = {}


def state_step(name: str, p: Profile):
    """The fast step of op `name` under profile `p` (cached)."""
    key = (name, p)
    if key not in _CACHE:
        _CACHE[key] = _compile(name, p) if name in _PURE or name in _BODY else generic_step(name, p)
    return _CACHE[key]


def push_step(value):
    """Step that pushes `value` on every example's stack."""
    tail = (value,)
    return lambda state: tuple([s + tail for s in state])
