"""`default`: its slices share one meeting (the goal sets are built once, in the guided slice, and grown by `meet`)."""
from __future__ import annotations

import json

from dsl import get_profile, parse_tasks
from synth.search import bidir, default, verify
from synth.search.default import Default, DefaultConfig, MeetConfig
from synth.search.hybrid import hybrid_search


def _task(outs, xs=(5, -7, 12, 30, 0, 23), free=1):
    return parse_tasks(json.dumps({"name": "t", "free_constants": free,
                                   "examples": [{"input": [x], "output": [y]} for x, y in zip(xs, outs)]}))[0]


def _count_meets(monkeypatch) -> list:
    built = []
    init = bidir.Meet.__init__

    def counting(self, *a, **k):
        built.append(self)
        init(self, *a, **k)
    monkeypatch.setattr(bidir.Meet, "__init__", counting)
    return built


def test_meet_looks_up_the_goal_sets_it_is_given(monkeypatch):
    t = _task([17, -3, 44, 2, 9, -60])                    # no program of the search space fits
    p = get_profile("small")
    goals = bidir.Meet(t, p, MeetConfig().enumerate.literals, n_free=1, depth=3)
    n_goals, looked = len(goals.goals), []
    check = goals.check
    monkeypatch.setattr(goals, "check", lambda *a: looked.append(a) or check(*a))
    built = _count_meets(monkeypatch)
    res = hybrid_search(t, 0.5, p, MeetConfig(), goals=goals)
    assert not res.solved and looked                      # every new state was looked up in the given sets ...
    assert built == [] and len(goals.goals) >= n_goals    # ... and none were built again


def test_meet_solves_with_the_goal_sets_it_is_given():
    xs = (5, -7, 12, 0, -3, 9)
    t = _task([10 - (x + 2) * -3 + 5 for x in xs], xs)    # a program of 8 items: the tail from the goal sets
    p = get_profile("small")
    goals = bidir.Meet(t, p, MeetConfig().enumerate.literals, n_free=1, depth=3)
    res = hybrid_search(t, 5.0, p, MeetConfig(), goals=goals)
    assert res.solved and verify(t, res.program, res.constants)


def test_default_builds_the_goal_sets_once(monkeypatch):
    t = _task([17, -3, 44, 2, 9, -60])                    # no program of the search space fits: every slice runs
    built = _count_meets(monkeypatch)
    seen = []

    def spy(*a, **k):
        seen.append(k.get("goals"))
        return hybrid_search(*a, **k)
    monkeypatch.setattr(default, "hybrid_search", spy)
    cfg = DefaultConfig(policy="uniform")
    res = Default(cfg)(t, 1.0, get_profile("small"), cfg)
    assert not res.solved
    assert len(built) == 1 and seen == built              # the guided slice's meeting, handed to `meet`
