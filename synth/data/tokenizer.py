"""Machine states <-> integer slot features: the evaluator's input and target format, at every level.

A state is `(constants, stack, error)` (docs §2). It is laid out as S = 1 + n_consts + max_depth SLOTS:

    slot 0                 status: ok or the error kind
    slots 1 .. n_consts    constants c0, c1, ... (EMPTY when absent)
    next max_depth slots   the stack, TOP FIRST (slot 1 + n_consts is the top), EMPTY below the bottom

Every value slot is one row of F = 6 + max_len small integers (all categorical):

    KIND  EMPTY INT BOOL STR LIST           INT   value - int_min, or UNK / NA
    SIGN  NEG ZERO POS UNK NA              PAR   EVEN ODD UNK NA
    BOOL  FALSE TRUE UNK NA                LEN   0..max_len, UNK, NA
    ELEM[j] for j < max_len: PAD (beyond the length), UNK, an int, or a character (printable ASCII)

Abstract values (dsl.abstract: `"int"` at the type level, `"int<0,odd"`, `"true"`, `"list[2]"` at the sign
level) fill the same rows with UNK where a detail is not known, so states at every level are encoded one
way; the level is given to encode/decode because `"int"` is also a concrete string. Usage:

    tok = StateTokenizer("small")
    batch = tok.encode([State((7,), (3, (1, 2)))])              # {"feats": (B, S, F), "status": (B,)} int64
    tok.decode(batch["feats"], batch["status"]) == [State((7,), (3, (1, 2)), None)]
    tok.encode([State((), ("int<0,odd", "list[2]"))], level="sign")
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from dsl.profiles import Profile, get_profile

ERRORS = ("underflow", "type", "overflow", "div_zero", "index", "missing_constant", "too_long")
STATUS = ("ok",) + ERRORS
KINDS = ("empty", "int", "bool", "str", "list")
LEVEL_NAMES = ("concrete", "sign", "type")        # level index 0, 1, 2 (alpha 0, 0.5, 1)
EMPTY, INT, BOOL, STR, LIST = range(5)
NEG, ZERO, POS, S_UNK, S_NA = range(5)
P_UNK, P_NA = 2, 3
B_UNK, B_NA = 2, 3
CHARS = "".join(chr(c) for c in range(32, 127))
F_KIND, F_INT, F_SIGN, F_PAR, F_BOOL, F_LEN, F_ELEM = range(7)
_KIND_OF = {int: INT, bool: BOOL, str: STR, tuple: LIST}
_INT_CLASS = {"int<0,odd": (NEG, 1), "int<0,even": (NEG, 0), "int=0": (ZERO, 0),
              "int>0,odd": (POS, 1), "int>0,even": (POS, 0)}
_CLASS_OF = {v: k for k, v in _INT_CLASS.items()}
_SIGN_RE = re.compile(r"(int)(?:<0,odd|<0,even|=0|>0,odd|>0,even)|(str|list)\[(\d+)\]")


@dataclass(frozen=True)
class State:
    """A machine state: constants c0.., stack bottom first, the error kind (None when ok)."""
    constants: tuple = ()
    stack: tuple = ()
    error: str | None = None


def level_index(level) -> int:
    """0 concrete, 1 sign, 2 type, from a level name or an alpha (rounded up like dsl.abstract.level_of)."""
    if isinstance(level, str):
        if level not in LEVEL_NAMES:
            raise ValueError(f"unknown level {level!r}; choose one of {', '.join(LEVEL_NAMES)} or an alpha")
        return LEVEL_NAMES.index(level)
    from dsl.abstract import level_of
    return LEVEL_NAMES.index(level_of(level))


class StateTokenizer:
    def __init__(self, profile: str | Profile = "small"):
        p = self.profile = get_profile(profile)
        self.n_int = p.int_max - p.int_min + 1
        self.n_consts = sum(1 for o in p.ops if o in ("c0", "c1", "c2", "c3"))
        self.max_len, self.max_depth = p.max_len, p.max_depth
        self.n_slots = 1 + self.n_consts + p.max_depth
        self.n_feats = F_ELEM + p.max_len
        self.INT_UNK, self.INT_NA = self.n_int, self.n_int + 1
        self.LEN_UNK, self.LEN_NA = p.max_len + 1, p.max_len + 2
        self.E_PAD, self.E_UNK, self.E_INT0, self.E_CHR0 = 0, 1, 2, 2 + self.n_int
        # vocabulary size of each feature column (every ELEM column shares "elem")
        self.vocab = {"kind": len(KINDS), "int": self.n_int + 2, "sign": 5, "par": 4, "bool": 4,
                      "len": p.max_len + 3, "elem": 2 + self.n_int + len(CHARS), "status": len(STATUS)}
        self.empty_row = np.array([EMPTY, self.INT_NA, S_NA, P_NA, B_NA, self.LEN_NA] + [self.E_PAD] * p.max_len,
                                  dtype=np.int64)
        self._cache: dict = {}

    # ---- one value ------------------------------------------------------------------------------
    def row(self, v, level: int = 0) -> np.ndarray:
        """The F features of value `v` at level 0 (concrete), 1 (sign) or 2 (type); do not modify."""
        key = (level, type(v), v)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._concrete(v) if level == 0 else self._abstract(v, level)
            hit.flags.writeable = False
            if len(self._cache) < 500_000:
                self._cache[key] = hit
        return hit

    def _concrete(self, v) -> np.ndarray:
        p, r = self.profile, self.empty_row.copy()
        k = _KIND_OF.get(type(v))
        if k is None:
            raise TypeError(f"not a concrete stack value: {v!r}")
        r[F_KIND] = k
        if k == INT:
            if not p.int_min <= v <= p.int_max:
                raise ValueError(f"int {v} outside {p.int_min}..{p.int_max}")
            r[F_INT], r[F_SIGN], r[F_PAR] = v - p.int_min, NEG if v < 0 else ZERO if v == 0 else POS, v & 1
        elif k == BOOL:
            r[F_BOOL] = int(v)
        else:
            if len(v) > p.max_len:
                raise ValueError(f"{KINDS[k]} longer than max_len {p.max_len}")
            r[F_LEN] = len(v)
            for j, x in enumerate(v):
                r[F_ELEM + j] = (self.E_CHR0 + ord(x) - 32) if k == STR else (self.E_INT0 + x - p.int_min)
        return r

    def _abstract(self, av, level: int) -> np.ndarray:
        r = self.empty_row.copy()
        if type(av) is not str:
            raise TypeError(f"not an abstract value at level {LEVEL_NAMES[level]}: {av!r}")
        if av in ("true", "false") and level == 1:
            r[F_KIND], r[F_BOOL] = BOOL, int(av == "true")
            return r
        kind, n = (av, None) if level == 2 and av in KINDS[1:] else (None, None)
        if level == 1:
            m = _SIGN_RE.fullmatch(av)
            if m is not None:
                kind, n = m.group(1) or m.group(2), None if m.group(3) is None else int(m.group(3))
        if kind is None or (n is not None and n > self.max_len):
            raise ValueError(f"not an abstract value at level {LEVEL_NAMES[level]}: {av!r}")
        k = r[F_KIND] = KINDS.index(kind)
        if k == INT:
            r[F_INT] = self.INT_UNK
            r[F_SIGN], r[F_PAR] = (S_UNK, P_UNK) if level == 2 else _INT_CLASS[av]
        elif k == BOOL:
            r[F_BOOL] = B_UNK
        else:
            r[F_LEN] = self.LEN_UNK if n is None else n
            r[F_ELEM:F_ELEM + (self.max_len if n is None else n)] = self.E_UNK
        return r

    def value(self, r: Sequence[int], level: int = 0):
        """A row back to a value at `level` (None for EMPTY). Level 0 needs every detail known:
        an UNK anywhere gives the abstract value instead (so it never equals a concrete one)."""
        p, k = self.profile, int(r[F_KIND])
        if k == EMPTY:
            return None
        if level == 2:
            return KINDS[k]
        if k == INT:
            iv = int(r[F_INT])
            if iv < self.n_int:
                v = iv + p.int_min
                return v if level == 0 else _CLASS_OF[(NEG if v < 0 else ZERO if v == 0 else POS, v & 1)]
            sign, par = int(r[F_SIGN]), int(r[F_PAR])
            if sign == ZERO:
                par = 0
            return _CLASS_OF.get((sign, par), "int")
        if k == BOOL:
            b = int(r[F_BOOL])
            if b > 1:
                return "bool"
            return bool(b) if level == 0 else ("true" if b else "false")
        n = int(r[F_LEN])
        if n > self.max_len:
            return KINDS[k]
        if level == 1:
            return f"{KINDS[k]}[{n}]"
        els = [int(e) for e in r[F_ELEM:F_ELEM + n]]
        if any(e < self.E_INT0 for e in els):
            return f"{KINDS[k]}[{n}]"
        if k == STR:
            return "".join(chr(32 + min(max(e - self.E_CHR0, 0), 94)) for e in els)
        return tuple(min(max(e - self.E_INT0, 0), self.n_int - 1) + p.int_min for e in els)

    # ---- whole states ---------------------------------------------------------------------------
    def state_rows(self, st: State, level: int = 0, out: np.ndarray | None = None) -> np.ndarray:
        """(S - 1, F) rows of the constants and stack slots (the status slot excluded)."""
        if out is None:
            out = np.empty((self.n_slots - 1, self.n_feats), dtype=np.int64)
        out[:] = self.empty_row
        nc = self.n_consts
        if len(st.constants) > nc:
            raise ValueError(f"{len(st.constants)} constants; profile {self.profile.name} has {nc}")
        for k, c in enumerate(st.constants):
            out[k] = self.row(c, level)
        if st.error is None:
            if len(st.stack) > self.max_depth:
                raise ValueError(f"stack deeper than max_depth {self.max_depth}")
            for i, v in enumerate(reversed(st.stack)):
                out[nc + i] = self.row(v, level)
        return out

    @staticmethod
    def status_id(st: State) -> int:
        return 0 if st.error is None else STATUS.index(st.error)

    def encode(self, states: Sequence[State], level=0) -> dict[str, torch.Tensor]:
        """{"feats": (B, S, F) int64 (slot 0 is all zeros: it is the status slot), "status": (B,) int64,
        "level": (B,) int64}. `level`: one for all (index, name or alpha) or one per state."""
        B = len(states)
        levels = [level_index(l) if not isinstance(l, int) else l
                  for l in (level if isinstance(level, (list, tuple)) else [level] * B)]
        feats = np.zeros((B, self.n_slots, self.n_feats), dtype=np.int64)
        status = np.zeros(B, dtype=np.int64)
        for b, st in enumerate(states):
            self.state_rows(st, levels[b], feats[b, 1:])
            status[b] = self.status_id(st)
        return {"feats": torch.from_numpy(feats), "status": torch.from_numpy(status),
                "level": torch.tensor(levels, dtype=torch.int64)}

    def decode(self, feats, status, level=0) -> list[State]:
        """Rows back to States at `level` (one for all, or one per state); an error state has no stack."""
        feats = np.asarray(feats.cpu() if isinstance(feats, torch.Tensor) else feats)
        status = np.asarray(status.cpu() if isinstance(status, torch.Tensor) else status)
        B, nc = len(status), self.n_consts
        levels = [level_index(l) if not isinstance(l, int) else l
                  for l in (level if isinstance(level, (list, tuple)) else [level] * B)]
        out = []
        for b in range(B):
            lv = levels[b]
            consts = []
            for k in range(nc):
                v = self.value(feats[b, 1 + k], lv)
                if v is None:
                    break
                consts.append(v)
            err = None if status[b] == 0 else STATUS[int(status[b])]
            stack = []
            if err is None:
                for i in range(self.max_depth):
                    v = self.value(feats[b, 1 + nc + i], lv)
                    if v is None:
                        break
                    stack.append(v)
            out.append(State(tuple(consts), tuple(reversed(stack)), err))
        return out
