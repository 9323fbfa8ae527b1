"""Small per-example features of a search state, as uint8 ids the guide embeds (no torch here).

    from synth.guide.features import Featurizer, VOCAB, item_id
    fz = Featurizer(task, profile)                       # the targets and given constants of one task
    ids = fz.state(state, bound)                         # (E, SLOTS, F) uint8 array for one search state
    VOCAB[item_id("add")] == "add"

A state is the tuple of every example's stack; `bound` the free-constant values bound so far. For every
example the guide sees SLOTS value slots: the top STACK values of the stack (top first), the target (the
output's top value) and the CONSTS constant slots (given constants, then bound free ones, then one
"unbound" marker per free constant the task still allows). Each slot is F small categorical features:

    0 kind      0 absent, 1 int, 2 bool, 3 str, 4 list
    1 value     int bucket (exact in -64..63, coarse beyond), bool, or str/list length
    2 first     list: first element's bucket; str: first char class
    3 last      list: last element's bucket
    4 max       list: largest element's bucket; str: numeric or not
    5 min       list: smallest element's bucket
    6 relation  stack slot vs target (equal, int below/above, list/str same/longer/shorter, an int target
                that is the list's sum / length / an element); target slot: stack depth; constant slot:
                given / bound / unbound
    7 shape     int: parity and sign; list: sorted ascending / descending / neither
    8 sum       list: its sum's bucket

The vocabulary of next items is profile-agnostic: every op of dsl (`c0..c3` included) then the literal
pool; `mask(profile)` says which a profile has. Values are featurised through a cache keyed by (type, value).
"""
from __future__ import annotations

import numpy as np

from dsl.profiles import ALL_OPS, Profile, get_profile

STACK, CONSTS, F = 6, 4, 9
SLOTS = STACK + 1 + CONSTS
LITERALS = (-1, 0, 1, 2, 3, 4, 5, 10)
VOCAB = tuple(ALL_OPS) + tuple(f"lit{v}" for v in LITERALS)
PROFILES = ("small", "deepcoder")
INT_LO, INT_HI = -256, 255            # the widest profile's ints: the constant head's classes
N_INT = INT_HI - INT_LO + 1
MAX_REM = 10                          # value head: remaining items 0..MAX_REM (more: MAX_REM)
SIZES = (5, 156, 133, 133, 133, 133, 17, 9, 133)      # ids each feature takes (0 included)
_ID = {name: i for i, name in enumerate(VOCAB)}


def item_id(code) -> int:
    """Vocabulary id of a machine-code item: op name (`c0`.. included) or a literal push (v,)."""
    if isinstance(code, tuple):
        return _ID[f"lit{code[0]}"]
    return _ID[code]


def mask(profile: str | Profile) -> np.ndarray:
    """(V,) bool: the vocabulary items that profile has (literals always)."""
    p = get_profile(profile)
    ops = set(p.ops)
    return np.array([v.startswith("lit") or v in ops for v in VOCAB])


def ibucket(v: int) -> int:
    """1..132: exact for -64..63, then 64..127, >=128, -128..-65, <=-129."""
    if -64 <= v <= 63:
        return v + 65
    if v >= 128:
        return 129
    if v >= 64:
        return 130
    return 131 if v >= -128 else 132


def _char(ch: str) -> int:
    return 1 if ch.isdigit() else 2 if ch.isalpha() else 3 if ch == "-" else 4


class Featurizer:
    """Features of the states of one task (targets and given constants fixed)."""

    def __init__(self, targets, given=(), n_free: int = 0):
        self.targets = [o[-1] if o else None for o in targets]            # the output's top value per example
        self.given, self.n_free = tuple(given), n_free
        self._val: dict = {}
        self._stack: dict = {}
        self._tgt = [self.value(t) for t in self.targets]

    @classmethod
    def for_task(cls, task, n_free: int = 0) -> "Featurizer":
        return cls([ex.output for ex in task.examples], task.constants, n_free)

    def value(self, v) -> list:
        """The F features of one value (relation left 0)."""
        key = (type(v), v)
        got = self._val.get(key)
        if got is not None:
            return got
        t = type(v)
        f = [0] * F
        if t is int:
            f[0], f[1], f[7] = 1, ibucket(v), 1 + (v & 1) + 2 * (v > 0) + 4 * (v == 0)
        elif t is bool:
            f[0], f[1] = 2, 133 + v
        elif t is str:
            f[0], f[1] = 3, 135 + min(len(v), 20)
            if v:
                f[2] = _char(v[0])
                f[4] = 1 + (v.lstrip("-").isdigit())
        elif t is tuple:
            f[0], f[1] = 4, 135 + min(len(v), 20)
            if v:
                f[2], f[3], f[4], f[5] = ibucket(v[0]), ibucket(v[-1]), ibucket(max(v)), ibucket(min(v))
                asc = all(a <= b for a, b in zip(v, v[1:]))
                desc = all(a >= b for a, b in zip(v, v[1:]))
                f[7] = 1 + asc + 2 * desc
                f[8] = ibucket(sum(v))
        self._val[key] = f
        return f

    def relation(self, v, e: int) -> int:
        t = self.targets[e]
        if type(v) is not type(t):
            return self._list_int(v, t) if type(v) is tuple and type(t) is int else 1
        if v == t:
            return 2
        if type(v) is int:
            return 3 if t > v else 4
        if type(v) is bool:
            return 5
        return 6 if len(v) == len(t) else 7 if len(v) > len(t) else 8

    def _list_int(self, v, t) -> int:
        return 9 if t == sum(v) else 10 if t == len(v) else 11 if t in v else 12

    def stack(self, s: tuple, e: int) -> list:
        """(STACK + 1) * F features of one example's stack and its target."""
        key = (e, s)
        got = self._stack.get(key)
        if got is not None:
            return got
        out = []
        for j in range(STACK):
            if j < len(s):
                v = s[len(s) - 1 - j]
                f = list(self.value(v))
                f[6] = self.relation(v, e)
                out += f
            else:
                out += [0] * F
        tf = list(self._tgt[e])
        tf[6] = min(len(s), 15) + 1
        out += tf
        if len(self._stack) < 200_000:
            self._stack[key] = out
        return out

    def consts(self, bound=()) -> list:
        """CONSTS * F features of the constant slots."""
        out = []
        vals = [(v, 1) for v in self.given] + [(v, 2) for v in bound]
        vals += [(None, 3)] * max(0, self.n_free - len(bound))
        for j in range(CONSTS):
            if j < len(vals) and vals[j][0] is not None:
                f = list(self.value(vals[j][0]))
                f[6] = vals[j][1]
            elif j < len(vals):
                f = [0] * F
                f[6] = 3
            else:
                f = [0] * F
            out += f
        return out

    def state(self, state, bound=()) -> np.ndarray:
        """(E, SLOTS, F) uint8 features of one search state."""
        c = self.consts(bound)
        rows = [self.stack(s, e) + c for e, s in enumerate(state)]
        return np.array(rows, dtype=np.uint8).reshape(len(state), SLOTS, F)

    def batch(self, states, bounds) -> np.ndarray:
        """(B, E, SLOTS, F) uint8 for states that share this task (E examples each)."""
        cs = {}
        rows = []
        for st, b in zip(states, bounds):
            c = cs.get(b)
            if c is None:
                c = cs[b] = self.consts(b)
            rows.extend([self.stack(s, e) + c for e, s in enumerate(st)])
        E = len(self.targets)
        return np.array(rows, dtype=np.uint8).reshape(len(states), E, SLOTS, F)
