"""The evaluator: training on the tiny model, exact resume, the library API, eval-evaluator end to end."""
import contextlib
import io
import json

import pytest
import torch

from synth.cli import main as cli
from synth.config import compose
from synth.core.train import fit, load_checkpoint
from synth.data.tokenizer import State
from synth.evaluator import export, load_evaluator
from synth.evaluator.train import TrainEvaluatorConfig, build, meta_of, train


def _cfg(tmp, *extra):
    return compose("train_evaluator", ["evaluator=tiny", "train.batch_size=16", "train.log_every=1",
                                       "train.warmup=3", "train.lr=0.003", "train.eval_every=0",
                                       "data.val_size=0", "data.gen.steps=3", f"train.out_dir={tmp}",
                                       "train.progress=false", *extra], TrainEvaluatorConfig)


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    train(_cfg(out, "train.steps=3"))
    export(out / "checkpoint.pt", out / "evaluator.pt")
    return out / "evaluator.pt"


def test_config_groups_and_loud_unknown_keys():
    assert compose("train_evaluator", [], TrainEvaluatorConfig).model.d_model == 128
    assert compose("train_evaluator", ["evaluator=tiny"], TrainEvaluatorConfig).model.d_model == 32
    from synth.errors import UserError
    with pytest.raises(UserError):
        compose("train_evaluator", ["model.nonsense=1"], TrainEvaluatorConfig)


def test_loss_falls_on_tiny(tmp_path):
    res = train(_cfg(tmp_path, "train.steps=30", "train.batch_size=32"))
    losses = [r["loss"] for r in res.history]
    assert len(losses) == 30
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < 0.8 * first, (first, last)


class _Stop(Exception):
    pass


def test_resume_is_exact(tmp_path):
    full = _cfg(tmp_path / "a", "train.steps=6", "train.ckpt_every=3")
    train(full)
    cut = _cfg(tmp_path / "b", "train.steps=6", "train.ckpt_every=3")
    model, get_batch, loss_fn, _, stats = build(cut)

    def dying(step, g, bs):               # killed during step 5 (after the step-3 checkpoint)
        if step == 4:
            raise _Stop
        return get_batch(step, g, bs)
    with pytest.raises(_Stop):
        fit(model, loss_fn, dying, cut.train, meta=meta_of(cut, model), extra={"opstats": stats})
    train(cut)                            # resumes from step 3
    a, b = load_checkpoint(tmp_path / "a" / "checkpoint.pt"), load_checkpoint(tmp_path / "b" / "checkpoint.pt")
    assert a["step"] == b["step"] == 6
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    assert torch.equal(a["extra"]["opstats"]["loss"], b["extra"]["opstats"]["loss"])
    assert (tmp_path / "a" / "metrics.csv").read_text() .split("\n")[0] == \
        (tmp_path / "b" / "metrics.csv").read_text().split("\n")[0]


def test_api_soft_step_is_differentiable(tiny_ckpt):
    ev = load_evaluator(tiny_ckpt)
    assert ev.profile.name == "small" and len(ev.ops) == 40
    z = ev.encode([State((1,), (3, 4)), State((), ("ab",))])
    w = torch.full((2, len(ev.ops)), 1.0 / len(ev.ops), requires_grad=True)
    z2 = ev.step(z, w)
    loss = ev.loss_to_target(z2, [(7,), ("ba",)], match="top").sum()
    loss.backward()
    assert torch.isfinite(loss) and w.grad.abs().sum() > 0
    z3 = ev.step(z, w.detach(), level=torch.tensor([0.0, 1.0]))          # alpha per row
    assert z3.shape == z.shape
    out = ev.decode_states(ev.step_items(z, ["add", (True,)]))
    assert len(out) == 2 and all(isinstance(s, State) for s in out)
    sign = ev.encode([State((), ("int<0,odd", "list[2]"))], level="sign")
    assert len(ev.decode_states(sign, level="sign")) == 1
    with pytest.raises(ValueError):
        ev.step(z, torch.ones(2, 3))


def _run_cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.slow
def test_eval_evaluator_end_to_end(tiny_ckpt, tmp_path):
    recs = [{"program": "dup mul", "input": [3], "result": {"ok": True, "stack": [9]}},
            {"program": "add", "input": [1, 2], "result": {"ok": True, "stack": [3]}},
            {"program": "head", "input": [[]], "result": {"ok": False, "error": "index", "at": 0}},
            {"program": "c0 \"x\" concat", "input": [], "constants": ["a"], "profile": "small"},
            {"program": "swap drop 5", "input": [1, True]}]
    f = tmp_path / "runs.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in recs))
    code, out, err = _run_cli(["eval-evaluator", "--traces", str(f), "--checkpoint", str(tiny_ckpt)])
    assert code == 0, err
    rep = json.loads(out.strip().splitlines()[-1])
    assert rep["records"] == 5 and 0.0 <= rep["exact_match"] <= 1.0
    assert set(rep["per_length"]) == {"1", "2", "3"} and "push" in rep["per_op"] and "mul" in rep["per_op"]
    assert "length" in err and "dup" in err


