"""`default`: the best search we measured, designed never to solve fewer tasks than `enumerate`.

    from synth.search import build
    solve = build("default", None, checkpoint=None)      # synth search --method default
    res = solve(task, time_limit=10.0)

It is the hybrid (synth/search/hybrid.py) with the settings below: the baseline's complete breadth-first
enumeration (the same items, the same `solve_tail`, every length in the baseline's order) plus the meeting in
the middle (synth/search/bidir.py: from length 3 on, every state the BFS reaches is looked up in goal sets
computed backward from the outputs, whose construction is kept below a quarter of the time spent so far). So
it reaches every program the baseline reaches, at the same length, and short tasks never pay for the meeting.

No neural part by default: in our measurements (experiments/bench_search.py, experiments/figures/) neither
the gradient phase of the hybrid (`hybrid`: the BFS ordered by the relaxed distributions) nor the gradient
search on its own (`gradient`) solved a task that this configuration missed at the same time limit, and the
time they took made it miss some. `default.prior=gradient` turns the neural prior on (`default.gradient.*`
sets its phase). Settings: `DefaultConfig` below (the `default:` section of search.yaml equals it; any key of
the hybrid's may be set there; its BFS takes the `enumerate:` section, e.g. `enumerate.clock=cpu`).
"""
from __future__ import annotations

from dataclasses import dataclass

from .base import ALIASES, register_method
from .hybrid import HybridConfig, HybridSearch


@dataclass
class DefaultConfig(HybridConfig):
    """The hybrid's settings, but these: no neural prior (and, if it is turned on, a longer gradient phase)."""
    prior: str = "none"
    prior_frac: float = 0.25
    prior_max: float = 3.0


ALIASES.pop("default", None)          # `default` was an alias of `enumerate` until this module registered
register_method("default", config=DefaultConfig)(HybridSearch)
register_method("meet", config=DefaultConfig, section="default")(HybridSearch)   # today's default, by name
