"""Task files (docs §5, dsl/tasks.py): every accepted form, and every kind of bad file names what is wrong."""
from __future__ import annotations

import json

import pytest

from dsl import TaskError, load_tasks, parse_tasks
from synth.cli import main
from synth.search.suites import load_suite

EX = [{"input": [3], "output": [24]}, {"input": [-1], "output": [-4]}]
TASK = {"name": "affine", "examples": EX, "constants": [7, 3], "free_constants": 0, "max_length": 6, "match": "top"}


def _write(tmp_path, text, name="t.json"):
    f = tmp_path / name
    f.write_text(text)
    return f


@pytest.mark.parametrize("form", ["object", "array", "tasks", "jsonl"])
def test_every_form_loads(tmp_path, form):
    other = {"name": "b", "examples": [{"input": ["ab"], "output": ["ba"]}]}
    text = {"object": json.dumps(TASK),
            "array": json.dumps([TASK, other]),
            "tasks": json.dumps({"tasks": [TASK, other]}, indent=2),
            "jsonl": json.dumps(TASK) + "\n\n" + json.dumps(other) + "\n"}[form]
    tasks = load_tasks(_write(tmp_path, text))
    t = tasks[0]
    assert t.name == "affine" and t.constants == (7, 3) and t.free_constants == 0 and t.max_length == 6
    assert t.examples[0].input == (3,) and t.examples[1].output == (-4,) and t.match == "top"
    assert len(tasks) == (1 if form == "object" else 2)
    if form != "object":
        assert tasks[1].examples[0].output == ("ba",) and tasks[1].free_constants is None


def test_defaults_values_and_round_trip():
    t = parse_tasks(json.dumps({"examples": [{"input": [[1, 2], True, "x"], "output": [[]]}]}))[0]
    assert t.name == "task0" and t.match == "top" and t.constants == () and t.profile == "small"
    assert t.examples[0].input == ((1, 2), True, "x") and t.examples[0].output == ((),)
    assert type(t.examples[0].input[1]) is bool
    again = parse_tasks(json.dumps(parse_tasks(json.dumps(TASK))[0].to_json()))[0]
    assert again == parse_tasks(json.dumps(TASK))[0]


def test_profile_override_widens_limits():
    doc = json.dumps({"name": "big", "examples": [{"input": [200], "output": [201]}]})
    with pytest.raises(TaskError):
        parse_tasks(doc)
    assert parse_tasks(doc, profile="deepcoder")[0].profile == "deepcoder"


def _bad(task_patch=None, example_patch=None, whole=None):
    t = json.loads(json.dumps(TASK))
    if task_patch:
        t.update(task_patch)
    if example_patch:
        t["examples"][1].update(example_patch)
    return whole if whole is not None else json.dumps(t)


