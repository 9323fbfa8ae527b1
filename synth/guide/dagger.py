"""A second round of guide training on the states the guided search visits (DAgger-style).

    from synth.guide.dagger import visited_records, visited_arrays
    out = visited_records(net, "small", seed=1000, start=10000, n=400, nodes=2000)   # search + expert labels
    arr = visited_arrays(out)                       # rows like synth.guide.data.build_arrays'

Round 1 (synth.guide.train) teaches the guide on the reference programs' states only. Round 2 runs the guided
search, ordered by the round-1 guide, on new tasks of the same stream (positions start.., after the round-1
draws) and labels every state it expanded with an expert that knows the task:
  - the reference program's states and, when the search solved the task, the found program's states: their
    next item, remaining length and free constants, as in teacher forcing (a found program is verified, so
    its states are on a solution path even where it differs from the reference);
  - any other visited state that the meeting's goal sets complete (synth/search/bidir.py: a tail of at most
    3 moves, found backward from the outputs): the tail's first item and its length;
  - any other visited state: no next item (the expert does not know one) and remaining length MAX_REM
    ("10 or more"), which teaches the value head that the search's detours lead away (an approximation:
    a longer completion may exist).
The search's budget is counted in expanded nodes (`nodes`), not seconds, so the data is the same on every
machine for a seed; at most `per_task` visited states of a task are kept (evenly spaced in visiting order).
"""
from __future__ import annotations

from dsl import get_profile, parse
from dsl.tasks import Example, Task

from .data import build_arrays, draw, states_of
from .features import MAX_REM, PROFILES, Featurizer, item_id


def task_of(rec: dict, name: str) -> Task:
    return Task(name, tuple(Example(tuple(s), tuple(o)) for s, o in zip(rec["inputs"], rec["outputs"])),
                constants=tuple(rec["given"]), free_constants=len(rec["free"]), profile=rec["profile"])


def search_visits(net, rec: dict, nodes: int):
    """(visited (state, bound) in order, SearchResult) of the guided search with `net`, `nodes` expansions."""
    from synth.search.guided import Guided, GuidedConfig
    p = get_profile(rec["profile"])

    class Recorder(Guided):
        def children(self, node, depth):
            self.visited.append((node[1], node[4]))
            return super().children(node, depth)

    cfg = GuidedConfig(meet=False)
    g = Recorder(task_of(rec, "dagger"), p, cfg, 1e9, net)
    g.visited = []
    g.clock = lambda: g.expanded / nodes          # "one second" = the node budget: the same on every machine
    g.t0, g.deadline = 0.0, 1.0
    res = g.run()
    return g.visited, res


def label(rec: dict, visited, res, per_task: int, meet_seconds: float = 0.5) -> dict:
    """The expert's records for one task: {"paths": [records to teacher-force], "rows": [(state, bound,
    item or None, remaining)]} (see the module doc)."""
    import time

    from synth.search.bidir import Meet
    p = get_profile(rec["profile"])
    paths = [rec]
    if res.solved:
        code = list(parse(res.program, p).code)
        ng = len(rec["given"])
        paths.append({**rec, "code": code, "free": tuple(res.constants[ng:])})
    on_path = {(s, b) for r in paths for s, b, _, _ in states_of(r)}
    if len(visited) > per_task:                    # evenly spaced in visiting order
        visited = [visited[i * len(visited) // per_task] for i in range(per_task)]
    visited = [v for v in dict.fromkeys(visited) if v not in on_path]
    task = task_of(rec, "dagger")
    meet = Meet(task, p, [-1, 0, 1, 2, 3, 4, 5, 10], len(rec["free"]), 3,
                deadline=time.perf_counter() + meet_seconds, clock=time.perf_counter)
    rows = []
    for state, bound in visited:
        tails = [t for t, extra in (meet.check(state, len(bound)) if meet.ok else []) if t]
        item, rem = None, MAX_REM
        if tails:
            tail = min(tails, key=len)
            try:
                item, rem = item_id(tail[0]), min(len(tail), MAX_REM)
            except KeyError:                       # a literal outside the guide's vocabulary
                continue
        rows.append((state, bound, item, rem))
    return {"paths": paths, "rows": rows}


def visited_records(net, profile: str, seed: int, start: int, n: int, nodes: int = 2000, per_task: int = 48,
                    log=None) -> list[dict]:
    """The expert's records of the draws start..start + n - 1 of the profile's stream."""
    from .data import suite_keys
    keys = suite_keys()
    out = []
    for i in range(start, start + n):
        rec = draw(profile, seed, i, keys)
        if rec is None:
            continue
        visited, res = search_visits(net, rec, nodes)
        out.append({**label(rec, visited, res, per_task), "solved": res.solved, "visited": len(visited)})
        if log and len(out) % 100 == 0:
            log(f"dagger {profile}: {len(out)} tasks searched (draw {i})")
    return out


def visited_arrays(out: list[dict]) -> dict:
    """Rows of every expert record: the paths teacher-forced (build_arrays), then the visited states."""
    import numpy as np
    arr = build_arrays([r for o in out for r in o["paths"]])
    xs, prof, item, rem, const = [arr["x"]], [arr["prof"]], [arr["item"]], [arr["rem"]], [arr["const"]]
    for o in out:
        rec = o["paths"][0]
        fz = Featurizer(rec["outputs"], rec["given"], len(rec["free"]))
        pid = PROFILES.index(rec["profile"])
        for state, bound, it, r in o["rows"]:
            xs.append(fz.state(state, bound)[None])
            prof.append(np.array([pid]))
            item.append(np.array([-1 if it is None else it]))
            rem.append(np.array([r]))
            const.append(np.array([[-1, -1]]))
    return {"x": np.concatenate(xs), "prof": np.concatenate(prof).astype(np.int64),
            "item": np.concatenate(item).astype(np.int64), "rem": np.concatenate(rem).astype(np.int64),
            "const": np.concatenate(const).astype(np.int64)}
