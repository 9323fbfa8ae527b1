"""Make the hard suites in datasets/hard/: tasks that plain enumeration cannot solve in 3 s.

    python experiments/make_hard_suites.py                       # both profiles, 60 tasks each
    python experiments/make_hard_suites.py --profile deepcoder --n 60 --budget 3

How. A deterministic stream of candidate tasks (seeded per profile) is drawn from random reference programs
of 5..10 items (`dsl.sampler.sample_task`, 5 examples each). Candidate i has length 5 + i % 6 and kind
i % 5: 0-2 plain (the sampler may give constants), 3 one hidden int constant, 4 two hidden int constants.
A hidden constant is redrawn far outside the enumerator's literal pool (`[-1..5, 10]`): |c| in 11..64 for
`small` (inside the enumerator's free-constant range, so only the branching hurts it), |c| in 65..255 for
`deepcoder` (outside its free-constant range -64..64); the task says `free_constants: k` and its `note`
records the reference values. A candidate is dropped when its reference program has a useless segment (two
prefixes leave the same stacks on every example), when its outputs are all equal or all equal the input
top, when a hidden constant does not matter (another value gives the same outputs), or when its name
repeats. It is KEPT only when the enumerative baseline (`synth.search.enumerate`, its default settings,
the task's own free_constants) does not solve it within `--budget` seconds of CPU time (process time, so
the load of the machine does not change the verdict; near the boundary a faster or slower CPU may). The
first `--n` kept candidates form the suite; every reference program is verified by the machine.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dsl import get_profile, parse  # noqa: E402
from dsl.redundancy import outputs, redundant  # noqa: E402
from dsl.sampler import sample_task  # noqa: E402
from dsl.sampling import far_constant  # noqa: E402
from dsl.tasks import Example, Task, parse_tasks  # noqa: E402

SEEDS = {"small": 11, "deepcoder": 12}


def candidate(rng: random.Random, profile: str, i: int, tries: int = 20) -> Task | None:
    """Candidate i of the stream (None when `tries` draws were all dropped)."""
    for _ in range(tries):
        t = _draw(rng, profile, i)
        if t is not None:
            return t
    return None


def _draw(rng: random.Random, profile: str, i: int) -> Task | None:
    p = get_profile(profile)
    length, kind = 5 + i % 6, i % 5
    nfree = {3: 1, 4: 2}.get(kind, 0)
    try:
        t = sample_task(rng, profile, length=length, n_examples=5, free_constants=bool(nfree),
                        n_consts=nfree if nfree else None)
    except ValueError:
        return None
    code = parse(t.program, p).code
    inputs = [ex.input for ex in t.examples]
    consts = tuple(t.constants)
    if nfree:
        for _ in range(30):   # redraw the hidden constants far from the literal pool
            consts = tuple(far_constant(rng, profile) for _ in range(nfree))
            outs = outputs(code, inputs, consts, p, t.match)
            if outs is None:
                continue
            other = tuple(far_constant(rng, profile) for _ in range(nfree))
            if all(outputs(code, inputs, consts[:k] + other[k:k + 1] + consts[k + 1:], p, t.match) != outs
                   for k in range(nfree)):       # every hidden constant matters
                break
        else:
            return None
    outs = outputs(code, inputs, consts, p, t.match)
    if outs is None or len({repr(o) for o in outs}) == 1:
        return None
    if all(s and repr(o) == repr(tuple(s[-1:])) for s, o in zip(inputs, outs)):
        return None
    if redundant(code, inputs, consts, p):
        return None
    exs = tuple(Example(tuple(s), o) for s, o in zip(inputs, outs))
    name = f"hard-{profile}-{i:04d}-L{length}"
    if nfree:
        return Task(name, exs, (), nfree, None, t.match, profile, t.program, extra={"constants": list(consts)})
    return Task(name, exs, consts, None, None, t.match, profile, t.program)


def enumerator_solves(task: Task, budget: float) -> tuple[bool, float, int]:
    """Run the baseline with a CPU-time clock; (solved, cpu seconds, candidates)."""
    from synth.search.enumerate import EnumerateConfig, enumerate_search
    t0 = time.process_time()
    res = enumerate_search(task, budget, config=EnumerateConfig(clock="cpu"))
    return res.solved, time.process_time() - t0, res.candidates


def to_json(task: Task) -> dict:
    d = task.to_json()
    if task.free_constants:
        d["note"] = f"reference constants {json.dumps(task.extra['constants'])}"
    return d


def build(profile: str, n: int, budget: float, log=sys.stderr) -> list[dict]:
    rng = random.Random(SEEDS[profile])
    kept, i, tried = [], 0, 0
    while len(kept) < n:
        t = candidate(rng, profile, i)
        i += 1
        if t is None:
            continue
        tried += 1
        solved, secs, cand = enumerator_solves(t, budget)
        print(f"{profile} #{i - 1} L{len(parse(t.program, profile))} free={t.free_constants or 0} "
              f"{'solved' if solved else 'KEPT'} {secs:.2f}s {cand} cand: {t.program}", file=log, flush=True)
        if not solved:
            kept.append(to_json(t))
    print(f"{profile}: kept {len(kept)} of {tried} candidates", file=log, flush=True)
    return kept


def check(tasks: list[dict], source: str) -> None:
    from synth.search import verify
    text = "".join(json.dumps(d) + "\n" for d in tasks)
    for t, d in zip(parse_tasks(text, source), tasks):
        consts = list(t.constants) + (json.loads(d["note"].split("constants ")[1]) if t.free_constants else [])
        assert verify(t, t.program, consts), (source, t.name)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", nargs="+", default=["small", "deepcoder"])
    ap.add_argument("--n", type=int, default=60, help="tasks per suite")
    ap.add_argument("--budget", type=float, default=3.0, help="enumerator CPU seconds a kept task survives")
    ap.add_argument("--out", default=str(ROOT / "datasets/hard"))
    args = ap.parse_args(argv)
    for profile in args.profile:
        tasks = build(profile, args.n, args.budget)
        check(tasks, profile)
        path = Path(args.out) / f"{profile}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(d) + "\n" for d in tasks))
        print(f"wrote {path} ({len(tasks)} tasks)", file=sys.stderr)


if __name__ == "__main__":
    main()
