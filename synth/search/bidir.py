"""Meet in the middle: goal sets computed backward from the outputs, met by states reached forward.

    meet = Meet(task, profile, literals=[-1, 0, 1, 2], n_free=1, depth=3)
    for tail, new_free in meet.check(state, n_bound=0):      # state: tuple of every example's stack
        program = prefix_code + tail                          # tail: machine code items ("c1" for new_free[0])

Backward. A *move* changes only the top value of a stack: a unary op (`inc`, `half`, `to_str`, `reverse`,
`not`, `map_neg`, ...), a binary op with a literal or a given constant (`3 mul`, `c0 sub`, and the swapped
`3 swap sub`), or `concat` with a given string/list. The preimages of a value under a move are found by
tabulating the move over every int of the profile (int arguments: exact, whatever the move), or by an explicit
inverse checked forward on the machine (strings, lists, bools). Starting from the outputs (the top value of
each example), breadth-first over moves up to `depth`, every goal is a vector of per-example SETS of values
(e.g. `half` has two preimages per value) with the moves that carry any of them to the outputs.

Meeting. A forward state meets a goal when every example's top value is in that example's set; the program is
then the forward prefix + the goal's moves. Two meetings also invent constants: an additive one (the tops t and
an int goal g with g - t the same number c for every example: `c add` + moves), and a conditional one (bool
tops b and a goal whose value is A wherever b is true and B wherever it is false: `A B select` + moves). A new
constant is a literal or given constant when it is one, else a free constant (only while the task allows more).
Only for tasks matching the top value (`match: top`, one output value). Every program is verified by the caller.
"""
from __future__ import annotations

import re
from itertools import product
from typing import Sequence

from dsl.machine import apply
from dsl.ops import CONST_INDEX, OPS, Fail
from dsl.profiles import Profile
from dsl.tasks import Task
from dsl.values import check_value

