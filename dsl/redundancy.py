"""Semantic checks on a sampled program (used to make suites and training tasks).

    outs = outputs(code, inputs, consts, p)               # final top value per input (None if any run fails)
    redundant(code, inputs, consts, p)                     # two prefixes leave the same stacks on every input
    redundant(code, inputs, consts, p, solves)             # ... or solves(prefix) holds for a proper prefix
    shorter_equivalent(code, inputs, consts, p, outs)      # deleting 1..3 items keeps the outputs

`code` is a parsed program's `.code`, `inputs` a list of input stacks, `p` a Profile.
"""
from __future__ import annotations

from .machine import apply, run


def outputs(code, inputs, consts, p, match: str = "top"):
    """Per input: the final top value (match "top") or the whole final stack ("exact"); None when any fails."""
    outs = []
    for stack in inputs:
        r = run(code, stack, consts, p)
        if not r.ok or not r.stack:
            return None
        outs.append(tuple(r.stack[-1:]) if match == "top" else tuple(r.stack))
    return outs


def redundant(code, inputs, consts, p, solves=None) -> bool:
    """Do two prefixes of the program leave the same stacks on every input (a useless segment)? With
    `solves(prefix)`, also: does it hold for a proper prefix (asked only while no segment is found yet)?"""
    seen, stacks = set(), [list(s) for s in inputs]
    for i in range(len(code) + 1):
        key = repr([tuple(s) for s in stacks])
        if key in seen or (solves is not None and i < len(code) and solves(code[:i])):
            return True
        seen.add(key)
        if i < len(code):
            for s in stacks:
                apply(code[i], s, consts, p)
    return False


def shorter_equivalent(code, inputs, consts, p, outs, max_cut: int = 3) -> bool:
    """Does deleting some segment of 1..max_cut items keep the outputs `outs` (match "top")?"""
    for n in range(1, max_cut + 1):
        for j in range(len(code) - n + 1):
            short = code[:j] + code[j + n:]
            if short and outputs(short, inputs, consts, p) == outs:
                return True
    return False