def test_eval_evaluator_profile_mismatch_exits_2(tiny_ckpt, tmp_path):
    f = tmp_path / "dc.jsonl"
    f.write_text(json.dumps({"program": "sort", "input": [[2, 1]], "profile": "deepcoder"}) + "\n")
    code, out, err = _run_cli(["eval-evaluator", "--traces", str(f), "--checkpoint", str(tiny_ckpt)])
    assert code == 2 and "profile" in err and out == ""


def test_routing_follows_signatures():
    from dsl.profiles import SMALL
    from synth.evaluator.model import routing_table
    t = routing_table(SMALL.ops, 3, 8).argmax(-1)            # sources: 0 Y, 1..8 stack, 9..11 consts, 12 empty, 13 lit
    src = lambda op: t[SMALL.ops.index(op) if op != "push" else -1].tolist()  # noqa: E731
    assert src("swap")[:3] == [2, 1, 3] and src("rot")[:4] == [3, 1, 2, 4] and src("over")[:4] == [2, 1, 2, 3]
    assert src("drop")[-2:] == [8, 12] and src("c2")[:2] == [11, 1] and src("push")[:2] == [13, 1]
    assert src("add")[:3] == [0, 3, 4] and src("select")[:2] == [0, 4] and src("neg")[:2] == [0, 2]


def test_soft_one_hot_equals_hard():
    from synth.evaluator import Evaluator, EvaluatorConfig, LatentMachine
    torch.manual_seed(0)
    ev = Evaluator(LatentMachine(EvaluatorConfig(d_model=32, n_heads=2, enc_layers=1, trans_layers=1, elem_dim=8,
                                                 dec_hidden=32, alu_hidden=64, alu_layers=1,
                                                 alu_bilinear=8, residues=[])))
    z = ev.encode([State((1,), (3, 4)), State((), ("ab", (1, 2)))])
    ids = [ev.op_index["add"], ev.op_index["swap"]]
    hard = ev.step_items(z, ["add", "swap"])
    soft = ev.step(z, torch.nn.functional.one_hot(torch.tensor(ids), len(ev.ops)).float())
    assert torch.allclose(hard, soft, atol=1e-5)
    assert hard.shape == (2, ev.model.n_tokens, 32)
    swapped = ev.step_items(z, ["swap", "swap"])          # routing: swap moves latents exactly
    nc = ev.tok.n_consts
    assert torch.equal(swapped[1, 1 + nc], z[1, 2 + nc]) and torch.equal(swapped[1, 2 + nc], z[1, 1 + nc])


def test_half_export_loads_as_float32(tiny_ckpt, tmp_path):
    export(tiny_ckpt, tmp_path / "half.pt", half=True)
    a, b = load_evaluator(tiny_ckpt), load_evaluator(tmp_path / "half.pt")
    assert next(b.model.parameters()).dtype == torch.float32
    s = [State((2,), (3, (1, 2)))]
    assert torch.allclose(a.step_items(a.encode(s), ["add"]), b.step_items(b.encode(s), ["add"]), atol=0.05)


@pytest.mark.slow
def test_train_evaluator_cli_with_shards(tmp_path):
    code, out, err = _run_cli(["generate-data", "--out", str(tmp_path / "data"), "--count", "300", "--workers", "1",
                               "--quiet"])
    assert code == 0, err
    code, out, err = _run_cli(["train-evaluator", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "run"),
                               "--steps", "2", "evaluator=tiny", "train.batch_size=8", "data.val_size=0",
                               "data.shard_frac=1.0"])
    assert code == 0, err
    rep = json.loads(out.strip().splitlines()[-1])
    assert rep["steps"] == 2 and (tmp_path / "run" / "evaluator.pt").exists()
    assert load_evaluator(tmp_path / "run" / "evaluator.pt").trained_steps == 2


def test_warm_start_loads_every_weight_and_trains_the_zero_initialised_paths(tiny_ckpt, tmp_path):
    base = load_evaluator(tiny_ckpt)
    cfg = _cfg(tmp_path, "train.steps=2", f"init={tiny_ckpt}")
    model, *_ = build(cfg)
    from synth.evaluator.train import warm_start
    assert warm_start(model, str(tiny_ckpt)) == []
    from synth.evaluator import Evaluator
    ev = Evaluator(model.eval())
    s = [State((2,), (3, 4)), State((), ((1, 2), 5))]
    assert torch.equal(ev.step_items(ev.encode(s), ["add", "dup"]), base.step_items(base.encode(s), ["add", "dup"]))
    res = train(cfg)                                       # the fine-tune runs and moves the bilinear path
    st = load_checkpoint(tmp_path / "checkpoint.pt")["model"]
    assert res.step == 2 and st["alu.bil.out.weight"].abs().sum() > 0
    wide = _cfg(tmp_path / "w", "model.d_model=48", f"init={tiny_ckpt}")
    with pytest.raises(ValueError, match="do not fit"):
        warm_start(build(wide)[0], str(tiny_ckpt))


