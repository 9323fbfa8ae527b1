"""ODE integration of a learned field through torchdiffeq, solver picked by name.

Usage:
    x1 = integrate(field, x0, method="rk4", steps=8, op=op_ids)        # field(t (B,), x, op=op_ids)
    x1 = integrate(field, x0, method="dopri5", rtol=1e-5, atol=1e-5)   # adaptive
    xs = integrate(field, x0, times=[0.0, 0.5, 1.0])                   # (3, B, ...) trajectory
    # a program of ops = one segment per op, op k on [k, k+1]:
    for k, op in enumerate(ops):
        x = integrate(field, x, t0=k, t1=k + 1, op=op)

The one place where the argument order is fixed: our fields are called `field(t, x, **cond)` with
t expanded to (B,); torchdiffeq calls `func(t, y)` with a scalar t. Gradients flow through the
solver's operations (no adjoint), so search can differentiate w.r.t. x0 and any cond tensor.
Fixed-step methods integrate on an exact grid of `steps` equal steps (via torchdiffeq's
`grid_constructor` option, which avoids float round-off adding a tiny extra step).
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor, nn
from torchdiffeq import odeint

FIXED = ("euler", "midpoint", "heun2", "heun3", "rk4", "explicit_adams", "implicit_adams")
ADAPTIVE = ("dopri5", "dopri8", "bosh3", "fehlberg2", "adaptive_heun")
METHODS = FIXED + ADAPTIVE


class TimeFirst(nn.Module):
    """Adapter torchdiffeq func(t scalar, y) -> field(t (B,), x, **cond); also counts evaluations."""

    def __init__(self, field: Callable[..., Tensor], cond: dict):
        super().__init__()
        self.field, self.cond, self.nfe = field, cond, 0

    def forward(self, t: Tensor, x: Tensor) -> Tensor:
        self.nfe += 1
        return self.field(t.to(x.dtype).expand(x.shape[0]), x, **self.cond)


def integrate(field: Callable[..., Tensor], x0: Tensor, t0: float = 0.0, t1: float = 1.0,
              method: str = "euler", steps: int = 10, rtol: float = 1e-5, atol: float = 1e-5,
              times: Sequence[float] | Tensor | None = None, return_nfe: bool = False, **cond):
    """Integrate dx/dt = field(t, x, **cond) from x0 (B, ...) over [t0, t1] (or through `times`).

    Returns x(t1) (B, ...), or the trajectory (len(times), B, ...) when `times` is given;
    with return_nfe=True returns (result, number of field evaluations).
    """
    if method not in METHODS:
        raise ValueError(f"unknown solver {method!r}; valid: {', '.join(METHODS)}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    tt = torch.as_tensor(times if times is not None else [t0, t1], dtype=x0.dtype, device=x0.device)
    if tt.dim() != 1 or len(tt) < 2:
        raise ValueError("times must be a 1-D sequence of at least two times")
    func = TimeFirst(field, cond)
    if method in FIXED:
        def grid(f, y0, t: Tensor) -> Tensor:      # t: the requested times, in the caller's direction
            g = torch.linspace(float(t[0]), float(t[-1]), steps + 1, dtype=t.dtype, device=t.device)
            if len(t) > 2:                          # make the grid hit every requested time
                g = torch.cat([g, t]).unique()
                g = g.flip(0) if t[-1] < t[0] else g
            return g
        out = odeint(func, x0, tt, method=method, options=dict(grid_constructor=grid))
    else:
        out = odeint(func, x0, tt, method=method, rtol=rtol, atol=atol)
    res = out if times is not None else out[-1]
    return (res, func.nfe) if return_nfe else res
