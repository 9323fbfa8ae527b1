"""synth.inspect: entropy/support on hand-made attention, probe/ablation plumbing on tiny models,
`synth inspect` end to end on a tiny evaluator checkpoint."""
from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import random
from dataclasses import asdict

import pytest
import torch

from synth.core.transformer import AttnIntervention, Transformer, TransformerConfig
from synth.inspect import ablations, entropy_bits, head_means, probe, support


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)                       # tiny tensors: threads only add overhead on shared cores
    yield
    torch.set_num_threads(n)


# ---- entropy and support on hand-made matrices ------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_uniform_rows_have_log2_n_bits(n):
    a = torch.full((2, 3, 4, n), 1.0 / n)                                 # (B, H, Tq, Tk)
    assert torch.allclose(entropy_bits(a), torch.full((2, 3, 4), math.log2(n)), atol=1e-6)
    assert torch.allclose(support(a), torch.full((2, 3, 4), float(n)), atol=1e-5)


def test_one_hot_rows_have_zero_bits_and_support_one():
    a = torch.eye(6)[torch.tensor([3, 0, 5])]                              # (3, 6) one-hot rows
    assert torch.equal(entropy_bits(a), torch.zeros(3))
    assert torch.allclose(support(a), torch.ones(3))


def test_mixed_row_and_masked_keys():
    a = torch.tensor([[0.5, 0.25, 0.25, 0.0]])
    assert entropy_bits(a).item() == pytest.approx(1.5)
    # uniform over 4 keys, but keys 2 and 3 are padding: excluded and renormalised -> 1 bit, support 2
    row = torch.full((1, 1, 4), 0.25)                                       # (B, Tq, Tk)
    mask = torch.tensor([[True, True, False, False]])                       # (B, Tk)
    assert entropy_bits(row, mask[:, None][:, 0]).item() == pytest.approx(1.0)
    assert support(row, mask).item() == pytest.approx(2.0)
    # what a model gives with a padding mask: zero weight on padded keys -> uniform over the 3 real ones
    net = Transformer(TransformerConfig(d_model=8, n_heads=2, n_layers=1, pos="rotary"))
    x, valid = torch.zeros(1, 5, 8), torch.tensor([[True, True, True, False, False]])
    _, attn = net(x, mask=valid, return_attn=True)
    bits = entropy_bits(attn[0], valid[:, None])                            # (1, H, 5)
    assert torch.allclose(bits[0, :, :3], torch.full((2, 3), math.log2(3)), atol=1e-5)


# ---- probe and interventions on a tiny transformer ------------------------------------------------
class Two(torch.nn.Module):
    """A model holding two core Transformers, called in sequence (like encoder -> transition)."""

    def __init__(self, pos="rotary"):
        super().__init__()
        self.a = Transformer(TransformerConfig(d_model=16, n_heads=2, n_layers=2, pos=pos, max_len=8))
        self.b = Transformer(TransformerConfig(d_model=16, n_heads=2, n_layers=1, pos=pos, max_len=8))
        for p in self.parameters():                                         # sharper than the 0.02 init
            if p.dim() > 1:
                torch.nn.init.normal_(p, 0, 0.5)

    def forward(self, x):
        return self.b(self.a(x))


@pytest.fixture
def two():
    torch.manual_seed(0)
    return Two().eval(), torch.randn(5, 6, 16)


def test_probe_records_without_changing_outputs(two):
    m, x = two
    plain = m(x)
    with probe(m) as rec:
        y = m(x)
    assert torch.allclose(plain, y, atol=1e-5)                               # softmax path vs fused SDPA
    assert sorted(rec.attn) == ["a", "b"] and len(rec.attn["a"]) == 1
    assert [w.shape for w in rec.attn["a"][0]] == [(5, 2, 6, 6)] * 2
    assert torch.allclose(rec.attn["b"][0][0].sum(-1), torch.ones(5, 2, 6))
    assert torch.equal(m(x), plain)                                         # hooks removed afterwards
    with pytest.raises(ValueError, match="valid: a, b"):
        with probe(m, {"c": AttnIntervention()}):
            pass


