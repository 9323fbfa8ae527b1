"""Provenance of training checkpoints: the command, the resolved config, the data seed and the git commit.

    meta = with_provenance(meta, cfg, "runs/x/checkpoint.pt", step)   # called by fit's checkpoint save
    meta["provenance"] == [{"command": "synth train-evaluator --out runs/x ...", "commit": "1a2b3c4",
                            "data_seed": 0, "config": {...}, "steps": [100, 2600], "saved_at": "..."}]

One record per process that trained the checkpoint: a run resumed in a later session (same out_dir, resume
on) keeps the records of the earlier sessions and appends its own, so a checkpoint built over several
sessions says how each part was made. `commit` is `git rev-parse HEAD` of the checkout holding this package
(with "+dirty" when tracked files differ from it), or "unknown" outside git.
"""
from __future__ import annotations

import datetime
import shlex
import subprocess
import sys
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

_PRIOR: dict[tuple, list] = {}   # (checkpoint path, run config) -> records of earlier sessions (read once)
_MINE: dict[tuple, dict] = {}    # (checkpoint path, run config) -> this process's record


@lru_cache(maxsize=1)
def git_commit() -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def command_line() -> str:
    """The synth command being run (as synth.cli.main recorded it), else this process's argv."""
    command = getattr(sys.modules.get("synth.cli"), "COMMAND", None)
    if command is not None:
        return shlex.join(["synth", *command])
    argv = list(sys.argv)
    if argv and (argv[0].endswith("__main__.py") or Path(argv[0]).name == "synth"):
        argv[0] = "synth"
    return shlex.join(argv)


def with_provenance(meta: dict | None, cfg: Any, path: str | Path, step: int) -> dict:
    """`meta` plus its `provenance` records, this process's last (updated to `step`). The data seed is
    meta["data_seed"] where the run's data has its own seed, else cfg.seed; the config meta["config"] where
    the caller gives its whole config, else cfg."""
    key = (str(path), repr(cfg))
    if key not in _PRIOR:
        _PRIOR[key] = _earlier(path) if getattr(cfg, "resume", False) else []
        _MINE[key] = {"command": command_line(), "commit": git_commit(), "data_seed": (meta or {}).get("data_seed", getattr(cfg, "seed", None)),
                      "config": (meta or {}).get("config") or _plain(cfg), "steps": [step, step]}
    mine = _MINE[key]
    mine["steps"][1] = step
    mine["saved_at"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {**(meta or {}), "provenance": [*_PRIOR[key], dict(mine, steps=list(mine["steps"]))]}


def _earlier(path: str | Path) -> list:
    """The provenance records of the checkpoint this run resumes from (none when there is none)."""
    if not Path(path).is_file():
        return []
    from .checkpoint import load_checkpoint
    try:
        return list(load_checkpoint(path).get("meta", {}).get("provenance", []))
    except Exception:  # noqa: BLE001 - an unreadable old checkpoint: fit reports it itself
        return []


def _plain(cfg: Any) -> Any:
    try:
        return asdict(cfg)
    except TypeError:
        return cfg