BAD = [  # (file text, words the message must contain)
    (_bad(example_patch={"input": [1.5]}), ["task 'affine'", "example 1", "'input'", "fraction"]),
    (_bad(example_patch={"output": [[1, [2]]]}), ["example 1", "'output'", "list elements"]),
    (_bad(example_patch={"input": [[1, True]]}), ["example 1", "'input'", "list elements"]),
    (_bad(example_patch={"input": [None]}), ["example 1", "'input'", "null"]),
    (_bad(example_patch={"input": ["é"]}), ["example 1", "'input'", "printable"]),
    (_bad(example_patch={"input": [64]}), ["example 1", "'input'", "64"]),
    (_bad(example_patch={"input": [{"a": 1}]}), ["example 1", "'input'", "object"]),
    (_bad(example_patch={"input": [1] * 9}), ["example 1", "'input'", "max_depth"]),
    (_bad(example_patch={"input": 3}), ["example 1", "'input'", "array"]),
    (_bad(example_patch={"extra": 1}), ["example 1", "unknown field 'extra'"]),
    (json.dumps({"name": "x", "examples": [{"input": [1]}]}), ["task 'x'", "example 0", "'output'", "missing"]),
    (json.dumps({"name": "x", "examples": [3]}), ["task 'x'", "example 0"]),
    (json.dumps({"name": "x", "examples": []}), ["task 'x'", "'examples'"]),
    (json.dumps({"name": "x"}), ["task 'x'", "'examples'"]),
    (_bad({"constants": [1, 2.5]}), ["task 'affine'", "'constants'"]),
    (_bad({"constants": 3}), ["task 'affine'", "'constants'"]),
    (_bad({"free_constants": 2}), ["task 'affine'", "'free_constants'"]),
    (_bad({"free_constants": -1}), ["task 'affine'", "'free_constants'"]),
    (_bad({"max_length": 0}), ["task 'affine'", "'max_length'"]),
    (_bad({"match": "bottom"}), ["task 'affine'", "'match'"]),
    (_bad({"program": 3}), ["task 'affine'", "'program'"]),
    (_bad({"profile": "huge"}), ["task 'affine'", "'profile'", "small"]),
    (_bad({"colour": "red"}), ["task 'affine'", "unknown field 'colour'"]),
    (_bad({"name": ""}), ["task 0", "'name'"]),
    (json.dumps([TASK, TASK]), ["task 'affine'", "twice"]),
    (json.dumps({"tasks": 3}), ["'tasks'"]),
    (json.dumps(3), ["got an integer"]),
    (json.dumps([3]), ["task 0", "object"]),
    ("", ["no tasks"]),
    ('{"name": "x", "examples": [', ["line 1", "invalid JSON"]),
    (json.dumps(TASK) + "\n" + '{"name": "y", ', ["line 2", "invalid JSON"]),
    ('{"name": "x", "examples": [{"input": [NaN], "output": [1]}]}', ["invalid JSON"]),
]


@pytest.mark.parametrize("text,words", BAD)
def test_bad_file_names_the_problem(tmp_path, text, words):
    f = _write(tmp_path, text)
    with pytest.raises(TaskError) as e:
        load_tasks(f)
    msg = str(e.value)
    assert msg.startswith(str(f)) and "\n" not in msg
    for w in words:
        assert w in msg, (w, msg)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(TaskError, match="cannot read"):
        load_tasks(tmp_path / "nope.json")
    f = tmp_path / "bin.json"
    f.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(TaskError, match="UTF-8"):
        load_tasks(f)


@pytest.mark.parametrize("text,words", BAD[::4])
def test_cli_exit_2_one_line_no_traceback(tmp_path, capsys, text, words):
    f = _write(tmp_path, text)
    assert main(["search", "--io", str(f), "--time-limit", "0.1"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.startswith("synth: error: ") and err.count("\n") == 1 and words[0] in err


def test_deepcoder_jsonl_suite(tmp_path):
    recs = [{"program": "LIST|MAP,*2,0", "examples": [{"inputs": [[1, 2], 3], "output": [2, 4]},
                                                     {"inputs": [[0], 1], "output": 5}]},
            {"examples": [{"inputs": [[-256, 255]], "output": -1}]}]
    f = _write(tmp_path, "\n".join(json.dumps(r) for r in recs) + "\n", "dc.jsonl")
    tasks = load_suite(f)
    assert [t.name for t in tasks] == ["dc-1", "dc-2"] and all(t.profile == "deepcoder" for t in tasks)
    assert tasks[0].examples[0].input == ((1, 2), 3) and tasks[0].examples[0].output == ((2, 4),)
    assert tasks[0].examples[1].output == (5,) and tasks[0].program is None
    bad = _write(tmp_path, json.dumps({"examples": [{"inputs": [[1.5]], "output": 1}]}) + "\n", "dcbad.jsonl")
    with pytest.raises(TaskError, match=r"line 1: task 'dcbad-1', example 0, field 'input'"):
        load_suite(bad)
    # a SPEC file goes through the ordinary loader
    assert load_suite(_write(tmp_path, json.dumps(TASK)))[0].name == "affine"


def test_shipped_task_files_load(root):
    files = sorted((root / "datasets/examples").glob("*.json*")) + sorted((root / "datasets/public").glob("*.jsonl"))
    assert len(files) >= 7
    for f in files:
        assert load_suite(f), f