def test_trainable_freezes_all_but_the_named_parts(tiny_ckpt, tmp_path):
    before = load_checkpoint(tiny_ckpt)["model"]
    train(_cfg(tmp_path, "train.steps=3", f"init={tiny_ckpt}", "trainable=[alu.]"))
    after = load_checkpoint(tmp_path / "checkpoint.pt")["model"]
    moved = {k for k, v in after.items() if k in before and not torch.equal(v.float(), before[k].float())}
    assert moved and all(k.startswith("alu.") for k in moved), sorted(moved)[:5]
    from synth.errors import UserError
    with pytest.raises(UserError, match="no parameter of this model starts with 'alux.'"):
        train(_cfg(tmp_path / "bad", "train.steps=1", "trainable=[alux.]"))


def _rejected(match: str, *options: str) -> None:
    with pytest.raises(ValueError, match=match):
        build(compose("train_evaluator", ["evaluator=tiny", *options], TrainEvaluatorConfig))


LISTS = [State((), ((3, 1, 2),)), State((), ((5, -4), 7))]


def test_elem_copy_copies_input_elements(tiny_ckpt):
    """With its gate open and a sharp pointer, the new top's elements are exactly the pointed-at input
    element latents."""
    model = load_evaluator(tiny_ckpt).model
    cp, d = model.copy, model.cfg.d_model
    y_out, y_in, z_in = torch.randn(2, 3, d), torch.randn(2, 6, d), torch.randn(2, 6, d)
    with torch.no_grad():
        cp.gate.weight.zero_(), cp.gate.bias.fill_(1.0)
        cp.q.weight.zero_(), cp.q.bias.fill_(0.0), cp.k.weight.zero_(), cp.k.bias.fill_(0.0)
        cp.rank_gain.weight.zero_(), cp.rank_gain.bias.zero_()
        cp.q.bias[0], cp.k.weight[0, 0] = 1e4, 1.0             # score ~ y_in[..., 0]: points at its argmax
        y_in[..., 0] = torch.tensor([0.0, 0, 0, 0, 1, 0])
    out = cp(y_out, y_in, z_in, torch.zeros(2, 3, 3))
    assert torch.allclose(out, z_in[:, 4:5].expand_as(out), atol=1e-5)


def test_alu_readout_reads_decoded_values(tiny_ckpt):
    ev = load_evaluator(tiny_ckpt)
    model, z = ev.model, ev.encode([State((2,), (3, 4)), State((), (-7, 5))])
    r = model.readout(z[:, 2:4])                             # (B, 2, 19): s0, s1 of each state
    p = torch.softmax(model.decode(z)["int"][:, 1:3], -1)    # the decoder's belief about the same slots
    vals = torch.arange(model.tok.n_int) + model.profile.int_min
    mean = (p[..., :model.tok.n_int] * vals / 64).sum(-1)    # feature 0 is v / 64 for `small`/`tiny`
    assert r.shape == (2, 2, 19) and torch.allclose(r[..., 0], mean, atol=1e-5)


def test_list_readout_reads_the_sum_and_ranks(tiny_ckpt):
    """The list read-out's sum feature is the decoder's expected element values summed (v / 64 for `tiny`),
    its ranks order the live elements (ties by position)."""
    ev = load_evaluator(tiny_ckpt)
    model, z = ev.model, ev.encode(LISTS)
    e = model.decoder.split(z)[1][:, 0]                      # (B, E, C) elements of s0
    feats, onehot = model.list_readout(e)
    p = torch.softmax(model.decode(z)["elem"][:, 0], -1)     # (B, E, Ve) the decoder's belief
    p_int = p[..., model.tok.E_INT0:model.tok.E_INT0 + model.tok.n_int]
    vals = (torch.arange(model.tok.n_int) + model.profile.int_min).float()
    assert feats.shape == (2, 19) and torch.allclose(feats[:, 0], (p_int @ vals).sum(1) / 64, atol=1e-4)
    assert onehot.shape == (2, model.E, model.E)
    from synth.evaluator.model import rank_onehot
    v = torch.tensor([[3.0, 1.0, 2.0, 9.0], [5.0, -4.0, 5.0, 0.0]])
    on = torch.tensor([[True, True, True, False], [True, True, True, False]])
    r = rank_onehot(v, on)
    assert r.argmax(-1)[:, :3].tolist() == [[2, 0, 1], [1, 0, 2]] and r[:, 3].sum() == 0


