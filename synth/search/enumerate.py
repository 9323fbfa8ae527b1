"""Enumerative baseline: breadth-first by program length, with observational-equivalence pruning.

    from synth.search.enumerate import enumerate_search, EnumerateConfig
    res = enumerate_search(task, time_limit=5.0, profile=None, config=EnumerateConfig(prune=True))

How it searches. A search *state* is the tuple of every example's current stack (and nothing else). Level L
holds the states first reached by a program of L items; each is expanded by every item (the profile's ops,
`c0..` for the task's given constants, literals from `literals`, and free constants), and a new state is kept
only if no program reached it before (so at most one program per distinct behaviour on the examples is ever
extended). Every new state is checked against every example's output with the task's `match`; a hit is
verified by the real machine (`synth.search.base.verify`) before it is reported.

Speed. States are tuples of tuples; each op runs on all examples at once through a specialised step
(`fastops`). All examples usually share one *type signature* (the types on their stacks); the items that fit
a signature, their output signatures and whether they can match the output are computed once per signature
and cached, so the inner loop does no type checks. States whose examples differ in types take a slower,
generic path through the machine.

Free constants. A task may allow `free_constants` further int constants (else `free_constants` here). A free
constant is a push of a value drawn from `free_min..free_max` (clipped to the profile) plus the ints of the
task's outputs and inputs (minus the literal pool, which covers those); the first distinct value used is
`c{len(given)}`, the next `c{len(given)+1}`, ..., and the values are reported in `constants`. A state is
identified by its stacks only, so of two programs reaching the same stacks the first wins even if it binds
more free constants (rarely matters; noted for completeness). With `solve_tail`, the common ending
`c add|sub|mul` is not enumerated value by value: while level L is expanded, each state whose top int can
become the output's by adding, subtracting or multiplying one constant gets that constant solved from the
examples (any int of the profile, not just the pool); such a program of L + 1 items is returned once level L
is finished without a shorter solution (or at the time limit).

Abstract pruning (`prune: true`). An item is skipped when the types it leaves cannot reach the output's types
within the remaining length, when that is below `prune_horizon` (further out nearly everything is reachable,
and the exact answer costs seconds on `deepcoder`): with `dsl.graph`'s reachability table at the type level
(constants and literals enter it as abstract constants), or with a local type-level search (`prune_backend:
local`, or when dsl.graph is missing). With `prune: false` only type-correct items are run.

`candidates` counts the programs run on the examples (type-ill programs are never run and not counted).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from dsl.machine import apply
from dsl.ops import CONST_INDEX, OPS, Fail, out_types
from dsl.profiles import Profile, get_profile
from dsl.tasks import Task
from dsl.values import literal_text

from .base import SearchResult, register_method, unsolved, verify
from .fastops import push_step, state_step

_TYPE = {int: "int", bool: "bool", str: "str", tuple: "list"}
_CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


@dataclass
class EnumerateConfig:
    max_length: int = 8                  # longest program tried (task max_length and profile max_program cap it)
    free_constants: int = 0              # free int constants when the task does not say
    literals: list[int] = field(default_factory=lambda: [-1, 0, 1, 2, 3, 4, 5, 10])
    free_min: int = -64                  # values a free constant may take (clipped to the profile) ...
    free_max: int = 64                   # ... plus the ints found in the task's examples
    prune: bool = True                   # type-level reachability pruning
    prune_backend: str = "graph"         # "graph": dsl.graph's exact type-level reachability; "local": below
    prune_horizon: int = 3               # look-ahead of the pruning (steps); beyond it, assume reachable
    max_states: int = 2_000_000          # states remembered; past it, no new states are stored (bounded memory)
    check_every: int = 32                # expansions between clock checks
    clock: str = "wall"                  # time limit and `seconds` in "wall" time or this process's "cpu" time
    solve_tail: bool = True              # solve for a free constant in a final `c add|sub|mul` (any int value)


@dataclass(frozen=True)
class _Item:
    text: str            # program text of the item ("c1" for a free constant is fixed at the end)
    code: object         # machine code: op name, or (value,) for a push
    op: str | None       # op name, None for a push
    type: str | None     # pushed value's type
    free: bool = False   # a free-constant push (value bound to the next c slot)


def sig_of(state) -> tuple | None:
    """The type signature shared by all stacks of `state`, or None when the examples differ."""
    first = tuple([_TYPE[type(v)] for v in state[0]])
    for s in state[1:]:
        if len(s) != len(first) or tuple([_TYPE[type(v)] for v in s]) != first:
            return None
    return first


class _Goal:
    """The task's outputs: type-level test (per signature) and value-level test (per state)."""

    def __init__(self, task: Task):
        self.outs = tuple(ex.output for ex in task.examples)
        self.exact = task.match == "exact"
        osigs = {tuple(_TYPE[type(v)] for v in o) for o in self.outs}
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


