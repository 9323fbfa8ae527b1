"""Tests of synth.core's transformer, probability paths, losses and solvers (fast, CPU)."""
from __future__ import annotations

import math

import pytest
import torch

from synth.core import (METHODS, AttnIntervention, Transformer, TransformerConfig, integrate, make_path,
                        path_loss, regression_loss)
from synth.core.transformer import POSITIONS

torch.set_num_threads(1)
C, H = 32, 4


def net(**kw) -> Transformer:
    torch.manual_seed(0)
    kw = {"d_model": C, "n_heads": H, "n_layers": 2, "max_len": 16, **kw}
    m = Transformer(TransformerConfig(**kw)).eval()
    with torch.no_grad():                       # make AdaLN do something (it is zero at init)
        for name, p in m.named_parameters():
            if "ada" in name:
                p.normal_(0, 0.1)
    return m


def data(B=3, T=10, cond_dim=0):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(B, T, C, generator=g)
    c = torch.randn(B, cond_dim, generator=g) if cond_dim else None
    mask = torch.ones(B, T, dtype=torch.bool)
    mask[1, 6:] = False
    mask[2, 3:] = False
    return x, c, mask


# ---------------------------------------------------------------- transformer

@pytest.mark.parametrize("pos", POSITIONS)
@pytest.mark.parametrize("cond_dim", [0, 5])
def test_shapes_and_explicit_attention_match(pos, cond_dim):
    m = net(pos=pos, cond_dim=cond_dim)
    x, c, mask = data(cond_dim=cond_dim)
    y = m(x, mask=mask, cond=c)
    assert y.shape == x.shape and torch.isfinite(y).all()
    y2, attn = m(x, mask=mask, cond=c, return_attn=True)
    assert len(attn) == 2 and attn[0].shape == (3, H, 10, 10)
    torch.testing.assert_close(y2, y, atol=1e-5, rtol=1e-5)
    for a in attn:
        torch.testing.assert_close(a.sum(-1), torch.ones(3, H, 10))
        assert a[1, :, :6, 6:].abs().max() == 0 and a[2, :, :3, 3:].abs().max() == 0   # padding ignored


def test_adaln_is_identity_modulation_at_init_and_cond_matters_after():
    torch.manual_seed(0)
    m = Transformer(TransformerConfig(d_model=C, n_heads=H, n_layers=2, cond_dim=4))
    x = torch.randn(2, 5, C)
    y1, y2 = m(x, cond=torch.randn(2, 4)), m(x, cond=torch.randn(2, 4))
    torch.testing.assert_close(y1, y2)                          # zero-initialised gates: cond ignored
    torch.testing.assert_close(y1, torch.nn.functional.layer_norm(x, (C,)))
    m = net(cond_dim=4)
    assert not torch.allclose(m(x, cond=torch.randn(2, 4)), m(x, cond=torch.randn(2, 4)))


@pytest.mark.parametrize("with_mask", [False, True])
def test_causal_ignores_future(with_mask):
    m = net(causal=True)
    x, _, mask = data()
    x2 = x.clone()
    x2[:, 5:] += torch.randn_like(x2[:, 5:])
    mk = mask if with_mask else None
    y, y2 = m(x, mask=mk), m(x2, mask=mk)
    torch.testing.assert_close(y[:, :5], y2[:, :5])
    assert not torch.allclose(y[0, 5:], y2[0, 5:])
    _, attn = m(x, mask=mk, return_attn=True)
    assert attn[0].triu(1).abs().max() == 0


def test_padding_mask_ignores_padded_tokens():
    m = net()
    x, _, mask = data()
    x2 = torch.where(mask[..., None], x, torch.randn_like(x))
    y, y2 = m(x, mask=mask), m(x2, mask=mask)
    torch.testing.assert_close(y[mask], y2[mask])
    assert not torch.allclose(m(x)[mask], m(x2)[mask])          # without the mask they leak
    empty = torch.zeros_like(mask)                              # rows with no real token stay finite
    assert torch.isfinite(m(x, mask=empty)).all() and torch.isfinite(net(causal=True)(x, mask=empty)).all()


