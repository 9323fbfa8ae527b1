"""Composition: a program is its ops' fields laid end to end, op k on the time interval [k, k+1].

    z = integrate_ops(fm, z0, ops, alpha=0.0, solver="rk4", steps=4)             # ops (B, L) long ids
    z = integrate_ops(fm, z0, ops, lit=rows)                                      # literal pushes (id n_ops), rows (B, L, F)
    z = integrate_weights(fm, z0, w, solver="euler", steps=4)                     # w (B, L, n_ops) per slot
    z = integrate_weights(fm, z0, w, mix="embedding")                             # cheaper relaxation
    zs = integrate_ops(fm, z0, ops, return_states=True)                           # (L+1, B, T, C)
    zt = integrate_ops(fm, z0, ops, points=8)                                     # (8L+1, B, T, C) trajectory

A fuzzy program's slot k is a distribution w[:, k] over the ops; with mix="fields" (the default) its
segment integrates the probability-weighted mixture of the ops' fields, sum_o w_o v(z, t | o), which with
one-hot weights is exactly the discrete op's field (z: (B, T, C), the evaluator's latent tokens). Ops whose weight is exactly 0 in every row are skipped
(their fields would be multiplied by 0; with softmax weights nothing is skipped). mix="embedding"
conditions one field on the weighted mean of op embeddings instead (one evaluation instead of one per op).
Everything is differentiable w.r.t. z0 and the weights (the core solvers backpropagate through their steps).
`program_velocity` is the whole program as one piecewise field on [0, L], for a single ODE solve.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from ..core.solvers import integrate
from .model import FieldModel, OpCond

MIXES = ("fields", "embedding")


def _alpha(alpha: float | Tensor, z: Tensor) -> Tensor:
    a = torch.as_tensor(alpha, dtype=torch.float32, device=z.device)
    return a.expand(z.shape[0]) if a.dim() == 0 else a


def op_velocity(fm: FieldModel, cond: OpCond, alpha: Tensor, t0: float = 0.0) -> Callable[[Tensor, Tensor], Tensor]:
    """Field of one op on [t0, t0 + 1]: f(t (B,), z (B, T, C)) -> (B, T, C)."""
    return lambda t, z: fm.velocity(t - t0, z, cond, alpha)


def mixture_velocity(fm: FieldModel, w: Tensor, alpha: Tensor, t0: float = 0.0,
                     prune: float = 0.0) -> Callable[[Tensor, Tensor], Tensor]:
    """sum_o w[:, o] v(z, t | o) on [t0, t0 + 1]; w (B, n_ops). Columns with all weights <= prune are skipped."""
    active = (w > prune).any(0).nonzero().flatten()                              # (A,)
    if len(active) == 0:
        active = w.abs().sum(0).argmax().view(1)
    wa = w[:, active]                                                            # (B, A)
    A, B = len(active), w.shape[0]
    cond = fm.op_cond(active.repeat_interleave(B))                               # rows: op a, then row b

    def f(t: Tensor, z: Tensor) -> Tensor:
        zz = z.unsqueeze(0).expand(A, *z.shape).reshape(A * B, *z.shape[1:])     # (A B, T, C)
        v = fm.velocity((t - t0).repeat(A), zz, cond, alpha.repeat(A))           # (A B, T, C)
        return torch.einsum("ba,ab...->b...", wa.to(v.dtype), v.view(A, B, *z.shape[1:]))
    return f


def _run(segments: list[Callable], z0: Tensor, solver: str, steps: int, return_states: bool, points: int,
         **solver_kw) -> Tensor:
    z, out = z0, [z0]
    for k, f in enumerate(segments):
        if points:
            times = torch.linspace(k, k + 1, points + 1).tolist()
            traj = integrate(f, z, method=solver, steps=steps, times=times, **solver_kw)  # (P+1, B, T, C)
            out.extend(traj[1:])
            z = traj[-1]
        else:
            z = integrate(f, z, t0=float(k), t1=float(k + 1), method=solver, steps=steps, **solver_kw)
            out.append(z)
    return torch.stack(out) if (return_states or points) else z


def integrate_ops(fm: FieldModel, z0: Tensor, ops: Tensor, alpha: float | Tensor = 0.0, solver: str = "euler",
                  steps: int = 4, lit: Tensor | None = None, return_states: bool = False, points: int = 0,
                  **solver_kw) -> Tensor:
    """Discrete programs: z0 (B, T, C), ops (B, L) ids (n_ops = push the literal rows lit (B, L, F))
    -> z_L (B, T, C)."""
    a = _alpha(alpha, z0)
    segs = [op_velocity(fm, fm.op_cond(ops[:, k], None if lit is None else lit[:, k]), a, float(k))
            for k in range(ops.shape[1])]
    return _run(segs, z0, solver, steps, return_states, points, **solver_kw)


def integrate_weights(fm: FieldModel, z0: Tensor, weights: Tensor, alpha: float | Tensor = 0.0,
                      solver: str = "euler", steps: int = 4, mix: str = "fields", prune: float = 0.0,
                      return_states: bool = False, points: int = 0, **solver_kw) -> Tensor:
    """Fuzzy programs: z0 (B, T, C), weights (B, L, n_ops) (rows sum to 1) -> z_L (B, T, C)."""
    if mix not in MIXES:
        raise ValueError(f"unknown mix {mix!r}; valid: {', '.join(MIXES)}")
    if weights.dim() != 3 or weights.shape[-1] != fm.n_ops or weights.shape[0] != z0.shape[0]:
        raise ValueError(f"weights must be (B, L, {fm.n_ops}) with B = {z0.shape[0]}, got {tuple(weights.shape)}")
    a = _alpha(alpha, z0)
    if mix == "embedding":
        segs = [op_velocity(fm, fm.soft_op_cond(weights[:, k]), a, float(k)) for k in range(weights.shape[1])]
    else:
        segs = [mixture_velocity(fm, weights[:, k], a, float(k), prune) for k in range(weights.shape[1])]
    return _run(segs, z0, solver, steps, return_states, points, **solver_kw)


def program_velocity(fm: FieldModel, ops: Tensor, alpha: float | Tensor = 0.0,
                     lit: Tensor | None = None) -> Callable[[Tensor, Tensor], Tensor]:
    """The whole program as one field on [0, L]: at time t the op floor(t) acts (local time t - floor(t))."""
    L = ops.shape[1]

    def f(t: Tensor, z: Tensor) -> Tensor:
        a = _alpha(alpha, z)
        k = int(min(max(float(t[0]) + 1e-6, 0.0), L - 1e-6))                   # the segment of this time
        c = fm.op_cond(ops[:, k], None if lit is None else lit[:, k])
        return fm.velocity(t - k, z, c, a)
    return f