class _Reach:
    """reach(sig, r): can some items turn type signature `sig` into one the goal accepts within r steps?"""

    def __init__(self, goal: _Goal, ops, push_types, p: Profile, horizon: int):
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


def _graph_reach(goal: _Goal, match: str, p: Profile, push_types, horizon: int):
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


def _items(task: Task, p: Profile, cfg: EnumerateConfig, nfree: int):
    ops = [o for o in p.ops if o not in CONST_INDEX]
    items = [_Item(o, o, o, None) for o in ops]
    given = list(task.constants)
    items += [_Item(f"c{k}", (v,), None, _TYPE[type(v)]) for k, v in enumerate(given)]
    givenset = {(type(v), v) for v in given}
    lits = []
    for v in cfg.literals:
        if type(v) is int and p.int_min <= v <= p.int_max and (int, v) not in givenset and v not in lits:
            lits.append(v)
    items += [_Item(literal_text(v), (v,), None, "int") for v in lits]
    free = []
    if nfree:
        pool = set(range(max(cfg.free_min, p.int_min), min(cfg.free_max, p.int_max) + 1))
        for ex in task.examples:
            pool.update(v for v in ex.output + ex.input if type(v) is int)
        free = sorted(pool - set(lits) - {v for t, v in givenset if t is int}, key=lambda v: (abs(v), v < 0))
    items += [_Item("", (v,), None, "int", free=True) for v in free]
    return items


