"""Is `mod` hard for an MLP of the ALU's size, or did the evaluator just see too few examples of it?

    python experiments/probes/mod_mlp.py [--steps 1500] [--features number|both]

A stand-alone classifier, nothing else in it: the evaluator's fixed number features of a and b (v/64, sin/cos
of 2 pi v / P for 8 periods, the sign; `--features both` adds a learned embedding per value, as the encoder has)
-> LayerNorm -> Linear 1024 -> a GELU residual layer -> the 128 values of `a mod b` (floor mod), trained on
uniform pairs (b != 0) at batch 512, AdamW lr 1e-3. Prints exact match over all 16,256 pairs every 250 steps.
The evaluator's ALU has this width and depth (model.alu_hidden=1024, alu_layers=2) but gets about 35 `mod`
transitions per step of 64 rollouts (README, "Teaching `mod`").
"""
from __future__ import annotations

import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from dsl import get_profile, run
from synth.evaluator.embedding import _num_scale, _numeric


class ModMLP(nn.Module):
    def __init__(self, n_values: int, features: str, hidden: int = 1024, emb: int = 128):
        super().__init__()
        self.emb = nn.Embedding(n_values, emb) if features == "both" else None
        width = 2 * 18 + (2 * emb if self.emb is not None else 0)
        self.inp = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, hidden))
        self.block = nn.Sequential(nn.GELU(), nn.Linear(hidden, hidden))
        self.out = nn.Sequential(nn.GELU(), nn.Linear(hidden, n_values))

    def forward(self, num_a, num_b, ia, ib):
        # num_a, num_b (B, 18) fixed features; ia, ib (B,) value indices -> (B, n_values) logits
        parts = [num_a, num_b] + ([self.emb(ia), self.emb(ib)] if self.emb is not None else [])
        h = self.inp(torch.cat(parts, -1))
        return self.out(h + self.block(h))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--features", default="number", choices=["number", "both"])
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    prof = get_profile("small")
    lo = prof.int_min
    values = torch.arange(lo, prof.int_max + 1)                       # (V,) the profile's ints, V = 128
    num = _numeric(values, _num_scale(prof))                          # (V, 18)
    A, B = torch.meshgrid(values, values, indexing="ij")
    A, B = A.flatten(), B.flatten()
    A, B = A[B != 0], B[B != 0]
    R = torch.tensor([run(("mod",), (int(x), int(y))).stack[0] for x, y in zip(A, B)])   # the interpreter's mod
    ia, ib, target = A - lo, B - lo, R - lo
    net = ModMLP(len(values), a.features)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    t0 = time.time()
    for step in range(1, a.steps + 1):
        i = torch.randint(len(A), (512,))
        loss = F.cross_entropy(net(num[ia[i]], num[ib[i]], ia[i], ib[i]), target[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 250 == 0:
            with torch.no_grad():
                acc = (net(num[ia], num[ib], ia, ib).argmax(-1) == target).float().mean().item()
            print(f"step {step} ({step * 512} samples): loss {loss.item():.4f}, exact on all pairs {acc:.4f} "
                  f"({time.time() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
