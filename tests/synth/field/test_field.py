"""The field: training lowers the loss, integration moves toward the target, composition, fuzzy programs,
the metric, checkpoints and the two commands end to end. Tiny models on a tiny (untrained) evaluator."""
from __future__ import annotations

import json
import math
import random

import pytest
import torch

from synth.config import compose
from synth.data.tokenizer import State
from synth.errors import UserError
from synth.evaluator.model import LatentMachine
from conftest import tiny_evaluator
from synth.evaluator import Evaluator, load_evaluator
from synth.field import load_field
from synth.field.data import FieldBatches, perturb
from synth.field.model import FieldConfig, FieldModel
from synth.field.program import integrate_ops, integrate_weights, program_velocity
from synth.core.solvers import integrate
from synth.core.train import fit
from synth.field.train import TrainFieldConfig, build, field_losses, slot_labels, train


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)                  # tiny models: threads only add overhead on a shared CPU
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def ev_path(tmp_path_factory):
    torch.manual_seed(0)
    m = LatentMachine(tiny_evaluator(dec_hidden=32), "small")
    path = tmp_path_factory.mktemp("ev") / "ev_tiny.pt"
    torch.save({"model": m.state_dict(), "meta": {"kind": "synth-evaluator/1", "model": dict(m.cfg.__dict__),
                                                  "profile": "small"}}, path)
    return path


@pytest.fixture(scope="module")
def lat(ev_path):
    return load_evaluator(ev_path).freeze()


def tiny_cfg(*over) -> TrainFieldConfig:
    return compose("train_field", ["field=tiny", *over], TrainFieldConfig)


def random_field(lat, path="linear", seed=0) -> FieldModel:
    torch.manual_seed(seed)
    fm = FieldModel(FieldConfig(time_dim=16, path=path), lat.transition_copy(fresh=True), lat.n_slots)
    torch.nn.init.normal_(fm.fix.weight, std=0.2)         # zero-initialised: make the field do something
    torch.nn.init.normal_(fm.time_mlp[2].weight, std=0.2)
    for blk in fm.step.trans.blocks:
        torch.nn.init.normal_(blk.ada.weight, std=0.2)
    return fm.eval()


def z_and_ops(lat, B=6, L=3, seed=0):
    src = FieldBatches("small", tiny_cfg().data, lat.tok)
    b = src.draw(random.Random(seed), B)
    z0 = lat.encode_feats(b["feats"][:, 0], b["status"][:, 0])
    ops = torch.randint(0, lat.n_ops, (B, L), generator=torch.Generator().manual_seed(seed))
    return z0, ops


def test_field_lowers_its_loss(lat):
    """The total training loss on a fixed batch falls after a short run of the real loop."""
    cfg = tiny_cfg("train.steps=60", "train.lr=0.01")
    torch.manual_seed(0)
    fm, src, loss_fn, _ = build(cfg, lat)
    fixed = src.draw(random.Random("fixed"), 64)
    with torch.no_grad():
        before = float(field_losses(fm, lat, fixed, cfg.loss)[0])
    res = fit(fm, loss_fn, src, cfg.train)
    assert res.step == 60 and all(math.isfinite(h["loss"]) for h in res.history)
    with torch.no_grad():
        after = float(field_losses(fm, lat, fixed, cfg.loss)[0])
    assert after < 0.85 * before, (before, after)


