"""Guided search: a complete anytime beam search ordered by the guide (policy, value, free constants).

    from synth.search import build
    solve = build("guided", {"beam": 32}, checkpoint=None)      # None: the shipped guide of each task's profile
    res = solve(task, time_limit=10.0)                           # synth search --method guided

How it searches. Restart r runs a beam search of width beam * 2^r over program length (so every program is
eventually in some beam: the search stays complete up to `max_length`). At each length, the guide is asked
about every state of the beam in one batch (synth.guide.api.Oracle, cached by state across restarts); every
child of every beam state is run on the examples by the real machine (the items, type-level pruning and
fast steps of the BFS, synth/search/bfs.py: `BFS.entries`, `generic`); a child whose state a shorter prefix
reached in this restart is dropped (observational equivalence, as in the BFS), and of equal states at one
length the best-scored is kept. Children are scored by the sum of the policy's log-probabilities of their
items; the best `rescore * width` are asked to the guide and re-ranked by that score + `value_weight` *
log P(remaining length <= length left) (the value head), and the best `width` form the next beam.

Every new state is (1) checked against the outputs, (2) looked up in the meeting's goal sets (bidir.py, built
backward from the outputs within `meet_frac` of the time limit), (3) where its top int may become the output
by one `c op`, c is solved for exactly (solve.py: `solve_tail`, `solve_op`); (4) every state the beam expands
is joined to the goal sets by a solved `c op` mid-program (solve.py: `Junction`). New free constants take
the constant head's `const_top` values (the enumerator's pool in the ablations). `verify` checks every result.
Ablations: `guided_uniform` (policy, value and constant head replaced by uniform ones), `guided_novalue`
(value_weight 0), `guided_noconst` (the pool instead of the constant head); `guided.junction=false`.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace

from dsl.profiles import Profile
from dsl.tasks import Task

from .base import SearchResult, register_method, unsolved, verify
from .bfs import BFS, generic, sig_of
from .bidir import Meet
from .enumerate import EnumerateConfig
from .fastops import push_step
from .solve import SOLVE_OPS, TAIL_OPS, Junction, solve_op, solve_tail
from .base import simplify_code
from .space import code_to_text


@dataclass
class GuidedConfig:
    enumerate: EnumerateConfig = field(default_factory=EnumerateConfig)   # the BFS's items, literal and free-
                                         # constant pools, pruning, solve_tail and clock (its max_length unused)
    max_length: int = 10                 # longest program tried (the beam's depth)
    beam: int = 16                       # beam width of the first restart (doubles at each restart)
    rescore: float = 2.0                 # children asked to the guide per beam slot, re-ranked with the value
    value_weight: float = 1.0            # 0: the value head is ignored
    const_top: int = 16                  # free-constant values tried per new constant
    policy: str = "learned"              # learned | uniform
    const_head: bool = True              # false: the pool's values instead of the constant head's
    meet: bool = True                    # meet in the middle (bidir.py goal sets)
    meet_depth: int = 3
    meet_frac: float = 0.1               # time for building the goal sets, share of the limit
    junction: bool = True                # solve `c op` between an expanded state and a goal (solve.py)

    def __post_init__(self) -> None:
        if isinstance(self.enumerate, dict):          # a config section: its keys override EnumerateConfig's
            from ..config import from_dict
            self.enumerate = from_dict(EnumerateConfig, self.enumerate)


class GuidedSearch:
    def __init__(self, cfg: GuidedConfig, checkpoint: str | None = None):
        if cfg.policy not in ("learned", "uniform"):
            raise ValueError(f"unknown policy {cfg.policy!r}; choose one of learned, uniform")
        self.checkpoint = checkpoint
        if cfg.policy == "learned" and checkpoint:
            self.guide(None)                  # load (and check) an explicit checkpoint at once

    def guide(self, p: Profile | None):
        """The guide for tasks of profile p (loaded once): --checkpoint's for every profile, else the
        profile's shipped one (synth/pretrained/guide_{profile}.pt)."""
        from synth.guide.api import load_guide_once
        return load_guide_once(self.checkpoint, "small" if self.checkpoint or p is None else p.name)

    def __call__(self, task: Task, time_limit: float, p: Profile, cfg: GuidedConfig) -> SearchResult:
        net = self.guide(p) if cfg.policy == "learned" else None
        return Guided(task, p, cfg, time_limit, net).run()


def _vid(item_id, code):
    try:
        return item_id(code)
    except KeyError:          # a literal outside the guide's vocabulary
        return None


