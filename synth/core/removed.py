"""Options that were measured and removed from the code, as they appear in old checkpoints.

    cfg = from_dict(EvaluatorConfig, drop_removed(meta["model"], REMOVED, "runs/ev.pt"))

A checkpoint's stored config may still name an option that is gone (experiments/results/removed.md lists each,
with the commit that has it). `drop_removed` drops such a key when its stored value is the one behaviour left in
the code, and refuses the checkpoint loudly (UserError naming the key) otherwise.
"""
from __future__ import annotations

from ..errors import UserError


def drop_removed(d: dict, removed: dict, where: str) -> dict:
    """A copy of config dict `d` without the keys of `removed` ({name: the only value left})."""
    out = dict(d)
    for k, only in removed.items():
        if k in out:
            v = out.pop(k)
            if v != only:
                raise UserError(f"{where}: option {k}={v!r} was removed (only {k}={only!r} is left; "
                                f"experiments/results/removed.md names the commit that has it)")
    return out
