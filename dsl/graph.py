"""The graph of abstract stack states: can some program of length <= L turn this abstract input into that output?

    from dsl.graph import first_ops, can_reach, min_steps, AbstractGraph
    first_ops(("str",), ("bool",), 2) == frozenset({"dup"})        # only `dup eq` does it in two steps
    can_reach(("int",), ("bool",), 2, aconsts=("int",)) is True     # e.g. `c0 lt`
    min_steps(("int",), ("str",)) == 1                              # `to_str`
    g = AbstractGraph("small", "type"); g.explore(("int",), 2); g.graph   # networkx MultiDiGraph

Nodes are abstract stacks at one level (dsl.abstract), with the constants' abstract values fixed; an edge
u -> v with attribute `op` (and key `op`) says op can take u to v. Error outcomes are not nodes, and a stack
deeper than the profile's max_depth is an overflow, so the graph is bounded. It is built lazily: a node's
edges are computed the first time a query needs them, from `dsl.abstract.op_outcomes` on its top 3 values.
`.graph` exports what has been built so far as a `networkx.MultiDiGraph` (a DiGraph subclass; several ops
often join the same two states, e.g. add/sub/mul from (int, int) to (int)).

Queries are exact with respect to the abstract semantics. A target is an abstract output `a_out` with a
`match`: "top" (the top len(a_out) values equal a_out) or "exact" (the stack equals a_out). Per target, a
`Reach` table (dsl/reach.py) remembers for each state seen either its exact distance to the target or a
lower bound. A query it cannot answer explores the ball of radius `steps` around the state (forward BFS)
and runs a backward BFS from the target states inside it; that settles every state in the ball for every
smaller remaining budget, so an enumerator that asks at the root and then at each child with one step less
gets O(1) answers (two dict lookups). For hot loops, bind the table once: `ok = reach_table(a_out, ...).can_reach`.
Programs are at most the profile's max_program long, so larger step counts are clamped to it.
"""
from __future__ import annotations

from .abstract import level_of
from .transfer import _outcomes
from .ops import CONST_INDEX, OPS
from .profiles import get_profile
from .reach import MATCHES, Reach


class AbstractGraph:
    """Lazily built state graph for one (profile, level, abstract constants)."""

    def __init__(self, profile="small", level="type", aconsts=()):
        self.profile = get_profile(profile)
        self.level = level_of(level)
        self.aconsts = tuple(aconsts)
        self.ops = tuple(self.profile.ops)
        # concrete stacks are keyed with their types, since 0 == False and hash alike in Python
        self.key = _typed if self.level == "concrete" else None
        self.states: list[tuple] = []        # id -> abstract stack
        self.keys: list = self.states if self.key is None else []   # id -> its dict key
        self._ids: dict = {}                 # key -> id
        self._succ: list = []                # id -> tuple of successor ids (None until expanded)
        self._succ_ops: list = []            # id -> tuple of op names, parallel to _succ
        self._windows: dict[tuple, tuple] = {}
        self._targets: dict[tuple, Reach] = {}

    # -- nodes and edges --
    def node(self, state: tuple) -> int:
        k = state if self.key is None else self.key(state)
        i = self._ids.get(k)
        if i is None:
            i = self._ids[k] = len(self.states)
            if self.key is not None:
                self.keys.append(k)
            self.states.append(state)
            self._succ.append(None)
            self._succ_ops.append(None)
        return i

    def _moves(self, window: tuple) -> tuple:
        """(op, values consumed, possible output tuples) of every op that can succeed on this top window."""
        wkey = window if self.key is None else self.key(window)
        moves = self._windows.get(wkey)
        if moves is None:
            out = []
            for op in self.ops:
                k = CONST_INDEX.get(op)
                if k is not None:
                    if k < len(self.aconsts):
                        out.append((op, 0, ((self.aconsts[k],),)))
                    continue
                n = OPS[op].arity
                if n > len(window):
                    continue
                outs = tuple(o for o in _outcomes(op, window[len(window) - n:], self.level, self.profile)
                             if type(o) is tuple)
                if outs:
                    out.append((op, n, outs))
            moves = self._windows[wkey] = tuple(out)
        return moves

    def expand(self, i: int) -> tuple:
        """Successor ids of node `i` (computed once)."""
        succ = self._succ[i]
        if succ is None:
            s = self.states[i]
            depth, limit = len(s), self.profile.max_depth
            ids, ops = [], []
            for op, n, outs in self._moves(s[-3:]):
                base = s[:depth - n] if n else s
                for o in outs:
                    if depth - n + len(o) <= limit:
                        ids.append(self.node(base + o))
                        ops.append(op)
            succ = self._succ[i] = tuple(ids)
            self._succ_ops[i] = tuple(ops)
        return succ

    def successors(self, state) -> list[tuple[str, tuple]]:
        """[(op, next abstract stack), ...] for every op that can succeed on `state`."""
        i = self.node(tuple(state))
        succ = self.expand(i)
        return [(op, self.states[j]) for op, j in zip(self._succ_ops[i], succ)]

    def explore(self, start, steps: int) -> dict[tuple, int]:
        """Forward BFS: every state reachable from `start` in <= steps ops, with its distance."""
        dist = {self.node(tuple(start)): 0}
        frontier = list(dist)
        for d in range(1, steps + 1):
            nxt = []
            for i in frontier:
                for j in self.expand(i):
                    if j not in dist:
                        dist[j] = d
                        nxt.append(j)
            frontier = nxt
        return {self.states[i]: d for i, d in dist.items()}

    @property
    def graph(self):
        """The part built so far as a networkx.MultiDiGraph: nodes are abstract stacks, edges carry `op`."""
        import networkx as nx
        g = nx.MultiDiGraph(profile=self.profile.name, level=self.level, aconsts=self.aconsts)
        g.add_nodes_from(self.states)
        for i, succ in enumerate(self._succ):
            if succ is not None:
                u = self.states[i]
                for op, j in zip(self._succ_ops[i], succ):
                    g.add_edge(u, self.states[j], key=op, op=op)
        return g

    def target(self, a_out, match: str = "top") -> Reach:
        a_out = tuple(a_out)
        key = (a_out if self.key is None else self.key(a_out), match)
        r = self._targets.get(key)
        if r is None:
            r = self._targets[key] = Reach(self, a_out, match)
        return r


