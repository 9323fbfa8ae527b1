"""Checkpoint files: atomic writes, weights-only loading, and the RNG states that make resume exact.

Usage:
    save_atomic({"model": model.state_dict(), "rng": [rng_state()], ...}, "run/checkpoint.pt")
    state = load_checkpoint("run/checkpoint.pt")      # plain types + tensors => weights_only=True works
    set_rng_state(state["rng"][0])                    # python, numpy, torch and cuda generators
    check_resume(state, train_cfg, meta, path)        # UserError naming each setting that differs
"""
from __future__ import annotations

import dataclasses
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
    check_path(path, what)
    try:
        state = load_checkpoint(path, map_location=map_location)
    except Exception as e:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise UserError(f"{what}: not a readable checkpoint, truncated or not written by synth "
                        f"({type(e).__name__})") from None
    if not isinstance(state, dict) or "model" not in state:
        raise UserError(f"{what}: not a synth checkpoint (no 'model' weights)")
    return state


def check_path(path: str | os.PathLike, what: str) -> None:
    """UserError unless `path` is an existing file (a directory is named as such)."""
    from ..errors import UserError
    p = Path(path)
    if p.is_dir():
        hint = sorted(x.name for x in p.glob("*.pt"))
        raise UserError(f"{what}: is a directory; give a checkpoint file"
                        + (f" (it holds {', '.join(hint[:3])})" if hint else ""))
    if not p.is_file():
        raise UserError(f"{what}: no such file")


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


# Settings a resumed run may change: they do not change the weights it ends with.
RESUME_FREE = {"train.stop_at", "train.progress", "train.out_dir", "train.resume", "train.tensorboard",
               "train.log_every", "train.ckpt_every", "train.eval_every", "train.device",
               "train.find_unused_parameters", "threads"}


def _settings(config: dict, meta: dict | None) -> dict:
    """What a run was started with: the command's config (meta["config"]) with the TrainConfig as `train`."""
    meta = meta or {}
    out = {**dict(meta.get("config") or {}), "train": dict(config)}
    if meta.get("evaluator_fingerprint"):
        out["evaluator_fingerprint"] = meta["evaluator_fingerprint"]
    return out


def fresh_hint(meta: dict | None, ckpt_path) -> str:
    hint = "start a fresh run with another --out (or delete the checkpoint)"
    if "init" in ((meta or {}).get("config") or {}):
        hint += f", or fine-tune from it: --out NEW init={ckpt_path}"
    return hint


def check_resume(state: dict, cfg, meta: dict | None, ckpt_path) -> None:
    """UserError naming every setting that differs from the checkpoint's run (but those in RESUME_FREE)."""
    from ..config import describe, diff
    from ..errors import UserError
    old = _settings(state.get("config") or {}, state.get("meta"))
    new = _settings(dataclasses.asdict(cfg), meta)
    if not (state.get("meta") or {}).get("config"):        # an older checkpoint: only the TrainConfig is known
        new = {"train": new["train"]}
    changed = [d for d in diff(old, new) if d[0] not in RESUME_FREE]
    if changed:
        raise UserError(f"{ckpt_path}: cannot resume with other settings ({describe(changed)}); "
                        f"rerun with the checkpoint's settings to go on, {fresh_hint(meta, ckpt_path)}")


def read_model(path, default: Path, kind: str, what: str, command: str,
               map_location: str | torch.device = "cpu") -> tuple[Path, dict[str, Any], dict]:
    """(path, state, meta) of a model checkpoint of `kind` (path None: the shipped `default`): a one-line
    UserError when it is missing, unreadable or of another kind. `what` names the model ("evaluator"),
    `command` the synth command that trains one."""
    from ..errors import UserError
    path = Path(path) if path is not None else default
    if not path.exists():
        raise UserError(f"{path}: no such {what} checkpoint" + (
            f" (the shipped default is missing: train one with synth {command})" if path == default else ""))
    st = read_checkpoint(path, str(path), map_location=map_location)
    meta = st.get("meta", {})
    if meta.get("kind") != kind:
        raise UserError(f"{path}: not {'an' if what[0] in 'aeiou' else 'a'} {what} checkpoint "
                        f"(kind {meta.get('kind')!r})")
    return path, st, meta
