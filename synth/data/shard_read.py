"""Reading a trace dataset back (the format: synth/data/shards.py, which writes it and re-exports these).

    manifest = read_manifest("data/small")      # UserError: no manifest, invalid JSON, other format
    verify("data/small")                         # UserError naming a missing or changed shard
    for run in iter_runs("data/small"): ...      # one dict per program run, shard order
    for constants, before, item, after, error in iter_steps("data/small"): ...   # steps_of(run) of each run
"""
from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Iterator

from ..errors import UserError

FORMAT = "synth-traces/1"


def file_sha256(path: Path) -> str:
    """sha256 hex digest of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(path: str | Path) -> dict:
    man = Path(path) / "manifest.json"
    try:
        manifest = json.loads(man.read_text())
    except FileNotFoundError:
        raise UserError(f"{path}: no manifest.json (not a finished trace dataset; run synth generate-data)") from None
    except json.JSONDecodeError:
        raise UserError(f"{man}: not valid JSON") from None
    if manifest.get("format") != FORMAT:
        raise UserError(f"{man}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    return manifest


def verify(path: str | Path) -> dict:
    """Check every shard against the manifest's sha256; the manifest, or UserError naming the bad shard."""
    manifest = read_manifest(path)
    for sh in manifest["shards"]:
        f = Path(path) / sh["file"]
        if not f.exists():
            raise UserError(f"{f}: missing (rerun synth generate-data with the same settings to restore it)")
        if file_sha256(f) != sh["sha256"]:
            raise UserError(f"{f}: checksum mismatch (rerun synth generate-data with the same settings)")
    return manifest


def iter_runs(path: str | Path, shards: slice | None = None) -> Iterator[dict]:
    """Yield the run records of a finished dataset, in shard order (optionally a slice of the shards)."""
    manifest = read_manifest(path)
    for sh in manifest["shards"][shards or slice(None)]:
        f = Path(path) / sh["file"]
        opener = gzip.open if sh["file"].endswith(".gz") else open
        with opener(f, "rt", encoding="ascii") as fh:
            for line in fh:
                yield json.loads(line)


def items_of(program: str, profile: str = "small") -> tuple[str, ...]:
    """The item texts of a program (fast path for programs without string or list literals)."""
    if '"' not in program and "[" not in program:
        return tuple(program.split())
    from dsl import parse
    return tuple(it.text for it in parse(program, profile).items)


def steps_of(run: dict) -> list[tuple]:
    """One-step transitions of a run: (constants, before, item, after | None, error | None) per executed item."""
    items, tr, res = items_of(run["program"], run.get("profile", "small")), run["trace"], run["result"]
    c = run.get("constants", [])
    out = [(c, tr[i], items[i], tr[i + 1], None) for i in range(len(tr) - 1)]
    if not res["ok"]:
        out.append((c, tr[-1], items[res["at"]], None, res["error"]))
    return out


def iter_steps(path: str | Path) -> Iterator[tuple]:
    """Every one-step transition of a dataset, as `steps_of` gives them, in order."""
    for run in iter_runs(path):
        yield from steps_of(run)

