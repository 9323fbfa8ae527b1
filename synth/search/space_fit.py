"""Constants and solutions of a program of the relaxed space: the part of `TaskSpace` (space.py) after sampling.

    used = sp.free_used(prog)                        # free constants a program pushes, in order of first use
    found = sp.sweep(prog, consts, j)                # values of free constant j under which prog solves the task
    consts, final, runs = sp.fit_constant(prog, consts, j)   # the best value of j (example 0 first)
    code, consts, text = sp.solution(prog, consts)   # machine code + full constants, verifiable
    prog = sp.simplify(prog, consts)                 # segments of 1..3 items deleted while it still matches

`SpaceFit` is a mixin: it reads TaskSpace's items, given, int_values, inputs, outs, exact, SKIP, run, matches.
"""
from __future__ import annotations

from typing import Sequence

from .base import shorten


class SpaceFit:
    def free_used(self, prog: Sequence[int]) -> list[int]:
        """Indices j of the free constants a program pushes, in order of first use."""
        seen = []
        for i in prog:
            it = self.items[i]
            if it.kind == "free" and it.slot not in seen:
                seen.append(it.slot)
        return seen

    def sweep(self, prog: Sequence[int], consts: tuple, j: int, order: Sequence[int] | None = None,
              limit: int = 1 << 30) -> list[tuple]:
        """Free-value tuples (consts with constant j replaced) under which prog solves every example; tries
        the ints of `order` (default: all ints of the profile) on example 0 first."""
        vals = self.int_values if order is None else order
        found = []
        first = self.task.examples[:1]
        for v in vals[:limit]:
            cs = tuple(consts[:j]) + (int(v),) + tuple(consts[j + 1:])
            st = self.run(prog, cs, state=(first[0].input,))
            if st is None or not self._match_one(st[0], 0):
                continue
            if self.matches(self.run(prog, cs)):
                found.append(cs)
                break
        return found

    def fit_constant(self, prog: Sequence[int], consts: tuple, j: int, order: Sequence[int] | None = None):
        """Choose free constant j of prog on example 0: (consts, final state, runs). The first value (in
        `order`, default every int) under which example 0 matches and then every example does; else one
        under which example 0 matches; else the value whose example-0 result scores best (concrete reward)."""
        vals = self.int_values if order is None else order
        ex0 = (self.inputs[0],)
        best, best_r, runs, first_hit = None, -1.0, 0, None
        out0 = self.outs[:1]
        for v in vals:
            cs = tuple(consts[:j]) + (int(v),) + tuple(consts[j + 1:])
            st = self.run(prog, cs, state=ex0)
            runs += 1
            if st is None:
                continue
            if self._match_one(st[0], 0):
                full = self.run(prog, cs)
                runs += 1
                if self.matches(full):
                    return cs, full, runs
                if first_hit is None:
                    first_hit = (cs, full)
            elif first_hit is None:
                r = _reward_one(st[0], out0[0], self.exact)
                if r > best_r:
                    best, best_r = cs, r
        if first_hit is not None:
            return first_hit[0], first_hit[1], runs
        if best is None:
            return tuple(consts), None, runs
        return best, self.run(prog, best), runs + 1

    def _match_one(self, s, e: int) -> bool:
        o = self.outs[e]
        top = s if self.exact else s[len(s) - len(o):]
        return len(s) >= len(o) and len(top) == len(o) and all(
            type(x) is type(y) and x == y for x, y in zip(top, o))

    def solution(self, prog: Sequence[int], consts: tuple) -> tuple[list, list, str]:
        """(machine code, full constants, program text) with the used free constants renumbered in order of
        first use after the given ones (unused free values are not reported)."""
        used = self.free_used(prog)
        slot = {j: len(self.given) + n for n, j in enumerate(used)}
        code, text = [], []
        for i in prog:
            it = self.items[i]
            if it.kind == "skip":
                continue
            if it.kind == "free":
                code.append(f"c{slot[it.slot]}")
                text.append(f"c{slot[it.slot]}")
            elif it.kind == "lit":
                code.append((it.value,))
                text.append(it.text)
            else:
                code.append(it.op)
                text.append(it.text)
        return code, list(self.given) + [consts[j] for j in used], " ".join(text)

    def simplify(self, prog: Sequence[int], consts: tuple) -> tuple:
        """A shorter program solving every example, by deleting segments of 1..3 items while it still
        matches (each deletion re-run on the machine); the input program itself when nothing can go."""
        return shorten(self.strip(prog), lambda short: self.matches(self.run(short, consts)))

    def strip(self, prog: Sequence[int]) -> tuple:
        return tuple(int(i) for i in prog if i != self.SKIP)


def _reward_one(s, o, exact: bool) -> float:
    """Concrete closeness of one final stack to one output (types, then values; ints by distance)."""
    if len(s) < len(o) or (exact and len(s) != len(o)):
        return 0.0
    tot = 0.0
    for x, y in zip(s[len(s) - len(o):], o):
        if type(x) is not type(y):
            continue
        tot += 1.0
        if x == y:
            tot += 1.0
        elif type(x) is int:
            tot += 1.0 / (1.0 + abs(x - y))
    return tot / (2 * max(1, len(o)))
