"""Programs as vector fields: v(z, t | op, alpha) on the evaluator's latent space, and a learned state metric.

    cfg = FieldConfig(d_model=128, n_layers=3, path="linear")     # path "vp": the score / denoising variant
    fm = FieldModel(cfg, n_ops=40, n_slots=12, dim=128, n_consts=3).attach(lat.route, lat.empty)
    c = fm.op_cond(ops, lit_vec)             # ops (B,) ids (n_ops = push a literal, lit_vec (B, C)): OpCond
    c = fm.soft_op_cond(w)                   # w (B, n_ops) distribution: mixed embedding and routing
    v = fm.velocity(t, z, c, alpha)          # t (B,), z (B, S, C), alpha (B,) float -> dz/dt (B, S, C)
    d = fm.metric(za, zb)                    # (B,) in [0, 1): expected share of differing slots; 0 iff za == zb

The field network is the shared core Transformer over the S latent slots (input projection C -> D plus a
learned slot embedding; no positions), conditioned by adaptive layer norm on
`LayerNorm(op embedding + time embedding + level embedding)`; the output projection C <- D starts at zero.
With `route` (default) each slot also sees, through its own projection, the latent the op's stack effect
would move into it (the evaluator's routing table: `dup` copies the top, `add` shifts the slots below up,
a new value's slot gets a learned "unknown" latent), so moving latents needs no attention.
Its raw output means, by `cfg.path`:
  linear  the velocity itself (flow matching on the straight path x_t = (1-t) E(x) + t E(op(x)));
  vp      the score / denoising variant on the core's variance-preserving path
          x_t = alpha(t) E(op(x)) + sigma(t) x0, with x0 the (noised) source E(x) in the role of the noise:
          `vp_target="x1"` (default) a denoiser x1_hat = E[x1 | x_t] (Tweedie: score = (alpha x1_hat - x_t) /
          sigma^2), or `"eps"` the noise prediction (score = -eps / sigma); either is turned into the
          probability-flow velocity d x_t / dt = alpha' x1_hat + sigma' eps_hat. The eps form divides by
          alpha(t) ~ 0 at the source end, so its integration amplifies errors there (see experiments/).
          The vp output has a skip connection (prediction = z_t + network), like the residual velocity.
The level is alpha in [0, 1] (0 concrete, 0.5 sign, 1 type; dsl.abstract), embedded by linear interpolation
between the three level embeddings so an annealed alpha moves smoothly.

The metric compares two latents slot by slot: g = per-slot MLP, D_s = ||g(za)_s - g(zb)_s||^2,
p_s = 1 - exp(-D_s) is trained as the probability that slot s (status, constants, stack) differs, and
d = mean_s p_s. It is symmetric, >= 0, and exactly 0 for identical latents.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from ..core.paths import make_path
from ..core.transformer import Transformer, TransformerConfig

FIELD_PATHS = ("linear", "vp")
VP_TARGETS = ("x1", "eps")


@dataclass
class FieldConfig:
    d_model: int = 128
    n_heads: int = 4
    n_layers: int = 3
    mlp_ratio: float = 4.0
    time_dim: int = 64            # sinusoidal features of t before the time MLP
    path: str = "linear"          # "linear" (flow matching) or "vp" (score / denoising)
    vp_target: str = "x1"         # vp only: what the network predicts, "x1" (denoiser) or "eps" (noise)
    schedule: str = "cosine"      # vp only: "cosine" or "linear" (core SCHEDULES)
    vp_eps: float = 0.02          # vp only: diffusion time clamped to [eps, 1 - eps] (alpha(0) stays > 0)
    n_levels: int = 3             # concrete, sign, type
    metric_hidden: int = 256
    metric_dim: int = 64
    route: bool = True            # feed the op's stack routing of z (the evaluator's table) as a second input

    def __post_init__(self) -> None:
        if self.path not in FIELD_PATHS:
            raise ValueError(f"unknown field path {self.path!r}; valid: {', '.join(FIELD_PATHS)}")
        if self.vp_target not in VP_TARGETS:
            raise ValueError(f"unknown vp_target {self.vp_target!r}; valid: {', '.join(VP_TARGETS)}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_heads={self.n_heads}")
        if self.n_layers < 1 or self.time_dim < 2 or self.metric_dim < 1 or self.metric_hidden < 1:
            raise ValueError("n_layers, metric_dim, metric_hidden must be >= 1 and time_dim >= 2")


def time_features(t: Tensor, dim: int) -> Tensor:
    """t (B,) in [0, 1] -> (B, dim) sin/cos features (scaled like diffusion timesteps, 1000 t)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    ang = 1000.0 * t.float()[:, None] * freqs[None]                          # (B, half)
    return torch.cat([ang.sin(), ang.cos()], dim=-1)


