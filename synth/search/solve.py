"""Exact constant solving: the int c such that `c op` turns every example's top int into its output, or, at
any position, into a goal of the meeting in the middle.

    c = solve_tail(state, outs, "add", profile)      # add, sub, mul: from each example at once
    c = solve_op(state, outs, "mod", profile)        # div, mod (every c at once: op_tables), min, max
    join = Junction(meet, profile)                   # mid-program: `c op` + a tail of the meeting's goals
    for tail, new_free in join(state, n_bound): ...  # tail: (c item, op) or (c item, "swap", op) + moves

`state` is the tuple of every example's stack, `outs` the outputs. The BFS and the guided search call the
first two on states whose top is an int, instead of enumerating the constant's values. The junction is the
same solve with the meeting's goal sets (synth/search/bidir.py) in place of the outputs: the program is the
prefix, `c op`, then the goal's moves (the meeting itself invents only an added constant, `c add`).
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


def solve_op(state, outs, op: str, p: Profile):
    """An int c of the profile such that `c op` turns the top int of every stack into its output's last value
    (min, max: solved from the first example the op changes; div, mod: the smallest c of op_tables' row)."""
    xs, ys = [s[-1] for s in state], [o[-1] for o in outs]
    lo, hi = p.int_min, p.int_max
    if op in ("min", "max"):
        c = next((y for x, y in zip(xs, ys) if x != y), None)
        if c is None or not lo <= c <= hi:
            return None
        f = min if op == "min" else max
        return c if all(f(x, c) == y for x, y in zip(xs, ys)) else None
    ops, t = op_tables(p)
    k = ops.index((op, False))
    ok = np.ones(t.shape[2], dtype=bool)                      # [R]: c - lo passes every example so far
    for x, y in zip(xs, ys):
        if not isinstance(y, int) or not lo <= y <= hi:
            return None
        ok &= t[k, x - lo] == y - lo                          # div or mod by 0 and out-of-range results: R
        if not ok.any():
            return None
    return int(np.argmax(ok)) + lo


JOIN_OPS = (("mul", False), ("div", False), ("mod", False), ("min", False), ("max", False),
            ("sub", True), ("div", True), ("mod", True))          # (op, swapped: `c swap op` computes c op x)
_TABLES: dict = {}


def op_tables(p: Profile) -> tuple[list, np.ndarray]:
    """(the JOIN_OPS of this profile, T[k, x - lo, c - lo] = x op_k c as an index 0..R-1, or R where it fails
    or leaves the int range): every binary int op on every pair of ints, once per profile (numpy)."""
    if p.name not in _TABLES:
        ops = [(o, sw) for o, sw in JOIN_OPS if o in p.ops and (not sw or "swap" in p.ops)]
        lo, hi = p.int_min, p.int_max
        r = hi - lo + 1
        x = np.arange(lo, hi + 1, dtype=np.int64)[:, None]
        c = np.arange(lo, hi + 1, dtype=np.int64)[None, :]
        t = np.full((len(ops), r, r), r, dtype=np.int32)
        with np.errstate(divide="ignore", invalid="ignore"):
            for k, (o, sw) in enumerate(ops):
                a, b = (c, x) if sw else (x, c)
                a, b = np.broadcast_to(a, (r, r)), np.broadcast_to(b, (r, r))
                ok = np.ones((r, r), dtype=bool)
                if o in ("div", "mod"):
                    ok = b != 0
                    b = np.where(ok, b, 1)
                v = {"mul": a * b, "div": a // b, "mod": a % b, "min": np.minimum(a, b), "max": np.maximum(a, b),
                     "sub": a - b}[o]
                ok &= (v >= lo) & (v <= hi)
                t[k] = np.where(ok, v - lo, r)
        _TABLES[p.name] = (ops, t)
    return _TABLES[p.name]


class Junction:
    """`c op` + a goal's moves after a state whose tops are ints, for every c and op at once: the first two
    examples' values after `c op` are looked up in a table of the goals' value pairs, the rare hits checked
    on every example against the meeting's goal sets. About 25 µs a state; the guided search calls it on the
    states it expands."""

    def __init__(self, meet, p: Profile):
        self.meet, self.p = meet, p
        self.ops, self.t = op_tables(p)
        self.size = -1

    def _index(self) -> None:
        """pair[y0, y1]: some goal holds int y0 for example 0 and int y1 for example 1 (R: no value)."""
        m, lo, r = self.meet, self.p.int_min, self.t.shape[1]
        self.pair = np.zeros((r + 1, r + 1), dtype=bool)
        two = len(m.task.examples) > 1
        for key in m.goals:
            s0 = [v - lo for t, v in key[0] if t is int]
            s1 = [v - lo for t, v in key[1] if t is int] if two else [r]
            if s0 and s1 and len(s0) * len(s1) <= m.pair_cap:
                self.pair[np.ix_(s0, s1)] = True
        self.size = len(m.goals)

    def __call__(self, state, n_bound: int) -> list[tuple[tuple, list]]:
        m, lo, r = self.meet, self.p.int_min, self.t.shape[1]
        if not m.ok or not self.ops or any(not s or type(s[-1]) is not int for s in state):
            return []
        if self.size != len(m.goals):
            self._index()
        xs = [s[-1] - lo for s in state]
        y0 = self.t[:, xs[0], :]                                    # [ops, R]
        y1 = self.t[:, xs[1], :] if len(xs) > 1 else np.full_like(y0, r)
        out = []
        for k, ci in zip(*np.nonzero(self.pair[y0, y1])):
            tops = [(int, int(self.t[k, x, ci]) + lo) if self.t[k, x, ci] < r else None for x in xs]
            if None in tops:
                continue
            for key in m.by_first.get(tuple(tops[:m.m]), ()):
                if all(t in s for t, s in zip(tops, key)):
                    new: list = []
                    item = m.const_item(int(ci) + lo, n_bound, new)
                    if item is not None:
                        o, sw = self.ops[k]
                        out.append((((item, "swap", o) if sw else (item, o)) + m.goals[key], new))
                    break
            if len(out) >= 4:
                break
        return out