class Guided:
    def __init__(self, task: Task, p: Profile, cfg: GuidedConfig, time_limit: float, net):
        self.bfs = bfs = BFS(task, p, replace(cfg.enumerate, max_length=cfg.max_length), time_limit, "guided")
        self.task, self.p, self.cfg = task, p, cfg
        self.clock, self.t0, self.deadline = bfs.clock, bfs.t0, bfs.deadline
        self.ng, self.nfree = len(task.constants), bfs.nfree
        self.goal = bfs.goal
        from synth.guide.api import Oracle
        from synth.guide.features import item_id
        pool = [it.code[0] for it in bfs.items if it.free]
        self.oracle = Oracle(net if cfg.policy == "learned" else None, task, p, self.nfree, cfg.const_top, pool)
        if not cfg.const_head:
            self.oracle.uniform_consts = [(int(v), 0.0) for v in pool[:cfg.const_top]]
        self.code = [it.code if it.op is None and not it.text.startswith("c") else (it.op or it.text)
                     for it in bfs.items]                           # machine code of every fixed item
        self.vid = [None if it.free else _vid(item_id, c) for it, c in zip(bfs.items, self.code)]
        self.cvid = [item_id(f"c{k}") for k in range(4)]
        self.pushes: dict = {}
        self.meet = self.join = None
        self.joined: set = set()                                    # states the junction has seen
        self.cand = self.expanded = self.width = 0
        self.exhausted = False
        self.tail_ops = [o for o in TAIL_OPS if o in p.ops] if cfg.enumerate.solve_tail else []
        self.solve_ops = [o for o in SOLVE_OPS if o in p.ops] if cfg.enumerate.solve_tail else []

    # ---- results ----------------------------------------------------------------------------------
    def result(self, prog, bound, tail=()) -> SearchResult | None:
        code = list(prog) + list(tail)
        consts = list(self.task.constants) + list(bound)
        if not verify(self.task, code, consts, self.p):
            return None
        if tail:
            code, consts = simplify_code(self.task, code, consts, self.p, verify)
        return SearchResult(self.task.name, True, code_to_text(code), consts, self.clock() - self.t0, "guided",
                            self.cand)

    def const_code(self, v, bound):
        """(code item, new bound) pushing int v: a literal, a given constant, a bound or a new free one."""
        if v in self.cfg.enumerate.literals and self.p.int_min <= v <= self.p.int_max:
            return (v,), bound
        for k, c in enumerate(self.task.constants):
            if type(c) is int and c == v:
                return f"c{k}", bound
        if v in bound:
            return f"c{self.ng + bound.index(v)}", bound
        if len(bound) < self.nfree and self.p.int_min <= v <= self.p.int_max:
            return f"c{self.ng + len(bound)}", bound + (v,)
        return None, bound

    def finish(self, state, sig, prog, bound) -> SearchResult | None:
        """Meeting and exact constant solving on a new state (programs longer than prog)."""
        if self.meet:
            for tail, extra in self.meet.check(state, len(bound)):
                res = self.result(prog, bound + tuple(extra), tail)
                if res:
                    return res
        goal = self.goal
        if (self.tail_ops or self.solve_ops) and sig and sig[-1] == "int" and goal.sig_ok(sig) and goal.rest_ok(state):
            for op in self.tail_ops:
                self.cand += 1
                c = solve_tail(state, goal.outs, op, self.p)
                if c is not None:
                    item, nb = self.const_code(c, bound)
                    if item is not None and (res := self.result(prog, nb, (item, op))):
                        return res
            if sig and len(sig) >= 1 and goal.k == 1:
                for op in self.solve_ops:
                    self.cand += 1
                    c = solve_op(state, goal.outs, op, self.p)
                    if c is not None:
                        item, nb = self.const_code(c, bound)
                        if item is not None and (res := self.result(prog, nb, (item, op))):
                            return res
        return None

    # ---- search -----------------------------------------------------------------------------------
    def run(self, until: float | None = None) -> SearchResult:
        """Search until the time limit (or the clock time `until`); a later call goes on with the next
        restart, so the search can take turns with another one."""
        task, cfg, goal = self.task, self.cfg, self.goal
        final = self.deadline
        if until is not None:
            self.deadline = min(until, final)
        try:
            if self.width == 0:
                init = self.bfs.init
                if goal.any_ok(init) and (res := self.result((), ())):
                    return res
                if cfg.meet:
                    m = Meet(task, self.p, cfg.enumerate.literals, self.nfree, cfg.meet_depth,
                             deadline=self.clock() + cfg.meet_frac * (final - self.t0), clock=self.clock)
                    self.meet = m if m.ok else None
                    self.join = Junction(m, self.p) if m.ok and cfg.junction else None
                res = self.finish(init, sig_of(init), (), ())
                if res:
                    return res
                self.width = cfg.beam
            while self.clock() < self.deadline and not self.exhausted:
                res, self.exhausted = self.beam_search(self.width)
                if res:
                    return res
                if not self.exhausted and self.clock() < self.deadline:
                    self.width *= 2
            return unsolved(task, self.clock() - self.t0, "guided", self.cand)
        finally:
            self.deadline = final

    def children(self, node, depth):
        """(score, state, sig, prog, bound) of every child; a solution as soon as one is found."""
        score, state, sig, prog, bound = node
        logp, _, consts = self.oracle.get(state, bound)
        r = self.bfs.max_len - depth - 1
        out = []
        lp = (lambda v: 0.0) if logp is None else (lambda v: float(logp[v]) if v is not None else -8.0)
        if sig is None:
            for i, new, nb in generic(state, self.bfs.items, bound, 0, self.p):
                if self.bfs.items[i].free:
                    continue
                self.cand += 1
                out.append((score + lp(self.vid[i]), new, sig_of(new), prog + (self.code[i],), bound))
        else:
            ents, free_match, free_ok = self.bfs.entries(sig, r, depth)
            for i, step, sig2, can_match in ents:
                new = step(state)
                self.cand += 1
                if new is not None:
                    out.append((score + lp(self.vid[i]), new, sig2 if sig2 is not None else sig_of(new),
                                prog + (self.code[i],), bound))
            if free_ok and self.nfree:
                s2 = sig + ("int",)
                for j, v in enumerate(bound):
                    self.cand += 1
                    out.append((score + lp(self.cvid[self.ng + j]), self.push(v)(state), s2,
                                prog + (f"c{self.ng + j}",), bound))
                if len(bound) < self.nfree and self.ng + len(bound) < 4 and consts:
                    base = score + lp(self.cvid[self.ng + len(bound)])
                    for v, lq in consts[0]:
                        if v in bound:
                            continue
                        self.cand += 1
                        out.append((base + lq, self.push(v)(state), s2, prog + (f"c{self.ng + len(bound)}",),
                                    bound + (v,)))
        return out

    def push(self, v):
        f = self.pushes.get(v)
        if f is None:
            f = self.pushes[v] = push_step(v)
        return f

    def beam_search(self, width: int):
        """One beam search of `width`: (result or None, True when no beam was ever cut)."""
        cfg, goal, oracle, clock = self.cfg, self.goal, self.oracle, self.clock
        init = self.bfs.init
        beam = [(0.0, init, sig_of(init), (), ())]
        seen = {init}
        exhausted = True
        for depth in range(self.bfs.max_len):
            oracle.ask([b[1] for b in beam], [b[4] for b in beam])
            best: dict = {}
            for node in beam:
                self.expanded += 1
                if not self.expanded & 7 and clock() > self.deadline:
                    return None, False
                if self.join is not None and node[1] not in self.joined:
                    self.joined.add(node[1])
                    self.cand += 1
                    for tail, extra in self.join(node[1], len(node[4])):
                        if res := self.result(node[3], node[4] + tuple(extra), tail):
                            return res, False
                for ch in self.children(node, depth):
                    new = ch[1]
                    if new is None or new in seen:
                        continue
                    if goal.any_ok(new) and (res := self.result(ch[3], ch[4])):
                        return res, False
                    old = best.get(new)
                    if old is None:
                        if depth + 1 < self.bfs.max_len and (res := self.finish(new, ch[2], ch[3], ch[4])):
                            return res, False
                        best[new] = ch
                    elif ch[0] > old[0]:
                        best[new] = ch
            if depth + 1 >= self.bfs.max_len or not best:
                break
            kids = list(best.values())
            n_re = max(width, int(cfg.rescore * width))
            if len(kids) > n_re:
                exhausted = False
                kids = heapq.nlargest(n_re, kids, key=lambda c: c[0])
            if len(kids) > width:
                exhausted = False
                if cfg.value_weight and cfg.policy == "learned":
                    oracle.ask([k[1] for k in kids], [k[4] for k in kids])
                    r = self.bfs.max_len - depth - 1
                    key = lambda c: c[0] + cfg.value_weight * float(oracle.get(c[1], c[4])[1][min(r, 10)])  # noqa: E731
                else:
                    key = lambda c: c[0]  # noqa: E731
                kids = heapq.nlargest(width, kids, key=key)
            seen.update(k[1] for k in kids)
            beam = kids
        return None, exhausted


register_method("guided", config=GuidedConfig)(GuidedSearch)
register_method("guided_uniform", config=GuidedConfig, section="guided", defaults={"policy": "uniform"})(GuidedSearch)
register_method("guided_novalue", config=GuidedConfig, section="guided", defaults={"value_weight": 0.0})(GuidedSearch)
register_method("guided_noconst", config=GuidedConfig, section="guided", defaults={"const_head": False})(GuidedSearch)
