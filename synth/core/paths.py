"""Probability paths between a source x0 and a target x1, with their regression targets.

Convention for every path: t runs from 0 (source x0) to 1 (target x1); `t` has shape (B,).
    path = make_path("linear", sigma_min=0.0)          # rectified flow: x_t = (1-t) x0 + t x1
    s = path.sample(x0, x1, t)                         # PathSample: t, x0, x1, xt, target
    loss = ((field(s.t, s.xt) - s.target) ** 2).mean()

    vp = make_path("vp", schedule="cosine", target="eps")   # x0 ~ N(0, I) noise, x1 = data
    s = vp.sample(noise, data, t)        # x_t = alpha(t) x1 + sigma(t) x0; target eps = x0
    v = vp.velocity_from_eps(xt, eps_hat, t)                 # probability-flow ODE field

Registries: PATHS ("linear", "rectified" = "linear", "vp") and SCHEDULES ("linear", "cosine");
unknown names raise ValueError listing the valid ones.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class PathSample:
    t: Tensor        # (B,)
    x0: Tensor       # (B, ...)
    x1: Tensor       # (B, ...)
    xt: Tensor       # (B, ...) point on the path at time t
    target: Tensor   # (B, ...) what the network regresses onto at (t, xt)


def _bcast(t: Tensor, x: Tensor) -> Tensor:
    """(B,) -> (B, 1, ..., 1) matching x's rank."""
    if t.dim() != 1 or t.shape[0] != x.shape[0]:
        raise ValueError(f"t must have shape ({x.shape[0]},), got {tuple(t.shape)}")
    return t.to(x.dtype).view(-1, *([1] * (x.dim() - 1)))


class LinearPath:
    """Rectified flow / conditional flow matching: x_t = (1-t) x0 + t x1 + sigma_min * eps, target x1 - x0."""

    def __init__(self, sigma_min: float = 0.0):
        if sigma_min < 0:
            raise ValueError(f"sigma_min must be >= 0, got {sigma_min}")
        self.sigma_min = sigma_min

    def sample(self, x0: Tensor, x1: Tensor, t: Tensor, eps: Tensor | None = None,
               generator: torch.Generator | None = None) -> PathSample:
        tb = _bcast(t, x0)
        xt = (1 - tb) * x0 + tb * x1
        if self.sigma_min > 0:
            if eps is None:
                eps = torch.randn(x0.shape, generator=generator, dtype=x0.dtype).to(x0.device)
            xt = xt + self.sigma_min * eps
        return PathSample(t=t, x0=x0, x1=x1, xt=xt, target=x1 - x0)


class LinearBetaSchedule:
    """VP-SDE linear beta(s) = b_min + s (b_max - b_min); s = 0 data, s = 1 noise."""

    def __init__(self, beta_min: float = 0.1, beta_max: float = 20.0):
        self.beta_min, self.beta_max = beta_min, beta_max

    def log_alpha_bar(self, s: Tensor) -> Tensor:
        return -(self.beta_min * s + 0.5 * (self.beta_max - self.beta_min) * s * s)

    def d_log_alpha_bar(self, s: Tensor) -> Tensor:
        return -(self.beta_min + (self.beta_max - self.beta_min) * s)


class CosineSchedule:
    """Nichol & Dhariwal: alpha_bar(s) = cos^2((s + c) / (1 + c) * pi / 2) / cos^2(c / (1 + c) * pi / 2)."""

    def __init__(self, offset: float = 0.008):
        self.c = offset

    def _u(self, s: Tensor) -> Tensor:
        return (s + self.c) / (1 + self.c) * (math.pi / 2)

    def log_alpha_bar(self, s: Tensor) -> Tensor:
        u0 = torch.tensor(self.c / (1 + self.c) * math.pi / 2, dtype=s.dtype)
        return 2 * (torch.log(torch.cos(self._u(s))) - torch.log(torch.cos(u0)))

    def d_log_alpha_bar(self, s: Tensor) -> Tensor:
        return -2 * torch.tan(self._u(s)) * (math.pi / 2) / (1 + self.c)


SCHEDULES = {"linear": LinearBetaSchedule, "cosine": CosineSchedule}
VP_TARGETS = ("eps", "score", "velocity", "x1")


class VPPath:
    """Variance-preserving path: x_t = alpha(t) x1 + sigma(t) x0, alpha^2 + sigma^2 = 1, x0 ~ N(0, I).

    Diffusion time is s = 1 - t, clamped to [eps, 1 - eps] so alpha and sigma stay positive.
    target: "eps" (x0), "score" (-x0 / sigma), "velocity" (d x_t / dt) or "x1" (the data).
    """

    def __init__(self, schedule: str = "cosine", target: str = "eps", eps: float = 1e-3, **schedule_kw):
        if schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {schedule!r}; valid: {', '.join(SCHEDULES)}")
        if target not in VP_TARGETS:
            raise ValueError(f"unknown vp target {target!r}; valid: {', '.join(VP_TARGETS)}")
        self.schedule = SCHEDULES[schedule](**schedule_kw)
        self.target, self.eps = target, eps

    def coefficients(self, t: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """alpha, sigma and their t-derivatives, each shaped like t."""
        s = (1 - t).clamp(self.eps, 1 - self.eps)
        lab, dlab = self.schedule.log_alpha_bar(s), self.schedule.d_log_alpha_bar(s)
        ab = lab.exp()
        alpha, sigma = ab.sqrt(), (1 - ab).sqrt()
        d_alpha_ds, d_sigma_ds = 0.5 * dlab * alpha, -0.5 * ab * dlab / sigma
        return alpha, sigma, -d_alpha_ds, -d_sigma_ds          # d/dt = -d/ds

    def sample(self, x0: Tensor, x1: Tensor, t: Tensor, **_unused) -> PathSample:
        a, s, da, ds = (_bcast(c, x1) for c in self.coefficients(t))
        xt = a * x1 + s * x0
        target = {"eps": lambda: x0, "score": lambda: -x0 / s,
                  "velocity": lambda: da * x1 + ds * x0, "x1": lambda: x1}[self.target]()
        return PathSample(t=t, x0=x0, x1=x1, xt=xt, target=target)

    def velocity_from_eps(self, xt: Tensor, eps_hat: Tensor, t: Tensor) -> Tensor:
        """Turn an eps prediction into the probability-flow velocity d x_t / dt."""
        a, s, da, ds = (_bcast(c, xt) for c in self.coefficients(t))
        x1_hat = (xt - s * eps_hat) / a
        return da * x1_hat + ds * eps_hat


PATHS = {"linear": LinearPath, "rectified": LinearPath, "vp": VPPath}


def make_path(name: str, **kw) -> LinearPath | VPPath:
    if name not in PATHS:
        raise ValueError(f"unknown path {name!r}; valid: {', '.join(PATHS)}")
    return PATHS[name](**kw)


def sample_t(batch: int, generator: torch.Generator | None = None, device: torch.device | str = "cpu",
             t_min: float = 0.0, t_max: float = 1.0) -> Tensor:
    """(B,) times uniform in [t_min, t_max], drawn on CPU from `generator` (deterministic) then moved."""
    return (t_min + (t_max - t_min) * torch.rand(batch, generator=generator)).to(device)
