"""Task files (docs §5): load, validate, and describe tasks.

    tasks = load_tasks("datasets/examples/affine.json", profile="small")   # list[Task]
    # raises TaskError("datasets/examples/affine.json: task 'affine', example 1, field 'output': ...")

A file holds one task object, a JSON array of tasks, an object {"tasks": [...]}, or JSON Lines.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .profiles import Profile, get_profile
from .values import (JsonSyntaxError, Value, check_program_text, clip, from_json, json_name, loads, stack_from_json,
                     to_json)

TASK_KEYS = {"name", "examples", "constants", "free_constants", "max_length", "match", "profile",
             "program", "note"}
MAX_EXAMPLES = 1000        # examples per task: bounds the work (and memory) of every search method
MAX_FILE_BYTES = 256 * 2**20   # a task file is read whole; bigger files are refused before reading


class TaskError(ValueError):
    """A task file breaks docs §5; the message names the file, task, example and field."""


@dataclass(frozen=True)
class Example:
    input: tuple[Value, ...]
    output: tuple[Value, ...]


@dataclass(frozen=True)
class Task:
    name: str
    examples: tuple[Example, ...]
    constants: tuple[Value, ...] = ()
    free_constants: int | None = None     # None: the search's own setting
    max_length: int | None = None
    match: str = "top"
    profile: str = "small"
    program: str | None = None            # reference solution, when the suite knows one
    extra: dict = field(default_factory=dict, compare=False)

    def to_json(self) -> dict:
        d: dict[str, Any] = {"name": self.name,
                             "examples": [{"input": [to_json(v) for v in e.input],
                                           "output": [to_json(v) for v in e.output]} for e in self.examples]}
        if self.constants:
            d["constants"] = [to_json(v) for v in self.constants]
        if self.free_constants is not None:
            d["free_constants"] = self.free_constants
        if self.max_length is not None:
            d["max_length"] = self.max_length
        if self.match != "top":
            d["match"] = self.match
        if self.profile != "small":
            d["profile"] = self.profile
        if self.program is not None:
            d["program"] = self.program
        return d


def load_tasks(path: str | Path, profile: str | Profile | None = None) -> list[Task]:
    """All tasks of a file. `profile` overrides each task's own `profile` key (default small)."""
    path = Path(path)
    return parse_tasks(read_text(path), str(path), profile)


def read_text(path: Path) -> str:
    """A task file's text; TaskError when it cannot be read, is too big or is not UTF-8."""
    try:
        if path.is_dir():
            raise TaskError(f"{path}: is a directory, expected a task file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise TaskError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB (bound)")
        data = path.read_bytes()
    except OSError as e:
        raise TaskError(f"{path}: cannot read: {e.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise TaskError(f"{path}: line {line}: not valid UTF-8 (byte {e.start + 1} of the file)") from None


def parse_tasks(text: str, source: str = "<text>", profile: str | Profile | None = None) -> list[Task]:
    objs = _objects(text, source)
    if not objs:
        raise TaskError(f"{source}: no tasks in file")
    return unique_tasks((task_from_json(obj, f"{source}: task {i}", profile), source) for i, obj in enumerate(objs))


def unique_tasks(pairs: Iterable[tuple[Task, str]]) -> list[Task]:
    """The tasks of (task, where) pairs, in order, consumed lazily; TaskError `<where>: task '<name>': name used
    twice` at the first repeated name."""
    tasks, names = [], set()
    for t, where in pairs:
        if t.name in names:
            raise TaskError(f"{where}: task '{t.name}': name used twice")
        names.add(t.name)
        tasks.append(t)
    return tasks


def _objects(text: str, source: str) -> list:
    if not text.strip():
        return []   # an empty file: "no tasks in file"
    lines = [(n, ln) for n, ln in enumerate(text.splitlines(), 1) if ln.strip()]
    try:
        doc = loads(text, source, max_chars=MAX_FILE_BYTES)
    except ValueError as whole:
        if len(lines) < 2:
            raise TaskError(str(whole)) from None
        out = []
        for n, ln in lines:                            # JSON Lines?
            try:
                out.append(loads(ln, f"{source}: line {n}", one_line=True))
            except JsonSyntaxError as e:
                first_is_json = n != lines[0][0]
                raise TaskError(str(e if first_is_json or isinstance(whole, JsonSyntaxError) else whole)) from None
            except ValueError as e:
                raise TaskError(str(e)) from None
        return out
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict) and set(doc) == {"tasks"}:
        if not isinstance(doc["tasks"], list):
            raise TaskError(f"{source}: field 'tasks' must be an array of tasks")
        return doc["tasks"]
    if isinstance(doc, dict):
        return [doc]
    raise TaskError(f"{source}: expected a task object, an array of tasks, {{\"tasks\": [...]}} or JSON Lines; "
                    f"got {json_name(doc)}")