def test_rank_pointer_copies_the_element_of_matching_rank(tiny_ckpt):
    """With a large rank gain and the gate open, output element j is the input element of rank j."""
    model = load_evaluator(tiny_ckpt).model
    cp, d = model.copy, model.cfg.d_model
    with torch.no_grad():
        cp.gate.weight.zero_(), cp.gate.bias.fill_(1.0), cp.rank_gain.weight.zero_(), cp.rank_gain.bias.fill_(1e4)
    from synth.evaluator.model import rank_onehot
    rank = rank_onehot(torch.tensor([[3.0, 1.0, 2.0]]), torch.tensor([[True, True, True]]))   # (1, 3, 3)
    z_in = torch.randn(1, 6, d)
    out = cp(torch.randn(1, 3, d), torch.randn(1, 6, d), z_in, rank)
    assert torch.allclose(out, z_in[:, [1, 2, 0]], atol=1e-4)  # ranks 0, 1, 2 are elements 1, 2, 0


def test_removed_options_in_a_checkpoint_load_only_with_the_value_left(tiny_ckpt, tmp_path):
    """A stored config with a removed option loads when it holds the one behaviour left, else a loud error."""
    st = torch.load(tiny_ckpt, map_location="cpu", weights_only=False)
    from synth.errors import UserError
    for extra, ok in (({"elem_tokens": True, "elem_set": 0, "value_probe": 0.0}, True), ({"elem_fold": 256}, False)):
        st["meta"]["model"] = {**st["meta"]["model"], **extra}
        torch.save(st, tmp_path / "old.pt")
        if ok:
            assert load_evaluator(tmp_path / "old.pt").model.cfg == load_evaluator(tiny_ckpt).model.cfg
        else:
            with pytest.raises(UserError, match="elem_fold=256 was removed"):
                load_evaluator(tmp_path / "old.pt")


def test_residue_heads_pin_the_int_logits(tiny_ckpt, tmp_path):
    """Residue experts start as a no-op on a warm start; their logits are added per residue class."""
    base = load_evaluator(tiny_ckpt)
    cfg = _cfg(tmp_path, "train.steps=2", f"init={tiny_ckpt}", "model.residues=[3,4]")
    model, *_ = build(cfg)
    from synth.evaluator.train import warm_start
    assert sorted(warm_start(model, str(tiny_ckpt))) == ["decoder.res.3.bias", "decoder.res.3.weight",
                                                          "decoder.res.4.bias", "decoder.res.4.weight"]
    s = [State((2,), (3, 4))]
    z = base.encode(s)
    assert torch.allclose(model.decode(z)["int"], base.decode(z)["int"])
    dec = model.decoder
    with torch.no_grad():
        dec.res["3"].bias.copy_(torch.tensor([5.0, 0.0, 0.0]))        # favour values = 0 mod 3
    li = model.decode(z)["int"][0, -1]                                # the bottom slot is empty: any row will do
    n, lo = model.tok.n_int, model.profile.int_min
    gain = li - base.decode(z)["int"][0, -1]
    vals = torch.arange(n) + lo
    assert torch.allclose(gain[:n], 5.0 * (vals % 3 == 0).float()) and torch.all(gain[n:] == 0)
    res = train(cfg)
    assert res.step == 2
    with pytest.raises(ValueError):                   # UserError is a ValueError
        build(compose("train_evaluator", ["evaluator=tiny", "model.residues=[1]"], TrainEvaluatorConfig))


def test_bad_init_is_a_one_line_error(tiny_ckpt, tmp_path):
    for init, says in ((tmp_path / "none.pt", "no such file"), (tiny_ckpt.parent / "checkpoint.pt", None)):
        code, out, err = _run_cli(["train-evaluator", "--out", str(tmp_path / "r"), "--steps", "1", "evaluator=tiny",
                                   "model.d_model=48", f"init={init}"])
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert f"init={init}" in err and (says or "do not fit") in err
        assert not (tmp_path / "r" / "checkpoint.pt").exists()


def test_focus_draws_the_named_ops_more_often(tmp_path):
    def share_of_sum(*focus):
        model, get_batch, *_ = build(_cfg(tmp_path, "loss.adapt=0", *focus))
        ops = get_batch(0, torch.Generator().manual_seed(0), 400)["ops"][:, 0]
        return (ops == model.ops.index("sum")).float().mean().item()
    plain, focused = share_of_sum(), share_of_sum("data.focus={sum:20}")
    assert plain < 0.06 and focused > 0.25, (plain, focused)     # 1 of 40 ops vs 20 of 59 weights
    _rejected("data.focus: 'summ'", "data.focus={summ:2}")
    _rejected("data.focus: 'sum'", "data.focus={sum:0}")
    _rejected("data.focus: 'sum'", "data.focus={sum:many}")
