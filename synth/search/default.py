"""`default` and `meet`: the method `synth search` runs without --method, and the best plain search.

    from synth.search import build
    solve = build("default")        # the guided search with the shipped guide (synth/pretrained/guide.pt)
    solve = build("meet")           # BFS + meeting in the middle: no neural part (the default until the guide)
    res = solve(task, time_limit=10.0)

`default` is `meet_guided` (synth/search/guided.py): time slices of the guided search (a complete anytime
beam search ordered by the learned guide, with the meeting's goal sets and exact constant solving; 10% of
the limit), then `meet` (40%), then the guided search again, continuing its restarts. The guided search
alone solves the most hard tasks (experiments/results/guided.md: 57/60 and 54/60 at 10 CPU-s against
`meet`'s 48 and 45) but can miss short programs that the BFS finds at once (`dup head swap last add`
of datasets/examples/lists.json); the slice of `meet` keeps those. `meet`, the hybrid with its neural prior off, is the strongest
search without a learned part: the baseline's complete BFS (the same items, the same `solve_tail`) plus
the meeting in the middle (synth/search/bidir.py: from length 3 on, every state the BFS reaches is looked
up in goal sets computed backward from the outputs). Its settings: `MeetConfig` below (the `meet:` section
of search.yaml equals it; its BFS takes the `enumerate:` section, e.g. `enumerate.clock=cpu`).
"""
from __future__ import annotations

from dataclasses import dataclass

from .base import register_method
from .guided import MeetGuided, MeetGuidedConfig
from .hybrid import HybridConfig, HybridSearch


@dataclass
class MeetConfig(HybridConfig):
    """The hybrid's settings, but these: no neural prior (and, if it is turned on, a longer gradient phase)."""
    prior: str = "none"
    prior_frac: float = 0.25
    prior_max: float = 3.0


register_method("meet", config=MeetConfig)(HybridSearch)
register_method("default", config=MeetGuidedConfig, section="meet_guided")(MeetGuided)
