"""Devices, ranks and random streams of a training run (synth.core.train.fit uses them).

    rank, world, device, created = setup_ranks(cfg)   # torchrun's environment + cfg.device; may create the group
    gen = step_generator(seed, step, rank)            # the batch stream of one step: depends on nothing else
    row = gather_row(loss, metrics, gnorm, world, device)   # floats averaged over ranks (one all-reduce)
"""
from __future__ import annotations

import os
import random
from typing import Any, Callable

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor, nn


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def step_generator(seed: int, step: int, rank: int = 0) -> torch.Generator:
    """A CPU generator whose stream depends only on (seed, step, rank)."""
    s = np.random.SeedSequence([seed, step, rank]).generate_state(2, np.uint32)
    return torch.Generator().manual_seed(int(s[0]) << 32 | int(s[1]))


def to_device(batch: Any, device: torch.device) -> Any:
    """A batch (tensor, or dict/list/tuple of them) moved to device."""
    if isinstance(batch, Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device) for v in batch)
    return batch


class LossModule(nn.Module):
    """Puts loss_fn behind one forward() so DDP syncs gradients whatever model methods it calls."""

    def __init__(self, model: nn.Module, loss_fn: Callable):
        super().__init__()
        self.model, self.loss_fn = model, loss_fn

    def forward(self, batch: Any) -> tuple[Tensor, dict]:
        return self.loss_fn(self.model, batch)


def setup_ranks(cfg) -> tuple[int, int, torch.device, bool]:
    """(rank, world, device, created_process_group) from torchrun's environment and cfg.device."""
    cuda = cfg.device == "cuda" or (cfg.device == "auto" and torch.cuda.is_available())
    if cuda and not torch.cuda.is_available():
        raise ValueError("device='cuda' asked but CUDA is not available")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, torch.device("cuda" if cuda else "cpu"), False
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(f"cuda:{local}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    created = not dist.is_initialized()
    if created:
        dist.init_process_group("nccl" if cuda else "gloo", rank=rank, world_size=world)
    if cfg.batch_size % world:
        raise ValueError(f"batch_size {cfg.batch_size} is not divisible by world size {world}")
    return rank, world, device, created


def gather_row(loss: Tensor, metrics: dict, gnorm: Tensor | None, world: int,
               device: torch.device) -> dict[str, float]:
    """loss, metrics and grad norm as floats, averaged over ranks (one all-reduce, log steps only)."""
    keys = ["loss", *metrics] + (["grad_norm"] if gnorm is not None else [])
    vals = [loss.detach(), *metrics.values()] + ([gnorm] if gnorm is not None else [])
    t = torch.stack([torch.as_tensor(v, dtype=torch.float32, device=device).detach().float().reshape(())
                     for v in vals])
    if world > 1:
        dist.all_reduce(t)
        t = t / world
    return dict(zip(keys, t.tolist()))