class StateMetric(nn.Module):
    def __init__(self, dim: int, hidden: int, out: int):
        super().__init__()
        self.g = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, out))

    def slot_dist(self, za: Tensor, zb: Tensor) -> Tensor:
        """za, zb (B, S, C) -> squared distances D (B, S) of the per-slot features."""
        return (self.g(za) - self.g(zb)).pow(2).sum(-1)

    def forward(self, za: Tensor, zb: Tensor) -> Tensor:
        """(B,) mean over slots of p_s = 1 - exp(-D_s)."""
        return (-torch.expm1(-self.slot_dist(za, zb))).mean(-1)


class OpCond(NamedTuple):
    """What one op (or a mixture) gives the field: an embedding, the stack routing, a pushed literal."""
    vec: Tensor                   # (B, D)
    route: Tensor | None          # (B, depth, n_src) weights over sources (see FieldModel.routed)
    lit: Tensor | None            # (B, C) latent of a pushed literal (push rows only), or None


class FieldModel(nn.Module):
    def __init__(self, cfg: FieldConfig, n_ops: int, n_slots: int, dim: int, n_consts: int = 0):
        super().__init__()
        self.cfg, self.n_ops, self.n_slots, self.dim, self.n_consts = cfg, n_ops, n_slots, dim, n_consts
        self.depth = n_slots - 1 - n_consts
        d = cfg.d_model
        self.path = make_path("linear") if cfg.path == "linear" else make_path(
            "vp", schedule=cfg.schedule, target=cfg.vp_target, eps=cfg.vp_eps)
        self.inp = nn.Linear(dim, d)
        self.inp_route = nn.Linear(dim, d) if cfg.route else None
        self.unknown = nn.Parameter(torch.zeros(dim))                          # "a new value" routing source
        self.slot = nn.Parameter(torch.randn(n_slots, d) * 0.02)
        self.net = Transformer(TransformerConfig(d_model=d, n_heads=cfg.n_heads, n_layers=cfg.n_layers,
                                                 mlp_ratio=cfg.mlp_ratio, pos="none", max_len=n_slots, cond_dim=d))
        self.out = nn.Linear(d, dim)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.op_emb = nn.Embedding(n_ops + 1, d)                               # + PUSH a literal
        self.lit_proj = nn.Linear(dim, d)
        self.time_mlp = nn.Sequential(nn.Linear(cfg.time_dim, d), nn.SiLU(), nn.Linear(d, d))
        self.level_emb = nn.Embedding(cfg.n_levels, d)
        self.cond_norm = nn.LayerNorm(d)
        self.metric = StateMetric(dim, cfg.metric_hidden, cfg.metric_dim)
        self.register_buffer("route_table", torch.zeros(n_ops + 1, self.depth, self.depth + n_consts + 3),
                             persistent=False)
        self.register_buffer("empty", torch.zeros(dim), persistent=False)

    def attach(self, route_table: Tensor, empty: Tensor) -> "FieldModel":
        """Give the routing table (n_ops + 1, depth, n_src) and the EMPTY slot latent (C,) of the evaluator."""
        self.route_table.copy_(route_table)
        self.empty.copy_(empty.reshape(-1))
        return self

    # ---- conditioning ---------------------------------------------------------------------------
    def op_cond(self, ops: Tensor, lit_vec: Tensor | None = None) -> OpCond:
        """ops (B,) ids in [0, n_ops] (n_ops = push; lit_vec (B, C) the literal latents of those rows)."""
        c = self.op_emb(ops)
        if lit_vec is not None:
            c = c + (ops == self.n_ops)[:, None].to(c.dtype) * self.lit_proj(lit_vec.to(c.dtype))
        return OpCond(c, self.route_table[ops] if self.cfg.route else None, lit_vec)

    def soft_op_cond(self, weights: Tensor) -> OpCond:
        """weights (B, n_ops) -> the mixture of op embeddings and routings (the cheap relaxation)."""
        if weights.dim() != 2 or weights.shape[-1] != self.n_ops:
            raise ValueError(f"op weights must be (B, {self.n_ops}), got {tuple(weights.shape)}")
        w = weights.to(self.op_emb.weight.dtype)
        route = torch.einsum("bk,kds->bds", w, self.route_table[:self.n_ops]) if self.cfg.route else None
        return OpCond(w @ self.op_emb.weight[:self.n_ops], route, None)

    def routed(self, z: Tensor, route: Tensor, lit: Tensor | None) -> Tensor:
        """z (B, S, C) with its stack moved as the op moves it: sources are [a new value (learned), the
        old stack slots, the constants, EMPTY, the pushed literal]; status and constants stay."""
        B, S, C = z.shape
        nc = self.n_consts
        one = lambda v: v.to(z.dtype).expand(B, 1, C)                          # noqa: E731
        lit_src = lit[:, None].to(z.dtype) if lit is not None else one(torch.zeros_like(self.empty))
        src = torch.cat([one(self.unknown), z[:, 1 + nc:], z[:, 1:1 + nc], one(self.empty), lit_src], 1)
        return torch.cat([z[:, :1 + nc], route.to(z.dtype) @ src], dim=1)      # (B, S, C)

    def level_vec(self, alpha: Tensor) -> Tensor:
        """alpha (B,) float in [0, 1] -> (B, D), linear between the level embeddings."""
        pos = alpha.float().clamp(0, 1) * (self.cfg.n_levels - 1)
        lo = pos.floor().long().clamp(max=self.cfg.n_levels - 2)
        w = (pos - lo)[:, None]
        return (1 - w) * self.level_emb(lo) + w * self.level_emb(lo + 1)

    # ---- the field ------------------------------------------------------------------------------
    def raw(self, t: Tensor, z: Tensor, cond: OpCond, alpha: Tensor) -> Tensor:
        """The network's own output (velocity, or x1 / eps for vp): t (B,), z (B, S, C) -> (B, S, C)."""
        c = self.cond_norm(cond.vec + self.time_mlp(time_features(t, self.cfg.time_dim)) + self.level_vec(alpha))
        x = self.inp(z) + self.slot
        if self.inp_route is not None:
            x = x + self.inp_route(self.routed(z, cond.route, cond.lit))
        h = self.net(x, cond=c)                                                   # (B, S, D)
        return self.out(h) if self.cfg.path == "linear" else z + self.out(h)      # vp: skip, x1 / eps ~ z_t

    def _coef(self, t: Tensor, z: Tensor) -> tuple[Tensor, ...]:
        shape = (-1, *([1] * (z.dim() - 1)))
        return tuple(c.view(shape).to(z.dtype) for c in self.path.coefficients(t.to(z.dtype)))

    def to_velocity(self, t: Tensor, z: Tensor, out: Tensor) -> Tensor:
        if self.cfg.path == "linear":
            return out
        if self.cfg.vp_target == "eps":
            return self.path.velocity_from_eps(z, out, t)
        a, s, da, ds = self._coef(t, z)
        return da * out + ds * (z - a * out) / s

    def velocity(self, t: Tensor, z: Tensor, cond: OpCond, alpha: Tensor) -> Tensor:
        """dz/dt at local time t in [0, 1] of one op: (B, S, C)."""
        return self.to_velocity(t, z, self.raw(t, z, cond, alpha))

    def endpoint(self, t: Tensor, z: Tensor, out: Tensor) -> Tensor:
        """One-shot estimate of the op's end point E(op(x)) from (t, z_t) and the raw output."""
        if self.cfg.path == "linear":
            return z + (1 - t.view(-1, *([1] * (z.dim() - 1))).to(z.dtype)) * out
        if self.cfg.vp_target == "x1":
            return out
        a, s, _, _ = self._coef(t, z)
        return (z - s * out) / a
