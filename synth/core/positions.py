"""Position encodings of the transformer (transformer.py): the sin/cos table and rotary embeddings.

    table = sinusoidal_table(n, dim)             # (n, dim) sin/cos features, for positions and scalar times
    rot = Rotary(head_dim, max_len, base, complex_form=False)
    q, k = rot(q, k)                             # q, k (B, T, H, D), rotated by position
"""
from __future__ import annotations

import torch
from torch import Tensor, nn


def sinusoidal_table(n: int, dim: int, base: float = 10000.0) -> Tensor:
    """(n, dim) table of sin/cos features, used for positions and for scalar times."""
    half = dim // 2
    freqs = base ** (-torch.arange(half, dtype=torch.float64) / max(half, 1))
    ang = torch.arange(n, dtype=torch.float64)[:, None] * freqs[None]     # (n, half)
    out = torch.zeros(n, dim, dtype=torch.float64)
    out[:, 0:2 * half:2], out[:, 1:2 * half:2] = ang.sin(), ang.cos()
    return out.float()


class Rotary(nn.Module):
    """Rotary position embedding; cos/sin computed once for max_len and cached as buffers."""

    def __init__(self, head_dim: int, max_len: int, base: float, complex_form: bool):
        super().__init__()
        self.complex_form = complex_form
        inv = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)   # (D/2,)
        ang = torch.arange(max_len, dtype=torch.float64)[:, None] * inv[None]          # (L, D/2)
        if complex_form:
            self.register_buffer("rot", torch.polar(torch.ones_like(ang), ang).to(torch.complex64),
                                 persistent=False)                                      # (L, D/2)
        else:
            cos = ang.cos().repeat(1, 2)                                                # (L, D)
            sin = torch.cat((-ang.sin(), ang.sin()), dim=1)     # signed: rotate_half(x) * sin == roll(x) * this
            self.register_buffer("cos", cos.float()[:, None], persistent=False)        # (L, 1, D)
            self.register_buffer("sin", sin.float()[:, None], persistent=False)

    def forward(self, q: Tensor, k: Tensor) -> tuple[Tensor, Tensor]:
        # q, k: (B, T, H, D)
        T = q.shape[1]
        if self.complex_form:
            r = self.rot[:T, None]                                                      # (T, 1, D/2)
            def turn(x: Tensor) -> Tensor:
                xc = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))    # (B, T, H, D/2)
                return torch.view_as_real(xc * r).flatten(-2).type_as(x)
            return turn(q), turn(k)
        cos, sin = self.cos[:T].to(q.dtype), self.sin[:T].to(q.dtype)                  # (T, 1, D)
        half = q.shape[-1] // 2
        return q * cos + q.roll(half, -1) * sin, k * cos + k.roll(half, -1) * sin
