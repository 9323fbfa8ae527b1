"""Profiles (docs §6): the limits and the op set a program runs under.

    from dsl.profiles import get_profile
    p = get_profile("small"); p.int_min, p.int_max, p.max_len, p.max_depth, p.max_program, p.ops
"""
from __future__ import annotations

from dataclasses import dataclass

STACK_OPS = ("dup", "drop", "swap", "over", "rot")
INT_OPS = ("add", "sub", "mul", "div", "mod", "min", "max",
           "neg", "abs", "inc", "dec", "double", "half", "square")
LOGIC_OPS = ("eq", "lt", "gt", "not", "and", "or", "select")
SEQ_OPS = ("len", "reverse", "concat", "head", "last", "take", "skip", "access")
CONV_OPS = ("to_str", "to_int")
LIST_OPS = ("sum", "minimum", "maximum", "sort",
            "map_inc", "map_dec", "map_double", "map_half", "map_neg", "map_square",
            "map_triple", "map_third", "map_quadruple", "map_quarter",
            "filter_pos", "filter_neg", "filter_even", "filter_odd",
            "count_pos", "count_neg", "count_even", "count_odd",
            "zipwith_add", "zipwith_sub", "zipwith_mul", "zipwith_min", "zipwith_max",
            "scanl1_add", "scanl1_sub", "scanl1_mul", "scanl1_min", "scanl1_max")
CONST_OPS = ("c0", "c1", "c2", "c3")

ALL_OPS = STACK_OPS + CONST_OPS + INT_OPS + LOGIC_OPS + SEQ_OPS + CONV_OPS + LIST_OPS


@dataclass(frozen=True)
class Profile:
    name: str
    int_min: int
    int_max: int
    max_len: int
    max_depth: int
    max_program: int
    ops: tuple[str, ...]

    def int_ok(self, v: int) -> bool:
        return self.int_min <= v <= self.int_max


SMALL = Profile(
    name="small", int_min=-64, int_max=63, max_len=6, max_depth=8, max_program=16,
    ops=STACK_OPS + ("c0", "c1", "c2") + INT_OPS + ("eq", "lt", "gt", "not", "select")
    + ("len", "reverse", "concat", "head", "last", "to_str")
    + ("sum", "sort", "map_inc", "map_double", "map_neg", "filter_pos", "filter_even"),
)
DEEPCODER = Profile(name="deepcoder", int_min=-256, int_max=255, max_len=20, max_depth=16,
                    max_program=32, ops=ALL_OPS)

PROFILES: dict[str, Profile] = {p.name: p for p in (SMALL, DEEPCODER)}
assert len(SMALL.ops) == 40, len(SMALL.ops)


def get_profile(name: str | Profile) -> Profile:
    """The profile called `name` (a Profile passes through); ValueError naming the valid ones otherwise."""
    if isinstance(name, Profile):
        return name
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}") from None
