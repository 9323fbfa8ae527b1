"""Values (docs §1) and their JSON codec.

Inside the toolkit a value is a Python `int`, `bool`, `str` or a `tuple` of ints (a list value: tuples
are hashable, so stacks can be compared and deduplicated cheaply). JSON arrays become tuples on load and
lists again on dump.

    v = from_json([1, 2], profile, where="example 0, field 'input'")   # -> (1, 2), or ValueError
    to_json((1, 2)) == [1, 2];  type_of(True) == "bool";  literal_text("a\"b") == '"a\\"b"'
"""
from __future__ import annotations

import json
import re
from typing import Any, Union

from .profiles import Profile

Value = Union[int, bool, str, tuple]
TYPES = ("int", "bool", "str", "list")

# Bounds on what is read from users' files and flags (far above any valid input; each message names its bound).
MAX_INT_DIGITS = 20          # digits of a JSON or program integer (profiles stay within 3 digits)
MAX_DEPTH = 32               # nesting of JSON arrays/objects (a task file needs 6)
MAX_LINE = 8_000_000         # characters of one JSON text or JSON Lines line
MAX_PROGRAM = 4096           # characters of a program's text
_LONG_INT = re.compile(r"\d{%d,}" % (MAX_INT_DIGITS + 1))


def clip(x: Any, n: int = 40) -> str:
    """`x` as text for a message, cut to about n characters (a huge value is never echoed in full)."""
    s = x if isinstance(x, str) else repr(x)
    return s if len(s) <= n else f"{s[:n // 2]}...{s[-8:]} ({len(s)} characters)"


class _Bound(ValueError):
    pass


class JsonSyntaxError(ValueError):
    """Text that is not JSON (the message names where); other ValueErrors of `loads` are bounds."""


def _bounded_int(s: str) -> int:
    if len(s.lstrip("-")) > MAX_INT_DIGITS:
        raise _Bound(f"integer {clip(s, 24)} has more than {MAX_INT_DIGITS} digits (bound)")
    return int(s)


class _Constant(ValueError):
    pass


def _no_constant(name: str):
    raise _Constant(name)


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_int=_bounded_int)   # built once: loads() is hot


def _depth(obj: Any, limit: int) -> int:
    """Nesting depth of a parsed JSON value, counted up to limit + 1."""
    level, depth = [obj], 0
    while level and depth <= limit:
        depth += 1
        level = [y for x in level if isinstance(x, (list, dict)) for y in (x.values() if isinstance(x, dict) else x)]
    return depth


def loads(text: str, where: str, max_chars: int = MAX_LINE, one_line: bool = False) -> Any:
    """json.loads within the bounds above; ValueError '<where>: ...' naming the bound hit, or JsonSyntaxError
    whose position is ', column C' when `one_line` (where names the line already), else ': line L, column C'."""
    if len(text) > max_chars:
        raise ValueError(f"{where}: more than {max_chars} characters (bound)")
    try:
        obj = _DECODER.decode(text)
    except json.JSONDecodeError as e:
        pos = f", column {e.colno}" if one_line else f": line {e.lineno}, column {e.colno}"
        raise JsonSyntaxError(f"{where}{pos}: invalid JSON: {e.msg}") from None
    except _Constant as e:
        raise JsonSyntaxError(f"{where}: invalid JSON: {e} is not valid JSON") from None
    except _Bound as e:
        raise ValueError(f"{where}: {e}") from None
    except RecursionError:
        raise ValueError(f"{where}: JSON nested deeper than {MAX_DEPTH} levels (bound)") from None
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(obj, MAX_DEPTH) > MAX_DEPTH:
        raise ValueError(f"{where}: JSON nested deeper than {MAX_DEPTH} levels (bound)")
    return obj


def check_program_text(text: str, where: str) -> None:
    """ValueError when a program's text breaks a bound (checked before parsing)."""
    if len(text) > MAX_PROGRAM:
        raise ValueError(f"{where}: program longer than {MAX_PROGRAM} characters (bound)")
    m = _LONG_INT.search(text)
    if m:
        raise ValueError(f"{where}: number {clip(m.group(), 24)} has more than {MAX_INT_DIGITS} digits (bound)")


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
        return None if p.int_min <= v <= p.int_max else f"int {clip(str(v), 24)} outside {p.int_min}..{p.int_max}"
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
                return f"list element {clip(str(x), 24)} outside {p.int_min}..{p.int_max}"
        return None
    return f"not a value: {clip(v)}"


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
        return f"number {clip(x, 24)} with a fraction"
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
