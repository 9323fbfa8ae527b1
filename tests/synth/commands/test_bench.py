"""`synth bench`: every method on every task, CSV + JSONL + PNG written, summary printed; DeepCoder JSONL input."""
from __future__ import annotations

import csv
import json

import pytest

from synth.cli import main
from synth.commands.bench import summary

SUITE = [
    {"name": "inc", "examples": [{"input": [x], "output": [x + 1]} for x in (1, 5, -3)], "program": "inc"},
    {"name": "sum-pos", "examples": [{"input": [[1, -2, 3]], "output": [4]}, {"input": [[-1]], "output": [0]},
                                     {"input": [[2, 2]], "output": [4]}], "program": "filter_pos sum"},
    {"name": "noise", "examples": [{"input": [1], "output": [17]}, {"input": [2], "output": [-33]},
                                   {"input": [3], "output": [5]}, {"input": [4], "output": [60]}]},
]


@pytest.mark.slow
def test_bench_end_to_end(tmp_path, capsys):
    suite = tmp_path / "three.jsonl"
    suite.write_text("".join(json.dumps(t) + "\n" for t in SUITE))
    out = tmp_path / "out"
    rc = main(["bench", "--suite", str(suite), "--methods", "enumerate,enumerate_noprune", "--time-limit", "0.3",
               "--out", str(out), "enumerate.max_length=4"])
    assert rc == 0
    stdout, err = capsys.readouterr()
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == 6 and {r["method"] for r in rows} == {"enumerate", "enumerate_noprune"}
    by = {(r["task"], r["method"]): r for r in rows}
    for m in ("enumerate", "enumerate_noprune"):
        assert by["inc", m]["solved"] == "True" and by["inc", m]["program"] == "inc"
        assert by["inc", m]["ref_length"] == "1" and by["sum-pos", m]["ref_length"] == "2"
        assert by["noise", m]["solved"] == "False" and by["noise", m]["ref_length"] == ""
        assert float(by["noise", m]["seconds"]) < 1.5 and int(by["noise", m]["candidates"]) > 0
    assert all(r["suite"] == "three" for r in rows)
    res = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert len(res) == 6 and set(res[0]) == {"suite", "task", "solved", "program", "constants", "seconds", "method",
                                            "candidates"}
    png = (out / "solve_rate.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert "enumerate_noprune" in stdout and "2/3" in stdout and "len 1" in stdout and "len ?" in stdout
    assert "Traceback" not in err


def test_bench_deepcoder_jsonl_and_errors(tmp_path, capsys):
    dc = tmp_path / "pc.jsonl"
    dc.write_text(json.dumps({"program": "x", "examples": [{"inputs": [[3, 1, 2]], "output": [1, 2, 3]},
                                                          {"inputs": [[5, -4]], "output": [-4, 5]}]}) + "\n")
    out = tmp_path / "o"
    assert main(["bench", "--suite", str(dc), "enumerate.max_length=2", "--methods", "enumerate",
                 "--time-limit", "2", "--out", str(out)]) == 0
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert rows[0]["task"] == "pc-1" and rows[0]["solved"] == "True" and rows[0]["program"] == "sort"
    capsys.readouterr()
    assert main(["bench", "--suite", str(dc), "--methods", "enumerate,bogus", "--out", str(out)]) == 2
    assert "bogus" in capsys.readouterr().err
    assert main(["bench", "--suite", str(tmp_path / "missing.jsonl"), "--out", str(out)]) == 2


def test_summary_groups_by_length():
    rows = [{"method": "a", "solved": s, "seconds": 0.1, "ref_length": n} for s, n in
            [(True, 1), (True, 1), (False, 2), (True, "")]]
    text = summary(rows, ["a"])
    head, line = text.splitlines()
    assert head.split() == ["method", "solved", "mean", "s", "(solved)", "len", "1", "len", "2", "len", "?"]
    assert line.split() == ["a", "3/4", "0.100", "2/2", "0/1", "1/1"]
