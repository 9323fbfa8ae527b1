"""The program space of one task, on the real machine: items, type masks, sampling, rewards, beams, constants.

    sp = TaskSpace(task, profile, n_free=1, literals=[-1, 0, 1, 2], slots=6)
    sp.items[i].text                       # "add", "c0", "3", "skip" ...; sp.V items, sp.SKIP the no-op
    mask = sp.slot_masks()                 # (L, V) bool: items some type-correct path to the output uses
    progs, allowed, finals = sp.sample(logits, n, rng, consts)   # discrete programs drawn from (L, V) logits
    r = sp.reward(final_state, alpha)      # in [0, 1]: how well the final stacks match the outputs at a level
    code, consts = sp.solution(prog, free_values)                 # machine code + full constants, verifiable
    view = ExampleView(sp, [0, 2])         # the space seen through examples 0 and 2 (TargetView: outputs as inputs)

An *item* (a `Choice`, choices.py) is an op of the profile, a given constant `cK`, a free constant (a push of
`c{len(given)+j}`, whose value the search chooses), a literal push, or `skip` (does nothing: programs shorter
than the L slots).
A *state* is the tuple of every example's stack (as in the enumerator). The *type mask* is exact at the
type level: with r slots left, an item is allowed on stacks of type signature `sig` iff its output types can
still reach the output's types in r - 1 items (`dsl.graph` reachability with the pushable types as abstract
constants), so every sampled program is type-correct and can end in the right types. The free constants'
values enter a state only through `consts` (one value per free constant); `sweep` (space_fit.py) finds values
by running the program for every int of the profile (example 0 first, the rest only for the values that pass).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from dsl.abstract import abstracter
from dsl.machine import apply
from dsl.ops import CONST_INDEX, OPS, Fail, out_types
from dsl.profiles import Profile
from dsl.tasks import Task

from .bfs import sig_of
from .choices import Choice, space_choices
from .fastops import push_step, state_step
from .prune import Goal, Reach, graph_reach
from .space_fit import SpaceFit

_SIGN = abstracter("sign")


class TaskSpace(SpaceFit):
    """The program space of one task (module doc); constants and solutions: SpaceFit (space_fit.py)."""

    def __init__(self, task: Task, p: Profile, n_free: int = 0, literals: Sequence[int] = (), slots: int = 6,
                 mask: bool = True):
        self.task, self.p, self.L, self.use_mask = task, p, slots, mask
        given = tuple(task.constants)
        n_const_ops = sum(1 for o in p.ops if o in CONST_INDEX)
        self.n_free = max(0, min(n_free, n_const_ops - len(given)))
        self.given = given
        self.items = items = space_choices(task, p, self.n_free, literals)
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

    def _out_sigs(self, sig, it: Choice) -> list:
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
            return push_step(consts[it.slot])
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
            try:
                for s in stacks:
                    apply(it.code, s, full, self.p)
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


class ExampleView:
    """A TaskSpace seen through a subset of its examples (inputs and outputs): the gradient search's latent
    loss on a window of the examples."""

    def __init__(self, sp: TaskSpace, idx: list[int]):
        self._sp = sp
        self.inputs = tuple(sp.inputs[i] for i in idx)
        self.outs = tuple(sp.outs[i] for i in idx)

    def __getattr__(self, name):
        return getattr(self._sp, name)


class TargetView(ExampleView):
    """The outputs of a (view of a) TaskSpace as its inputs: the field metric's targets."""

    def __init__(self, sp):
        self._sp = sp
        self.inputs = tuple(sp.outs)
        self.outs = tuple(sp.outs)


from dsl.machine import code_text as code_to_text  # noqa: E402,F401