def test_complex_rotary_equals_rotary_up_to_a_head_dim_permutation():
    a, b = net(pos="rotary"), net(pos="complex_rotary")
    D = C // H
    perm = torch.empty(D, dtype=torch.long)                     # interleaved index -> rotate-half index
    perm[0::2], perm[1::2] = torch.arange(D // 2), torch.arange(D // 2) + D // 2
    rows = torch.arange(3 * C).view(3, H, D)
    rows[:2] = rows[:2, :, perm]                                # permute q and k rows, not v
    with torch.no_grad():
        for ba, bb in zip(a.blocks, b.blocks):
            bb.attn.qkv.weight.copy_(ba.attn.qkv.weight[rows.flatten()])
            bb.attn.qkv.bias.copy_(ba.attn.qkv.bias[rows.flatten()])
    x, _, mask = data()
    torch.testing.assert_close(a(x, mask=mask), b(x, mask=mask), atol=1e-5, rtol=1e-5)
    assert not torch.allclose(a(x), net(pos="none")(x))


def test_rotary_is_relative():
    m = net(pos="rotary", n_layers=1)
    x = torch.randn(1, 4, C)
    _, a1 = m(torch.cat([x, x], 1), return_attn=True)           # same tokens, shifted by 4
    torch.testing.assert_close(a1[0][0, :, 4:, 4:] / a1[0][0, :, 4:, 4:].sum(-1, keepdim=True),
                               a1[0][0, :, :4, :4] / a1[0][0, :, :4, :4].sum(-1, keepdim=True), atol=1e-5, rtol=1e-4)


def test_interventions():
    m = net()
    x, _, mask = data()
    y = m(x, mask=mask)
    torch.testing.assert_close(m(x, mask=mask, intervention=AttnIntervention()), y)
    torch.testing.assert_close(m(x, mask=mask, intervention=AttnIntervention(temperature={0: 1.0})), y)
    assert not torch.allclose(m(x, mask=mask, intervention=AttnIntervention(temperature={0: 3.0})), y)
    iv = AttnIntervention(uniform_heads={(1, 2)})
    y_u, attn = m(x, mask=mask, intervention=iv, return_attn=True)
    assert not torch.allclose(y_u, y)
    torch.testing.assert_close(attn[1][2, 2, :3, :3], torch.full((3, 3), 1 / 3))   # uniform over real keys
    torch.testing.assert_close(attn[1][2, 2, :3, 3:], torch.zeros(3, 7))
    torch.testing.assert_close(m(x, mask=mask, intervention=AttnIntervention(uniform_heads={(1, 2)})), y_u)
    cap = AttnIntervention(capture=True)
    m(x, mask=mask, intervention=cap)
    assert cap.captured[0].shape == (3, H, 10, C // H)
    same = AttnIntervention(mean_heads={(0, 1): cap.captured[0][:, 1]})           # (B, T, D): no change
    torch.testing.assert_close(m(x, mask=mask, intervention=same), y)
    mean = cap.captured[0][:, 1][mask].mean(0)                                     # (D,)
    y_m = m(x, mask=mask, intervention=AttnIntervention(mean_heads={(0, 1): mean}))
    assert not torch.allclose(y_m, y)
    xg = x.clone().requires_grad_(True)                                            # slow paths train too
    m(xg, mask=mask, intervention=AttnIntervention(uniform_heads={(0, 0)}, mean_heads={(1, 1): mean})).sum().backward()
    assert torch.isfinite(xg.grad).all() and xg.grad.abs().sum() > 0


@pytest.mark.parametrize("kw", [dict(pos="alibi"), dict(d_model=30), dict(activation="swish"), dict(dropout=1.0),
                                dict(pos="rotary", d_model=36, n_heads=4)])
def test_bad_config_raises(kw):
    with pytest.raises(ValueError):
        TransformerConfig(**{"d_model": C, "n_heads": H, **kw})


def test_bad_forward_raises():
    m, mc = net(), net(cond_dim=4)
    x, _, mask = data()
    bad = [lambda: m(x, cond=torch.randn(3, 4)), lambda: mc(x), lambda: mc(x, cond=torch.randn(3, 5)),
           lambda: m(torch.randn(1, 17, C)), lambda: m(x, mask=mask.float()), lambda: m(x[..., :8]),
           lambda: m(x, intervention=AttnIntervention(temperature={2: 1.0})),
           lambda: m(x, intervention=AttnIntervention(temperature={0: 0.0})),
           lambda: m(x, intervention=AttnIntervention(uniform_heads={(0, H)})),
           lambda: m(x, intervention=AttnIntervention(uniform_heads={(0, 1)}, mean_heads={(0, 1): torch.zeros(8)})),
           lambda: m(x, intervention=AttnIntervention(mean_heads={(0, 1): torch.zeros(3)}))]
    for f in bad:
        with pytest.raises(ValueError):
            f()


# ---------------------------------------------------------------- paths and losses

def _fd(path, x0, x1, t, h=1e-3, **kw):
    """Central finite difference of x_t in t, float64."""
    return (path.sample(x0, x1, t + h, **kw).xt - path.sample(x0, x1, t - h, **kw).xt) / (2 * h)


@pytest.mark.parametrize("sigma_min", [0.0, 0.1])
def test_linear_path_target_is_dxt_dt(sigma_min):
    g = torch.Generator().manual_seed(0)
    x0, x1, eps = (torch.randn(4, 3, 2, generator=g, dtype=torch.float64) for _ in range(3))
    t = torch.tensor([0.1, 0.3, 0.5, 0.9], dtype=torch.float64)
    p = make_path("linear", sigma_min=sigma_min)
    s = p.sample(x0, x1, t, eps=eps)
    torch.testing.assert_close(_fd(p, x0, x1, t, eps=eps), s.target)
    torch.testing.assert_close(p.sample(x0, x1, torch.zeros(4, dtype=torch.float64), eps=eps).xt, x0 + sigma_min * eps)


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
def test_vp_path(schedule):
    g = torch.Generator().manual_seed(0)
    x0, x1 = (torch.randn(4, 6, generator=g, dtype=torch.float64) for _ in range(2))
    t = torch.tensor([0.05, 0.3, 0.6, 0.95], dtype=torch.float64)
    vel = make_path("vp", schedule=schedule, target="velocity")
    a, s, _, _ = vel.coefficients(t)
    torch.testing.assert_close(a ** 2 + s ** 2, torch.ones_like(t))
    assert (a[1:] > a[:-1]).all()                                   # more signal as t -> 1
    st = vel.sample(x0, x1, t)
    torch.testing.assert_close(_fd(vel, x0, x1, t, h=1e-5), st.target, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(vel.velocity_from_eps(st.xt, x0, t), st.target)
    torch.testing.assert_close(make_path("vp", schedule=schedule, target="eps").sample(x0, x1, t).target, x0)
    torch.testing.assert_close(make_path("vp", schedule=schedule, target="score").sample(x0, x1, t).target,
                               -x0 / s[:, None])


def test_unknown_path_names_raise():
    for f in [lambda: make_path("ddpm"), lambda: make_path("vp", schedule="sigmoid"),
              lambda: make_path("vp", target="noise"), lambda: make_path("linear", sigma_min=-1),
              lambda: regression_loss(torch.zeros(2), torch.zeros(2), kind="l3"),
              lambda: make_path("linear").sample(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(3))]:
        with pytest.raises(ValueError):
            f()


def test_losses():
    x0, x1 = torch.randn(5, 4), torch.randn(5, 4)
    oracle = lambda t, x, shift: x1 - x0 + shift                       # noqa: E731
    p = make_path("linear")
    assert path_loss(oracle, p, x0, x1, generator=torch.Generator().manual_seed(0), shift=0.0) == 0
    assert path_loss(oracle, p, x0, x1, shift=1.0).item() == pytest.approx(1.0)
    pred, tgt = torch.zeros(2, 3), torch.tensor([[1.0, 1.0, 1.0], [3.0, 3.0, 3.0]])
    mask = torch.tensor([[True, True, True], [False, False, False]])
    assert regression_loss(pred, tgt, mask=mask).item() == pytest.approx(1.0)
    assert regression_loss(pred, tgt, kind="l1").item() == pytest.approx(2.0)


# ---------------------------------------------------------------- solvers

@pytest.mark.parametrize("method", ["euler", "midpoint", "rk4", "heun3", "explicit_adams", "dopri5", "bosh3"])
def test_integrate_constant_velocity_exactly(method):
    v = torch.tensor([1.0, -2.0, 0.5])
    field = lambda t, x, scale=1.0: scale * v.expand_as(x)          # noqa: E731
    x0 = torch.randn(4, 3)
    torch.testing.assert_close(integrate(field, x0, method=method, steps=3), x0 + v, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(integrate(field, x0, t0=2, t1=3, method=method, steps=3, scale=2.0),
                               x0 + 2 * v, atol=1e-5, rtol=1e-5)
    traj = integrate(field, x0, times=[0.0, 0.25, 1.0], method=method, steps=3)
    torch.testing.assert_close(traj[1], x0 + 0.25 * v, atol=1e-5, rtol=1e-5)


def test_integrate_time_argument_segments_and_gradients():
    seen = []
    def field(t, x, op):                                            # x' = op * t  =>  x(t1) - x(t0) = op (t1^2 - t0^2) / 2
        seen.append(t)
        return op[:, None] * t[:, None].expand_as(x)
    x0, op = torch.zeros(2, 3, requires_grad=True), torch.tensor([1.0, -1.0], requires_grad=True)
    x, nfe = x0, 0
    for k in range(3):                                              # three ops on [0,1], [1,2], [2,3]
        x, n = integrate(field, x, t0=k, t1=k + 1, method="midpoint", steps=4, return_nfe=True, op=op)
        nfe += n
    assert nfe == 3 * 4 * 2 and seen[0].shape == (2,) and float(seen[-1][0]) > 2
    torch.testing.assert_close(x, op.detach()[:, None].expand(2, 3) * 4.5)
    x.sum().backward()
    torch.testing.assert_close(op.grad, torch.full((2,), 3 * 4.5))
    torch.testing.assert_close(x0.grad, torch.ones(2, 3))
    _, n = integrate(field, x0, method="euler", steps=7, return_nfe=True, op=op)
    assert n == 7


def test_integrate_linear_ode_and_backwards():
    A = torch.tensor([[0.0, 1.0], [-1.0, 0.0]])                      # rotation: x(t) = expm(A t) x0
    field = lambda t, x: x @ A.T                                     # noqa: E731
    x0 = torch.tensor([[1.0, 0.0]])
    want = torch.tensor([[math.cos(1.0), -math.sin(1.0)]])
    torch.testing.assert_close(integrate(field, x0, method="rk4", steps=20), want, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(integrate(field, x0, method="dopri5", rtol=1e-7, atol=1e-8), want, atol=1e-6, rtol=1e-6)
    assert (integrate(field, x0, method="euler", steps=20) - want).abs().max() > 1e-3   # first order, visibly off
    back = integrate(field, integrate(field, x0, method="rk4", steps=20), t0=1.0, t1=0.0, method="rk4", steps=20)
    torch.testing.assert_close(back, x0, atol=1e-6, rtol=1e-6)


def test_unknown_solver_raises():
    with pytest.raises(ValueError, match="valid"):
        integrate(lambda t, x: x, torch.zeros(1, 1), method="leapfrog")
    with pytest.raises(ValueError):
        integrate(lambda t, x: x, torch.zeros(1, 1), steps=0)
    assert "dopri5" in METHODS and "rk4" in METHODS
