"""dsl/records.py, the engine of `synth run --file`: the same answers as the careful path, byte for byte on
json.dumps-written lines, and it never accepts a record that the command's own validation rejects."""
from __future__ import annotations

import json
import random

import pytest

from dsl import get_profile, parse, run
from dsl.records import answer_file, answer_line, quick_load, result_text
from dsl.sampler import sample_run
from synth.commands.run import _load, answer
from synth.errors import UserError

from conftest import spec_cases


def _records(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        rec = sample_run(rng, rng.choice(["small", "deepcoder"]), literal_p=0.2, bad_step_p=0.1)
        if i % 3:
            rec.pop("result")
        if i % 7 == 0:
            rec["program"] = rng.choice(["frob ", "1x ", "[1 2 ", '"a ', "dup  ", "# c\n"]) + rec["program"]
        if i % 11 == 0 and "result" in rec:   # `result` not last: it keeps its place
            rec = {"result": rec.pop("result"), **rec}
        out.append(rec)
    return out


def test_answers_equal_the_careful_path(tmp_path):
    recs = _records(600) + spec_cases()
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs) + "\n   \n")
    want = "".join(json.dumps({**r, "result": answer(*_load(r, "x"))}) + "\n" for r in recs)
    assert answer_file(path) == want


def test_result_text_is_json_dumps():
    rng = random.Random(1)
    for _ in range(500):
        rec = sample_run(rng, rng.choice(["small", "deepcoder"]), literal_p=0.2, bad_step_p=0.1)
        p = get_profile(rec["profile"])
        res = run(parse(rec["program"], p), *[[_v(x) for x in rec[k]] for k in ("input", "constants")], p)
        assert result_text(res) == json.dumps(res.to_json())


def _v(x):
    return tuple(x) if type(x) is list else x


def test_a_line_keeps_its_own_text():
    rec = {"program": "dup mul", "input": [3]}
    line = '{"input":[3],   "program":"dup mul"}'
    out = answer_line(rec, quick_load(rec), line)
    assert out == '{"input":[3],   "program":"dup mul", "result": {"ok": true, "stack": [9]}}'
    assert json.loads(out)["result"] == {"ok": True, "stack": [9]}


BAD = ['{"program": "dup", "input": [1.0]}', '{"program": "dup", "input": [[true]]}', '{"program": 3}',
       '{"program": "dup", "input": [99]}', '{"program": "dup", "profile": "big"}', '{"program": "dup", "x": 1}',
       '{"program": "dup", "input": [1, 2, 3, 4, 5, 6, 7, 8, 9]}', '[1]', '{"program": "dup"', 'NaN',
       '{"program": "dup", "input": ["\\u00e9"]}', '{"program": "dup", "input": ["abcdefg"]}',
       '{"program": "dup", "constants": [null]}', '{"program": "dup", "input": 3}', '{"program": "dup", "profile": null}']


@pytest.mark.parametrize("line", BAD)
def test_anything_doubtful_goes_to_the_careful_path(tmp_path, line):
    path = tmp_path / "runs.jsonl"
    path.write_text('{"program": "dup", "input": [1]}\n' + line + "\n")
    assert answer_file(path) is None


def test_quick_load_never_accepts_what_the_command_rejects():
    rng = random.Random(5)
    pool = [0, 1, -1, 63, 64, -64, -65, 255, 256, True, False, None, 1.5, "", "ab", "abcdefg", "é", [], [1, 2],
            [True], [1.0], [[1]], list(range(7)), list(range(21)), {}]
    for _ in range(3000):
        rec = {"program": rng.choice(["dup", "add", 3, "frob"])}
        for key in ("input", "constants"):
            if rng.random() < 0.8:
                rec[key] = [rng.choice(pool) for _ in range(rng.randrange(0, 10))] if rng.random() < 0.95 else 7
        if rng.random() < 0.5:
            rec["profile"] = rng.choice(["small", "deepcoder", "big", None])
        if rng.random() < 0.05:
            rec["extra"] = 1
        quick = quick_load(rec)
        try:
            careful = _load(rec, "x")
        except UserError:
            careful = None
        if quick is not None:
            assert careful is not None, rec
            assert (quick[0], quick[1], list(map(_v, quick[2])), list(map(_v, quick[3]))) == careful, rec
