"""Breadth-first search by program length: the loop shared by `enumerate` (the baseline) and `hybrid`.

    from synth.search.bfs import BFS
    bfs = BFS(task, profile, cfg, time_limit, method="enumerate")   # cfg: an EnumerateConfig
    res = bfs.run()                                                  # SearchResult

How it searches. A search *state* is the tuple of every example's current stack (and nothing else). Level L
holds the states first reached by a program of L items; each is expanded by every item (`items`: the
choices.py Choices of the profile's ops, `c0..` for the task's given constants, literals from `literals`, and
free constants), and a new state is kept only if no program reached it before (so at most one program per
distinct behaviour on the examples is ever extended). Every new state is checked against every example's
output with the task's `match`; a hit is verified by the real machine (`synth.search.base.verify`) before it
is reported. Free constants, `solve_tail` and pruning are described in enumerate.py.

Speed. States are tuples of tuples; each op runs on all examples at once through a specialised step
(`fastops`). All examples usually share one *type signature* (the types on their stacks); the items that fit
a signature, their output signatures and whether they can match the output are computed once per signature
and cached, so the inner loop does no type checks. States whose examples differ in types take a slower,
generic path through the machine.

Hooks (attributes, None by default, read again at the start of every level; the hybrid uses them):
    on_level(length, frontier) -> SearchResult | None   before level `length` is expanded; may reorder
                                                         `frontier` (a list of (state, sig, prog, bound)) in place
    on_new(state, prog, bound) -> SearchResult | None   every state reached that no program reached before
    score(k, i) -> float                                 items tried at position k are sorted by descending score
A hook may read and add to `cand` (candidates so far) and change `items`, `steps`, `free_ids` (then clear
`cache`). `prog` is a tuple of indices into `items`; `bound` the free-constant values in slot order.
"""
from __future__ import annotations

from dsl.machine import apply
from dsl.ops import CONST_INDEX, OPS, Fail, out_types
from dsl.profiles import Profile, get_profile
from dsl.tasks import Task

from .base import SearchResult, get_clock, unsolved, verify
from .choices import bfs_choices
from .fastops import push_step, state_step
from .prune import TYPE, Goal, Reach, graph_reach
from .solve import TAIL_OPS, solve_tail



def sig_of(state) -> tuple | None:
    """The type signature shared by all stacks of `state`, or None when the examples differ."""
    first = tuple([TYPE[type(v)] for v in state[0]])
    for s in state[1:]:
        if len(s) != len(first) or tuple([TYPE[type(v)] for v in s]) != first:
            return None
    return first


def generic(state, items, bound, nfree, p):
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


