"""The guide: per-example features of a state -> next-item policy, value and free-constant values.

    from synth.guide.model import Guide, GuideConfig
    net = Guide(GuideConfig())                          # the `small` preset (synth/conf/guide/small.yaml)
    out = net(x, prof)                                  # x (B, E, SLOTS, F) uint8 ids, prof (B,) profile index
    out["policy"] (B, V) logits, out["value"] (B, MAX_REM + 1) logits of the remaining length,
    out["const"] (B, 2, N_INT) logits of the free constants' values (int - INT_LO); skipped with const=False

Every (slot, feature, id) has its own learned vector, summed over the SLOTS * F features of one example
(an EmbeddingBag: the same as one-hot features through a linear layer, without building the one-hots) and
mixed by an MLP into one vector per example (B, E, H); mean and max over the examples (any number of them)
with the profile's embedding feed a trunk MLP (B, T), and three linear heads read the trunk. Small on purpose: one forward over a batch of search nodes costs a few µs per
node on one CPU thread (experiments/bench_guided.py prints it).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .features import F, MAX_REM, N_INT, PROFILES, SIZES, SLOTS, VOCAB


@dataclass
class GuideConfig:
    d_example: int = 128      # per-example vector after the slot MLP
    d_trunk: int = 128        # pooled trunk width
    layers: int = 2           # hidden layers of the example MLP (after the embedding sum) and of the trunk
    n_const: int = 2          # free-constant slots the constant head predicts
    dropout: float = 0.1


def _mlp(d_in: int, d: int, layers: int, dropout: float) -> nn.Sequential:
    mods, w = [], d_in
    for _ in range(layers):
        mods += [nn.Linear(w, d), nn.GELU()]
        if dropout:
            mods.append(nn.Dropout(dropout))
        w = d
    return nn.Sequential(*mods)


class Guide(nn.Module):
    def __init__(self, cfg: GuideConfig):
        super().__init__()
        self.cfg = cfg
        H = cfg.d_example
        base = torch.tensor([0] + list(SIZES) * SLOTS).cumsum(0)[:-1]          # row of (slot, feature, id 0)
        self.register_buffer("offs", base.view(1, SLOTS * F), persistent=False)
        self.feat = nn.EmbeddingBag(SLOTS * sum(SIZES), H, mode="sum")
        self.bias = nn.Parameter(torch.zeros(H))
        self.example = nn.Sequential(nn.GELU(), _mlp(H, H, cfg.layers - 1, cfg.dropout))
        nn.init.normal_(self.feat.weight, std=0.02)
        self.prof = nn.Embedding(len(PROFILES), 2 * cfg.d_example)
        self.trunk = _mlp(2 * cfg.d_example, cfg.d_trunk, cfg.layers, cfg.dropout)
        self.policy = nn.Linear(cfg.d_trunk, len(VOCAB))
        self.value = nn.Linear(cfg.d_trunk, MAX_REM + 1)
        self.const = nn.Linear(cfg.d_trunk, cfg.n_const * N_INT)

    def forward(self, x: torch.Tensor, prof: torch.Tensor, const: bool = True) -> dict:
        B, E = x.shape[:2]
        ids = x.reshape(B * E, SLOTS * F).long() + self.offs           # (B*E, SLOTS*F)
        h = self.example(self.feat(ids) + self.bias).view(B, E, -1)    # (B, E, H)
        pooled = torch.cat([h.mean(1), h.amax(1)], -1) + self.prof(prof)   # (B, 2H)
        t = self.trunk(pooled)                                         # (B, T)
        out = {"policy": self.policy(t), "value": self.value(t), "trunk": t}
        if const:
            out["const"] = self.const(t).view(B, self.cfg.n_const, N_INT)
        return out


def n_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
