"""Type-level reachability pruning of the BFS: can a state's type signature still reach the outputs?

    goal = Goal(task)                                          # the outputs' type signatures
    reach = graph_reach(goal, match, p, push_types, horizon)   # exact tables from dsl.graph, or None
    reach = Reach(goal, ops, push_types, max_depth, horizon)   # else a local look-ahead over `successors`

Used by the BFS (bfs.py) and the relaxed search space (space.py); enumerate.py describes the pruning.
"""
from __future__ import annotations

from dsl.ops import CONST_INDEX, OPS, out_types
from dsl.profiles import Profile
from dsl.tasks import Task

TYPE = {int: "int", bool: "bool", str: "str", tuple: "list"}


class Goal:
    """The task's outputs: type-level test (per signature) and value-level test (per state)."""

    def __init__(self, task: Task):
        self.outs = tuple(ex.output for ex in task.examples)
        self.exact = task.match == "exact"
        osigs = {tuple(TYPE[type(v)] for v in o) for o in self.outs}
        self.sig = osigs.pop() if len(osigs) == 1 else None  # None: outputs differ in types
        self.k = len(self.outs[0])

    def sig_ok(self, sig) -> bool:
        if self.sig is None:
            return False
        if self.exact:
            return sig == self.sig
        return len(sig) >= self.k and sig[len(sig) - self.k:] == self.sig

    def values_ok(self, state) -> bool:  # for states whose signature passed sig_ok
        if self.exact:
            return state == self.outs
        k, outs = self.k, self.outs
        if state[0][len(state[0]) - k:] != outs[0]:
            return False
        return all(s[len(s) - k:] == o for s, o in zip(state, outs))

    def rest_ok(self, state) -> bool:  # all but the last expected value already in place
        if self.exact:
            return all(s[:-1] == o[:-1] for s, o in zip(state, self.outs))
        k = self.k
        return k <= 1 or all(s[len(s) - k:-1] == o[:-1] for s, o in zip(state, self.outs))

    def any_ok(self, state) -> bool:  # exact test for any state (types compared too: True != 1)
        for s, o in zip(state, self.outs):
            top = s if self.exact else s[len(s) - len(o):]
            if len(top) != len(o) or len(s) < len(o):
                return False
            if any(type(x) is not type(y) or x != y for x, y in zip(top, o)):
                return False
        return True


class Reach:
    """reach(sig, r): can some items turn type signature `sig` into one the goal accepts within r steps?"""

    def __init__(self, goal: Goal, ops, push_types, p: Profile, horizon: int):
        self.goal, self.ops, self.push_types, self.p, self.horizon = goal, ops, push_types, p, horizon
        self.memo: dict = {}

    def __call__(self, sig: tuple, r: int) -> bool:
        if self.goal.sig is None or r >= self.horizon:
            return True
        key = (sig, r)
        hit = self.memo.get(key)
        if hit is None:
            hit = self.memo[key] = self._search(sig, r)
        return hit

    def _search(self, sig, r) -> bool:
        if self.goal.sig_ok(sig):
            return True
        if r == 0:
            return False
        for s2 in successors(sig, self.ops, self.push_types, self.p.max_depth):
            if self(s2, r - 1):
                return True
        return False


def successors(sig, ops, push_types, max_depth):
    """Signatures reachable from `sig` by one item."""
    out = set()
    if len(sig) < max_depth:
        out.update(sig + (t,) for t in push_types)
    for name in ops:
        n = OPS[name].arity
        if len(sig) < n:
            continue
        for o in out_types(name, sig[len(sig) - n:]):
            s2 = sig[:len(sig) - n] + o
            if len(s2) <= max_depth:
                out.add(s2)
    return out


def graph_reach(goal: Goal, match: str, p: Profile, push_types, horizon: int):
    """`reach(sig, r)` from dsl.graph (exact at the type level), or None when that module is missing or
    cannot express this item set (more push types than the profile has constant ops)."""
    try:
        from dsl.graph import reach_table
    except ImportError:
        return None
    if goal.sig is None or len(push_types) > sum(1 for o in p.ops if o in CONST_INDEX):
        return None
    can = reach_table(goal.sig, "type", p, tuple(push_types), match).can_reach
    return lambda sig, r: r >= horizon or can(sig, r)
