"""E, the per-slot encoder's parts: fixed number features of ints, the slot embedding, the element embedding.

    emb = SlotEmbed(tok, d, elem_dim);  x = emb(rows)         # feature rows (..., F) -> (..., C)
    el = ElemEmbed(tok, d, ratio, emb.elem_num);  e = el(rows)  # -> one latent per element (..., L, C)
    feats = _numeric(values, _num_scale(profile))             # (N,) ints -> (N, 18) number features

E encodes every slot on its own (no attention): the slot's features (kind, value, sign, parity, bool,
length, and its elements, each element embedding projected by its own position's map) through residual
MLPs and a final norm. So a value has one latent wherever it sits, and moving it moves its latent.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..data.tokenizer import F_BOOL, F_ELEM, F_INT, F_KIND, F_LEN, F_PAR, F_SIGN, StateTokenizer


READOUT = 19                          # features per operand of LatentMachine.readout: _numeric's 18 + "no value"


def _num_scale(profile) -> float:
    """The unit of the number line feature: v / scale lies in [-1, 1] for the profile's ints."""
    return float(max(abs(profile.int_min), abs(profile.int_max)))


def _numeric(values: Tensor, scale: float) -> Tensor:
    """(N,) ints -> (N, 18) fixed features: v/scale and sin/cos of 2 pi v / P for 8 periods."""
    periods = torch.tensor([2.0, 3.0, 4.0, 5.0, 8.0, 16.0, 32.0, 128.0], dtype=torch.float64, device=values.device)
    ang = 2 * math.pi * values[:, None].double() / periods
    return torch.cat([values[:, None].double() / scale, ang.sin(), ang.cos(), (values[:, None] < 0).double()],
                     dim=1).float()


class SlotEmbed(nn.Module):
    """Feature rows (..., F) -> slot vectors (..., C)."""

    def __init__(self, tok: StateTokenizer, d: int, elem_dim: int):
        super().__init__()
        v, p = tok.vocab, tok.profile
        self.max_len = tok.max_len
        self.kind, self.int, self.sign = nn.Embedding(v["kind"], d), nn.Embedding(v["int"], d), nn.Embedding(v["sign"], d)
        self.par, self.bool, self.len = nn.Embedding(v["par"], d), nn.Embedding(v["bool"], d), nn.Embedding(v["len"], d)
        self.elem = nn.Embedding(v["elem"], elem_dim)
        self.elem_proj = nn.Linear(tok.max_len * elem_dim, d)
        scale = _num_scale(p)
        ints = torch.arange(tok.n_int) + p.int_min
        num = torch.zeros(v["int"], 18)
        num[:tok.n_int] = _numeric(ints, scale)
        enum = torch.zeros(v["elem"], 18)
        enum[tok.E_INT0:tok.E_INT0 + tok.n_int] = _numeric(ints, scale)
        self.register_buffer("num", num, persistent=False)
        self.register_buffer("elem_num", enum, persistent=False)
        self.num_proj = nn.Linear(18, d)
        self.elem_num_proj = nn.Linear(18, elem_dim)
        self.out = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, d), nn.GELU(), nn.Linear(d, d))

    def forward(self, f: Tensor) -> Tensor:
        # f: (..., F) int64
        x = (self.kind(f[..., F_KIND]) + self.int(f[..., F_INT]) + self.num_proj(self.num[f[..., F_INT]])
             + self.sign(f[..., F_SIGN]) + self.par(f[..., F_PAR]) + self.bool(f[..., F_BOOL]) + self.len(f[..., F_LEN]))
        e = f[..., F_ELEM:]                                                    # (..., L)
        ev = self.elem(e) + self.elem_num_proj(self.elem_num[e])               # (..., L, E)
        x = x + self.elem_proj(ev.flatten(-2))                                 # (..., C)
        return x + self.out(x)


class ElemEmbed(nn.Module):
    """Feature rows (..., F) -> one latent per element (..., L, C): the element's value, its position,
    the slot's kind and length."""

    def __init__(self, tok: StateTokenizer, d: int, ratio: float, num: Tensor):
        super().__init__()
        v = tok.vocab
        self.val = nn.Embedding(v["elem"], d)
        self.register_buffer("num", num, persistent=False)                   # (Ve, 18)
        self.num_proj = nn.Linear(18, d)
        self.pos = nn.Parameter(torch.randn(tok.max_len, d) * 0.02)
        self.kind, self.len = nn.Embedding(v["kind"], d), nn.Embedding(v["len"], d)
        self.mlp = nn.Sequential(ResMLP(d, ratio), nn.LayerNorm(d))

    def forward(self, f: Tensor) -> Tensor:
        e = f[..., F_ELEM:]                                                    # (..., L)
        x = self.val(e) + self.num_proj(self.num[e]) + self.pos
        x = x + (self.kind(f[..., F_KIND]) + self.len(f[..., F_LEN]))[..., None, :]
        return self.mlp(x)                                                     # (..., L, C)


class ResMLP(nn.Module):
    def __init__(self, d: int, ratio: float):
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, int(ratio * d)), nn.GELU(), nn.Linear(int(ratio * d), d))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.net(x)
