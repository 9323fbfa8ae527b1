"""Checkpoint provenance and `synth info`: every training checkpoint says which command, config, data seed and
commit made it, session by session; checkpoints from before provenance say "not recorded"."""
from __future__ import annotations

import contextlib
import io
import json

import pytest

from conftest import ROOT
from synth.cli import main as cli
from synth.core.checkpoint import load_checkpoint

GROUP = "evaluator"


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def two_sessions(tmp_path_factory):
    out = tmp_path_factory.mktemp("prov") / "run"
    common = ["train-evaluator", "--out", str(out), "--steps", "4", f"{GROUP}=tiny", "train.batch_size=8",
              "data.val_size=0", "train.ckpt_every=1", "train.seed=7", "train.progress=false"]
    assert _run(common + ["train.stop_at=2"])[0] == 0     # session 1: steps 1..2
    assert _run(common)[0] == 0                            # session 2 resumes: steps 3..4
    return out


def test_each_session_is_recorded(two_sessions):
    prov = load_checkpoint(two_sessions / "checkpoint.pt")["meta"]["provenance"]
    assert len(prov) == 2
    assert [p["steps"] for p in prov] == [[1, 2], [3, 4]]
    assert "train.stop_at=2" in prov[0]["command"] and "train.stop_at=2" not in prov[1]["command"]
    for p in prov:
        assert p["command"].startswith("synth train-evaluator --out")
        assert p["data_seed"] == 7 and p["config"]["train"]["seed"] == 7
        assert p["config"]["model"]["d_model"] == 32
        assert p["commit"] == "unknown" or len(p["commit"].split("+")[0]) == 40


def test_info_prints_provenance_of_trained_and_exported(two_sessions):
    for name in ("checkpoint.pt", "evaluator.pt"):    # the export keeps the provenance
        code, out, _ = _run(["info", str(two_sessions / name)])
        assert code == 0
        assert "session 2:" in out and "train.stop_at=2" in out and "data seed: 7" in out, out
    code, out, _ = _run(["info", str(two_sessions / "evaluator.pt"), "--json"])
    info = json.loads(out)
    assert info["kind"] == "synth-evaluator/1" and info["parameters"] > 0 and len(info["provenance"]) == 2


@pytest.mark.parametrize("name", ["evaluator_small.pt", "field_small.pt"])
def test_shipped_checkpoints_say_not_recorded(name):
    code, out, err = _run(["info", str(ROOT / "synth" / "pretrained" / name)])
    assert code == 0 and not err
    assert "provenance:  not recorded" in out and "profile:     small" in out


def test_info_bad_file(tmp_path):
    (tmp_path / "x.pt").write_text("not a checkpoint")
    for path in (tmp_path / "x.pt", tmp_path / "missing.pt"):
        code, out, err = _run(["info", str(path)])
        assert code == 2 and not out and err.count("\n") == 1 and str(path) in err
