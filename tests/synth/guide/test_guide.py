"""The guide and the guided search: a tiny guide learns a length-2 family, guides the search with fewer
candidates than the uniform ablation, nothing unverified is reported, the time limit is honoured."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from conftest import ROOT
from dsl import get_profile, parse, run
from dsl.tasks import Example, Task
from synth.core.train import TrainConfig, fit
from synth.guide.data import build_arrays, draw, states_of
from synth.guide.features import PROFILES, VOCAB, Featurizer, item_id, mask
from synth.guide.model import Guide, GuideConfig
from synth.guide.train import TrainGuideConfig, losses

FAMILY = ["sort last", "map_neg sum", "filter_pos len", "map_double sum", "filter_even len", "sort head"]
P = get_profile("small")


def family_task(rng: random.Random, prog: str) -> Task:
    code = parse(prog, P).code
    while True:
        ins = [(tuple(rng.randint(-20, 20) for _ in range(rng.randint(1, 5))),) for _ in range(5)]
        outs = [run(code, s, (), P) for s in ins]
        if all(r.ok for r in outs) and len({repr(r.stack) for r in outs}) > 1:
            return Task(f"fam-{prog}", tuple(Example(s, tuple(r.stack[-1:])) for s, r in zip(ins, outs)),
                        program=prog)


def record(t: Task) -> dict:
    return {"profile": "small", "inputs": [e.input for e in t.examples], "outputs": [e.output for e in t.examples],
            "given": (), "free": (), "code": list(parse(t.program, P).code)}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny guide trained on the family (a few seconds on one thread) and its exported checkpoint."""
    torch.set_num_threads(1)
    rng = random.Random(0)
    arr = build_arrays([record(family_task(rng, FAMILY[i % len(FAMILY)])) for i in range(300)])
    data = {k: torch.from_numpy(v) for k, v in arr.items()}
    cfg = TrainGuideConfig(guide=GuideConfig(d_example=64, d_trunk=64, layers=1, dropout=0.0))
    masks = torch.from_numpy(np.stack([mask(p) for p in PROFILES]))
    net = Guide(cfg.guide)
    n = len(data["item"])

    def get_batch(step, gen, bs):
        idx = torch.randint(0, n, (bs,), generator=gen)
        return {k: v[idx] for k, v in data.items()}

    tc = TrainConfig(steps=400, lr=3e-3, warmup=10, batch_size=64, progress=False, device="cpu")
    fit(net, lambda m, b: losses(m, b, masks, cfg), get_batch, tc)
    net.eval()
    path = tmp_path_factory.mktemp("guide") / "guide.pt"
    from dataclasses import asdict

    from synth.core.checkpoint import save_atomic
    save_atomic({"model": net.state_dict(), "meta": {"kind": "guide", "guide": asdict(cfg.guide)}, "step": 400}, path)
    return net, str(path)


def test_tiny_guide_learns_the_family(tiny):
    net, _ = tiny
    rng = random.Random(1)
    hits = 0
    for i in range(60):
        t = family_task(rng, FAMILY[i % len(FAMILY)])
        fz = Featurizer.for_task(t)
        x = torch.from_numpy(fz.state(tuple(e.input for e in t.examples))[None])
        with torch.no_grad():
            logits = net(x, torch.zeros(1, dtype=torch.long))["policy"][0]
        logits[~torch.from_numpy(mask("small"))] = -1e9
        hits += VOCAB[int(logits.argmax())] == t.program.split()[0]
    assert hits >= 42, hits            # one guess for all: 1/3 at best ("sort"); the tiny guide gets >= 70%


def test_guided_needs_fewer_candidates_than_uniform(tiny):
    from synth.search import build
    _, path = tiny
    cfg = {"meet": False, "enumerate": {"solve_tail": False}, "beam": 4}
    guided, uniform = build("guided", cfg, checkpoint=path), build("guided_uniform", cfg, checkpoint=path)
    rng = random.Random(2)
    g_tot = u_tot = 0
    for prog in FAMILY:
        t = family_task(rng, prog)
        g, u = guided(t, 20.0), uniform(t, 20.0)
        assert g.solved and u.solved
        g_tot += g.candidates
        u_tot += u.candidates
    assert g_tot < u_tot, (g_tot, u_tot)


def test_nothing_unverified_is_reported(tiny, monkeypatch):
    import synth.search.guided as guided_mod
    from synth.search import build, verify
    _, path = tiny
    rng = random.Random(3)
    tasks = [family_task(rng, p) for p in FAMILY[:3]]
    solve = build("guided", {}, checkpoint=path)
    for t in tasks:
        r = solve(t, 5.0)
        assert r.solved and verify(t, r.program, r.constants)
    monkeypatch.setattr(guided_mod, "verify", lambda *a, **k: False)       # a machine that accepts nothing
    for t in tasks:
        assert not solve(t, 0.5).solved


def test_time_limit_is_honoured(tiny):
    import time

    from synth.search import build
    _, path = tiny
    rng = random.Random(4)
    ex = tuple(Example((rng.randint(-60, 60), rng.randint(-60, 60)), (rng.randint(-60, 60),)) for _ in range(5))
    t = Task("noise", ex, free_constants=1)                                   # almost surely unsolvable
    for method in ("guided", "guided_uniform", "default"):
        t0 = time.perf_counter()
        r = build(method, {}, checkpoint=path)(t, 0.5)
        assert time.perf_counter() - t0 < 5.0 and r.seconds < 5.0      # generous: shared CI machines


def test_data_is_deterministic_and_teacher_forced():
    a = [draw("small", 7, i) for i in range(20)]
    b = [draw("small", 7, i) for i in range(20)]
    assert a == b and any(r is not None for r in a)
    rec = next(r for r in a if r is not None and len(r["code"]) >= 2)
    st = list(states_of(rec))
    assert len(st) == len(rec["code"]) + 1 and st[-1][2] is None and st[0][3] == len(rec["code"])
    assert st[0][2] == rec["code"][0] and item_id(rec["code"][0]) >= 0
    assert [o for o in rec["outputs"]] == [tuple(s[-1:]) for s in st[-1][0]]


def test_deepcoder_dsl_suites_verify():
    from dsl.tasks import load_tasks
    from synth.search import verify
    root = ROOT / "datasets/deepcoder_dsl"
    for name in ("s5.jsonl", "s8.jsonl"):
        tasks = load_tasks(root / name)
        assert len(tasks) == 60 and all(len(t.examples) == 5 for t in tasks)
        assert all(verify(t, t.program) for t in tasks)
