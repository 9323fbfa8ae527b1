"""The program space of one task, on the real machine: items, type masks, sampling, rewards, beams, constants.

    sp = TaskSpace(task, profile, n_free=1, literals=[-1, 0, 1, 2], slots=6)
    sp.items[i].text                       # "add", "c0", "3", "skip" ...; sp.V items, sp.SKIP the no-op
    mask = sp.slot_masks()                 # (L, V) bool: items some type-correct path to the output uses
    progs, allowed, finals = sp.sample(logits, n, rng, consts)   # discrete programs drawn from (L, V) logits
    r = sp.reward(final_state, alpha)      # in [0, 1]: how well the final stacks match the outputs at a level
    code, consts = sp.solution(prog, free_values)                 # machine code + full constants, verifiable

An *item* is an op of the profile, a given constant `cK`, a free constant (a push of `c{len(given)+j}`,
whose value the search chooses), a literal push, or `skip` (does nothing: programs shorter than the L slots).
A *state* is the tuple of every example's stack (as in the enumerator). The *type mask* is exact at the
type level: with r slots left, an item is allowed on stacks of type signature `sig` iff its output types can
still reach the output's types in r - 1 items (`dsl.graph` reachability with the pushable types as abstract
constants), so every sampled program is type-correct and can end in the right types. The free constants' values
enter a state only through `consts` (one value per free constant); `sweep` finds values by running the
program for every int of the profile (example 0 first, the rest only for the values that pass).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from dsl.abstract import abstracter
from dsl.machine import apply
from dsl.ops import CONST_INDEX, OPS, Fail, out_types
from dsl.profiles import Profile
from dsl.tasks import Task
from dsl.values import literal_text

from .bfs import Item, sig_of
from .prune import TYPE as _TYPE
from .prune import Goal, Reach, graph_reach
from .fastops import push_step, state_step
_SIGN = abstracter("sign")


class TaskSpace:
    def __init__(self, task: Task, p: Profile, n_free: int = 0, literals: Sequence[int] = (), slots: int = 6,
                 mask: bool = True):
        self.task, self.p, self.L, self.use_mask = task, p, slots, mask
        given = tuple(task.constants)
        n_const_ops = sum(1 for o in p.ops if o in CONST_INDEX)
        self.n_free = max(0, min(n_free, n_const_ops - len(given)))
        self.given = given
        items = [Item(o, "op", o) for o in p.ops if o not in CONST_INDEX]
        items += [Item(f"c{k}", "given", f"c{k}", None, _TYPE[type(v)]) for k, v in enumerate(given)]
        items += [Item(f"c{len(given) + j}", "free", f"c{len(given) + j}", j, "int") for j in range(self.n_free)]
        gset = {(type(v), v) for v in given}
        lits = []
        for v in literals:
            if type(v) is int and p.int_min <= v <= p.int_max and (int, v) not in gset and v not in lits:
                lits.append(v)
        items += [Item(literal_text(v), "lit", None, v, "int") for v in lits]
        items.append(Item("skip", "skip", None))
        self.items = items
        self.V, self.SKIP = len(items), len(items) - 1
        self.free_ids = [i for i, it in enumerate(items) if it.kind == "free"]
        self.inputs = tuple(ex.input for ex in task.examples)
        self.goal = Goal(task)
        self.outs, self.exact, self.k = self.goal.outs, self.goal.exact, self.goal.k
        self.goal_sig = self.goal.sig                 # None: the outputs differ in types
        self.push_types = sorted({it.type for it in items if it.type})
        self.int_values = np.arange(p.int_min, p.int_max + 1)
        self._reach = self._make_reach()
        self._trans: dict = {}
        self._steps: dict = {}
        self._out_sign = [[_SIGN(v) for v in o] for o in self.outs]

    # ---- types --------------------------------------------------------------------------------------
    def _make_reach(self):
        if self.goal_sig is None or not self.use_mask:
            return lambda sig, r: True
        horizon = self.p.max_program + 1              # beyond any program: the exact answer at every distance
        ops = [o for o in self.p.ops if o not in CONST_INDEX]
        return (graph_reach(self.goal, "exact" if self.exact else "top", self.p, self.push_types, horizon)
                or Reach(self.goal, ops, self.push_types, self.p, horizon))

    def sig_ok(self, sig) -> bool:
        return self.goal_sig is None or self.goal.sig_ok(sig)

    def _out_sigs(self, sig, it: Item) -> list:
        if it.kind == "skip":
            return [sig]
        if it.op is None or it.kind in ("given", "free"):
            return [sig + (it.type,)]
        n = OPS[it.op].arity
        if len(sig) < n:
            return []
        return [sig[:len(sig) - n] + o for o in out_types(it.op, sig[len(sig) - n:])]

    def trans(self, sig, r: int):
        """(allowed (V,) bool, out_sig per item or None when value-dependent) with r slots left."""
        key = (sig, r)
        hit = self._trans.get(key)
        if hit is None:
            allowed = np.zeros(self.V, dtype=bool)
            outs = [None] * self.V
            for i, it in enumerate(self.items):
                o = [s for s in self._out_sigs(sig, it) if len(s) <= self.p.max_depth]
                if not o:
                    continue
                if r - 1 <= 0:
                    ok = any(self.sig_ok(s) for s in o) if self.use_mask else True
                else:
                    ok = any(self._reach(s, r - 1) for s in o)
                if ok:
                    allowed[i] = True
                    outs[i] = o[0] if len(o) == 1 else None
            if not allowed.any():
                allowed[self.SKIP] = True      # dead end: let the program run out (it will score 0)
            hit = self._trans[key] = (allowed, outs)
        return hit

    def slot_masks(self) -> np.ndarray:
        """(L, V) bool: the union over the type signatures reachable at each slot of the allowed items."""
        sig0 = sig_of(self.inputs)
        masks = np.zeros((self.L, self.V), dtype=bool)
        if sig0 is None:
            masks[:] = True
            return masks
        front = {sig0}
        for t in range(self.L):
            nxt = set()
            for sig in front:
                allowed, outs = self.trans(sig, self.L - t)
                masks[t] |= allowed
                for i in np.flatnonzero(allowed):
                    o = outs[i]
                    if o is None:
                        nxt.update(s for s in self._out_sigs(sig, self.items[i]) if len(s) <= self.p.max_depth)
                    else:
                        nxt.add(o)
            front = nxt
            if len(front) > 2000:     # very wide: stop refining (later slots allow everything type-correct)
                masks[t + 1:] = True
                break
        return masks

    # ---- running ------------------------------------------------------------------------------------
    def step_fn(self, i: int, consts: tuple):
        """state -> state | None for item i (types already checked), with the free values `consts`."""
        it = self.items[i]
        if it.kind == "op":
            key = it.op
            f = self._steps.get(key)
            if f is None:
                f = self._steps[key] = state_step(it.op, self.p)
            return f
        if it.kind == "given":
            return push_step(self.given[CONST_INDEX[it.op]])
        if it.kind == "free":
            return push_step(consts[it.value])
        if it.kind == "lit":
            return push_step(it.value)
        return lambda s: s

    def run(self, prog: Sequence[int], consts: tuple, state=None):
        """Final state of a program of item ids on every example, or None on any error (the real machine)."""
        stacks = [list(s) for s in (self.inputs if state is None else state)]
        full = self.given + tuple(consts)
        for i in prog:
            it = self.items[i]
            if it.kind == "skip":
                continue
            code = (it.value,) if it.kind == "lit" else it.op
            try:
                for s in stacks:
                    apply(code, s, full, self.p)
            except Fail:
                return None
        return tuple(tuple(s) for s in stacks)

    def matches(self, state) -> bool:
        if state is None:
            return False
        for s, o in zip(state, self.outs):
            top = s if self.exact else s[len(s) - len(o):]
            if len(s) < len(o) or len(top) != len(o):
                return False
            if any(type(x) is not type(y) or x != y for x, y in zip(top, o)):
                return False
        return True

    def reward(self, state, alpha: float) -> float:
        """Mean over examples of a match score in [0, 1]: types always count, sign/parity/length with weight
        (1 - alpha), values and closeness of ints with weight (1 - alpha)^2. 1 only for a full match."""
        if state is None:
            return 0.0
        ws, wc = 1.0 - alpha, (1.0 - alpha) ** 2
        tot = 0.0
        for s, o, osg in zip(state, self.outs, self._out_sign):
            if len(s) < len(o) or (self.exact and len(s) != len(o)):
                continue
            top = s[len(s) - len(o):]
            t = sg = c = 0.0
            for x, y, ysg in zip(top, o, osg):
                if type(x) is not type(y):
                    continue
                t += 1
                if _SIGN(x) == ysg:
                    sg += 1
                if x == y:
                    c += 1
                elif type(x) is int:
                    c += 0.5 * max(0.0, 1.0 - abs(x - y) / 16.0)
            n = len(o) or 1
            tot += (t + ws * sg + wc * c) / (n * (1.0 + ws + wc))
        return tot / len(self.outs)

    # ---- sampling -------------------------------------------------------------------------------------
    def sample(self, logp: np.ndarray, n: int, rng: np.random.Generator, consts: Sequence[tuple],
               eps: float = 0.05, visit=None):
        """Draw n programs from per-slot log-probabilities logp (L, V) under the dynamic type mask.
        consts: n tuples of free values. Returns (progs (n, L) int array, allowed (n, L, V) bool, finals
        list of final states or None). visit(b, t, state, prefix), when given, sees every intermediate state."""
        L, V = logp.shape
        progs = np.full((n, L), self.SKIP, dtype=np.int64)
        allowed_all = np.zeros((n, L, V), dtype=bool)
        finals = []
        probs = np.exp(logp - logp.max(-1, keepdims=True))
        u = rng.random((n, L))
        for b in range(n):
            state, cs = self.inputs, consts[b]
            sig = sig_of(state)
            for t in range(L):
                if state is None:
                    allowed_all[b, t:, self.SKIP] = True
                    break
                if sig is None:
                    allowed = self._mixed_allowed(state, L - t)
                    outs = None
                else:
                    allowed, outs = self.trans(sig, L - t)
                allowed_all[b, t] = allowed
                w = probs[t] * allowed
                tot = w.sum()
                w = (1 - eps) * (w / tot if tot > 0 else allowed / allowed.sum()) + eps * allowed / allowed.sum()
                i = int(np.searchsorted(np.cumsum(w), u[b, t] * w.sum()))
                i = min(i, V - 1)
                while not allowed[i]:
                    i = (i + 1) % V
                progs[b, t] = i
                if i == self.SKIP:
                    continue
                if sig is None:
                    state = self.run((i,), cs, state)
                    sig = sig_of(state) if state is not None else None
                else:
                    state = self.step_fn(i, cs)(state)
                    o = outs[i]
                    sig = (o if o is not None else sig_of(state)) if state is not None else None
                if visit is not None and state is not None:
                    visit(b, t, state, progs[b, :t + 1])
            finals.append(state)
        return progs, allowed_all, finals

    def _mixed_allowed(self, state, r: int) -> np.ndarray:
        """Examples differ in types: intersect the per-example masks."""
        allowed = np.ones(self.V, dtype=bool)
        for s in state:
            a, _ = self.trans(sig_of((s,)), r)
            allowed &= a
        if not allowed.any():
            allowed[self.SKIP] = True
        return allowed

    # ---- constants ------------------------------------------------------------------------------------
    def free_used(self, prog: Sequence[int]) -> list[int]:
        """Indices j of the free constants a program pushes, in order of first use."""
        seen = []
        for i in prog:
            it = self.items[i]
            if it.kind == "free" and it.value not in seen:
                seen.append(it.value)
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
                code.append(f"c{slot[it.value]}")
                text.append(f"c{slot[it.value]}")
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
        prog = self.strip(prog)
        changed = True
        while changed and prog:
            changed = False
            for n in (3, 2, 1):
                for j in range(len(prog) - n + 1):
                    shorter = prog[:j] + prog[j + n:]
                    if self.matches(self.run(shorter, consts)):
                        prog, changed = shorter, True
                        break
                if changed:
                    break
        return prog

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


from dsl.machine import code_text as code_to_text  # noqa: E402,F401