def test_uniform_head_changes_outputs_and_is_uniform(two):
    m, x = two
    plain = m(x)
    with probe(m, {"a": AttnIntervention(uniform_heads={(1, 0)})}) as rec:
        y = m(x)
    assert not torch.allclose(y, plain, atol=1e-4)
    assert torch.allclose(support(rec.attn["a"][0][1][:, 0]), torch.full((5, 6), 6.0), atol=1e-4)
    assert not torch.allclose(support(rec.attn["a"][0][1][:, 1]), torch.full((5, 6), 6.0), atol=1e-2)


def test_mean_replacement_with_own_mean_on_a_batch_of_one_is_identity(two):
    m, x = two
    one = x[:1]
    means = head_means(m, lambda: m(one))                                   # {"a": (2, 2, 6, 8), "b": ...}
    assert means["a"].shape == (2, 2, 6, 8)
    iv = {"a": AttnIntervention(mean_heads={(l, h): means["a"][l, h] for l in range(2) for h in range(2)})}
    with probe(m, iv, record=False):
        y = m(one)
    assert torch.allclose(y, m(one), atol=1e-5)
    # over a batch of five the mean is not each row's own output: outputs change
    means5 = head_means(m, lambda: m(x))
    with probe(m, {"a": AttnIntervention(mean_heads={(0, 1): means5["a"][0, 1]})}, record=False):
        y5 = m(x)
    assert not torch.allclose(y5, m(x), atol=1e-4)


def test_temperature(two):
    m, x = two
    plain = m(x)
    with probe(m, {"a": AttnIntervention(temperature={0: 1.0, 1: 1.0})}, record=False):
        assert torch.allclose(m(x), plain, atol=1e-5)
    ent = {}
    for t in (0.25, 1.0, 4.0):
        with probe(m, {"a": AttnIntervention(temperature={0: t})}) as rec:
            m(x)
        ent[t] = entropy_bits(rec.attn["a"][0][0]).mean().item()
    assert ent[0.25] < ent[1.0] < ent[4.0] <= math.log2(6) + 1e-6


def test_ablation_rows(two):
    m, x = two
    target = m(x).detach()
    ops = ["p", "q", "p", "q", "p"]

    def score():                                   # "exact" = the row's output is within 1e-3 of the original
        ok = ((m(x) - target).abs().amax((1, 2)) < 1e-3).tolist()
        return {o: (sum(k for k, oo in zip(ok, ops) if oo == o), ops.count(o)) for o in ("p", "q")}
    rows = ablations(m, score, temperatures=(1.0, 4.0))
    base = [r for r in rows if r.kind == "base"]
    assert [r.op for r in base] == ["p", "q", "ALL", "MACRO"] and all(r.exact == 1.0 and r.delta == 0 for r in base)
    heads = {r.target for r in rows if r.kind == "uniform"}
    assert heads == {"a.0.h0", "a.0.h1", "a.1.h0", "a.1.h1", "b.0.h0", "b.0.h1"}
    assert any(r.delta < 0 for r in rows if r.kind == "uniform" and r.op == "ALL")
    t1 = [r for r in rows if r.kind == "temperature" and r.temperature == 1.0 and r.op == "ALL"]
    assert len(t1) == 4 and all(r.exact == 1.0 for r in t1)                 # a.0, a.1, b.0, all
    assert all(r.exact == 0.0 for r in rows if r.kind == "temperature" and r.target == "all" and r.temperature == 4.0)
    with pytest.raises(ValueError, match="valid: uniform, mean, temperature"):
        ablations(m, score, kinds=("zero",))


