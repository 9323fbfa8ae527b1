"""Programs as vector fields: v(z, t | op, alpha) on the evaluator's latent space, and a learned state metric.

    cfg = FieldConfig(path="linear", target="x1")                # path "vp": the score / denoising variant
    fm = FieldModel(cfg, n_ops=40, n_slots=12, dim=128, n_consts=3).attach(lat.route, lat.empty)
    c = fm.op_cond(ops, lit_vec)             # ops (B,) ids (n_ops = push a literal, lit_vec (B, C)): OpCond
    c = fm.soft_op_cond(w)                   # w (B, n_ops) distribution: mixed embedding and routing
    v = fm.velocity(t, z, c, alpha)          # t (B,), z (B, S, C), alpha (B,) float -> dz/dt (B, S, C)
    d = fm.metric(za, zb)                    # (B,) in [0, 1): expected share of differing slots; 0 iff za == zb

The network P(z, t | op, alpha) predicts a STATE. It is the shared core Transformer over the S latent
slots (plus a slot embedding), conditioned by adaptive layer norm on `LayerNorm(op embedding + level
embedding + time embedding [+ the pushed literal's projection])`; its output y gives the new status latent
and the new value, and the stack is assembled by the op's stack effect (the evaluator's routing table:
`dup` copies the top, `add` writes y's value on top and shifts the slots below up, `c1` copies a constant,
a push brings the literal's latent), plus a learned correction (zero at start). With `alu_hidden` the new
value and status also pass the evaluator's ALU (a wide MLP on the top operands). This is the evaluator's
transition structure, with time added: `FieldModel.warm_start(machine)` copies the evaluator's transition
weights (the time embedding starts at zero), so at t = 0 P is exactly the evaluator's one-step prediction.

What P means, by `cfg.path` / `cfg.target` (all are flow matching on a path from E(x) to E(op(x))):
  linear, x1        P = x1_hat, the end point; v = (x1_hat - z) / (1 - t) (clamped at 1 - t_eps): the
                    straight path's velocity, x-prediction form. Euler with n steps ends exactly on the last
                    prediction, and 1 Euler step per op is the evaluator's own rollout.
  linear, velocity  v = P - z (the displacement, constant along the straight path).
  vp, x1 / eps      the score / denoising variant on the core's variance-preserving path
                    x_t = alpha(t) E(op(x)) + sigma(t) x0, x0 the (noised) source E(x) in the role of the
                    noise: P = x1_hat (denoiser; Tweedie: score = (alpha x1_hat - x_t) / sigma^2) or P = eps_hat
                    (score = -eps / sigma); the probability-flow velocity is alpha' x1_hat + sigma' eps_hat.
                    The eps form divides by alpha(t) ~ 0 at the source end and amplifies errors there.
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
TARGETS = {"linear": ("x1", "velocity"), "vp": ("x1", "eps")}


@dataclass
class FieldConfig:
    d_model: int = 128            # the latent width C when warm-started (then the evaluator's sizes are used)
    n_heads: int = 4
    n_layers: int = 2
    mlp_ratio: float = 4.0
    pos: str = "rotary"           # slot positions inside the transformer (a core option)
    time_dim: int = 64            # sinusoidal features of t before the time MLP
    path: str = "linear"          # "linear" (flow matching) or "vp" (score / denoising)
    target: str = "x1"            # linear: "x1" | "velocity"; vp: "x1" (denoiser) | "eps" (noise)
    t_eps: float = 0.05           # linear x1: v = (x1_hat - z) / max(1 - t, t_eps)
    schedule: str = "cosine"      # vp only: "cosine" or "linear" (core SCHEDULES)
    vp_eps: float = 0.02          # vp only: diffusion time clamped to [eps, 1 - eps] (alpha(0) stays > 0)
    n_levels: int = 3             # concrete, sign, type
    alu_hidden: int = 0           # > 0: the evaluator's wide MLP on the top operands (synth.evaluator.model.ALU)
    alu_layers: int = 1
    warm_start: bool = True       # copy the evaluator's transition weights (sizes taken from it)
    metric_hidden: int = 256
    metric_dim: int = 64

    def __post_init__(self) -> None:
        if self.path not in FIELD_PATHS:
            raise ValueError(f"unknown field path {self.path!r}; valid: {', '.join(FIELD_PATHS)}")
        if self.target not in TARGETS[self.path]:
            raise ValueError(f"unknown target {self.target!r} for path {self.path!r}; "
                             f"valid: {', '.join(TARGETS[self.path])}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_heads={self.n_heads}")
        if self.n_layers < 1 or self.time_dim < 2 or self.metric_dim < 1 or self.metric_hidden < 1:
            raise ValueError("n_layers, metric_dim, metric_hidden must be >= 1 and time_dim >= 2")
        if not 0 < self.t_eps < 1:
            raise ValueError(f"t_eps must be in (0, 1), got {self.t_eps}")


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
    route: Tensor                 # (B, depth, n_src) weights over sources (see FieldModel.assemble)
    lit: Tensor | None            # (B, C) latent of a pushed literal (push rows only), or None


class FieldModel(nn.Module):
    def __init__(self, cfg: FieldConfig, n_ops: int, n_slots: int, dim: int, n_consts: int = 0):
        super().__init__()
        self.cfg, self.n_ops, self.n_slots, self.dim, self.n_consts = cfg, n_ops, n_slots, dim, n_consts
        self.depth = n_slots - 1 - n_consts
        d = cfg.d_model
        self.path = make_path("linear") if cfg.path == "linear" else make_path(
            "vp", schedule=cfg.schedule, target=cfg.target, eps=cfg.vp_eps)
        self.inp = nn.Identity() if d == dim else nn.Linear(dim, d)
        self.proj = nn.Identity() if d == dim else nn.Linear(d, dim)
        self.slot = nn.Parameter(torch.randn(n_slots, d) * 0.02)
        self.net = Transformer(TransformerConfig(d_model=d, n_heads=cfg.n_heads, n_layers=cfg.n_layers,
                                                 mlp_ratio=cfg.mlp_ratio, pos=cfg.pos, max_len=n_slots,
                                                 cond_dim=d))
        self.alu = None
        if cfg.alu_hidden:
            from ..evaluator.model import ALU
            self.alu = ALU(dim, cfg.alu_hidden, cfg.alu_layers)
        self.fix = nn.Linear(dim, dim)                                           # correction, zero at start
        nn.init.zeros_(self.fix.weight)
        nn.init.zeros_(self.fix.bias)
        self.op_emb = nn.Embedding(n_ops + 1, d)                                 # + PUSH a literal
        self.lit_proj = nn.Linear(dim, d)
        self.level_emb = nn.Embedding(cfg.n_levels, d)
        self.time_mlp = nn.Sequential(nn.Linear(cfg.time_dim, d), nn.SiLU(), nn.Linear(d, d))
        nn.init.zeros_(self.time_mlp[2].weight)
        nn.init.zeros_(self.time_mlp[2].bias)
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

    @torch.no_grad()
    def warm_start(self, machine: nn.Module) -> list[str]:
        """Copy the evaluator's transition weights (trans, slot, op/level embeddings, literal projection,
        cond norm) where names and shapes match; returns the names copied."""
        pairs = {"net": "trans", "slot": "slot", "op_emb": "op_emb", "level_emb": "level_emb",
                 "lit_proj": "lit_proj", "cond_norm": "cond_norm", "alu": "alu"}
        src = machine.state_dict()
        mine = self.state_dict()
        done = []
        for k in mine:
            head, _, rest = k.partition(".")
            if head in pairs:
                sk = pairs[head] + ("." + rest if rest else "")
                if sk in src and src[sk].shape == mine[k].shape:
                    mine[k].copy_(src[sk])
                    done.append(k)
        return done

    # ---- conditioning ---------------------------------------------------------------------------
    def op_cond(self, ops: Tensor, lit_vec: Tensor | None = None) -> OpCond:
        """ops (B,) ids in [0, n_ops] (n_ops = push; lit_vec (B, C) the literal latents of those rows)."""
        c = self.op_emb(ops)
        if lit_vec is not None:
            c = c + (ops == self.n_ops)[:, None].to(c.dtype) * self.lit_proj(lit_vec.to(c.dtype))
        return OpCond(c, self.route_table[ops], lit_vec)

    def soft_op_cond(self, weights: Tensor) -> OpCond:
        """weights (B, n_ops) -> the mixture of op embeddings and routings (the cheap relaxation)."""
        if weights.dim() != 2 or weights.shape[-1] != self.n_ops:
            raise ValueError(f"op weights must be (B, {self.n_ops}), got {tuple(weights.shape)}")
        w = weights.to(self.op_emb.weight.dtype)
        route = torch.einsum("bk,kds->bds", w, self.route_table[:self.n_ops])
        return OpCond(w @ self.op_emb.weight[:self.n_ops], route, None)

    def level_vec(self, alpha: Tensor) -> Tensor:
        """alpha (B,) float in [0, 1] -> (B, D), linear between the level embeddings."""
        pos = alpha.float().clamp(0, 1) * (self.cfg.n_levels - 1)
        lo = pos.floor().long().clamp(max=self.cfg.n_levels - 2)
        w = (pos - lo)[:, None]
        return (1 - w) * self.level_emb(lo) + w * self.level_emb(lo + 1)

    def assemble(self, z: Tensor, y: Tensor, route: Tensor, lit: Tensor | None) -> Tensor:
        """The predicted state: status from y, constants kept, stack routed from the sources [y's new value,
        the stack slots of z, the constants, EMPTY, the pushed literal]."""
        B, S, C = z.shape
        nc = self.n_consts
        lit_src = lit[:, None].to(z.dtype) if lit is not None else torch.zeros_like(z[:, :1])
        src = torch.cat([y[:, 1 + nc:2 + nc], z[:, 1 + nc:], z[:, 1:1 + nc],
                         self.empty.to(z.dtype).expand(B, 1, C), lit_src], dim=1)   # (B, n_src, C)
        return torch.cat([y[:, :1], z[:, 1:1 + nc], route.to(z.dtype) @ src], dim=1)  # (B, S, C)

    # ---- the field ------------------------------------------------------------------------------
    def raw(self, t: Tensor, z: Tensor, cond: OpCond, alpha: Tensor) -> Tensor:
        """P(z, t): the predicted state (x1, or the displacement's end, or eps; see the module doc)."""
        c = self.cond_norm(cond.vec + self.level_vec(alpha) + self.time_mlp(time_features(t, self.cfg.time_dim)))
        y = self.proj(self.net(self.inp(z) + self.slot, cond=c))                  # (B, S, C)
        out = y
        if self.alu is not None:                                                  # new top value and status
            nc = self.n_consts
            top, st = y[:, 1 + nc], y[:, 0]
            top, st = self.alu(torch.cat([top, st, z[:, 1 + nc:4 + nc].flatten(1), c], dim=-1), top, st)
            out = torch.cat([st[:, None], y[:, 1:1 + nc], top[:, None], y[:, 2 + nc:]], dim=1)
        return self.assemble(z, out, cond.route, cond.lit) + self.fix(y)

    def _coef(self, t: Tensor, z: Tensor) -> tuple[Tensor, ...]:
        shape = (-1, *([1] * (z.dim() - 1)))
        return tuple(c.view(shape).to(z.dtype) for c in self.path.coefficients(t.to(z.dtype)))

    def to_velocity(self, t: Tensor, z: Tensor, out: Tensor) -> Tensor:
        cfg = self.cfg
        if cfg.path == "linear":
            if cfg.target == "velocity":
                return out - z
            rem = (1 - t).clamp_min(cfg.t_eps).view(-1, *([1] * (z.dim() - 1))).to(z.dtype)
            return (out - z) / rem
        if cfg.target == "eps":
            return self.path.velocity_from_eps(z, out, t)
        a, s, da, ds = self._coef(t, z)
        return da * out + ds * (z - a * out) / s

    def velocity(self, t: Tensor, z: Tensor, cond: OpCond, alpha: Tensor) -> Tensor:
        """dz/dt at local time t in [0, 1] of one op: (B, S, C)."""
        return self.to_velocity(t, z, self.raw(t, z, cond, alpha))

    def regression_target(self, s) -> Tensor:
        """What P regresses onto, from a core PathSample (x0 the source, x1 the target)."""
        if self.cfg.path == "linear":
            return s.x1 if self.cfg.target == "x1" else s.xt + (s.x1 - s.x0)
        return s.target

    def endpoint(self, t: Tensor, z: Tensor, out: Tensor) -> Tensor:
        """One-shot estimate of the op's end point E(op(x)) from (t, z_t) and the raw output."""
        cfg = self.cfg
        if cfg.target == "x1":
            return out
        if cfg.path == "linear":                                  # velocity: z + (1 - t) (P - z)
            return z + (1 - t.view(-1, *([1] * (z.dim() - 1))).to(z.dtype)) * (out - z)
        a, s, _, _ = self._coef(t, z)
        return (z - s * out) / a
