"""The distance table of one target in the graph of abstract stack states (dsl/graph.py builds the graph and
describes the queries; `dsl.graph.reach_table` hands out one cached `Reach` per target).

    r = reach_table(("bool",), "type")          # a Reach: (int) -> a bool top in <= 2 ops?
    r.can_reach(("int",), 2); r.min_steps(("int",)); r.first_ops(("int",), 2)

Per state key it holds an exact distance or a lower bound. `_solve` explores a ball forward and settles it
by a backward BFS from the matching states; `_hopeless` skips states that provably need more ops than
remain: a known bound, the stack depth to make up (at most `_up` more or `_down` fewer values per op), or
the same question one level coarser (an abstract path is never longer than a concrete one).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .abstract import abstracter, type_of_abstract
from .ops import OPS

if TYPE_CHECKING:
    from .graph import AbstractGraph

MATCHES = ("top", "exact")


class Reach:
    """Distances from states to one target (a_out, match) in one AbstractGraph."""

    def __init__(self, graph: "AbstractGraph", a_out: tuple, match: str = "top"):
        if match not in MATCHES:
            raise ValueError(f"unknown match {match!r}; choose one of {', '.join(MATCHES)}")
        self.g, self.a_out, self.match = graph, tuple(a_out), match
        self.key = graph.key
        self._out_key = self.a_out if self.key is None else self.key(self.a_out)
        self.cap = graph.profile.max_program
        self.exact: dict = {}    # state key -> exact number of ops to a matching state
        self.lower: dict = {}    # state key -> lower bound on it (exact not known)
        self._first: dict = {}
        moves = [len(OPS[op].outputs) - OPS[op].arity for op in graph.ops]
        self._up, self._down = max(max(moves), 1), max(-min(moves), 1)   # depth change per op, at most
        coarser = {"concrete": "sign", "sign": "type"}.get(graph.level)
        self._coarse, self._lift = None, None
        if coarser is not None:
            lift = abstracter(coarser) if graph.level == "concrete" else type_of_abstract
            self._lift = lambda s: tuple(map(lift, s))
            from .graph import get_graph   # (dsl.graph imports this module)
            self._coarse = get_graph(graph.profile, coarser, self._lift(graph.aconsts)).target(
                self._lift(self.a_out), match)

    def matches(self, s: tuple) -> bool:
        """Does state key `s` (the state itself, except at the concrete level) match the target?"""
        if self.match == "exact":
            return s == self._out_key
        k = len(self.a_out)
        return len(s) >= k and s[len(s) - k:] == self._out_key

    def can_reach(self, state: tuple, steps: int) -> bool:
        """Is there a program of length <= steps (0 counts) from `state` to the target?"""
        k = state if self.key is None else self.key(state)
        d = self.exact.get(k)
        if d is not None:
            return d <= steps
        if self.lower.get(k, 0) > steps:
            return False
        return self.min_steps(state, steps) is not None

    def min_steps(self, state, bound: int | None = None) -> int | None:
        """Fewest ops from `state` to the target, or None if more than `bound` (default max_program)."""
        state = tuple(state)
        bound = self.cap if bound is None else min(bound, self.cap)
        if bound < 0:
            return None
        k = state if self.key is None else self.key(state)
        d = self.exact.get(k)
        if d is None and self.lower.get(k, 0) <= bound:
            self._solve(state, bound)
            d = self.exact.get(k)
        return d if d is not None and d <= bound else None

    def first_ops(self, state, max_len: int) -> frozenset:
        """Ops that start some program of length 1..max_len from `state` to the target."""
        state, max_len = tuple(state), min(max_len, self.cap)
        key = (state if self.key is None else self.key(state), max_len)
        r = self._first.get(key)
        if r is None:
            r = frozenset()
            if max_len >= 1 and self.min_steps(state, max_len) is not None:
                g = self.g
                i = g.node(state)
                succ = g.expand(i)
                r = frozenset(op for op, j in zip(g._succ_ops[i], succ)
                              if self.min_steps(g.states[j], max_len - 1) is not None)
            self._first[key] = r
        return r

    def _hopeless(self, state: tuple, key, room: int) -> bool:
        """True when `state` provably needs more than `room` ops: a known bound, the stack depth it has to
        make up, or the same question one level coarser (an abstract path is never longer than a concrete one)."""
        if self.lower.get(key, 0) > room:
            return True
        d, k = len(state), len(self.a_out)
        if d < k and -(-(k - d) // self._up) > room:
            return True
        if d > k and self.match == "exact" and -(-(d - k) // self._down) > room:
            return True
        return self._coarse is not None and not self._coarse.can_reach(self._lift(state), room)

    def _solve(self, root: tuple, radius: int) -> None:
        """Explore the ball of `radius` around root (skipping hopeless states and states already settled),
        then settle every state in it: exact distance when it is <= its remaining room, else a lower bound."""
        g, keys, exact, lower = self.g, self.g.keys, self.exact, self.lower
        level = {g.node(root): 0}
        frontier, expanded = list(level), []
        for d in range(radius + 1):
            nxt = []
            for i in frontier:
                k = keys[i]
                if k in exact or self.matches(k) or self._hopeless(g.states[i], k, radius - d):
                    continue
                if d < radius:
                    expanded.append(i)
                    for j in g.expand(i):
                        if j not in level:
                            level[j] = d + 1
                            nxt.append(j)
            frontier = nxt
        preds: dict[int, list[int]] = {}
        for i in expanded:
            for j in g._succ[i]:
                preds.setdefault(j, []).append(i)
        dist, buckets = {}, [[] for _ in range(radius + 2)]
        for i in level:  # sources: matching states, and states whose exact distance is already known
            d = 0 if self.matches(keys[i]) else exact.get(keys[i])
            if d is not None and d <= radius:
                dist[i] = d
                buckets[d].append(i)
        for d in range(radius):  # backward BFS inside the ball (sources at several distances)
            for i in buckets[d]:
                if dist[i] == d:
                    for j in preds.get(i, ()):
                        if dist.get(j, radius + 1) > d + 1:
                            dist[j] = d + 1
                            buckets[d + 1].append(j)
        for i, lev in level.items():
            s = keys[i]
            if s in exact:
                continue
            room = radius - lev
            d = dist.get(i)
            if d is not None and d <= room:
                exact[s] = d
                lower.pop(s, None)
            elif lower.get(s, 0) <= room:
                lower[s] = room + 1
