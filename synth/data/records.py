"""The one reader of run records (docs §7) for held-out evaluation: a .jsonl file, a .jsonl.gz file, or a
`synth generate-data` directory.

    records = load_records("datasets/heldout/small_runs.jsonl")          # [dict], first `limit` if given

Bad input is a UserError naming the file and line (or record).
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Iterable

from ..errors import UserError


def load_records(path: str | Path, limit: int | None = None) -> list[dict]:
    """Run records from a .jsonl(.gz) file or a `synth generate-data` directory (first `limit`)."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file or directory")
    if path.is_dir():
        from ..data.shards import iter_runs
        it: Iterable[dict] = iter_runs(path)
    else:
        opener = gzip.open if path.name.endswith(".gz") else open

        def lines():
            with opener(path, "rt", encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    if line.strip():
                        try:
                            yield json.loads(line)
                        except json.JSONDecodeError as e:
                            raise UserError(f"{path}:{n}: not JSON ({e.msg})") from None
        it = lines()
    out = []
    for rec in it:
        if not isinstance(rec, dict) or "program" not in rec:
            raise UserError(f"{path}: record {len(out) + 1} is not a run record (needs 'program')")
        out.append(rec)
        if limit is not None and len(out) >= limit:
            break
    return out