def _typed(values: tuple) -> tuple:
    return tuple((type(v), v) for v in values)


# ---- module-level queries, cached per (profile, level, aconsts) and per target ----------------------------

_GRAPHS: dict[tuple, AbstractGraph] = {}
_TABLES: dict[tuple, Reach] = {}


def get_graph(profile="small", level="type", aconsts=()) -> AbstractGraph:
    p, level, aconsts = get_profile(profile), level_of(level), tuple(aconsts)
    key = (p, level, aconsts if level != "concrete" else _typed(aconsts))
    g = _GRAPHS.get(key)
    if g is None:
        g = _GRAPHS[key] = AbstractGraph(p, level, aconsts)
    return g


def reach_table(a_out, level="type", profile="small", aconsts=(), match="top") -> Reach:
    """The cached distance table for one target; its .can_reach / .min_steps / .first_ops are the queries."""
    try:
        if level == "concrete" or level == 0:   # keep True apart from 1 in the keys
            key = (_typed(a_out), "concrete", profile, _typed(aconsts), match)
        else:
            key = (a_out, level, profile, aconsts, match)
        r = _TABLES.get(key)
    except TypeError:  # unhashable arguments (lists): normalise, skip the fast cache
        key, r = None, None
    if r is None:
        r = get_graph(profile, level, aconsts).target(a_out, match)
        if key is not None:
            _TABLES[key] = r
    return r


def can_reach(a_in, a_out, steps: int, level="type", profile="small", aconsts=(), match="top") -> bool:
    """Can some program of length <= steps (0 counts) turn abstract stack a_in into one matching a_out?"""
    r = reach_table(a_out, level, profile, aconsts, match)
    return r.can_reach(a_in if type(a_in) is tuple else tuple(a_in), steps)


def min_steps(a_in, a_out, max_steps: int | None = None, level="type", profile="small", aconsts=(),
              match="top") -> int | None:
    """Length of the shortest such program (0 if a_in already matches), or None beyond max_steps."""
    return reach_table(a_out, level, profile, aconsts, match).min_steps(a_in, max_steps)


def first_ops(a_in, a_out, max_len: int, level="type", profile="small", aconsts=(), match="top") -> frozenset:
    """The ops that can start a program of length 1..max_len turning a_in into a state matching a_out."""
    return reach_table(a_out, level, profile, aconsts, match).first_ops(a_in, max_len)


__all__ = ["AbstractGraph", "Reach", "MATCHES", "get_graph", "reach_table", "can_reach", "min_steps",
           "first_ops"]
