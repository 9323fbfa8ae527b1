"""Values (SPEC §1) and their JSON codec.

Inside the toolkit a value is a Python `int`, `bool`, `str` or a `tuple` of ints (a list value: tuples
are hashable, so stacks can be compared and deduplicated cheaply). JSON arrays become tuples on load and
lists again on dump.

    v = from_json([1, 2], profile, where="example 0, field 'input'")   # -> (1, 2), or ValueError
    to_json((1, 2)) == [1, 2];  type_of(True) == "bool";  literal_text("a\"b") == '"a\\"b"'
"""
from __future__ import annotations

from typing import Any, Union

from .profiles import Profile

Value = Union[int, bool, str, tuple]
TYPES = ("int", "bool", "str", "list")


def type_of(v: Value) -> str:
    t = type(v)
    if t is bool:
        return "bool"
    if t is int:
        return "int"
    if t is str:
        return "str"
    if t is tuple:
        return "list"
    raise TypeError(f"not a stack value: {v!r}")


def printable(s: str) -> bool:
    return all(32 <= ord(ch) <= 126 for ch in s)


def check_value(v: Value, p: Profile) -> str | None:
    """None when `v` respects the profile's limits, else a short reason."""
    t = type(v)
    if t is bool:
        return None
    if t is int:
        return None if p.int_min <= v <= p.int_max else f"int {v} outside {p.int_min}..{p.int_max}"
    if t is str:
        if not printable(v):
            return "string has characters outside printable ASCII (32..126)"
        return None if len(v) <= p.max_len else f"string longer than {p.max_len}"
    if t is tuple:
        if len(v) > p.max_len:
            return f"list longer than {p.max_len}"
        for x in v:
            if type(x) is not int:
                return "list elements must be ints"
            if not p.int_min <= x <= p.int_max:
                return f"list element {x} outside {p.int_min}..{p.int_max}"
        return None
    return f"not a value: {v!r}"


def from_json(obj: Any, p: Profile, where: str = "value") -> Value:
    """JSON value -> stack value, validated against `p`; ValueError '<where>: <reason>' otherwise."""
    t = type(obj)
    if t is bool or t is str:
        v = obj
    elif t is int:
        v = obj
    elif t is list:
        for x in obj:
            if type(x) is not int:
                raise ValueError(f"{where}: list elements must be integers, got {json_name(x)}")
        v = tuple(obj)
    else:
        raise ValueError(f"{where}: {json_name(obj)} is not a value (int, bool, str or list of ints)")
    reason = check_value(v, p)
    if reason:
        raise ValueError(f"{where}: {reason}")
    return v


def stack_from_json(obj: Any, p: Profile, where: str) -> list[Value]:
    if type(obj) is not list:
        raise ValueError(f"{where}: must be an array of values, got {json_name(obj)}")
    return [from_json(x, p, f"{where}[{i}]") for i, x in enumerate(obj)]


def to_json(v: Value) -> Any:
    return list(v) if type(v) is tuple else v


def json_name(x: Any) -> str:
    if x is None:
        return "null"
    if type(x) is float:
        return f"number {x!r} with a fraction"
    return {bool: "a boolean", int: "an integer", str: "a string", list: "an array",
            dict: "an object"}.get(type(x), type(x).__name__)


def literal_text(v: Value) -> str:
    """Canonical program text of a literal that pushes `v`."""
    t = type(v)
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is str:
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "[" + " ".join(str(x) for x in v) + "]"


def show(v: Value) -> str:
    """Readable form for messages and tables (same as the literal text)."""
    return literal_text(v)
