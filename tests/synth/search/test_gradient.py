"""Gradient search, hybrid and default with a tiny evaluator: they find short programs and constants, honour the
time limit, never report an unverified program, and the hybrid/default keep what enumeration finds."""
from __future__ import annotations

import dataclasses
import json
import time

import pytest
import torch

from dsl.tasks import parse_tasks
from synth.search import build, verify


def _task(d: dict):
    return parse_tasks(json.dumps(d))[0]


def _ex(pairs):
    return [{"input": list(i), "output": list(o)} for i, o in pairs]


INC = _task({"name": "inc", "examples": _ex([((3,), (4,)), ((-5,), (-4,)), ((10,), (11,)), ((0,), (1,))])})
SQUARE_INC = _task({"name": "square-inc",
                    "examples": _ex([((3,), (10,)), ((-2,), (5,)), ((4,), (17,)), ((0,), (1,))])})
PLUS_37 = _task({"name": "plus-37", "free_constants": 1,
                 "examples": _ex([((3,), (40,)), ((-5,), (32,)), ((10,), (47,)), ((0,), (37,))])})
AFFINE = _task({"name": "affine-3x-41", "free_constants": 1,
                "examples": _ex([((3,), (50,)), ((-5,), (26,)), ((7,), (62,)), ((0,), (41,))])})
IMPOSSIBLE = _task({"name": "impossible",
                    "examples": _ex([((1,), (17,)), ((2,), (-33,)), ((3,), (5,)), ((4,), (60,)), ((5,), (-2,))])})


@pytest.fixture(scope="module")
def tiny_evaluator(tmp_path_factory) -> str:
    """A tiny evaluator checkpoint, trained for a few steps (its quality does not matter here)."""
    from synth.config import compose
    from synth.evaluator.train import TrainEvaluatorConfig
    from synth.evaluator.train import build as build_train
    from synth.evaluator.train import meta_of
    torch.manual_seed(0)
    cfg = compose("train_evaluator", ["evaluator=tiny", "data.val_size=0"], TrainEvaluatorConfig)
    model, get_batch, loss_fn, _, _ = build_train(cfg)
    g = torch.Generator().manual_seed(0)
    params = [p for p in model.parameters() if p.requires_grad]
    for step in range(3):                     # a few plain SGD steps
        loss, _ = loss_fn(model, get_batch(step, g, 8))
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        with torch.no_grad():
            for p, gr in zip(params, grads):
                if gr is not None:
                    p -= 1e-3 * gr
    path = tmp_path_factory.mktemp("ev") / "tiny.pt"
    torch.save({"model": model.state_dict(), "meta": meta_of(cfg, model), "step": 3}, path)
    return str(path)


FAST = {"restarts": 4, "slots": 4, "samples": 24, "cycle_steps": 12, "beam": 8, "executor": "evaluator"}


def _solve(method, task, tl, ck, **over):
    return build(method, {**FAST, **over}, ck)(task, tl)


def test_latent_executor_adapters_agree(tiny_evaluator):
    from synth.search.latent import make_executor
    ex = make_executor("evaluator", tiny_evaluator)
    assert ex.soft_consts and ex.soft_lits, ex.notes


@pytest.mark.parametrize("task,length", [(INC, 1), (SQUARE_INC, 2)])
def test_gradient_finds_short_programs(tiny_evaluator, task, length):
    res = _solve("gradient", task, 20.0, tiny_evaluator)
    assert res.solved and verify(task, res.program, res.constants)
    assert len(res.program.split()) == length     # the found program is simplified to the shortest form
    assert res.method == "gradient" and res.candidates > 0


def test_gradient_finds_constants(tiny_evaluator):
    for task in (PLUS_37, AFFINE):
        res = _solve("gradient", task, 20.0, tiny_evaluator)
        assert res.solved and verify(task, res.program, res.constants)
        assert len(res.constants) == 1 and "c0" in res.program.split()     # a free constant was found
        assert res.constants[0] not in (-1, 0, 1, 2, 3, 4, 5, 10)          # ... outside the literal pool


def test_time_limit_honoured(tiny_evaluator):
    t0 = time.perf_counter()
    res = _solve("gradient", IMPOSSIBLE, 1.0, tiny_evaluator)
    took = time.perf_counter() - t0
    assert not res.solved and res.program is None
    assert res.seconds < 1.6 and took < 3.0


def test_unverified_is_never_solved(tiny_evaluator, monkeypatch):
    import synth.search.gradient_decode as gd
    import synth.search.gradient_steps as gs
    for mod in (gs, gd):
        monkeypatch.setattr(mod, "verify", lambda *a, **k: False)   # the machine rejects everything
    res = _solve("gradient", INC, 1.0, tiny_evaluator)
    assert not res.solved and res.program is None and res.constants == []


