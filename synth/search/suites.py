"""Load task suites for `synth search` and `synth bench`: docs §5 task files, or DeepCoder-style JSON Lines.

    tasks = load_suite("datasets/public/small.jsonl")          # list[dsl.Task]; format detected per file
    tasks = load_suite("pccoder_test.jsonl", profile="deepcoder")

DeepCoder style (as PCCoder's data): one object per line, `{"examples": [{"inputs": [...], "output": v}, ...],
...}`; each becomes a task (docs §5) with `input` = the inputs (bottom first) and `output` = `[v]`, named
`<file stem>-<line>` unless the object has a `name`, profile `deepcoder` unless `profile` says otherwise.
Their own `program` field (another language) is dropped. Bad files raise dsl.TaskError naming the task.
"""
from __future__ import annotations

from pathlib import Path

from dsl.tasks import MAX_FILE_BYTES, Task, TaskError, parse_tasks, read_text, task_from_json, unique_tasks
from dsl.values import loads


def _first_object(text: str):
    """The first task-like object of a file, or None (errors are reported by the loader that follows)."""
    try:
        doc = loads(text, "", max_chars=MAX_FILE_BYTES)
    except ValueError:
        for line in text.splitlines():
            if line.strip():
                try:
                    return loads(line, "")
                except ValueError:
                    return None
        return None
    if isinstance(doc, list):
        return doc[0] if doc else None
    if isinstance(doc, dict) and isinstance(doc.get("tasks"), list):
        return doc["tasks"][0] if doc["tasks"] else None
    return doc


def is_deepcoder(obj) -> bool:
    """Does this object look like a DeepCoder/PCCoder record (examples with `inputs`)?"""
    if not isinstance(obj, dict) or not isinstance(obj.get("examples"), list) or not obj["examples"]:
        return False
    ex = obj["examples"][0]
    return isinstance(ex, dict) and "inputs" in ex and "input" not in ex


def load_suite(path: str | Path, profile: str | None = None) -> list[Task]:
    """The tasks of one file, in either format (see module docstring)."""
    path = Path(path)
    text = read_text(path)
    if not is_deepcoder(_first_object(text)):
        return parse_tasks(text, str(path), profile)
    return unique_tasks(_deepcoder_tasks(text, path, profile))


def _deepcoder_tasks(text: str, path: Path, profile: str | None):
    """(task, where) of each line of a DeepCoder-style file, one at a time (an error stops at its line)."""
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}: line {n}"
        try:
            obj = loads(line, where, one_line=True)
        except ValueError as e:
            raise TaskError(str(e)) from None
        if not is_deepcoder(obj):
            raise TaskError(f"{where}: expected a DeepCoder-style object with 'examples': [{{'inputs', 'output'}}]")
        exs = []
        for j, ex in enumerate(obj["examples"]):
            if not isinstance(ex, dict) or "inputs" not in ex or "output" not in ex:
                raise TaskError(f"{where}, example {j}: needs fields 'inputs' and 'output'")
            exs.append({"input": ex["inputs"], "output": [ex["output"]]})   # (too many: task_from_json says)
        name = obj.get("name") if isinstance(obj.get("name"), str) else f"{path.stem}-{n}"
        d = {"name": name, "examples": exs, "profile": obj.get("profile", "deepcoder")}
        yield task_from_json(d, f"{where}: task '{name}'", profile), where
