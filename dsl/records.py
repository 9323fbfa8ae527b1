"""Answer a file of run records (docs/language.md §7) in one pass, fast: the engine of `synth run --file`.

    from dsl.records import answer_file, answer_text
    out = answer_file("runs.jsonl")      # every answer line, or None when the file needs the careful path
    answer_text("dup mul", [3], [], get_profile("small")) == '{"ok": true, "stack": [9]}'

`answer_file` takes only files whose every line is a plainly valid record: a JSON object with known fields,
a string program, a known profile, in-range values, an input no deeper than `max_depth`. On anything else
(unreadable file, bad JSON, a value out of range, an unknown field ...) it returns None and the caller runs
its own validation, which names the line and the field. So this module never decides an error message.
An answer line is the record's own line with `, "result": ANSWER` appended before its closing brace (the
same as `json.dumps({**record, "result": answer})` for lines that json.dumps wrote); a record that already
has a `result` is re-encoded with the new one in its place. Answers are encoded by hand (`result_text`),
which tests/test_records.py checks against `json.dumps`.
"""
from __future__ import annotations

import json
import re

from .fastparse import fast_code
from .machine import execute, run
from .parser import DslSyntaxError, parse
from .profiles import PROFILES, Profile
from .values import MAX_LINE, MAX_PROGRAM

KEYS = frozenset({"program", "input", "constants", "profile", "result"})
_PRINTABLE = re.compile(r"[ -~]*")
_INTS = {int}
_NONE: list = []            # a missing input or constants (never written to)
_dumps, _loads = json.dumps, json.JSONDecoder().decode   # json.loads of a str, without its dispatch


def values(xs, p: Profile) -> list | None:
    """JSON values -> stack values (lists become tuples) when every one is valid under `p`, else None. A list
    of valid ints comes back as itself (no copy: the callers only read it)."""
    if type(xs) is not list:
        return None
    out, lo, hi = xs, p.int_min, p.int_max
    for i, v in enumerate(xs):
        t = type(v)
        if t is int:
            if v < lo or v > hi:
                return None
        elif t is list:
            if len(v) > p.max_len or v and (set(map(type, v)) != _INTS or min(v) < lo or max(v) > hi):
                return None
            if out is xs:
                out = list(xs)
            out[i] = tuple(v)
        elif t is str:
            if len(v) > p.max_len or not _PRINTABLE.fullmatch(v):
                return None
        elif t is not bool:
            return None
    return out


def quick_load(rec) -> tuple | None:
    """(program text, profile, input stack, constants) of a plainly valid record, else None."""
    if type(rec) is not dict or not KEYS.issuperset(rec):
        return None
    prog, name = rec.get("program"), rec.get("profile", "small")
    if type(prog) is not str or type(name) is not str or name not in PROFILES or len(prog) > MAX_PROGRAM:
        return None
    p = PROFILES[name]
    stack, consts = values(rec.get("input", _NONE), p), values(rec.get("constants", _NONE), p)
    if stack is None or consts is None or len(stack) > p.max_depth:
        return None
    return prog, p, stack, consts


def _value_text(v) -> str:
    t = type(v)
    if t is int:
        return int.__repr__(v)
    if t is bool:
        return "true" if v else "false"
    if t is tuple:
        return "[" + ", ".join(map(int.__repr__, v)) + "]"
    return _dumps(v)


def result_text(res) -> str:
    """`json.dumps(res.to_json())` of a machine Result, without building the dict."""
    if res.ok:
        return '{"ok": true, "stack": [' + ", ".join(map(_value_text, res.stack)) + "]}"
    return '{"ok": false, "error": "' + res.error + '", "at": ' + int.__repr__(res.at) + "}"


def answer_text(program: str, stack, consts, p: Profile) -> str:
    """The JSON text of the machine's answer to one record (a syntax error is an answer too)."""
    code = fast_code(program, p)
    if code is None:
        try:
            return result_text(run(parse(program, p), stack, consts, p))
        except DslSyntaxError as e:
            return _dumps({"ok": False, "error": "syntax", "message": str(e)})
    if len(code) > p.max_program:
        return '{"ok": false, "error": "too_long", "at": ' + int.__repr__(p.max_program) + "}"
    st = list(stack)
    err = execute(code, st, consts, p)
    if err is None:
        return '{"ok": true, "stack": [' + ", ".join(map(_value_text, st)) + "]}"
    return '{"ok": false, "error": "' + err[0] + '", "at": ' + int.__repr__(err[1]) + "}"


def answer_line(rec: dict, loaded: tuple, line: str | None = None) -> str:
    """The answer line of a record and its loaded (program, profile, stack, consts): `{**rec, "result": ...}`.
    Given the record's own JSON text `line` and a record without `result`, that text is kept as written and
    `result` is appended to it (identical to `json.dumps` for a line json.dumps wrote)."""
    prog, p, stack, consts = loaded
    res = answer_text(prog, stack, consts, p)
    if "result" in rec:
        if next(reversed(rec)) != "result":   # `result` keeps its place among the keys
            return _dumps({**rec, "result": _loads(res)})
        rec = {k: v for k, v in rec.items() if k != "result"}
    elif line is not None:
        return line.rstrip()[:-1] + ', "result": ' + res + "}"
    return _dumps(rec)[:-1] + ', "result": ' + res + "}"


def answer_file(path) -> str | None:
    """All answer lines of a runs file (newline-terminated), or None when any line needs careful validation."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")   # as iterating the file would split it
    except (OSError, UnicodeDecodeError):
        return None
    out = []
    for line in lines:
        if not line or line.isspace():
            continue
        if len(line) > MAX_LINE:
            return None
        try:
            rec = _loads(line)
        except (ValueError, RecursionError):     # the careful path names the line and the bound
            return None
        loaded = quick_load(rec)
        if loaded is None:
            return None
        if "result" in rec:
            out.append(answer_line(rec, loaded))
        else:   # answer_line(rec, loaded, line), inlined
            head = line if line[-1] == "}" else line.rstrip()
            out.append(head[:-1] + ', "result": ' + answer_text(loaded[0], loaded[2], loaded[3], loaded[1]) + "}")
    out.append("")
    return "\n".join(out)