def test_model_free_and_ablations_run(tiny_evaluator):
    for m in ("gradient_nolatent", "gradient_noanneal", "gradient_nomask", "gradient_noisestart"):
        res = _solve(m, INC, 10.0, tiny_evaluator)
        assert res.solved and res.method == m


def test_hybrid_and_meet_match_enumerate(tiny_evaluator):
    enum = build("enumerate")
    for m in ("hybrid", "meet"):
        solve = build(m, {"prior_frontier": 1, "gradient": FAST} if m == "hybrid" else None, tiny_evaluator)
        for task in (INC, SQUARE_INC):
            want = enum(task, 5.0)
            got = solve(task, 5.0)
            assert got.solved and verify(task, got.program, got.constants)
            assert len(got.program.split()) <= len(want.program.split())


def test_hybrid_finds_constant_outside_pool(tiny_evaluator):
    task = _task({"name": "plus-211-str", "free_constants": 1, "profile": "deepcoder",
                  "examples": _ex([((30,), ("241",)), ((-40,), ("171",)), ((41,), ("252",)), ((-20,), ("191",))])})
    assert not build("enumerate")(task, 1.0).solved           # 211 is outside the baseline's values
    res = build("meet", None, tiny_evaluator)(task, 10.0)
    assert res.solved and 211 in res.constants


def test_field_executor_runs_and_solves(tiny_evaluator, tmp_path):
    """A one-step field on the tiny evaluator: the relaxed rollout is differentiable, the method solves INC."""
    import shutil
    from synth.config import compose
    from synth.field.train import TrainFieldConfig, export, train
    from synth.search.latent import make_executor
    from synth.search.space import TaskSpace
    from dsl import get_profile
    ev = tmp_path / "tiny.pt"
    shutil.copy(tiny_evaluator, ev)
    cfg = compose("train_field", ["field=tiny", "train.steps=1", f"train.out_dir={tmp_path / 'r'}"], TrainFieldConfig)
    train(cfg, str(ev))
    path = export(tmp_path / "r" / "checkpoint.pt", tmp_path / "field.pt")
    ex = make_executor("field", str(path))
    sp = TaskSpace(INC, get_profile("small"), 0, [1, 2], 3)
    w = torch.softmax(torch.randn(2 * len(INC.examples), 3, sp.V), -1).requires_grad_(True)
    z = ex.rollout(ex.plan(sp), ex.encode(sp, 2, None, 0.0), w, 0.0)
    ex.loss(sp, z, 2, 0.0).sum().backward()
    assert w.grad is not None and torch.isfinite(w.grad).all() and w.grad.abs().sum() > 0
    res = build("field", FAST, str(path))(INC, 10.0)
    assert res.solved and res.method == "field"
    # the field's metric as a loss term (the field's own latent space): differentiable, and the search solves
    from synth.search.gradient import GradientConfig, metric_executor
    mex = metric_executor(GradientConfig(executor="field", metric_weight=1.0), str(path))
    z = mex.rollout(mex.plan(sp), mex.encode(sp, 2, None, 0.0), w, 0.0)
    w.grad = None
    mex.metric(z, mex.encode(sp, 2, None, 0.0)).sum().backward()
    assert w.grad is not None and torch.isfinite(w.grad).all() and w.grad.abs().sum() > 0
    res = build("field", {**FAST, "metric_weight": 1.0, "latent_weight": 0.0}, str(path))(INC, 10.0)
    assert res.solved and res.info["latent"]


def _rank_main(rank: int, port: int, out: str) -> None:
    import os
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE="2")
    from synth.search.scaleout import run_jobs
    tasks = [INC, SQUARE_INC, PLUS_37, AFFINE, IMPOSSIBLE]
    solve = build("enumerate", {"free_constants": 1})
    res = run_jobs(tasks, lambda t: solve(t, 2.0).to_json())
    with open(f"{out}.{rank}", "w") as f:
        json.dump(res, f)


@pytest.mark.slow
def test_scaleout_two_gloo_ranks_gather_in_order(tmp_path):
    import socket
    import torch.multiprocessing as tmp
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp.spawn(_rank_main, args=(port, str(tmp_path / "res")), nprocs=2, join=True)
    a = json.loads((tmp_path / "res.0").read_text())
    b = json.loads((tmp_path / "res.1").read_text())
    assert a == b and [r["task"] for r in a] == ["inc", "square-inc", "plus-37", "affine-3x-41", "impossible"]
    assert [r["solved"] for r in a] == [True, True, True, True, False]


