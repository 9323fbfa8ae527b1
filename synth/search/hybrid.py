"""Hybrid search: complete breadth-first enumeration, ordered inside each length by a neural prior, with
meet-in-the-middle completion of every state it reaches.

    from synth.search import build
    solve = build("hybrid", {"prior_frontier": 2000}, checkpoint=None)
    res = solve(task, time_limit=10.0)

The enumeration is the baseline's (synth/search/enumerate.py: BFS by program length, one program per distinct
state of the examples' stacks, type-level reachability pruning, its `solve_tail`, every hit verified by the
real machine), with the same items, plus up to `extra_free` values for free constants taken from the prior's
value distributions (the baseline only tries -64..64 and the examples' ints). Every length is searched
completely, as by the baseline, so the hybrid finds what the baseline finds at the same length; it adds
(1) the order inside a length and (2) the meeting. (The loop is the baseline's, synth/search/bfs.py; the
hybrid plugs in through its hooks: `on_level`, `on_new` and `score`.)

The meeting (`meet`, synth/search/bidir.py). When the BFS reaches length `meet_level`, goal sets are built
backward from the outputs (`meet_depth` moves that change only the top value; built incrementally, its time kept below
`meet_frac` of the time spent so far); from then on every new state is looked up in them, and a hit is the BFS program + the goal's moves
(plus an additive or conditional constant), verified by the machine and shortened by deleting items.

The prior. Levels whose frontier is small run in the baseline's order. At the first level with at least
`prior_frontier` states, the gradient search (synth/search/gradient.py, section `hybrid.gradient`) runs for
`prior_frac` of the remaining time (at most `prior_max` seconds); it may solve the task outright. Its final
per-slot item distributions are sampled (`prior_samples` programs, skips removed) into position-wise item
frequencies P_k(item), smoothed with the overall frequencies. From then on, each level's frontier is sorted
by the prefix score sum_k log P_k(item_k), the items tried on a state by log P_k(item) at its position k,
and free-constant values by the prior's value distribution.

Variants: `hybrid_noprior` (baseline order + meeting), `hybrid_nomeet` (prior, no meeting), `bfs_meet` (=
hybrid_noprior under its own name). `default` (default.py) is the hybrid with its own settings.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from dsl.profiles import Profile
from dsl.tasks import Task

from .base import SearchResult, register_method, verify
from .bfs import BFS
from .choices import free_choice
from .enumerate import EnumerateConfig
from .bidir import Meet
from .base import simplify_code
from .space import code_to_text
from .fastops import push_step
from .gradient import GradientConfig, GradientSearch, gradient_search


PRIOR_GRADIENT = {"restarts": 6, "slots": 6, "cycle_steps": 24,   # the gradient phase's own settings: the
                  "executor": "evaluator", "start": "noise"}       #   rest is the gradient section's defaults


@dataclass
class HybridConfig:
    enumerate: EnumerateConfig = field(default_factory=EnumerateConfig)   # the baseline's BFS (items, pruning,
                                         #   solve_tail, max_length); its `clock` counts for every phase
    meet: bool = True                    # meet in the middle with goals computed backward from the outputs
    meet_depth: int = 3                  # moves searched backward
    meet_level: int = 3                  # built when the BFS reaches this length (short tasks never pay)
    meet_frac: float = 0.25              # its construction may take this share of the time spent so far ...
    meet_min: float = 0.02               # ... or at least this many seconds (grown again at every level)
    prior: str = "gradient"              # gradient | none
    prior_frontier: int = 3000           # first level with this many states gets the prior
    prior_frac: float = 0.2              # share of the remaining time given to the gradient phase
    prior_max: float = 2.0               # seconds at most
    prior_samples: int = 2000            # programs sampled from the final distributions
    prior_smooth: float = 0.5            # weight of the overall item frequencies in P_k
    extra_free: int = 16                 # free-constant values from the prior beyond the baseline's pool
    gradient: GradientConfig = field(default_factory=lambda: GradientConfig(**PRIOR_GRADIENT))

    def __post_init__(self) -> None:
        from ..config import from_dict
        if isinstance(self.enumerate, dict):         # a config section: its keys override EnumerateConfig's defaults
            self.enumerate = from_dict(EnumerateConfig, self.enumerate)
        if isinstance(self.gradient, dict):          # a config section: its keys override PRIOR_GRADIENT's
            self.gradient = from_dict(GradientConfig, {**PRIOR_GRADIENT, **self.gradient})
        e = self.enumerate
        self.gradient = dataclasses.replace(self.gradient, clock=e.clock, free_constants=e.free_constants,
                                            literals=list(e.literals), meet=self.meet and self.gradient.meet)


class HybridSearch:
    def __init__(self, cfg: HybridConfig, checkpoint: str | None = None):
        self.cfg = cfg
        self.grad = GradientSearch(cfg.gradient, checkpoint) if cfg.prior == "gradient" else None
        if cfg.prior not in ("gradient", "none"):
            raise ValueError(f"unknown prior {cfg.prior!r}; choose one of gradient, none")

    def __call__(self, task: Task, time_limit: float, p: Profile, cfg: HybridConfig) -> SearchResult:
        return hybrid_search(task, time_limit, p, cfg, self.grad.executor if self.grad else None)


class Prior:
    """Position-wise item log-scores for the enumerator's items, and an order of free-constant values."""

    def __init__(self, out: dict, items: list, p: Profile, cfg: HybridConfig, rng: np.random.Generator):
        import torch
        sp = out["space"]
        theta, q = out["theta"], out["q"]                                        # (R, L, V), (R, nf, n_int)
        static = torch.from_numpy(sp.slot_masks())
        tau = float(cfg.gradient.tau[-1])
        probs = torch.softmax(torch.where(static, theta / tau, torch.tensor(-1e9)), -1).numpy()   # (R, L, V)
        R, L, V = probs.shape
        n = max(1, cfg.prior_samples // R)
        counts = np.ones((cfg.enumerate.max_length, V)) * 1e-3
        for r in range(R):
            cum = probs[r].cumsum(-1)                                             # (L, V)
            u = rng.random((n, L))
            picks = np.stack([np.minimum(np.searchsorted(cum[t], u[:, t] * cum[t, -1]), V - 1)
                              for t in range(L)], 1)                             # (n, L)
            for row in picks:
                k = 0
                for i in row:
                    if i != sp.SKIP and k < cfg.enumerate.max_length:
                        counts[k, i] += 1
                        k += 1
        overall = counts.sum(0) / counts.sum()
        pk = counts / counts.sum(1, keepdims=True)
        pk = (1 - cfg.prior_smooth) * pk + cfg.prior_smooth * overall
        logp = np.log(pk)                                                         # (K, V) over space items
        # map the enumerator's items onto the space's items
        by_text = {it.text: j for j, it in enumerate(sp.items) if it.kind in ("op", "given", "lit")}
        free_j = [j for j, it in enumerate(sp.items) if it.kind == "free"]
        self.score = np.zeros((cfg.enumerate.max_length, len(items)))
        for i, it in enumerate(items):
            j = free_j[0] if it.free and free_j else by_text.get(it.text)
            self.score[:, i] = logp[:, j] if j is not None else math.log(1e-4)
        self.values = []
        if sp.n_free:
            qm = q[:, :sp.n_free].mean(0).mean(0).numpy()                         # (n_int,)
            self.values = [int(v) + p.int_min for v in np.argsort(-qm)]
            self.value_rank = {v: k for k, v in enumerate(self.values)}
        self.pool = out.get("pool", {})


def hybrid_search(task: Task, time_limit: float, p: Profile, cfg: HybridConfig, executor=None,
                  goals: Meet | None = None) -> SearchResult:
    """BFS by length (the baseline's), ordered inside each length by the prior once it exists. `goals`: the
    meeting's goal sets of an earlier search of the same task and settings (`default`'s guided slice), grown
    further here instead of built again."""
    bfs = BFS(task, p, cfg.enumerate, time_limit, "hybrid")
    clock, t0 = bfs.clock, bfs.t0
    prior: Prior | None = None
    scores: dict = {}           # prefix score of every frontier program, once the prior exists
    meet = goals if cfg.meet else None
    meet_time = 0.0
    attached = False            # the meeting is looked up from meet_level on

    def met(new, prog, bound):
        """Programs prog + a backward tail, for every meeting of state `new`; the first verified one."""
        for tail, extra in meet.check(new, len(bound)):
            free_slot = {v: len(task.constants) + j for j, v in enumerate(bound)}
            code = [f"c{free_slot[bfs.items[i].code[0]]}" if bfs.items[i].free else bfs.items[i].code for i in prog]
            consts = list(task.constants) + list(bound) + list(extra)
            if verify(task, code + list(tail), consts, p):
                code2, consts2 = simplify_code(task, code + list(tail), consts, p, verify)
                return SearchResult(task.name, True, code_to_text(code2), consts2, clock() - t0, "hybrid", bfs.cand)
        return None

    def on_level(length, frontier):
        nonlocal meet, meet_time, prior, scores, attached
        if meet and not meet.done:          # grow the goals: their time stays <= meet_frac of the time so far
            tm = clock()
            meet.grow(tm + max(0.0, cfg.meet_frac * (tm - t0) - meet_time), clock)
            meet_time += clock() - tm
        if not attached and cfg.meet and length >= cfg.meet_level:
            attached = True
            if meet is None:
                tm = clock()
                meet = Meet(task, p, cfg.enumerate.literals, bfs.nfree, cfg.meet_depth,
                            deadline=tm + max(cfg.meet_min, cfg.meet_frac * (tm - t0)), clock=clock)
                meet_time = clock() - tm
            if not meet.ok:
                meet = False
            else:
                firsts = {s: (pr, b) for s, _, pr, b in frontier}
                firsts.setdefault(bfs.init, ((), ()))
                for st, (pr, b) in firsts.items():      # the states reached so far that still have programs
                    res = met(st, pr, b)
                    if res:
                        return res
                bfs.on_new = met
        if prior is not None:               # the frontier's prefix scores, from their parents'
            scores = {pr: scores[pr[:-1]] + _item_score(prior, len(pr) - 1, pr[-1]) for _, _, pr, _ in frontier}
        elif cfg.prior == "gradient" and len(frontier) >= cfg.prior_frontier:
            left = bfs.deadline - clock()
            out: dict = {}
            budget = min(cfg.prior_max, cfg.prior_frac * left)
            res = gradient_search(task, budget, p, cfg.gradient, executor, prior_out=out, meet=meet or None)
            bfs.cand += res.candidates
            if res.solved:
                res.seconds = clock() - t0
                res.candidates = bfs.cand
                return res
            if "space" in out and clock() < bfs.deadline:
                prior = Prior(out, bfs.items, p, cfg, np.random.default_rng(len(frontier)))
                bfs.items, bfs.steps, bfs.free_ids = _add_free_values(bfs.items, bfs.steps, bfs.free_ids, prior, cfg,
                                                                      bfs.nfree)
                if prior.values:
                    bfs.free_ids.sort(key=lambda i: prior.value_rank.get(bfs.items[i].code[0], 1 << 30))
                bfs.cache.clear()
                bfs.score = lambda k, i: prior.score[min(k, prior.score.shape[0] - 1), i]
                scores = {pr: _score(prior, pr) for _, _, pr, _ in frontier}
        if prior is not None:
            frontier.sort(key=lambda e: -scores[e[2]])
        return None

    bfs.on_level = on_level
    return bfs.run()


def _item_score(prior: Prior, k: int, i: int) -> float:
    return float(prior.score[min(k, prior.score.shape[0] - 1), i])


def _score(prior: Prior, prog) -> float:
    return sum(_item_score(prior, k, i) for k, i in enumerate(prog))


def _add_free_values(items, steps, free_ids, prior: Prior, cfg: HybridConfig, nfree: int):
    """Append up to cfg.extra_free of the prior's most likely free values not in the baseline's pool."""
    if not nfree or not prior.values or cfg.extra_free <= 0:
        return items, steps, free_ids
    have = {it.code[0] for it in items if it.free}
    lits = {it.code[0] for it in items if not it.free and it.op is None and type(it.code[0]) is int}
    extra = [v for v in prior.values if v not in have and v not in lits][:cfg.extra_free]
    if not extra:
        return items, steps, free_ids
    items = items + [free_choice(v) for v in extra]
    steps = steps + [push_step(v) for v in extra]
    free_ids = free_ids + list(range(len(items) - len(extra), len(items)))
    col = prior.score[:, free_ids[0]] if free_ids else np.zeros(prior.score.shape[0])
    prior.score = np.concatenate([prior.score, np.repeat(col[:, None], len(extra), 1)], 1)
    return items, steps, free_ids


register_method("hybrid", config=HybridConfig)(HybridSearch)
register_method("hybrid_noprior", config=HybridConfig, section="hybrid", defaults={"prior": "none"})(HybridSearch)
register_method("hybrid_nomeet", config=HybridConfig, section="hybrid", defaults={"meet": False})(HybridSearch)
register_method("bfs_meet", config=HybridConfig, section="hybrid", defaults={"prior": "none", "meet": True})(HybridSearch)