def task_from_json(obj: Any, where: str, profile: str | Profile | None = None) -> Task:
    if not isinstance(obj, dict):
        raise TaskError(f"{where}: a task must be an object, got {json_name(obj)}")
    name = obj.get("name", None)
    if name is not None:
        if not isinstance(name, str) or not name:
            raise TaskError(f"{where}: field 'name' must be a non-empty string")
        where = where.rsplit(": task ", 1)[0] + f": task '{clip(name)}'"
    unknown = sorted(set(obj) - TASK_KEYS)
    if unknown:
        raise TaskError(f"{where}: unknown field '{clip(unknown[0])}' (known: {', '.join(sorted(TASK_KEYS))})")
    prof_name = obj.get("profile", "small")
    try:
        p = get_profile(profile if profile is not None else prof_name if isinstance(prof_name, str) else repr(prof_name))
    except ValueError as e:
        raise TaskError(f"{where}, field 'profile': {clip(str(e), 80)}") from None
    try:
        return _task(obj, name or where.rsplit(" ", 1)[-1].join(["task", ""]), p, where)
    except ValueError as e:
        raise TaskError(str(e)) from None


def _int_field(obj, key, where, lo, hi):
    v = obj.get(key)
    if v is None:
        return None
    if type(v) is not int or not lo <= v <= hi:
        raise ValueError(f"{where}, field '{key}': must be an integer in {lo}..{hi}, got {clip(json.dumps(v))}")
    return v


def _task(obj: dict, name: str, p: Profile, where: str) -> Task:
    exs = obj.get("examples")
    if not isinstance(exs, list) or not exs:
        raise ValueError(f"{where}, field 'examples': must be a non-empty array of examples")
    if len(exs) > MAX_EXAMPLES:
        raise ValueError(f"{where}, field 'examples': {len(exs)} examples, more than {MAX_EXAMPLES} (bound)")
    examples = []
    for j, ex in enumerate(exs):
        w = f"{where}, example {j}"
        if not isinstance(ex, dict):
            raise ValueError(f"{w}: must be an object with 'input' and 'output'")
        extra = sorted(set(ex) - {"input", "output"})
        if extra:
            raise ValueError(f"{w}: unknown field '{clip(extra[0])}' (expected 'input' and 'output')")
        for key in ("input", "output"):
            if key not in ex:
                raise ValueError(f"{w}: field '{key}' is missing")
        inp = stack_from_json(ex["input"], p, f"{w}, field 'input'")
        out = stack_from_json(ex["output"], p, f"{w}, field 'output'")
        if len(inp) > p.max_depth:
            raise ValueError(f"{w}, field 'input': stack deeper than max_depth {p.max_depth} of profile '{p.name}'")
        if len(out) > p.max_depth:
            raise ValueError(f"{w}, field 'output': more than max_depth {p.max_depth} values")
        examples.append(Example(tuple(inp), tuple(out)))
    consts = obj.get("constants", [])
    if not isinstance(consts, list):
        raise ValueError(f"{where}, field 'constants': must be an array of values")
    constants = tuple(from_json(c, p, f"{where}, field 'constants'[{k}]") for k, c in enumerate(consts))
    n_const = sum(1 for o in p.ops if o.startswith("c") and o[1:].isdigit())
    free = _int_field(obj, "free_constants", where, 0, n_const)
    if len(constants) > n_const:
        raise ValueError(f"{where}, field 'constants': {len(constants)} constants exceed the {n_const} constant ops "
                         f"of profile '{p.name}'")
    if len(constants) + (free or 0) > n_const:
        raise ValueError(f"{where}, field 'free_constants': {len(constants)} given + {free} free constants "
                         f"exceed the {n_const} constant ops of profile '{p.name}'")
    max_length = _int_field(obj, "max_length", where, 1, p.max_program)
    match = obj.get("match", "top")
    if match not in ("top", "exact"):
        raise ValueError(f"{where}, field 'match': must be \"top\" or \"exact\", got {clip(json.dumps(match))}")
    program = obj.get("program")
    if program is not None:
        _check_program(program, p, f"{where}, field 'program'")
    return Task(name, tuple(examples), constants, free, max_length, match, p.name, program)


def _check_program(program: Any, p: Profile, where: str) -> None:
    """A task's reference `program` must be a string that parses under the task's profile."""
    from .parser import DslSyntaxError, parse
    if not isinstance(program, str):
        raise ValueError(f"{where}: must be a string, got {json_name(program)}")
    check_program_text(program, where)
    try:
        parse(program, p)
    except DslSyntaxError as e:
        raise ValueError(f"{where}: does not parse under profile '{p.name}': {clip(str(e).splitlines()[0], 120)}") from None
