"""The student executor (synth.executor): it learns a traced program, a one-hot relaxed step is the discrete one,
gradients reach op logits and relaxed constants, checkpoints round-trip, training resumes exactly, and the
gradient search runs on it through the evaluator's Executor."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest
import torch

from dsl import get_profile, parse, run
from dsl.machine import apply
from dsl.tasks import parse_tasks
from synth.config import compose
from synth.data.dataset import Rollout, collate
from synth.data.tokenizer import State
from synth.evaluator.api import Evaluator
from synth.evaluator.train import LossConfig, rollout_losses
from synth.executor.distill import DistillConfig, train
from synth.executor.student import StudentConfig, StudentMachine

TINY = ["executor=tiny", "train.batch_size=8", "train.log_every=1", "train.warmup=1", "data.val_size=0",
        "data.codec=8", "train.progress=false"]


def _tiny(seed: int = 0) -> StudentMachine:
    torch.manual_seed(seed)
    return StudentMachine(compose("distill", ["executor=tiny"], DistillConfig).model)


def _trace(code, stack, consts, p) -> Rollout:
    """A rollout of every state of `code` on the real machine (dsl.machine.apply)."""
    st, states = list(stack), [State(tuple(consts), tuple(stack))]
    for item in code:
        apply(item, st, tuple(consts), p)
        states.append(State(tuple(consts), tuple(st)))
    return Rollout(tuple(consts), states, list(code))


def test_small_preset_is_the_dataclass_default():
    assert compose("distill", [], DistillConfig).model == StudentConfig()
    assert compose("distill", ["executor=tiny"], DistillConfig).model.d_model == 32


def test_student_learns_a_traced_program():
    """A short training on the traces of `dup mul c0 add` (x^2 + c0) and the student runs it exactly in latent
    space on those inputs; before training it does not."""
    p = get_profile("small")
    code = parse("dup mul c0 add", p).code
    cases = [((3,), (1,)), ((-2,), (5,)), ((4,), (-7,)), ((0,), (2,))]
    m = _tiny()
    ev = Evaluator(m)
    want = [run(code, s, c, p).stack for s, c in cases]

    def exact():
        got = ev.run_programs([code] * len(cases), [s for s, _ in cases], [c for _, c in cases])
        return [g.stack for g in got] == [tuple(w) for w in want] and all(g.error is None for g in got)

    assert not exact()
    batch = collate([_trace(code, s, c, p) for s, c in cases], m.tok, {o: i for i, o in enumerate(m.ops)})
    opt = torch.optim.Adam(m.parameters(), 3e-3)
    for _ in range(400):
        loss, _, _ = rollout_losses(m, batch, LossConfig(codec=0.0))
        opt.zero_grad()
        loss.backward()
        opt.step()
    m.eval()
    assert exact()


def test_one_hot_relaxed_step_is_the_discrete_step():
    m = _tiny().eval()
    ev = Evaluator(m)
    states = [State((2, "ab"), (3, -4, (1, 2))), State((), (True, 7)), State((5,), ())]
    z = ev.encode(states * m.n_ops)
    for level in (0, 1, 2):
        ids = torch.arange(m.n_ops).repeat_interleave(len(states))
        lv = torch.full((len(ids),), level)
        with torch.no_grad():
            hard = m.transition(z, ids, None, lv)
            soft = m.transition_soft(z, torch.nn.functional.one_hot(ids, m.n_ops).float(), lv)
        assert torch.allclose(hard, soft, atol=1e-5)
    with pytest.raises(ValueError, match="op weights"):
        m.transition_soft(z, torch.ones(len(ids), 3))


def _search_parts(path):
    from synth.executor import make_student_executor
    from synth.search.space import TaskSpace
    task = parse_tasks(json.dumps({"name": "affine", "free_constants": 1, "examples": [
        {"input": [3], "output": [50]}, {"input": [-5], "output": [26]}, {"input": [0], "output": [41]}]}))[0]
    ex = make_student_executor(path)
    return ex, TaskSpace(task, get_profile("small"), 1, [1, 2], 4)


def test_search_adapters_agree_and_gradients_reach_ops_and_constants(tmp_path):
    """The evaluator's search Executor takes the student unchanged: its one-hot checks of the soft constant
    and soft literal adapters pass, and the relaxed loss has gradients for the op logits and the constants."""
    path = _checkpoint(tmp_path)
    ex, sp = _search_parts(path)
    assert ex.soft_consts and ex.soft_lits and not ex.notes
    R, E = 2, len(sp.inputs)
    theta = torch.randn(R, sp.L, sp.V, requires_grad=True)
    phi = torch.randn(R, 1, len(sp.int_values), requires_grad=True)
    for alpha in (0.0, 0.5, 1.0):
        z = ex.encode(sp, R, torch.softmax(phi, -1), alpha)
        z = ex.rollout(ex.plan(sp), z, torch.softmax(theta, -1).repeat_interleave(E, 0), alpha)
        g_theta, g_phi = torch.autograd.grad(ex.loss(sp, z, R, alpha).sum(), [theta, phi])
        assert torch.isfinite(g_theta).all() and g_theta.abs().sum() > 0 and torch.isfinite(g_phi).all()
        if alpha < 1:                       # at the type level every int encodes alike: no gradient to values
            assert g_phi.abs().sum() > 0


def _checkpoint(tmp_path, extra=()) -> str:
    from synth.executor import export
    cfg = compose("distill", [*TINY, "train.steps=2", "loss.kd=0", "loss.hint=0",
                              f"train.out_dir={tmp_path / 'run'}", *extra], DistillConfig)
    train(cfg, command="synth distill test")
    return str(export(tmp_path / "run" / "checkpoint.pt", tmp_path / "executor.pt"))


def test_checkpoint_round_trip(tmp_path):
    from synth.executor import export, load_student
    path = _checkpoint(tmp_path)
    ev = load_student(path)
    meta = ev.meta
    assert meta["command"] == "synth distill test" and meta["data_seed"] == 0 and meta["commit"]
    assert meta["model"] == dataclasses.asdict(compose("distill", ["executor=tiny"], DistillConfig).model)
    full = load_student(tmp_path / "run" / "checkpoint.pt")        # the training checkpoint loads too
    half = load_student(export(tmp_path / "run" / "checkpoint.pt", tmp_path / "half.pt", half=True))
    states = [State((1,), (3, (4, 5))), State((), ("hi", False))]
    z = ev.step_items(ev.encode(states), ["dup", (7,)])
    for other, tol in ((full, 1e-6), (half, 5e-2)):
        assert torch.allclose(other.step_items(other.encode(states), ["dup", (7,)]), z, atol=tol)
    assert ev.decode_states(z) == full.decode_states(z)
    from synth.errors import UserError
    with pytest.raises(UserError, match="not a student executor"):
        load_student("synth/pretrained/evaluator_small.pt")


@pytest.fixture(scope="module")
def tiny_teacher(tmp_path_factory) -> str:
    """A tiny untrained evaluator to distil from (its quality does not matter here)."""
    from synth.evaluator.train import TrainEvaluatorConfig, build, meta_of
    torch.manual_seed(0)
    cfg = compose("train_evaluator", ["evaluator=tiny"], TrainEvaluatorConfig)
    model = build(cfg)[0]
    path = tmp_path_factory.mktemp("teacher") / "tiny.pt"
    torch.save({"model": model.state_dict(), "meta": meta_of(cfg, model), "step": 0}, path)
    return str(path)


def test_distillation_resumes_exactly(tmp_path, tiny_teacher):
    """With a teacher (kd and hint on), a run cut at step 2 and continued equals an uninterrupted run."""
    over = [*TINY, "train.steps=4", f"teacher={tiny_teacher}", "loss.kd_batch=4"]
    whole = train(compose("distill", [*over, f"train.out_dir={tmp_path / 'a'}"], DistillConfig))
    cut = compose("distill", [*over, f"train.out_dir={tmp_path / 'b'}", "train.stop_at=2"], DistillConfig)
    train(cut)
    rest = train(compose("distill", [*over, f"train.out_dir={tmp_path / 'b'}"], DistillConfig))
    a = {r["step"]: r for r in whole.history}
    for r in rest.history:
        assert r["loss"] == pytest.approx(a[r["step"]]["loss"], rel=1e-6)
        assert r["loss_kd"] == pytest.approx(a[r["step"]]["loss_kd"], rel=1e-6)
    assert "loss_hint" in whole.history[-1]


def test_gradient_search_runs_on_the_student(tmp_path):
    """gradient_search with the student as its executor: a verified solution or none, never a wrong one."""
    from synth.search.base import verify
    from synth.search.gradient import GradientConfig, gradient_search
    ex, sp = _search_parts(_checkpoint(tmp_path))
    task = parse_tasks(json.dumps({"name": "inc", "examples": [
        {"input": [3], "output": [4]}, {"input": [-5], "output": [-4]}, {"input": [10], "output": [11]}]}))[0]
    cfg = GradientConfig(restarts=4, slots=4, samples=16, cycle_steps=8, beam=8)
    res = gradient_search(task, 5.0, get_profile("small"), cfg, ex)
    assert res.solved and verify(task, res.program, res.constants)


def test_cli_bad_key_is_one_line(tmp_path):
    r = subprocess.run([sys.executable, "-m", "synth.cli", "distill", "--out", str(tmp_path / "x"), "nope=1"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "nope" in r.stderr
    assert not (tmp_path / "x").exists()