@pytest.mark.parametrize("path", ["linear", "vp"])
def test_trained_field_moves_toward_target(lat, path):
    """Overfit a few transitions; integrating them from E(x) must end much closer to E(op(x))."""
    cfg = tiny_cfg("loss.dec=0", "loss.roll=0", "loss.metric=0", "loss.noise_p=0", f"model.path={path}",
                   "model.warm_start=false")
    torch.manual_seed(0)
    fm = FieldModel(cfg.model, lat.transition_copy(fresh=True), lat.n_slots)
    src = FieldBatches("small", cfg.data, lat.tok)
    batch = src.draw(random.Random(3), 4, levels=[0] * 4)            # 4 rollouts x 3 items = 12 transitions
    opt = torch.optim.Adam(fm.parameters(), lr=3e-3)
    for i in range(150):
        batch["seed"] = i
        loss, _ = field_losses(fm, lat, batch, cfg.loss)
        opt.zero_grad()
        loss.backward()
        opt.step()
    fm.eval()
    with torch.no_grad():
        Z = lat.encode_feats(batch["feats"].flatten(0, 1), batch["status"].flatten(0, 1))
        Z = Z.view(4, 4, *Z.shape[1:])
        z0, z1 = Z[:, :3].flatten(0, 1), Z[:, 1:].flatten(0, 1)
        ops = batch["ops"].flatten()[:, None]
        lit = batch["lit"].flatten(0, 1)[:, None]
        end = integrate_ops(fm, z0, ops, 0.0, *(("euler", 4) if path == "linear" else ("euler", 8)), lit=lit)
    before, after = (z0 - z1).norm(dim=(1, 2)), (end - z1).norm(dim=(1, 2))
    moved = before > 1e-3                                            # transitions that change the state
    assert moved.sum() >= 6
    if path == "linear":
        assert after[moved].sum() < 0.5 * before[moved].sum(), (before, after)
        assert (after[moved] < 0.5 * before[moved]).float().mean() >= 0.7, (before, after)
    else:  # the VP path's ODE is curved and stiff near t = 1: it gets there far less precisely, and only
        S = lat.n_slots  # its slot tokens are corrected (element tokens move by routing alone)
        b_s, a_s = (z0 - z1)[:, :S].norm(dim=(1, 2)), (end - z1)[:, :S].norm(dim=(1, 2))
        assert torch.isfinite(after).all() and a_s[moved].mean() < 0.8 * b_s[moved].mean(), (b_s, a_s)


def test_composition_matches_op_by_op(lat):
    fm = random_field(lat)
    z0, ops = z_and_ops(lat)
    with torch.no_grad():
        whole = integrate_ops(fm, z0, ops, 0.0, "rk4", 3, return_states=True)        # (L+1, B, S, C)
        z = z0
        for k in range(ops.shape[1]):
            z = integrate_ops(fm, z, ops[:, k:k + 1], 0.0, "rk4", 3)
            assert torch.allclose(z, whole[k + 1], rtol=1e-4, atol=1e-4)
        # one ODE over [0, L] (Euler: every step inside one op's segment) equals the segment-wise solve
        one_ode = integrate(program_velocity(fm, ops), z0, t0=0.0, t1=3.0, method="euler", steps=9)
        seg = integrate_ops(fm, z0, ops, 0.0, "euler", 3)
    assert torch.allclose(one_ode, seg, rtol=1e-4, atol=1e-4)
    assert (whole[-1] - z0).abs().max() > 1e-2                       # the field did move the state


@pytest.mark.parametrize("mix", ["fields", "embedding"])
def test_fuzzy_one_hot_equals_discrete(lat, mix):
    fm = random_field(lat)
    z0, ops = z_and_ops(lat)
    w = torch.nn.functional.one_hot(ops, lat.n_ops).float()
    with torch.no_grad():
        a = integrate_ops(fm, z0, ops, 0.5, "midpoint", 2)
        b = integrate_weights(fm, z0, w, 0.5, "midpoint", 2, mix=mix)
    assert torch.allclose(a, b, atol=1e-5)


def test_fuzzy_mixture_is_the_weighted_sum_and_differentiable(lat):
    fm = random_field(lat)
    z0, _ = z_and_ops(lat, B=3, L=1)
    logits = torch.randn(3, 1, lat.n_ops, requires_grad=True)
    w = logits.softmax(-1)
    t = torch.full((3,), 0.3)
    from synth.field.program import mixture_velocity
    v = mixture_velocity(fm, w[:, 0], torch.zeros(3))(t, z0)
    ref = sum(w[:, 0, o, None, None] * fm.velocity(t, z0, fm.op_cond(torch.full((3,), o)), torch.zeros(3))
              for o in range(lat.n_ops))
    assert torch.allclose(v, ref, atol=1e-5)
    zL = integrate_weights(fm, z0, w, 0.0, "euler", 2)
    zL.pow(2).sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0 and torch.isfinite(logits.grad).all()
    with pytest.raises(ValueError, match="fields, embedding"):
        integrate_weights(fm, z0, w.detach(), mix="nope")


def test_metric_zero_for_same_and_symmetric(lat):
    fm = random_field(lat)
    z0, _ = z_and_ops(lat)
    za, zb = z0, z0.flip(0)
    assert torch.equal(fm.metric(za, za), torch.zeros(len(za)))
    assert torch.allclose(fm.metric(za, zb), fm.metric(zb, za))
    assert (fm.metric(za, zb) >= 0).all() and (fm.metric(za, zb) < 1).all()


