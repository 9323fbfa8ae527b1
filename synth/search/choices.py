"""What a search may put at one program position: a `Choice`, the dsl's program `Item` plus the search's data.

    items = bfs_choices(task, p, cfg, nfree)          # the BFS's: ops, given constants, literals, free values
    items = space_choices(task, p, n_free, literals)  # the relaxed space's (space.py): the same kinds and `skip`
    ch = items[i];  ch.item, ch.kind, ch.type, ch.text, ch.code, ch.free

A program item is `dsl.parser.Item` (an op, or a push of a value) and nothing else defines one; a Choice holds
the Item the machine runs and adds only what a search needs: its kind, the pushed value's type, the text it
stands for in a program when that is not the Item's own, and for a free constant of the relaxed space its
index. Per kind (the BFS | the relaxed space):

    op     Item(op)                                          | the same
    given  Item(None, value): pushed by value, text "cK"     | Item("cK"): run with the task's constants
    free   Item(None, value): one candidate value, text ""   | Item("cK"), `slot` j: its value chosen later
           (the BFS numbers the slot when it reports)
    lit    Item(None, value)                                 | the same
    skip   -                                                 | no Item: does nothing, text "skip"
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from dsl.ops import CONST_INDEX
from dsl.parser import Item
from dsl.profiles import Profile
from dsl.tasks import Task

from .prune import TYPE


@dataclass(frozen=True)
class Choice:
    """One choice of a search at a program position (kinds and texts in the module doc)."""
    item: Item | None          # the program item the machine runs; None for skip
    kind: str                  # "op" | "given" | "free" | "lit" | "skip"
    type: str | None = None    # the pushed value's type; None for an op or skip
    label: str | None = None   # its program text when that is not item.text
    slot: int | None = None    # a free constant of the relaxed space: its index j
    code: object = field(init=False, compare=False)   # item.code (the BFS's inner loop reads it; skip: (None,))
    free: bool = field(init=False, compare=False)     # a free-constant push

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", self.item.code if self.item is not None else (None,))
        object.__setattr__(self, "free", self.kind == "free")

    @property
    def op(self) -> str | None:
        """The op name the machine runs (`cK` for a constant of the relaxed space); None for a push or skip."""
        return self.item.op if self.item is not None else None

    @property
    def value(self):
        """The pushed value; None for an op or skip."""
        return self.item.value if self.item is not None else None

    @property
    def text(self) -> str:
        return self.label if self.label is not None else self.item.text


def free_choice(v: int) -> Choice:
    """A BFS free-constant candidate: a push of the int v, bound to the next c slot when a program uses it."""
    return Choice(Item(None, v), "free", "int", "")


def _op_choices(p: Profile) -> list[Choice]:
    return [Choice(Item(o), "op") for o in p.ops if o not in CONST_INDEX]


def _literals(values: Sequence, p: Profile, given) -> list[int]:
    """The ints of `values` in the profile's range, not a given constant, each once (in order)."""
    givenset = {(type(v), v) for v in given}
    lits = []
    for v in values:
        if type(v) is int and p.int_min <= v <= p.int_max and (int, v) not in givenset and v not in lits:
            lits.append(v)
    return lits


def bfs_choices(task: Task, p: Profile, cfg, nfree: int) -> list[Choice]:
    """Ops, given constants, literals (cfg.literals), then free-constant values (cfg.free_min..free_max)."""
    given = list(task.constants)
    items = _op_choices(p)
    items += [Choice(Item(None, v), "given", TYPE[type(v)], f"c{k}") for k, v in enumerate(given)]
    lits = _literals(cfg.literals, p, given)
    items += [Choice(Item(None, v), "lit", "int") for v in lits]
    free = []
    if nfree:
        pool = set(range(max(cfg.free_min, p.int_min), min(cfg.free_max, p.int_max) + 1))
        for ex in task.examples:
            pool.update(v for v in ex.output + ex.input if type(v) is int)
        given_ints = {v for v in given if type(v) is int}
        free = sorted(pool - set(lits) - given_ints, key=lambda v: (abs(v), v < 0))
    items += [free_choice(v) for v in free]
    return items


def space_choices(task: Task, p: Profile, n_free: int, literals: Sequence[int]) -> list[Choice]:
    """Ops, given constants `cK`, n_free free constants, literals, then `skip` (last)."""
    given = tuple(task.constants)
    items = _op_choices(p)
    items += [Choice(Item(f"c{k}"), "given", TYPE[type(v)]) for k, v in enumerate(given)]
    items += [Choice(Item(f"c{len(given) + j}"), "free", "int", slot=j) for j in range(n_free)]
    items += [Choice(Item(None, v), "lit", "int") for v in _literals(literals, p, given)]
    items.append(Choice(None, "skip", label="skip"))
    return items
