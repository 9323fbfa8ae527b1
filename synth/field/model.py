"""Programs as vector fields: v(z, t | op, alpha) on the evaluator's latent space, and a learned state metric.

    fm = FieldModel(FieldConfig(path="linear", target="x1"), copy.deepcopy(evaluator_machine), n_slots=12)
    c = fm.op_cond(ops, lit)                 # ops (B,) ids (n_ops = push the literal rows lit (B, F)): OpCond
    c = fm.soft_op_cond(w)                   # w (B, n_ops) distribution over the ops (mixed conditioning)
    v = fm.velocity(t, z, c, alpha)          # t (B,), z (B, T, C), alpha (B,) float -> dz/dt (B, T, C)
    d = fm.metric(za, zb)                    # (B,) in [0, 1): expected share of differing slots; 0 iff za == zb

The network P(z, t | op, alpha) predicts a STATE. It is a trainable copy of the evaluator's transition
(`LatentMachine.transition`: the shared core Transformer conditioned by adaptive layer norm on the op and
level embeddings, which writes the new status and value, while the op's stack effect routes every other
slot latent), made time-dependent: a time embedding (zero at start) is added to the conditioning vector
before its norm, and a per-slot correction (zero at start) is added from the transformer's output (slot
tokens only; element tokens, when the evaluator has them, move by its routing alone). Warm-
started (`warm_start`, default) the copy holds the evaluator's weights, so at t = 0 P is exactly the
evaluator's one-step prediction; whatever architecture the evaluator has (ALU, element tokens) comes along.
The copy's encoder and decoder are frozen (it only uses them to embed pushed literals and EMPTY), and so is
its ALU; a shipped field stores only what training changes (`trained_state`).

What P means, by `cfg.path` / `cfg.target` (all are flow matching on a path from E(x) to E(op(x))):
  linear, x1        P = x1_hat, the end point; v = (x1_hat - z) / max(1 - t, t_eps): the straight path's
                    velocity, x-prediction form. Euler with n steps ends exactly on its last prediction, and
                    1 Euler step per op is the evaluator's own latent rollout (before fine-tuning).
  linear, velocity  v = P - z (the displacement, constant along the straight path).
  vp, x1 / eps      the score / denoising variant on the core's variance-preserving path
                    x_t = alpha(t) E(op(x)) + sigma(t) x0, x0 the (noised) source E(x) in the role of the
                    noise: P = x1_hat (denoiser; Tweedie: score = (alpha x1_hat - x_t) / sigma^2) or P = eps_hat
                    (score = -eps / sigma); the probability-flow velocity is alpha' x1_hat + sigma' eps_hat.
                    The eps form divides by alpha(t) ~ 0 at the source end and amplifies errors there.
The level is alpha in [0, 1] (0 concrete, 0.5 sign, 1 type; dsl.abstract), a float the evaluator's level
embedding interpolates, so an annealed alpha moves smoothly.

The metric compares two latents slot by slot (the first n_slots tokens): g = per-slot MLP,
D_s = ||g(za)_s - g(zb)_s||^2, p_s = 1 - exp(-D_s) is trained as the probability that slot s (status,
constants, stack) differs, and d = mean_s p_s. It is symmetric, >= 0, and exactly 0 for identical latents.
With `metric_decoded` > 0, D_s also adds w ||q(za)_s - q(zb)_s||^2, q the (frozen) decoder's per-slot
distributions (decoded_probs) and w learned: the decoder reads values exactly where g only approximates them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core.paths import make_path
from ..data.tokenizer import BOOL, INT, LIST, STR

FIELD_PATHS = ("linear", "vp")
TARGETS = {"linear": ("x1", "velocity"), "vp": ("x1", "eps")}
FROZEN = ("embed", "enc", "elem_embed", "status_emb", "status_norm", "decoder")   # the copy's E and D parts


@dataclass
class FieldConfig:
    path: str = "linear"          # "linear" (flow matching) or "vp" (score / denoising)
    target: str = "x1"            # linear: "x1" | "velocity"; vp: "x1" (denoiser) | "eps" (noise)
    t_eps: float = 0.05           # linear x1: v = (x1_hat - z) / max(1 - t, t_eps)
    time_dim: int = 64            # sinusoidal features of t before the time MLP
    schedule: str = "cosine"      # vp only: "cosine" or "linear" (core SCHEDULES)
    vp_eps: float = 0.02          # vp only: diffusion time clamped to [eps, 1 - eps] (alpha(0) stays > 0)
    warm_start: bool = True       # start from the evaluator's transition weights (else a fresh init)
    metric_hidden: int = 256
    metric_dim: int = 64
    metric_decoded: float = 1.0   # > 0: the metric also compares the decoder's distributions per slot, with a
                                  #   learned weight starting here (0 = off: the learned features only)

    def __post_init__(self) -> None:
        if self.path not in FIELD_PATHS:
            raise ValueError(f"unknown field path {self.path!r}; valid: {', '.join(FIELD_PATHS)}")
        if self.target not in TARGETS[self.path]:
            raise ValueError(f"unknown target {self.target!r} for path {self.path!r}; "
                             f"valid: {', '.join(TARGETS[self.path])}")
        if self.time_dim < 2 or self.metric_dim < 1 or self.metric_hidden < 1:
            raise ValueError("time_dim must be >= 2, metric_dim and metric_hidden >= 1")
        if self.metric_decoded < 0:
            raise ValueError(f"metric_decoded must be >= 0, got {self.metric_decoded}")
        if not 0 < self.t_eps < 1:
            raise ValueError(f"t_eps must be in (0, 1), got {self.t_eps}")


REMOVED = {"tune_alu": False}     # measured and removed options (synth.core.removed)


def config_from_meta(d: dict, where: str = "checkpoint") -> FieldConfig:
    """FieldConfig from a checkpoint's stored dict (removed options: synth.core.removed)."""
    from ..config import from_dict
    from ..core.removed import drop_removed
    return from_dict(FieldConfig, drop_removed(d, REMOVED, where))