def test_decoded_metric_adds_the_decoders_view(lat):
    from synth.field.model import decoded_probs
    torch.manual_seed(0)
    plain = FieldModel(FieldConfig(time_dim=16), lat.transition_copy(fresh=True), lat.n_slots)
    torch.manual_seed(0)
    dec = FieldModel(FieldConfig(time_dim=16, metric_decoded=2.0), lat.transition_copy(fresh=True), lat.n_slots)
    assert not any(k.startswith("metric.") and "decoder" in k for k in dec.state_dict())   # not a second copy
    z0, _ = z_and_ops(lat)
    za, zb = z0, z0.flip(0)
    q = decoded_probs(dec.step.decoder, za)                                  # (B, S, Q)
    assert q.shape[:2] == (len(za), lat.n_slots)
    assert torch.allclose(q[:, 0].sum(-1), torch.ones(len(za)))              # the status distribution
    ok = q[:, 0, 0]
    assert torch.allclose(q[:, 1:, :5].sum(-1), ok[:, None].expand(-1, lat.n_slots - 1), atol=1e-5)   # kinds x P(ok)
    assert torch.equal(dec.metric(za, za), torch.zeros(len(za)))
    assert torch.allclose(dec.metric(za, zb), dec.metric(zb, za))
    assert (dec.metric(za, zb) > plain.metric(za, zb) - 1e-6).all() and (dec.metric(za, zb) < 1).all()
    assert (dec.metric.slot_dist(za, zb) - plain.metric.slot_dist(za, zb)).max() > 1e-3
    with pytest.raises(ValueError, match="metric_decoded"):
        FieldConfig(metric_decoded=-1.0)


def test_slot_labels_and_perturb(lat):
    from synth.data.dataset import RolloutGenerator
    gen, rng = RolloutGenerator("small"), random.Random(0)
    sts = [State((3,), (1, (2, 3), "ab", True)), State((), (), "type"), State((), (), None)]
    for st in sts:
        for _ in range(30):
            q = perturb(st, rng, gen)
            assert q != st
            a, b = lat.tok.encode([st]), lat.tok.encode([q])
            lab = slot_labels(a["feats"], a["status"], b["feats"], b["status"])
            assert lab.sum() >= 1                                    # a near miss differs somewhere ...
    a = lat.tok.encode([sts[0]])
    assert slot_labels(a["feats"], a["status"], a["feats"], a["status"]).sum() == 0   # ... a copy nowhere


def test_unknown_options_are_loud():
    with pytest.raises(ValueError, match="linear, vp"):
        FieldConfig(path="diffusion")
    with pytest.raises(ValueError, match="x1, eps"):
        FieldConfig(path="vp", target="velocity")
    with pytest.raises(UserError):
        tiny_cfg("model.nope=1")


