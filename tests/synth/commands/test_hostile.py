"""Hostile input (issue 19): every loader answers generated bad records with exit 2, one line on stderr and no
traceback; bounds are named; resumes with changed settings are refused; the gradient search caps its batches."""
from __future__ import annotations

import contextlib
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synth.cli import main

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


def cli(*argv) -> tuple[int, str]:
    """(exit status, stderr) of `synth ARGV` run in this process; a traceback would raise here."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            rc = main(list(argv))
        except SystemExit as e:           # argparse
            rc = e.code
    return rc, err.getvalue()


def assert_one_line(rc: int, err: str, *words: str) -> None:
    assert rc == 2, (rc, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 400, err[:1000]
    for w in words:
        assert w in lines[0], (w, lines[0])


# ---- generated hostile JSON lines ------------------------------------------------------------------------------
def _nested(n: int) -> str:
    return "[" * n + "1" + "]" * n


VALID = {"program": "dup mul", "input": [3], "constants": [1]}
hostile_values = st.one_of(
    st.integers(33, 3000).map(_nested),                                       # deep nesting
    st.integers(21, 6000).map(lambda n: "9" * n),                             # huge ints
    st.integers(21, 6000).map(lambda n: "-" + "7" * n),
    st.sampled_from(['"x"', "{}", "null", "1.5", "true", "NaN", '{"a": 1}']),  # wrong types
)
broken_json = st.text(min_size=0, max_size=30).map(lambda t: '{"program": "dup", ' + json.dumps(t)[:-1])


@st.composite
def hostile_record(draw) -> bytes:
    kind = draw(st.sampled_from(["value", "unknown", "json", "utf8", "toplevel"]))
    if kind == "value":                       # a field of the wrong type, too deep, or an int too big
        key = draw(st.sampled_from(["program", "input", "constants", "profile"]))
        rec = json.dumps({k: v for k, v in VALID.items() if k != key})
        value = draw(hostile_values.filter(lambda v: key != "program" or v != '"x"'))   # (a string program is
        line = rec[:-1] + f', "{key}": {value}' + "}"                                  #  answered "syntax")
    elif kind == "unknown":
        key = draw(st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=2000)
                   .filter(lambda k: k not in {"program", "input", "constants", "profile", "result"}))
        line = json.dumps({**VALID, key: 1})
    elif kind == "json":
        line = draw(broken_json)
    elif kind == "toplevel":
        line = draw(hostile_values)
    else:
        bad = draw(st.binary(min_size=1, max_size=8).map(lambda b: b"\xff" + b))
        return json.dumps(VALID).encode()[:-1] + b', "x": "' + bad + b'"}\n'
    return line.encode() + b"\n"


@FAST
@given(rec=hostile_record(), before=st.integers(0, 2))
def test_run_file_hostile_records(tmp_path, rec, before):
    f = tmp_path / "runs.jsonl"
    f.write_bytes((json.dumps(VALID) + "\n").encode() * before + rec)
    rc, err = cli("run", "--file", str(f))
    assert_one_line(rc, err, str(f), f"line {before + 1}")


@FAST
@given(rec=hostile_record())
def test_eval_traces_hostile_records(tmp_path, rec):
    f = tmp_path / "traces.jsonl"
    f.write_bytes(rec)
    for command in ("eval-evaluator", "eval-field"):                # checked before any model is loaded
        rc, err = cli(command, "--traces", str(f))
        assert_one_line(rc, err, str(f), "line 1")


TASK = {"name": "t", "examples": [{"input": [1], "output": [2]}]}
OPTIONAL = {"name", "free_constants", "max_length", "program"}


@st.composite
def hostile_task(draw) -> bytes:
    kind = draw(st.sampled_from(["field", "example", "unknown", "json", "utf8", "program"]))
    body = json.dumps(TASK)
    if kind == "field":
        key = draw(st.sampled_from(["name", "examples", "constants", "free_constants", "max_length", "match",
                                    "profile", "program"]))
        value = draw(hostile_values.filter(lambda v: not (v == "null" and key in OPTIONAL or v == '"x"' and key == "name")))
        return (body[:-1] + f', "{key}": {value}' + "}").encode()       # (null: an optional field left out)
    if kind == "example":
        key = draw(st.sampled_from(["input", "output"]))
        value = draw(hostile_values.filter(lambda v: v not in ('"x"', "true")))    # (those are stack values)
        return json.dumps({"name": "t", "examples": [{"input": [1], "output": [2]}]}).replace(
            f'"{key}": [{1 if key == "input" else 2}]', f'"{key}": [{value}]').encode()
    if kind == "unknown":
        return json.dumps({**TASK, draw(st.sampled_from(["inputs", "Name", "x" * 5000])): 1}).encode()
    if kind == "json":
        return draw(broken_json).encode()
    if kind == "program":
        prog = draw(st.sampled_from(["dup foo", "[1 2", '"abc', "9" * 5000, "dup " * 3000, "c9"]))
        return json.dumps({**TASK, "program": prog}).encode()
    return body.encode()[:-1] + b', "note": "\xff\xfe"}'


@FAST
@given(text=hostile_task(), jsonl=st.booleans())
def test_task_file_hostile(tmp_path, text, jsonl):
    f = tmp_path / "tasks.jsonl"
    f.write_bytes(json.dumps({**TASK, "name": "ok"}).encode() + b"\n" + text if jsonl else text)
    rc, err = cli("search", "--io", str(f), "--method", "enumerate", "--time-limit", "0.1")
    assert_one_line(rc, err, str(f))


OVERRIDE_KEYS = ["time_limit", "enumerate.max_length", "enumerate.prune", "enumerate.literals", "enumerate.clock",
                 "enumerate.free_min", "gradient.lr", "gradient.executor", "hybrid.meet", "meet.prior_max",
                 "gradient.alphas"]


@settings(max_examples=15, deadline=None)
@given(key=st.sampled_from(OVERRIDE_KEYS),
       value=st.one_of(st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=12)
                       .map(lambda t: "x" + t), st.just("[a,b]"), st.just("{a: 1}")))
def test_search_overrides_hostile(key, value):
    if key == "enumerate.literals" and value.startswith("x"):
        value = "[" + value + "]"
    rc, err = cli("search", "--io", "datasets/examples/affine.json", f"{key}={value}")
    assert_one_line(rc, err, f"'{key}")


@pytest.mark.parametrize("argv,words", [
    (["search", "--io", "datasets/examples/affine.json", "--time-limit", "nan"], ["--time-limit", "nan"]),
    (["search", "--io", "datasets/examples/affine.json", "--time-limit", "inf"], ["--time-limit"]),
    (["search", "--io", "datasets/examples/affine.json", "--time-limit", "-1"], ["--time-limit"]),
    (["search", "--io", "datasets/examples/affine.json", "--method", "enumerate", "time_limit=nan"], ["time_limit"]),
    (["search", "--io", "datasets/examples/affine.json", "enumerate.clock=sundial"], ["enumerate.clock", "wall, cpu"]),
    (["search", "--io", "datasets/examples/affine.json", "enumerate.prune=maybe"], ["enumerate.prune"]),
    (["search", "--io", "datasets/examples/affine.json", "foo=1"], ["'foo'", "unknown key"]),
    (["search", "--io", "datasets/examples/affine.json", "--method", "gradient", "--checkpoint", "synth/pretrained"],
     ["is a directory"]),
    (["run", "dup", "--input", "[" + "9" * 5000 + "]"], ["--input", "digits (bound)"]),
    (["run", "1" * 4000], ["digits (bound)"]),
    (["run", "dup " * 2000], ["longer than", "(bound)"]),
    (["run", "dup", "--constants", _nested(2000)], ["--constants", "nested deeper than 32"]),
    (["generate-data", "--out", "/dev/null/x", "--count", "10"], ["--out /dev/null/x", "cannot create"]),
    (["train-evaluator", "--out", "/dev/null/x", "--steps", "1"], ["--out /dev/null/x", "cannot create"]),
])
def test_cli_hostile_cases(argv, words):
    rc, err = cli(*argv)
    assert_one_line(rc, err, *words)


def test_huge_value_is_not_echoed():
    rc, err = cli("run", "dup", "--input", "[" + "9" * 19 + "]")
    assert_one_line(rc, err, "outside -64..63")
    rc, err = cli("run", "--file", "/nonexistent/runs.jsonl")
    assert_one_line(rc, err, "cannot read")


def test_task_file_limits(tmp_path):
    from dsl.tasks import MAX_EXAMPLES
    f = tmp_path / "big.json"
    f.write_text(json.dumps({"name": "big", "examples": [{"input": [1], "output": [2]}] * (MAX_EXAMPLES + 1)}))
    rc, err = cli("search", "--io", str(f), "--method", "enumerate", "--time-limit", "0.1")
    assert_one_line(rc, err, "field 'examples'", f"more than {MAX_EXAMPLES} (bound)")
    f.write_text(json.dumps({**TASK, "constants": [1, 2, 3, 4]}))
    rc, err = cli("search", "--io", str(f), "--method", "enumerate")
    assert_one_line(rc, err, "field 'constants'")
    assert "None" not in err
    f.write_text(json.dumps({**TASK, "constants": [1, 2, 3]}))
    rc, err = cli("search", "--io", str(f), "--method", "enumerate", "enumerate.free_constants=1")
    assert_one_line(rc, err, "enumerate.free_constants=1", "task 't'")
    for method in ("meet", "default"):                      # the methods that hold the BFS's settings
        rc, err = cli("search", "--io", str(f), "--method", method, "enumerate.free_constants=1")
        assert_one_line(rc, err, f"{method}.enumerate.free_constants=1", "task 't'")


def test_bad_profile_in_run_file_names_file_and_line(tmp_path):
    f = tmp_path / "r.jsonl"
    f.write_text(json.dumps(VALID) + "\n" + json.dumps({**VALID, "profile": "huge"}) + "\n")
    rc, err = cli("run", "--file", str(f))
    assert_one_line(rc, err, f"{f}: line 2, field 'profile'", "small, deepcoder")


# ---- resume --------------------------------------------------------------------------------------------------
def _fit(out, **kw):
    import torch

    from synth.core.train import TrainConfig, fit
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    cfg = TrainConfig(**{"steps": 4, "stop_at": 2, "batch_size": 4, "warmup": 1, "out_dir": str(out),
                         "progress": False, **kw})
    return fit(model, lambda m, b: (((m(b) - 1) ** 2).mean(), {}), lambda s, g, n: torch.randn(n, 2, generator=g),
               cfg, meta={"config": {"init": "", "train": {}}})


def test_resume_refuses_changed_settings(tmp_path, capsys):
    from synth.errors import UserError
    _fit(tmp_path)
    with pytest.raises(UserError) as e:
        _fit(tmp_path, stop_at=0, lr=1e-3)
    msg = str(e.value)
    assert "train.lr 0.0003 -> 0.001" in msg and "init=" in msg and "--out" in msg and "\n" not in msg
    assert "stop_at" not in msg                         # a planned cut may change
    capsys.readouterr()
    res = _fit(tmp_path, stop_at=0)
    err = capsys.readouterr().err
    assert res.step == 4 and "resumed from" in err and "at step 2 of 4" in err


def test_resume_from_truncated_checkpoint(tmp_path):
    from synth.errors import UserError
    _fit(tmp_path)
    ck = tmp_path / "checkpoint.pt"
    ck.write_bytes(ck.read_bytes()[:200])
    with pytest.raises(UserError, match="not a readable checkpoint"):
        _fit(tmp_path, stop_at=0)


# ---- bounded work of the gradient search ----------------------------------------------------------------------
class _FakeExecutor:
    """Records how many examples each latent step sends through the 'model'."""

    def __init__(self, profile, row_cost=0.0):
        self.profile, self.rows, self.row_cost = profile, [], row_cost

    def plan(self, sp):
        return None

    def encode(self, view, R, q, alpha, free_vals=None):
        import torch
        self.rows.append(R * len(view.inputs))
        return torch.zeros(R * len(view.inputs), 1)

    def rollout(self, plan, z0, w, alpha):
        return z0 + w.sum((1, 2))[:, None]

    def loss(self, view, z, R, alpha):
        self.row_cost = 0.0 if self.row_cost < 1 else self.row_cost
        return (z ** 2).sum(-1)


def test_gradient_caps_rows_and_samples_by_task_size():
    from dsl import get_profile
    from dsl.tasks import parse_tasks
    from synth.search.gradient import GradientConfig, gradient_search
    from synth.search.gradient_steps import _Search
    p = get_profile("small")
    task = parse_tasks(json.dumps({"name": "many", "examples": [{"input": [i % 20], "output": [(i % 20) * 3 + 1]}
                                                                 for i in range(500)]}))[0]
    cfg = GradientConfig(meet=False, restarts=4, latent_rows=32, sample_runs=2000, cycle_steps=4)
    ex = _FakeExecutor(p)
    gradient_search(task, 1.0, p, cfg, ex)
    assert ex.rows and max(ex.rows) <= 32
    s = _Search(task, 1.0, p, cfg, ex, None, None)
    assert s.n_samples == 4                            # 2000 // 500
    slow = _FakeExecutor(p, row_cost=100.0)           # a model step that cannot end before the deadline ...
    gradient_search(task, 0.5, p, cfg, slow)
    assert slow.rows == []                             # ... is not started: the time limit holds
    small = parse_tasks(json.dumps(TASK))[0]
    assert _Search(small, 1.0, p, cfg, ex, None, None).n_samples == cfg.samples
