"""The shared core in bf16: an autocast forward and backward pass of the transformer (rotary or learned
positions, a padding mask, AdaLN conditioning), its matmuls in bf16, finite gradients on every parameter.
The `gpu` test runs on CUDA (skipped without it); the same check on the CPU's bf16 autocast runs everywhere."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from synth.core.transformer import Transformer, TransformerConfig


def _bf16_pass(device: str, pos: str) -> None:
    torch.manual_seed(0)
    dev = torch.device(device)
    net = Transformer(TransformerConfig(d_model=64, n_heads=4, n_layers=2, pos=pos, cond_dim=16)).to(dev)
    seen = []
    first = next(m for m in net.modules() if isinstance(m, nn.Linear))
    first.register_forward_hook(lambda mod, inp, out: seen.append(out.dtype))
    x = torch.randn(8, 12, 64, device=dev)                      # (B, T, C)
    mask = torch.ones(8, 12, dtype=torch.bool, device=dev)      # (B, T), True = real token
    mask[:, 9:] = False
    cond = torch.randn(8, 16, device=dev)                       # (B, cond_dim)
    with torch.autocast(dev.type, dtype=torch.bfloat16):
        y = net(x, mask=mask, cond=cond)                        # (B, T, C)
        loss = y[mask].float().pow(2).mean()
    assert seen and seen[0] == torch.bfloat16                   # autocast really ran the matmuls in bf16
    assert y.shape == x.shape and torch.isfinite(loss)
    loss.backward()
    grads = {n: p.grad for n, p in net.named_parameters() if p.requires_grad}
    assert all(g is not None for g in grads.values()), [n for n, g in grads.items() if g is None]
    assert all(torch.isfinite(g).all() for g in grads.values())
    assert sum(float(g.abs().sum()) for g in grads.values()) > 0


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("pos", ["rotary", "learned"])
def test_bf16_forward_backward_on_cuda(pos):
    _bf16_pass("cuda", pos)


def test_bf16_forward_backward_on_cpu():
    _bf16_pass("cpu", "rotary")
