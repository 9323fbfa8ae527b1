"""Regression losses for probability paths.

Usage:
    path = make_path("linear")
    loss = path_loss(field, path, x0, x1, generator=g, op=op_ids)       # field(t, x, op=op_ids)
    loss = regression_loss(pred, sample.target, mask=valid, kind="mse")  # explicit form

`field(t, x, **cond)` takes t (B,) and x (B, ...), the same order as solvers.integrate.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from .paths import LinearPath, VPPath, sample_t

LOSSES = ("mse", "l1", "huber")


def regression_loss(pred: Tensor, target: Tensor, mask: Tensor | None = None, kind: str = "mse",
                    weight: Tensor | None = None) -> Tensor:
    """Mean error over all elements; `mask` (B, ...) broadcastable, True = counted; `weight` (B,) per sample."""
    if kind not in LOSSES:
        raise ValueError(f"unknown loss {kind!r}; valid: {', '.join(LOSSES)}")
    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} and target {tuple(target.shape)} differ in shape")
    diff = pred.float() - target.float()
    if kind == "mse":
        err = diff.pow(2)
    elif kind == "l1":
        err = diff.abs()
    else:
        err = torch.nn.functional.huber_loss(pred.float(), target.float(), reduction="none")
    if weight is not None:
        err = err * weight.float().view(-1, *([1] * (err.dim() - 1)))
    if mask is None:
        return err.mean()
    m = mask.to(err.dtype).expand_as(err)
    return (err * m).sum() / m.sum().clamp_min(1.0)


def path_loss(field: Callable[..., Tensor], path: LinearPath | VPPath, x0: Tensor, x1: Tensor,
              t: Tensor | None = None, generator: torch.Generator | None = None, mask: Tensor | None = None,
              kind: str = "mse", **cond) -> Tensor:
    """Sample t (if not given) and a point on the path, regress field(t, x_t, **cond) onto the path target."""
    if t is None:
        t = sample_t(x0.shape[0], generator=generator, device=x0.device)
    s = path.sample(x0, x1, t, generator=generator)
    return regression_loss(field(s.t, s.xt, **cond), s.target, mask=mask, kind=kind)
