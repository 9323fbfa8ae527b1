"""Checkpoint files: atomic writes, weights-only loading, and the RNG states that make resume exact.

Usage:
    save_atomic({"model": model.state_dict(), "rng": [rng_state()], ...}, "run/checkpoint.pt")
    state = load_checkpoint("run/checkpoint.pt")      # plain types + tensors => weights_only=True works
    set_rng_state(state["rng"][0])                    # python, numpy, torch and cuda generators
"""
from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by fit (plain types and tensors only, so weights_only loading works)."""
    return torch.load(path, map_location=map_location, weights_only=True)


def read_checkpoint(path: str | os.PathLike, what: str, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """load_checkpoint of a file the user named (`what`, e.g. "init=PATH"): a one-line UserError when the file
    is missing or is not a checkpoint."""
    from ..errors import UserError
    if not Path(path).is_file():
        raise UserError(f"{what}: no such file")
    try:
        return load_checkpoint(path, map_location=map_location)
    except Exception as e:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise UserError(f"{what}: not a readable checkpoint ({type(e).__name__})") from None


def save_atomic(state: dict[str, Any], path: str | os.PathLike) -> None:
    """Write to a temporary file and os.replace it: a kill never leaves a half-written checkpoint."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def rng_state() -> dict[str, Any]:
    np_state = np.random.get_state()
    return {"python": random.getstate(),
            "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]],
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def set_rng_state(s: dict[str, Any]) -> None:
    random.setstate((s["python"][0], tuple(s["python"][1]), s["python"][2]))
    n = s["numpy"]
    np.random.set_state((n[0], n[1].numpy().astype(np.uint32), *n[2:]))
    torch.set_rng_state(s["torch"].cpu())
    if s["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([t.cpu() for t in s["cuda"]])