def frozen_parts(cfg: FieldConfig) -> tuple[str, ...]:
    """Top-level parts of the transition copy that are not trained (their weights stay the evaluator's)."""
    return FROZEN + ("alu",)


def trained_state(state: dict, cfg: FieldConfig) -> dict:
    """The entries of a FieldModel state dict that training changes (the rest is the evaluator's)."""
    frozen = frozen_parts(cfg)
    return {k: v for k, v in state.items()
            if not (k.startswith("step.") and k.split(".")[1] in frozen)}


def time_features(t: Tensor, dim: int) -> Tensor:
    """t (B,) in [0, 1] -> (B, dim) sin/cos features (scaled like diffusion timesteps, 1000 t)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    ang = 1000.0 * t.float()[:, None] * freqs[None]                          # (B, half)
    return torch.cat([ang.sin(), ang.cos()], dim=-1)


def decoded_probs(decoder: nn.Module, z: Tensor) -> Tensor:
    """Z (B, T, C) -> what the evaluator's decoder reads in each slot, as probabilities (B, S, Q): slot 0
    the status; a value slot its kind, and each value head's distribution weighted by the probability of the
    kind it decodes (int: int/sign/par; bool; str or list: len and elements) and of status ok, so heads that
    do not apply (their output is untrained there) and slots of error states weigh nothing."""
    lg = decoder(z)
    sm = lambda k: lg[k].float().softmax(-1)                                    # noqa: E731
    st, kind = sm("status"), sm("kind")                                         # (B, Vs), (B, S-1, 5)
    p_int, p_bool = kind[..., INT, None], kind[..., BOOL, None]
    p_seq = kind[..., STR, None] + kind[..., LIST, None]
    vals = torch.cat([kind, sm("int") * p_int, sm("sign") * p_int, sm("par") * p_int, sm("bool") * p_bool,
                      sm("len") * p_seq, (sm("elem") * p_seq[..., None]).flatten(-2)], -1)   # (B, S-1, Q)
    vals = vals * st[:, :1, None]
    head = F.pad(st, (0, vals.shape[-1] - st.shape[-1]))[:, None]              # (B, 1, Q)
    return torch.cat([head, vals], 1)                                           # (B, S, Q)


class StateMetric(nn.Module):
    def __init__(self, dim: int, hidden: int, out: int, n_slots: int, decoded: float = 0.0,
                 decoder: nn.Module | None = None):
        super().__init__()
        self.n_slots = n_slots
        self.g = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, out))
        self.dec_w = None
        if decoded:                               # softplus(dec_w) = decoded at the start
            self.dec_w = nn.Parameter(torch.tensor(math.log(math.expm1(decoded))))
            self._decoder = (decoder,)            # a tuple: the (frozen) decoder is not this module's child

    def features(self, z: Tensor) -> tuple[Tensor, Tensor | None]:
        """Z (B, T, C) -> what the distance compares, per slot (first S tokens): g (B, S, out) and the
        decoded distributions (B, S, Q), or None without them. Compute once per latent, compare many times."""
        q = decoded_probs(self._decoder[0], z) if self.dec_w is not None else None
        return self.g(z[:, :self.n_slots]), q

    def dist(self, fa: tuple, fb: tuple) -> Tensor:
        """Features of two aligned batches -> squared distances D (B, S): ||g_a - g_b||^2, plus
        softplus(dec_w) ||q_a - q_b||^2 when the metric has the decoded term."""
        d = (fa[0] - fb[0]).pow(2).sum(-1)
        if self.dec_w is not None:
            d = d + F.softplus(self.dec_w) * (fa[1] - fb[1]).pow(2).sum(-1)
        return d

    def slot_dist(self, za: Tensor, zb: Tensor) -> Tensor:
        """za, zb (B, T, C) -> squared distances D (B, S) of the per-slot features."""
        return self.dist(self.features(za), self.features(zb))

    @staticmethod
    def share(D: Tensor) -> Tensor:
        """D (B, S) -> (B,) mean over slots of p_s = 1 - exp(-D_s)."""
        return (-torch.expm1(-D)).mean(-1)

    def forward(self, za: Tensor, zb: Tensor) -> Tensor:
        return self.share(self.slot_dist(za, zb))


class OpCond(NamedTuple):
    """One op per row (ops, and literal rows for pushes) or a distribution per row (weights)."""
    ops: Tensor | None            # (B,) ids in [0, n_ops]; n_ops = push
    lit: Tensor | None            # (B, F) feature rows of the pushed literals (any row for non-push ops)
    weights: Tensor | None        # (B, n_ops)


class FieldModel(nn.Module):
    def __init__(self, cfg: FieldConfig, machine: nn.Module, n_slots: int):
        super().__init__()
        self.cfg, self.n_slots = cfg, n_slots
        self.step = machine                                                      # trainable transition copy
        frozen = frozen_parts(cfg)
        for name, p in machine.named_parameters():
            if name.split(".")[0] in frozen:
                p.requires_grad_(False)
        self.n_ops, dim = machine.n_ops, machine.cfg.d_model
        self.path = make_path("linear") if cfg.path == "linear" else make_path(
            "vp", schedule=cfg.schedule, target=cfg.target, eps=cfg.vp_eps)
        self.time_mlp = nn.Sequential(nn.Linear(cfg.time_dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        nn.init.zeros_(self.time_mlp[2].weight)
        nn.init.zeros_(self.time_mlp[2].bias)
        self.fix = nn.Linear(dim, dim)                                           # correction, zero at start
        nn.init.zeros_(self.fix.weight)
        nn.init.zeros_(self.fix.bias)
        self.metric = StateMetric(dim, cfg.metric_hidden, cfg.metric_dim, n_slots, cfg.metric_decoded,
                                  machine.decoder)
        self._tvec: Tensor | None = None
        self._y: Tensor | None = None
        machine.cond_norm.register_forward_pre_hook(self._add_time)
        machine.trans.register_forward_hook(self._capture)

    def _add_time(self, module, args):
        if self._tvec is None:
            return None
        return (args[0] + self._tvec.to(args[0].dtype),) + tuple(args[1:])

    def _capture(self, module, args, out):
        self._y = out

    # ---- conditioning ---------------------------------------------------------------------------
    def op_cond(self, ops: Tensor, lit: Tensor | None = None) -> OpCond:
        return OpCond(ops, lit, None)

    def soft_op_cond(self, weights: Tensor) -> OpCond:
        if weights.dim() != 2 or weights.shape[-1] != self.n_ops:
            raise ValueError(f"op weights must be (B, {self.n_ops}), got {tuple(weights.shape)}")
        return OpCond(None, None, weights)

    # ---- the field ------------------------------------------------------------------------------
    def raw(self, t: Tensor, z: Tensor, cond: OpCond, alpha: Tensor) -> Tensor:
        """P(z, t): the predicted state (x1, or the displacement's end, or eps; see the module doc)."""
        self._tvec = self.time_mlp(time_features(t, self.cfg.time_dim))
        alpha = alpha.to(z.dtype)
        try:
            if cond.weights is not None:
                p = self.step.transition_soft(z, cond.weights, alpha)
            else:
                p = self.step.transition(z, cond.ops, cond.lit, alpha)
            y = self._y
        finally:
            self._tvec, self._y = None, None
        S = self.n_slots                                                          # correct the slot tokens
        return torch.cat([p[:, :S] + self.fix(y[:, :S]), p[:, S:]], dim=1)

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
        """dz/dt at local time t in [0, 1] of one op: (B, T, C)."""
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
