"""`default` and `meet`: the method `synth search` runs without --method, and the best plain search.

    from synth.search import build
    solve = build("default")        # the guided search with the shipped guides, taking turns with `meet`
    solve = build("meet")           # BFS + meeting in the middle: no neural part (the default until the guide)
    res = solve(task, time_limit=10.0)

`default` takes time slices: the guided search (synth/search/guided.py: a complete anytime beam search
ordered by the learned guide of the task's profile, with the meeting's goal sets and exact constant solving)
for `first` of the limit, then `meet` for `meet_share`, then the guided search again, continuing its
restarts. The guided search finds long programs and hidden constants that the BFS cannot reach in time, but
can miss short programs that the BFS finds at once (`dup head swap last add` of
datasets/examples/lists.json); the slice of `meet` keeps those. The meeting's goal sets are built once, in the
first slice, and grown by `meet` (the last slice's junction reads the grown sets). `meet`, the hybrid with its
neural prior off, is the strongest search without a learned part: the baseline's complete BFS (the same
items, the same `solve_tail`) plus the meeting in the middle (synth/search/bidir.py: from length 3 on, every
state the BFS reaches is looked up in goal sets computed backward from the outputs). Settings: `DefaultConfig` and
`MeetConfig` below (the `default:` and `meet:` sections of search.yaml equal them; both take their BFS
settings from the `enumerate:` section, e.g. `enumerate.clock=cpu`). Measured in experiments/results/guided.md.
"""
from __future__ import annotations

from dataclasses import dataclass

from dsl.profiles import Profile
from dsl.tasks import Task

from .base import SearchResult, register_method
from .guided import Guided, GuidedConfig, GuidedSearch
from .hybrid import HybridConfig, HybridSearch, hybrid_search


@dataclass
class MeetConfig(HybridConfig):
    """The hybrid's settings, but these: no neural prior (and, if it is turned on, a longer gradient phase)."""
    prior: str = "none"
    prior_frac: float = 0.25
    prior_max: float = 3.0


@dataclass
class DefaultConfig(GuidedConfig):
    first: float = 0.1                   # guided search alone for this share of the time limit, then ...
    meet_share: float = 0.4              # ... `meet` (with this config's enumerate settings) for this share,
                                         # then guided search again (continuing its restarts) for the rest


class Default(GuidedSearch):
    """Time slices: guided search, then the BFS + meeting (`meet`), then guided search again."""

    def __call__(self, task: Task, time_limit: float, p: Profile, cfg: DefaultConfig) -> SearchResult:
        g = Guided(task, p, cfg, time_limit, self.guide(p) if cfg.policy == "learned" else None)
        res = g.run(until=g.t0 + cfg.first * time_limit)
        if res.solved:
            return res
        left = g.deadline - g.clock()
        mcfg = MeetConfig(enumerate=cfg.enumerate)
        goals = g.meet if g.meet is not None and g.meet.depth == mcfg.meet_depth else None   # built once, grown on
        mres = hybrid_search(task, min(left, cfg.meet_share * time_limit), p, mcfg, goals=goals)
        g.cand += mres.candidates
        if mres.solved:
            mres.seconds, mres.candidates = g.clock() - g.t0, g.cand
            return mres
        return g.run()


register_method("meet", config=MeetConfig)(HybridSearch)
register_method("default", config=DefaultConfig)(Default)