# ---- the complex rotary variant is rotary with its query/key dims paired differently -----------------
def test_complex_rotary_is_relative_and_equals_permuted_rotary():
    torch.manual_seed(1)
    cfg = dict(d_model=16, n_heads=2, n_layers=1, max_len=8)
    c, r = Transformer(TransformerConfig(pos="complex_rotary", **cfg)), Transformer(TransformerConfig(pos="rotary", **cfg))
    for p in c.parameters():
        if p.dim() > 1:
            torch.nn.init.normal_(p, 0, 0.3)
    # the same query and key at every position: scores depend only on the offset m - n
    q = torch.randn(1, 1, 1, 8).expand(1, 8, 1, 8)                          # (B, T, H, D)
    qr, kr = c.rotary(q, q)
    s = (qr[0, :, 0] @ kr[0, :, 0].T)                                       # (T, T)
    assert torch.allclose(s[1:, 1:], s[:-1, :-1], atol=1e-5)
    assert not torch.allclose(s[0, 1], s[0, 2], atol=1e-3)
    x = torch.randn(3, 6, 16)
    _, a1 = c(x, return_attn=True)
    # complex pairs (2j, 2j+1) <-> rotate-half pairs (j, j + D/2): permute q and k rows of the fused projection
    D, H, C = 8, 2, 16
    perm = torch.cat([torch.arange(0, D, 2), torch.arange(1, D, 2)])        # half layout <- interleaved layout
    rows = torch.cat([torch.cat([blk * C + h * D + perm for h in range(H)]) for blk in (0, 1)] + [torch.arange(2 * C, 3 * C)])
    sd = c.state_dict()
    sd["blocks.0.attn.qkv.weight"] = sd["blocks.0.attn.qkv.weight"][rows]
    sd["blocks.0.attn.qkv.bias"] = sd["blocks.0.attn.qkv.bias"][rows]
    r.load_state_dict(sd)
    _, a2 = r(x, return_attn=True)
    assert torch.allclose(a1[0], a2[0], atol=1e-5)
    assert torch.allclose(c(x), r(x), atol=1e-5)


# ---- end to end ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_synth_inspect_end_to_end(tmp_path):
    from dsl.sampler import code_text, get_sampler
    from synth.cli import main
    from synth.evaluator.model import LatentMachine

    torch.manual_seed(0)
    from conftest import tiny_evaluator
    cfg = tiny_evaluator(d_model=16, elem_dim=4, dec_hidden=16)
    ckpt, m = tmp_path / "tiny.pt", LatentMachine(cfg, "small")
    torch.save({"model": m.state_dict(),
                "meta": {"kind": "synth-evaluator/1", "model": asdict(cfg), "profile": "small"}}, ckpt)
    s, rng, recs = get_sampler("small"), random.Random(0), []
    for _ in range(6):
        code, consts, outs = s.runs(rng, 2)
        recs += [{"program": code_text(code), "input": list(o[0][0]), "constants": list(consts)} for o in outs]
    runs = tmp_path / "runs.jsonl"
    recs = [{"program": "dup add", "input": [3]}, {"program": "head", "input": [[]]}] + recs
    runs.write_text("".join(json.dumps(r) + "\n" for r in recs))
    out = tmp_path / "out"
    common = ["--checkpoint", str(ckpt), "--traces", str(runs), "--out", str(out)]
    assert main(["inspect", "attention", "attn_states=40", *common]) == 0
    assert main(["inspect", "ablate", "limit=10", "temperatures=[0.5]", *common]) == 0
    for f in ("attention_heads.csv", "support_by_length.csv", "support_batch.png", "support_hist.png",
              "support_vs_length.png", "support_by_head.png", "attention_mean.png", "ablation.csv", "ablation_heads.png",
              "ablation_temperature.png", "ablation_ops.png"):
        assert (out / f).stat().st_size > 0, f
    rows = list(csv.DictReader((out / "ablation.csv").open()))
    assert {r["kind"] for r in rows} == {"base", "uniform", "mean", "temperature"}
    assert next(r for r in rows if r["kind"] == "base" and r["op"] == "ALL")["n"] == "10"    # records
    assert main(["inspect", "ablate", "metric=steps", "limit=30", "kinds=[uniform]", *common]) == 0
    rows = list(csv.DictReader((out / "ablation.csv").open()))
    assert {r["kind"] for r in rows} == {"base", "uniform"}
    assert next(r for r in rows if r["kind"] == "base" and r["op"] == "ALL")["n"] == "30"    # steps
    heads = list(csv.DictReader((out / "attention_heads.csv").open()))
    assert all(1.0 - 1e-6 <= float(r["mean_support"]) <= m.tok.n_slots + 2 * m.E + 1e-6 for r in heads)
    assert main(["inspect", "ablate", "kinds=[zero]", *common]) == 2
    # the `programs` measure counts exactly as `synth eval-evaluator` does
    from synth.evaluator import load_evaluator
    from synth.inspect import load_runs, per_op_programs
    model = load_evaluator(ckpt).model
    acc = per_op_programs(model, load_runs(runs, model.profile))
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["eval-evaluator", "--traces", str(runs), "--checkpoint", str(ckpt)]) == 0
    rep = json.loads(buf.getvalue().strip().splitlines()[-1])
    assert rep["records"] == acc["ALL"][1] and rep["exact_match"] == round(acc["ALL"][0] / acc["ALL"][1], 4)
    assert rep["per_op"] == {op: round(h / n, 4) for op, (h, n) in acc.items() if op != "ALL"}
    assert main(["inspect", "attention", "--checkpoint", str(tmp_path / "none.pt"), "--traces", str(runs)]) == 2