_INT_RE = re.compile(r"-?(0|[1-9][0-9]*)")
_SEQ_INV = {
    "reverse": lambda y: [y[::-1]] if type(y) in (str, tuple) else [],
    "not": lambda y: [not y] if type(y) is bool else [],
    "to_int": lambda y: [str(y)] if type(y) is int else [],
    "to_str": lambda y: [int(y)] if type(y) is str and _INT_RE.fullmatch(y) and y != "-0" else [],
    "map_neg": lambda y: [tuple(-x for x in y)] if type(y) is tuple else [],
    "map_inc": lambda y: [tuple(x - 1 for x in y)] if type(y) is tuple else [],
    "map_dec": lambda y: [tuple(x + 1 for x in y)] if type(y) is tuple else [],
    "map_double": lambda y: [tuple(x // 2 for x in y)] if type(y) is tuple else [],
    "map_triple": lambda y: [tuple(x // 3 for x in y)] if type(y) is tuple else [],
    "map_quadruple": lambda y: [tuple(x // 4 for x in y)] if type(y) is tuple else [],
}
_INT_BIN = ("add", "sub", "mul", "div", "mod", "min", "max")


def typed(v):
    return (type(v), v)


class Move:
    """Items that replace the top value x by f(x); `code` is machine code (literals as 1-tuples)."""

    def __init__(self, code: tuple, p: Profile, consts: tuple, in_type: type | None):
        self.code, self.p, self.consts, self.in_type = code, p, consts, in_type
        self.table: dict | None = None

    def __call__(self, x):
        st = [x]
        try:
            for it in self.code:
                apply(it, st, self.consts, self.p)
        except Fail:
            return None
        return st[-1] if len(st) == 1 else None

    def preimages(self, y) -> list:
        if self.in_type is int:
            if self.table is None:
                self.table = {}
                for x in range(self.p.int_min, self.p.int_max + 1):
                    v = self(x)
                    if v is not None:
                        self.table.setdefault(typed(v), []).append(x)
            return self.table.get(typed(y), [])
        head = self.code[-1]
        inv = _SEQ_INV.get(head) if isinstance(head, str) else None
        if inv is None and head == "concat":
            c = self.consts[CONST_INDEX[self.code[0]]] if self.code[0] in CONST_INDEX else None
            swapped = len(self.code) == 3
            if c is None or type(y) is not type(c) or len(y) < len(c):
                return []
            if swapped:
                cand = [y[len(c):]] if y[:len(c)] == c else []
            else:
                cand = [y[:len(y) - len(c)]] if y[len(y) - len(c):] == c else []
        elif inv is not None:
            cand = inv(y)
        else:
            return []
        return [x for x in cand if check_value(x, self.p) is None and self(x) == y and type(self(x)) is type(y)]


def moves_for(task: Task, p: Profile, literals: Sequence[int]) -> list[Move]:
    consts = tuple(task.constants)
    ms = []
    for o in p.ops:
        if o in CONST_INDEX or o in ("dup", "drop"):
            continue
        op = OPS[o]
        if op.arity != 1 or len(op.outputs) != 1:
            continue
        if op.inputs[0] == "int":
            ms.append(Move((o,), p, consts, int))
        elif o in _SEQ_INV:
            ms.append(Move((o,), p, consts, None))
    ints = [(v,) for v in literals if type(v) is int and p.int_min <= v <= p.int_max]
    ints += [f"c{k}" for k, v in enumerate(consts) if type(v) is int]
    for o in _INT_BIN:
        if o not in p.ops:
            continue
        for c in ints:
            ms.append(Move((c, o), p, consts, int))
            if o in ("sub", "div", "mod"):
                ms.append(Move((c, "swap", o), p, consts, int))
    if "concat" in p.ops:
        for k, v in enumerate(consts):
            if type(v) in (str, tuple):
                ms.append(Move((f"c{k}", "concat"), p, consts, None))
                ms.append(Move((f"c{k}", "swap", "concat"), p, consts, None))
    return ms


class Meet:
    def __init__(self, task: Task, p: Profile, literals: Sequence[int] = (), n_free: int = 0, depth: int = 3,
                 max_goals: int = 20000, set_cap: int = 64, pair_cap: int = 1024, per_pair: int = 4,
                 deadline: float | None = None, clock=None):
        self.task, self.p = task, p
        self.ok = task.match == "top" and all(len(ex.output) == 1 for ex in task.examples)
        self.n_free, self.given = n_free, tuple(task.constants)
        self.lits = {v for v in literals if type(v) is int and p.int_min <= v <= p.int_max}
        self.depth, self.max_goals, self.set_cap = depth, max_goals, set_cap
        self.goals: dict = {}          # tuple of frozensets of typed values -> tail (tuple of code items)
        self.by_first: dict = {}       # typed values of the first m examples -> [goal key]
        self.pair_cap, self.per_pair = pair_cap, per_pair
        self.m = min(3, len(task.examples))
        self.by_diff: dict = {}        # int goals (singletons): differences to example 0 -> [(g0, tail)]
        self.by_pattern: dict = {}     # goals with <= 2 distinct values: labelling -> [(values, tail)]
        self.done = not self.ok
        if not self.ok:
            return
        self.moves = moves_for(task, p, literals)
        start = tuple(frozenset([typed(ex.output[0])]) for ex in task.examples)
        self._add(start, ())
        self._level, self._frontier, self._next, self._pos = 0, [start], [], 0
        self.grow(deadline, clock)

    def grow(self, deadline: float | None = None, clock=None) -> bool:
        """Continue the backward search (breadth-first, resumable) until `deadline` or `depth`; True when
        it is complete."""
        while not self.done:
            if self._pos >= len(self._frontier):
                self._level += 1
                self._frontier, self._next, self._pos = self._next, [], 0
                if self._level >= self.depth or not self._frontier:
                    self.done = True
                    break
            if deadline is not None and clock() > deadline:
                return False
            g = self._frontier[self._pos]
            self._pos += 1
            tail = self.goals[g]
            for mv in self.moves:
                pre = []
                for st in g:
                    xs = set()
                    for _, y in st:
                        xs.update(typed(x) for x in mv.preimages(y))
                        if len(xs) > self.set_cap:
                            break
                    if not xs or len(xs) > self.set_cap:
                        break
                    pre.append(frozenset(xs))
                else:
                    key = tuple(pre)
                    if key not in self.goals and len(self.goals) < self.max_goals:
                        self._add(key, mv.code + tail)
                        self._next.append(key)
        return True

    def _add(self, key, tail) -> None:
        self.goals[key] = tail
        head = key[:self.m]                  # index by the values of the first m examples
        n = 1
        for st in head:
            n *= len(st)
        if n <= self.pair_cap:
            for combo in product(*head):
                lst = self.by_first.setdefault(combo, [])
                if len(lst) < self.per_pair:                          # shortest tails first (BFS order)
                    lst.append(key)
        if all(len(s) == 1 for s in key):
            vals = [next(iter(s)) for s in key]
            if all(t is int for t, _ in vals):
                ints = [v for _, v in vals]
                self.by_diff.setdefault(tuple(v - ints[0] for v in ints[1:]), []).append((ints[0], tail))
            labels, seen = [], {}
            for v in vals:
                labels.append(seen.setdefault(v, len(seen)))
            if len(seen) == 2:
                self.by_pattern.setdefault(tuple(labels), []).append(([v for _, v in vals], tail))

    def const_item(self, v, n_bound: int, new: list):
        """Code item pushing int v: a literal, a given constant, or the next free constant (None: not allowed)."""
        if v in self.lits:
            return (v,)
        for k, c in enumerate(self.given):
            if type(c) is int and c == v:
                return f"c{k}"
        if not self.p.int_min <= v <= self.p.int_max:
            return None
        if v in new:
            return f"c{len(self.given) + n_bound + new.index(v)}"
        if n_bound + len(new) >= self.n_free:
            return None
        new.append(v)
        return f"c{len(self.given) + n_bound + len(new) - 1}"

    def check(self, state, n_bound: int = 0) -> list[tuple[tuple, list]]:
        """(tail, new free values) for every meeting of this state (one per kind at most). Called on every
        state the forward search reaches, so the common case (no meeting) is kept cheap."""
        if not self.ok:
            return []
        for s in state:
            if not s:
                return []
        a = state[0][-1]
        ta = type(a)
        keys = self.by_first.get(tuple([(type(s[-1]), s[-1]) for s in state[:self.m]]))
        out = []
        if keys:
            tops = [typed(s[-1]) for s in state]
            for key in keys:
                if all(t in s for t, s in zip(tops, key)):
                    out.append((self.goals[key], []))
                    break
        if ta is int and self.by_diff and self.n_free > n_bound:     # (without free constants: the moves `L add`)
            diffs = []
            for s in state[1:]:
                v = s[-1]
                if type(v) is not int:
                    break
                diffs.append(v - a)
            else:
                hit = self.by_diff.get(tuple(diffs))
                if hit:
                    g0, tail = hit[0]
                    new: list = []
                    c = self.const_item(g0 - a, n_bound, new)
                    if c is not None and g0 != a:
                        out.append(((c, "add") + tail, new))
        if ta is bool and self.by_pattern:
            tops = [s[-1] for s in state]
            if all(type(t) is bool for t in tops):
                labels, seen = [], {}
                for t in tops:
                    labels.append(seen.setdefault(t, len(seen)))
                for vals, tail in self.by_pattern.get(tuple(labels), ())[:4]:
                    x = next(v for v, c in zip(vals, tops) if c)       # the value where the condition is true
                    y = next(v for v, c in zip(vals, tops) if not c)
                    if type(x) is not int or type(y) is not int:
                        continue
                    new = []
                    cx, cy = self.const_item(x, n_bound, new), self.const_item(y, n_bound, new)
                    if cx is not None and cy is not None:
                        out.append(((cx, cy, "select") + tail, new))
                        break
        return out


from dsl.machine import code_text  # noqa: E402,F401