# ---- the schedule, the relaxed constants, the learned start, the metric (issue 17) ---------------------------

def _stepped(task, n: int, executor=None, guide=None, **over):
    """A _Search after n optimiser steps (no deadline reached): the search's state, step by step."""
    from dsl import get_profile
    from synth.search.gradient import GradientConfig
    from synth.search.gradient_steps import _Search
    cfg = GradientConfig(**{**FAST, "meet": False, "clock": "cpu", "start": "noise", **over})
    s = _Search(task, 1e6, get_profile("small"), cfg, executor, None, None, guide)
    assert s.first_checks() is None
    for _ in range(n):
        assert s.step() is None
    return s


def test_schedule_reaches_alpha_zero_and_reports_it(tiny_evaluator):
    from synth.search.latent import make_executor
    ex = make_executor("evaluator", tiny_evaluator)
    s = _stepped(IMPOSSIBLE, 6, ex, cycle_steps=4, ground_every=2)      # fractions 0, .25, .5, .75, 0, .25
    info = s.give_up().info
    assert info == {"steps": 6, "min_alpha": 0.0, "latent": True}
    assert _stepped(IMPOSSIBLE, 6, ex, cycle_steps=40).give_up().info["min_alpha"] == 1.0    # types only so far
    assert _stepped(IMPOSSIBLE, 6, ex, cycle_steps=12).give_up().info["min_alpha"] == 0.5
    res = _solve("gradient", INC, 20.0, tiny_evaluator)
    assert res.solved and res.info["steps"] >= 0 and "min_alpha" in res.info


def test_relaxed_constant_of_an_affine_task_is_found():
    """x + 37 with the exact fitting, the sweeps, the backward tails and the guide's start off: only the relaxed
    constant q (from noise; sampled, REINFORCE-trained, its top values decoded) can produce 37 (outside the
    literal pool)."""
    over = {**FAST, "fit_constants": False, "sweep": False, "meet": False, "clock": "cpu", "ground_every": 1,
            "start": "noise"}
    res = build("gradient_nolatent", over)(PLUS_37, 20.0)
    assert res.solved and verify(PLUS_37, res.program, res.constants)
    assert "c0" in res.program.split() and abs(res.constants[0]) == 37 and res.info["steps"] > 0


@pytest.fixture(scope="module")
def tiny_guide():
    from synth.guide.model import Guide, GuideConfig
    torch.manual_seed(0)
    return Guide(GuideConfig(d_example=16, d_trunk=16, layers=1, dropout=0.0)).eval()


def test_guide_start_is_deterministic_and_follows_the_guide(tiny_guide):
    from dsl import get_profile
    from synth.guide.api import Oracle
    from synth.guide.features import item_id
    a = _stepped(PLUS_37, 0, guide=tiny_guide, start="guide", init_noise=0.0, start_scale=50.0)
    b = _stepped(PLUS_37, 0, guide=tiny_guide, start="guide", init_noise=0.0, start_scale=50.0)
    c = _stepped(PLUS_37, 0, guide=tiny_guide, start="guide", init_noise=0.0, start_scale=50.0, seed=1)
    assert torch.equal(a.theta, b.theta) and torch.equal(a.phi, b.phi)
    assert not torch.equal(a.theta, c.theta)                      # the walks differ with the seed
    n = _stepped(PLUS_37, 0)                                      # the noise start
    assert not torch.equal(a.theta, n.theta)
    # slot 0 is asked about the inputs: its logits are the guide's policy there (ranked the same)
    sp, orc = a.sp, Oracle(tiny_guide, PLUS_37, get_profile("small"), 1)
    orc.ask([sp.inputs], [()])
    pol = orc.get(sp.inputs, ())[0]
    ids = [i for i, it in enumerate(sp.items) if it.kind in ("op", "free")]
    want = max(ids, key=lambda i: pol[item_id(sp.items[i].op)])
    got = a.theta[0, 0, ids].argmax().item()
    assert ids[got] == want and bool((a.theta[:, 0] == a.theta[0, 0]).all())
    # the free constant's logits: the constant head's top values (const_top of them), the rest at the floor
    from synth.search.gradient_start import FLOOR
    above = (a.phi.detach()[:, 0] > FLOOR * 50.0 + 1e-3).sum(-1)
    assert bool(((above >= 1) & (above <= a.cfg.start_const_top)).all())


def test_unknown_start_and_metric_with_the_student_are_loud():
    with pytest.raises(ValueError, match="start"):
        build("gradient", {"start": "magic"})
    with pytest.raises(ValueError, match="metric_weight"):
        build("gradient", {"metric_weight": 1.0, "executor": "student"})
