"""`default`: the best search on the shipped models, designed never to solve fewer tasks than `enumerate`.

    from synth.search import build
    solve = build("default", None, checkpoint=None)      # synth search --method default
    res = solve(task, time_limit=10.0)

It is the hybrid (synth/search/hybrid.py) with the settings below: the baseline's complete breadth-first
enumeration, the same items (plus a few free-constant values proposed by the gradient search), levels with
fewer than `prior_frontier` states in the baseline's own order (so easy tasks cost what they cost the
baseline), and from the first big level on, a short gradient phase (which may solve the task itself: long
programs by grounded sampling, far constants by sweeps) whose distributions order the rest of the search.
Settings: the `default:` section of search.yaml (the hybrid's keys; `default.gradient.*` for the phase).
"""
from __future__ import annotations

from dataclasses import dataclass

from .base import ALIASES, register_method
from .hybrid import HybridConfig, HybridSearch


@dataclass
class DefaultConfig(HybridConfig):
    prior_frontier: int = 3000
    prior_frac: float = 0.25
    prior_max: float = 3.0
    extra_free: int = 16


ALIASES.pop("default", None)          # `default` was an alias of `enumerate` until this module registered
register_method("default", config=DefaultConfig)(HybridSearch)