@pytest.mark.slow
def test_train_and_eval_commands_end_to_end(ev_path, tmp_path, capsys):
    from dsl.sampler import sample_run
    from synth.cli import main
    rng = random.Random(1)
    runs = tmp_path / "runs.jsonl"
    recs = [sample_run(rng, "small", length=1 + i % 3) for i in range(12)]
    recs.append({"program": "dup 3", "input": [2], "result": {"ok": True, "stack": [2, 2, 3]}})
    recs.append({"program": "nosuchop", "input": [], "result": {"ok": False, "error": "syntax", "message": "x"}})
    runs.write_text("".join(json.dumps(r) + "\n" for r in recs))
    out, exp = tmp_path / "run", tmp_path / "field.pt"
    assert main(["train-field", "--evaluator", str(ev_path), "--out", str(out), "--export", str(exp),
                 "field=tiny", "train.steps=3"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["steps"] == 3 and exp.is_file()
    # resuming a finished run does nothing more
    assert main(["train-field", "--evaluator", str(ev_path), "--out", str(out), "field=tiny", "train.steps=3"]) == 0
    capsys.readouterr()
    assert main(["eval-field", "--traces", str(runs), "--checkpoint", str(exp), "--evaluator", str(ev_path),
                 "--solver", "rk4", "--steps", "2"]) == 0
    cap = capsys.readouterr()
    rep = json.loads(cap.out.strip().splitlines()[-1])
    assert rep["records"] == 13 and rep["skipped"] == 1
    assert 0.0 <= rep["exact_match"] <= 1.0 and 0.0 <= rep["metric_top1"] <= 1.0
    assert rep["metric_top1_exact"] is None if rep["exact_match"] == 0 else 0.0 <= rep["metric_top1_exact"] <= 1.0
    assert set(rep["per_length"]) == {"1", "2", "3"} and "push" in rep["per_op"]
    assert "1-op" in cap.err and set(rep["one_op"]) <= set(rep["per_op"])
    assert main(["eval-field", "--traces", str(runs), "--checkpoint", str(exp), "--evaluator", str(ev_path),
                 "--solver", "nope"]) == 2


def test_load_field_refuses_other_evaluator(ev_path, tmp_path):
    cfg = tiny_cfg("train.steps=1", f"train.out_dir={tmp_path / 'r'}")
    train(cfg, str(ev_path))
    from synth.field.train import export
    exp = export(tmp_path / "r" / "checkpoint.pt", tmp_path / "f.pt")
    f = load_field(exp, ev_path)
    assert f.n_ops == len(f.ops) == 40
    full = torch.load(tmp_path / "r" / "checkpoint.pt", weights_only=True)["model"]
    shipped = torch.load(exp, weights_only=True)["model"]
    assert 0 < len(shipped) < len(full)                       # the evaluator's frozen parts are not stored
    for k, v in f.model.state_dict().items():                 # ... but come back from the evaluator
        assert torch.allclose(v.float(), full[k].float(), rtol=2e-3, atol=2e-3), k
    torch.manual_seed(1)
    other = LatentMachine(tiny_evaluator(dec_hidden=32), "small")
    with pytest.raises(UserError, match="trained on evaluator"):
        load_field(exp, Evaluator(other))


def test_warm_start_one_euler_step_is_the_evaluator_transition():
    """Warm-started from the evaluator, one Euler step per op (x1 form) is exactly its latent rollout."""
    torch.manual_seed(2)                      # an evaluator whose ALU is made non-trivial
    m = LatentMachine(tiny_evaluator(dec_hidden=32, alu_hidden=48, alu_layers=2), "small")
    for p in m.alu.out.parameters():
        torch.nn.init.normal_(p, std=0.1)
    lat = Evaluator(m).freeze()
    cfg = tiny_cfg()
    fm, _, _, _ = build(cfg, lat)
    assert cfg.model.warm_start
    z0, ops = z_and_ops(lat, B=5, L=2)
    with torch.no_grad():
        mine = integrate_ops(fm, z0, ops, 0.5, "euler", 1)
        ref = z0
        for k in range(ops.shape[1]):
            ref = lat.model.transition(ref, ops[:, k], None, torch.full((5,), 0.5))
    assert torch.allclose(mine, ref, atol=1e-5)


def test_shipped_field_runs_stack_programs(tmp_path, capsys):
    """The shipped pair (synth/pretrained/field_small.pt + evaluator_small.pt) loads by default and, with
    its default solver setting, integrates programs of stack moves and constants exactly."""
    from synth.cli import main
    from synth.field import DEFAULT_FIELD
    if not DEFAULT_FIELD.exists():
        pytest.skip("no shipped field")
    from synth.core.train import load_checkpoint
    assert load_checkpoint(DEFAULT_FIELD)["meta"]["evaluator"] == "evaluator_small.pt"   # found beside it
    ok = lambda *stack: {"ok": True, "stack": list(stack)}                      # noqa: E731
    recs = [{"program": "dup", "input": [3], "result": ok(3, 3)},
            {"program": "swap", "input": [1, [2, 5]], "result": ok([2, 5], 1)},
            {"program": "over drop", "input": ["ab", True], "result": ok("ab", True)},
            {"program": "rot swap", "input": [1, 2, -7], "result": ok(2, 1, -7)},
            {"program": "c0", "input": [4], "constants": [9], "result": ok(4, 9)}]
    runs = tmp_path / "runs.jsonl"
    runs.write_text("".join(json.dumps(r) + "\n" for r in recs))
    assert main(["eval-field", "--traces", str(runs)]) == 0
    rep = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rep["records"] == 5 and rep["exact_match"] == 1.0


def test_init_metric_carries_the_metric_over(ev_path, tmp_path):
    first = tiny_cfg("train.steps=2", f"train.out_dir={tmp_path / 'a'}")
    train(first, str(ev_path))
    from synth.field.train import load_metric
    lat = load_evaluator(ev_path).freeze()
    fm, *_ = build(tiny_cfg(), lat)
    src = torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=True)["model"]
    assert not torch.equal(fm.state_dict()["metric.g.1.weight"], src["metric.g.1.weight"])
    load_metric(fm, tmp_path / "a" / "checkpoint.pt")
    for k, v in fm.state_dict().items():
        if k.startswith("metric."):
            assert torch.equal(v, src[k]), k
    wide = build(tiny_cfg("model.metric_dim=8"), lat)[0]
    with pytest.raises(ValueError, match="init_metric"):
        load_metric(wide, tmp_path / "a" / "checkpoint.pt")