def enumerate_search(task: Task, time_limit: float, profile: str | Profile | None = None,
                     config: EnumerateConfig | None = None) -> SearchResult:
    """Shortest program (fewest items) that solves `task`, within `time_limit` seconds (see module doc)."""
    cfg = config or EnumerateConfig()
    if cfg.prune_backend not in ("graph", "local"):
        raise ValueError(f"unknown prune_backend {cfg.prune_backend!r}; choose one of graph, local")
    if cfg.clock not in _CLOCKS:
        raise ValueError(f"unknown clock {cfg.clock!r}; choose one of {', '.join(_CLOCKS)}")
    p = get_profile(profile if profile is not None else task.profile)
    clock = _CLOCKS[cfg.clock]
    t0 = clock()
    deadline = t0 + time_limit
    n_const = sum(1 for o in p.ops if o in CONST_INDEX)
    nfree = task.free_constants if task.free_constants is not None else cfg.free_constants
    nfree = max(0, min(nfree, n_const - len(task.constants)))
    max_len = min(cfg.max_length, task.max_length or p.max_program, p.max_program)

    items = _items(task, p, cfg, nfree)
    goal = _Goal(task)
    push_types = sorted({it.type for it in items if it.op is None})
    reach = None
    if cfg.prune:
        reach = _graph_reach(goal, task.match, p, push_types, cfg.prune_horizon) if cfg.prune_backend == "graph" else None
        reach = reach or _Reach(goal, [it.op for it in items if it.op], push_types, p, cfg.prune_horizon)
    steps = [state_step(it.op, p) if it.op else push_step(it.code[0]) for it in items]
    fixed = [i for i, it in enumerate(items) if not it.free]
    free_ids = [i for i, it in enumerate(items) if it.free]
    cache: dict = {}

    def entries(sig, r):
        """(item index, step, output signature or None if value-dependent, can it match?) for a signature."""
        key = (sig, r)
        got = cache.get(key)
        if got is not None:
            return got
        got = []
        for i in fixed:
            it = items[i]
            if it.op is None:
                outs = [sig + (it.type,)]
            else:
                n = OPS[it.op].arity
                if len(sig) < n:
                    continue
                outs = [sig[:len(sig) - n] + o for o in out_types(it.op, sig[len(sig) - n:])]
            outs = [s for s in outs if len(s) <= p.max_depth]
            if not outs or (reach is not None and not any(reach(s, r) for s in outs)):
                continue
            got.append((i, steps[i], outs[0] if len(outs) == 1 else None, any(goal.sig_ok(s) for s in outs)))
        s2 = sig + ("int",)
        free_ok = bool(free_ids) and len(s2) <= p.max_depth and (reach is None or reach(s2, r))
        cache[key] = got = (got, free_ok and goal.sig_ok(s2), free_ok)
        return got

    init = tuple(ex.input for ex in task.examples)
    cand = 0
    no_quick = goal.k == 0          # quick reject on example 0's top value (types already agree)
    last0 = goal.outs[0][-1] if goal.k else None

    def done(prog, bound, tail=()):
        """Verified result for item indices `prog` (+ `tail`: free values as 1-tuples, op names), or None."""
        code, free_slot = [], {v: len(task.constants) + j for j, v in enumerate(bound)}
        text = []
        for i in prog:
            it = items[i]
            code.append(f"c{free_slot[it.code[0]]}" if it.free else it.code)
            text.append(f"c{free_slot[it.code[0]]}" if it.free else it.text)
        for x in tail:
            code.append(x if type(x) is str else f"c{free_slot[x[0]]}")
            text.append(code[-1])
        consts = list(task.constants) + list(bound)
        if verify(task, code, consts, p):
            return SearchResult(task.name, True, " ".join(text), consts, clock() - t0, "enumerate", cand)
        return None

    if goal.any_ok(init):
        res = done((), ())
        if res:
            return res
    seen = {init}
    frontier = [(init, sig_of(init), (), ())]
    tick = 0
    tail_ops = [o for o in _TAIL_OPS if o in p.ops] if cfg.solve_tail and nfree else []
    pending = None                 # a solution one item longer than the current level (from _solve_tail)
    for length in range(1, max_len + 1):
        r = max_len - length       # steps left after this item
        keep = r > 0
        nxt = []
        for state, sig, prog, bound in frontier:
            tick += 1
            if tick >= cfg.check_every:
                tick = 0
                if clock() > deadline:
                    return pending or unsolved(task, clock() - t0, "enumerate", cand)
            if (tail_ops and pending is None and keep and sig and sig[-1] == "int"
                    and len(sig) < p.max_depth and goal.sig_ok(sig) and goal.rest_ok(state)):
                for op in tail_ops:   # `prog c op` with c solved for: one candidate per op
                    cand += 1
                    c = _solve_tail(state, goal.outs, op, p)
                    if c is not None and (c in bound or len(bound) < nfree):
                        pending = done(prog, bound if c in bound else bound + (c,), ((c,), op))
                        if pending:
                            break
            if sig is None:   # examples differ in types: generic path
                for i, new, nb in _generic(state, items, bound, nfree, task, p):
                    cand += 1
                    if goal.any_ok(new):
                        res = done(prog + (i,), nb)
                        if res:
                            return res
                    if keep and new not in seen and len(seen) < cfg.max_states:
                        seen.add(new)
                        nxt.append((new, sig_of(new), prog + (i,), nb))
                continue
            ents, free_match, free_ok = entries(sig, r)
            for i, step, sig2, can_match in ents:
                new = step(state)
                cand += 1
                if new is None:
                    continue
                if sig2 is None:  # value-dependent output type (select on mixed types)
                    sig2 = sig_of(new)
                    can_match = goal.any_ok(new)
                    if can_match:
                        res = done(prog + (i,), bound)
                        if res:
                            return res
                elif can_match and (no_quick or new[0][-1] == last0) and goal.values_ok(new):
                    res = done(prog + (i,), bound)
                    if res:
                        return res
                if keep and new not in seen and len(seen) < cfg.max_states:
                    seen.add(new)
                    nxt.append((new, sig2, prog + (i,), bound))
            if free_ok:
                s2 = sig + ("int",)
                for i in (free_ids if len(bound) < nfree else [j for j in free_ids if items[j].code[0] in bound]):
                    v = items[i].code[0]
                    new = steps[i](state)
                    cand += 1
                    nb = bound if v in bound else bound + (v,)
                    if free_match and goal.values_ok(new):
                        res = done(prog + (i,), nb)
                        if res:
                            return res
                    if keep and new not in seen and len(seen) < cfg.max_states:
                        seen.add(new)
                        nxt.append((new, s2, prog + (i,), nb))
        if pending:
            return pending
        frontier = nxt
        if not frontier:
            break
    return unsolved(task, clock() - t0, "enumerate", cand)


_TAIL_OPS = ("add", "sub", "mul")


def _solve_tail(state, outs, op: str, p: Profile):
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


def _generic(state, items, bound, nfree, task, p):
    """Expand a state whose examples differ in types, one example at a time through the machine."""
    for i, it in enumerate(items):
        nb = bound
        if it.free:
            v = it.code[0]
            if v not in bound:
                if len(bound) >= nfree:
                    continue
                nb = bound + (v,)
        new = []
        for s in state:
            st = list(s)
            try:
                apply(it.code, st, (), p)
            except Fail:
                break
            new.append(tuple(st))
        else:
            yield i, tuple(new), nb


register_method("enumerate", config=EnumerateConfig)(enumerate_search)
register_method("enumerate_noprune", config=EnumerateConfig, section="enumerate",
                defaults={"prune": False})(enumerate_search)