def test_attention_with_element_tokens(tmp_path):
    """An evaluator with element tokens: T attends over S slots + the 2L elements of the top two slots;
    an element position counts as occupied only inside its value."""
    from synth.cli import main
    from synth.evaluator.model import LatentMachine
    from synth.data.tokenizer import State
    from synth.inspect.heldout import Steps

    torch.manual_seed(0)
    from conftest import tiny_evaluator
    cfg = tiny_evaluator(d_model=16, elem_dim=4, dec_hidden=16)
    model = LatentMachine(cfg, "small")
    tok = model.tok
    before = [State((), ((1, 2, 3), "ab")), State((), (5,))]                   # stacks bottom first
    after = [State((), ("ab", (1, 2, 3))), State((), (5, 5))]
    steps = Steps.build(before, ["swap", "dup"], after, tok)
    occ = steps.occupied(tok.n_consts, model.E)                                   # (2, S + 2L)
    S, L = tok.n_slots, tok.max_len
    assert occ.shape == (2, S + 2 * L)
    assert occ[0, S:S + L].tolist() == [True, True] + [False] * (L - 2)          # s0 = "ab"
    assert occ[0, S + L:].tolist() == [True] * 3 + [False] * (L - 3)             # s1 = [1, 2, 3]
    assert not occ[1, S:].any()                                                   # an int has no elements
    ckpt = tmp_path / "tiny_elem.pt"
    torch.save({"model": model.state_dict(),
                "meta": {"kind": "synth-evaluator/1", "model": asdict(cfg), "profile": "small"}}, ckpt)
    runs = tmp_path / "runs.jsonl"
    runs.write_text('{"program": "swap reverse", "input": [[1, 2, 3], "ab"]}\n{"program": "dup add", "input": [3]}\n')
    out = tmp_path / "out"
    assert main(["inspect", "attention", "--checkpoint", str(ckpt), "--traces", str(runs), "--out", str(out)]) == 0
    heads = list(csv.DictReader((out / "attention_heads.csv").open()))
    assert any(r["slot"] == "s0[0]" for r in heads)
    assert all(1.0 - 1e-6 <= float(r["mean_support"]) <= S + 2 * L + 1e-6 for r in heads)
