"""Exact constant solving: the int c such that a final `c op` turns every example's top int into its output.

    c = solve_tail(state, outs, "add", profile)      # add, sub, mul: from each example at once
    c = solve_op(state, outs, "mod", -64, 63)        # div, mod (every c tested with numpy), min, max

`state` is the tuple of every example's stack, `outs` the outputs. The BFS and the guided search call these
on states whose top is an int, instead of enumerating the constant's values.
"""
from __future__ import annotations

import numpy as np

from dsl.profiles import Profile

TAIL_OPS = ("add", "sub", "mul")
SOLVE_OPS = ("div", "mod", "min", "max")


def solve_tail(state, outs, op: str, p: Profile):
    """The int c, if any, such that `c op` turns the top int of every stack into its output's last value."""
    c = None
    for s, o in zip(state, outs):
        x, y = s[-1], o[-1]
        if op == "add":
            v = y - x
        elif op == "sub":
            v = x - y
        elif x == 0:            # mul by anything: only 0 works, and c stays free
            if y != 0:
                return None
            continue
        elif y % x:
            return None
        else:
            v = y // x
        if c is None:
            c = v
        elif v != c:
            return None
    return c if c is not None and p.int_min <= c <= p.int_max else None



def solve_op(state, outs, op: str, lo: int, hi: int):
    """An int c in lo..hi such that `c op` turns the top int of every stack into its output's last value
    (min, max: solved from the first example the op changes; div, mod: every c tested at once with numpy)."""
    xs, ys = [s[-1] for s in state], [o[-1] for o in outs]
    if op in ("min", "max"):
        c = next((y for x, y in zip(xs, ys) if x != y), None)
        if c is None or not lo <= c <= hi:
            return None
        f = min if op == "min" else max
        return c if all(f(x, c) == y for x, y in zip(xs, ys)) else None
    cs = _CS.get((lo, hi))
    if cs is None:
        cs = _CS[(lo, hi)] = np.array([c for c in range(lo, hi + 1) if c], dtype=np.int64)
    for x, y in zip(xs, ys):
        cs = cs[(x // cs if op == "div" else x % cs) == y]
        if not len(cs):
            return None
    return int(cs[0])


_CS: dict = {}
