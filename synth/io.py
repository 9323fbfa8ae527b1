"""Small I/O helpers shared by commands: atomic writes and JSON Lines.

    atomic_write_text(path, text)      # tmp file in the same folder + os.replace: never half-written
    for n, rec in read_jsonl(path): ...   # (line_number, obj); a bad line is a one-line UserError
    make_dir(path, "--out")               # mkdir -p, or a UserError naming the flag
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600 files; results are meant to be shared
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def read_jsonl(path: str | Path):
    """Yield (line_number, parsed object) for every non-blank line. A line that is not UTF-8, not JSON, or
    breaks a bound of dsl.values (length, nesting, int digits) raises UserError '<path>: line N...'."""
    from dsl.values import MAX_LINE, loads

    from .errors import UserError
    try:
        f = open(path, "rb")
    except OSError as e:
        raise UserError(f"{path}: cannot read: {e.strerror}") from None
    with f:
        n = 0
        while True:
            raw = f.readline(MAX_LINE + 1)
            if not raw:
                return
            n += 1
            if len(raw) > MAX_LINE:
                raise UserError(f"{path}: line {n}: longer than {MAX_LINE} bytes (bound)")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise UserError(f"{path}: line {n}, byte {e.start + 1}: not valid UTF-8") from None
            if not line.strip():
                continue
            try:
                yield n, loads(line, f"{path}: line {n}", one_line=True)
            except ValueError as e:
                raise UserError(str(e)) from None


def make_dir(path: str | Path, what: str) -> Path:
    """Create directory `path` (and parents); UserError '<what> <path>: cannot create ...' when it cannot be."""
    from .errors import UserError
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UserError(f"{what} {path}: exists and is not a directory") from None
    except OSError as e:
        raise UserError(f"{what} {path}: cannot create directory: {e.strerror}") from None
    if not os.access(path, os.W_OK):
        raise UserError(f"{what} {path}: directory is not writable")
    return path
