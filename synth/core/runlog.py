"""What a training run writes: metrics.csv (`CsvLog`) and checkpoints (`save_state`), rank 0 only.

    log = CsvLog(out / "metrics.csv", keep_until=step or None);  log.add({"step": 10, "loss": 0.5})
    save_state(path, model, opt, sched, step, cfg, meta, extra, rank, world)   # every rank's RNG included
"""
from __future__ import annotations

import csv
from dataclasses import asdict
from pathlib import Path

import torch.distributed as dist
from torch import nn

from .checkpoint import rng_state, save_atomic
from .provenance import with_provenance


class CsvLog:
    """metrics.csv, wide format; the header grows (file rewritten) when a new metric appears."""

    def __init__(self, path: Path, keep_until: int | None):
        self.path, self.rows, self.keys = path, [], ["step"]
        if keep_until is not None and path.exists():          # resume: drop rows after the checkpoint
            with open(path, newline="") as f:
                self.rows = [r for r in csv.DictReader(f) if int(r["step"]) <= keep_until]
            for r in self.rows:
                self.keys += [k for k in r if k not in self.keys]
        self._rewrite()

    def _rewrite(self) -> None:
        with open(self.path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=self.keys)
            w.writeheader()
            w.writerows(self.rows)

    def add(self, row: dict[str, float]) -> None:
        self.rows.append(row)
        new = [k for k in row if k not in self.keys]
        if new:
            self.keys += new
            return self._rewrite()
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, fieldnames=self.keys).writerow(row)


def save_state(path: Path, model: nn.Module, opt, sched, step: int, cfg, meta: dict | None,
               extra: dict, rank: int, world: int) -> None:
    """The checkpoint of `step` (model, optimizer, scheduler, every rank's RNG, config, meta, extra) at path."""
    rngs = [rng_state()]
    if world > 1:                                  # every rank's RNG goes into rank 0's checkpoint
        rngs = [None] * world
        dist.all_gather_object(rngs, rng_state())
    if rank != 0:
        return
    save_atomic({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                 "step": step, "rng": rngs, "config": asdict(cfg), "meta": with_provenance(meta, cfg, path, step),
                 "extra": {k: v.state_dict() for k, v in extra.items()}}, path)