class BFS:
    """One search of one task: items, goal, pruning and the level loop (`run`); hooks in the module doc."""

    def __init__(self, task: Task, profile: str | Profile | None, cfg, time_limit: float, method: str):
        self.task, self.cfg, self.method = task, cfg, method
        self.p = p = get_profile(profile if profile is not None else task.profile)
        self.clock = get_clock(cfg.clock)
        self.t0 = self.clock()
        self.deadline = self.t0 + time_limit
        n_const = sum(1 for o in p.ops if o in CONST_INDEX)
        nfree = task.free_constants if task.free_constants is not None else cfg.free_constants
        self.nfree = max(0, min(nfree, n_const - len(task.constants)))
        self.max_len = min(cfg.max_length, task.max_length or p.max_program, p.max_program)
        self.items = items = bfs_choices(task, p, cfg, self.nfree)
        self.goal = goal = Goal(task)
        push_types = sorted({it.type for it in items if it.op is None})
        self.reach = None
        if cfg.prune:
            reach = graph_reach(goal, task.match, p, push_types, cfg.prune_horizon)
            self.reach = reach or Reach(goal, [it.op for it in items if it.op], push_types, p, cfg.prune_horizon)
        self.steps = [state_step(it.op, p) if it.op else push_step(it.code[0]) for it in items]
        self.fixed = [i for i, it in enumerate(items) if not it.free]
        self.free_ids = [i for i, it in enumerate(items) if it.free]
        self.cache: dict = {}
        self.init = tuple(ex.input for ex in task.examples)    # the start state
        self.cand = 0
        self.on_level = self.on_new = self.score = None

    def entries(self, sig, r: int, k: int):
        """For a signature with r steps left after item k: ([(item index, step, output signature or None if
        value-dependent, can it match?)], can a free constant match?, may a free constant be pushed?)."""
        key = (sig, r)                 # r fixes k (k = max_len - 1 - r)
        got = self.cache.get(key)
        if got is not None:
            return got
        got = []
        items, p, reach, goal = self.items, self.p, self.reach, self.goal
        for i in self.fixed:
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
            got.append((i, self.steps[i], outs[0] if len(outs) == 1 else None, any(goal.sig_ok(s) for s in outs)))
        if self.score is not None:
            got.sort(key=lambda e: -self.score(k, e[0]))
        s2 = sig + ("int",)
        free_ok = bool(self.free_ids) and len(s2) <= p.max_depth and (reach is None or reach(s2, r))
        self.cache[key] = got = (got, free_ok and goal.sig_ok(s2), free_ok)
        return got

    def done(self, prog, bound, cand: int, tail=()) -> SearchResult | None:
        """Verified result for item indices `prog` (+ `tail`: free values as 1-tuples, op names), or None."""
        task, items = self.task, self.items
        self.cand = cand
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
        if verify(task, code, consts, self.p):
            return SearchResult(task.name, True, " ".join(text), consts, self.clock() - self.t0, self.method, cand)
        return None

    def new(self, state, prog, bound, cand: int) -> SearchResult | None:
        """The on_new hook, with `cand` up to date."""
        self.cand = cand
        return self.on_new(state, prog, bound)

    def unsolved(self) -> SearchResult:
        return unsolved(self.task, self.clock() - self.t0, self.method, self.cand)

    def run(self) -> SearchResult:
        """Shortest program (fewest items) that solves the task, or unsolved at the time limit."""
        p, cfg, goal, clock, deadline, nfree = self.p, self.cfg, self.goal, self.clock, self.deadline, self.nfree
        init = self.init
        if goal.any_ok(init):
            res = self.done((), (), 0)
            if res:
                return res
        seen = {init}
        frontier = [(init, sig_of(init), (), ())]
        cand = tick = 0
        no_quick = goal.k == 0          # quick reject on example 0's top value (types already agree)
        last0 = goal.outs[0][-1] if goal.k else None
        tail_ops = [o for o in TAIL_OPS if o in p.ops] if cfg.solve_tail and nfree else []
        max_states, check_every = cfg.max_states, cfg.check_every
        pending = None                 # a solution one item longer than the current level (from solve_tail)
        for length in range(1, self.max_len + 1):
            r = self.max_len - length  # steps left after this item
            k = length - 1             # position of the item
            keep = r > 0
            if self.on_level is not None:
                self.cand = cand
                res = self.on_level(length, frontier)
                cand = self.cand
                if res:
                    return res
            on_new, items, steps, free_ids = self.on_new, self.items, self.steps, self.free_ids
            nxt = []
            for state, sig, prog, bound in frontier:
                tick += 1
                if tick >= check_every:
                    tick = 0
                    if clock() > deadline:
                        self.cand = cand
                        return pending or self.unsolved()
                if (tail_ops and pending is None and keep and sig and sig[-1] == "int"
                        and len(sig) < p.max_depth and goal.sig_ok(sig) and goal.rest_ok(state)):
                    for op in tail_ops:   # `prog c op` with c solved for: one candidate per op
                        cand += 1
                        c = solve_tail(state, goal.outs, op, p)
                        if c is not None and (c in bound or len(bound) < nfree):
                            pending = self.done(prog, bound if c in bound else bound + (c,), cand, ((c,), op))
                            if pending:
                                break
                if sig is None:   # examples differ in types: generic path
                    for i, new, nb in generic(state, items, bound, nfree, p):
                        cand += 1
                        if goal.any_ok(new) and (res := self.done(prog + (i,), nb, cand)):
                            return res
                        if on_new is not None and new not in seen and (res := self.new(new, prog + (i,), nb, cand)):
                            return res
                        if keep and new not in seen and len(seen) < max_states:
                            seen.add(new)
                            nxt.append((new, sig_of(new), prog + (i,), nb))
                    continue
                ents, free_match, free_ok = self.entries(sig, r, k)
                for i, step, sig2, can_match in ents:
                    new = step(state)
                    cand += 1
                    if new is None:
                        continue
                    if sig2 is None:  # value-dependent output type (select on mixed types)
                        sig2 = sig_of(new)
                        can_match = goal.any_ok(new)
                        if can_match and (res := self.done(prog + (i,), bound, cand)):
                            return res
                    elif (can_match and (no_quick or new[0][-1] == last0) and goal.values_ok(new)
                          and (res := self.done(prog + (i,), bound, cand))):
                        return res
                    if on_new is not None and new not in seen and (res := self.new(new, prog + (i,), bound, cand)):
                        return res
                    if keep and new not in seen and len(seen) < max_states:
                        seen.add(new)
                        nxt.append((new, sig2, prog + (i,), bound))
                if free_ok:
                    s2 = sig + ("int",)
                    for i in (free_ids if len(bound) < nfree else [j for j in free_ids if items[j].code[0] in bound]):
                        v = items[i].code[0]
                        new = steps[i](state)
                        cand += 1
                        nb = bound if v in bound else bound + (v,)
                        if free_match and goal.values_ok(new) and (res := self.done(prog + (i,), nb, cand)):
                            return res
                        if on_new is not None and new not in seen and (res := self.new(new, prog + (i,), nb, cand)):
                            return res
                        if keep and new not in seen and len(seen) < max_states:
                            seen.add(new)
                            nxt.append((new, s2, prog + (i,), nb))
            if pending:
                return pending
            frontier = nxt
            if not frontier:
                break
        self.cand = cand
        return self.unsolved()
