"""The command line scales out under torchrun (2 ranks, gloo on CPU): `search` splits the tasks and rank 0 writes
the results in the file's order; `train-evaluator` trains one model with DDP and only rank 0 writes."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow
# the evaluator's config group (`model/` before the rename to `evaluator/`, issue 18)
GROUP = "evaluator"


def _synth(args: list[str], ranks: int = 0, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={ranks}"] if ranks \
        else [sys.executable]
    return subprocess.run(launch + ["-m", "synth", *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=600)


def test_search_splits_tasks_and_rank0_writes_them_in_order(tmp_path):
    args = ["search", "--io", str(ROOT / "datasets/examples/mixed.jsonl"), "--method", "enumerate", "--time-limit", "5"]
    one, two = _synth(args, cwd=tmp_path), _synth(args, ranks=2, cwd=tmp_path)
    assert one.returncode == 0 and two.returncode == 0, two.stderr[-2000:]
    a = [json.loads(x) for x in one.stdout.splitlines()]
    b = [json.loads(x) for x in two.stdout.splitlines()]   # only rank 0 wrote: one line per task
    keep = ("task", "solved", "program", "constants", "method")
    assert [{k: r[k] for k in keep} for r in b] == [{k: r[k] for k in keep} for r in a]
    assert len(a) >= 4 and all(r["solved"] for r in a)
    assert "[rank 0/2]" in two.stderr and "[rank 1/2]" in two.stderr and "on 2 ranks" in two.stderr


def test_train_evaluator_under_torchrun(tmp_path):
    out = tmp_path / "run"
    res = _synth(["train-evaluator", "--out", str(out), "--steps", "3", f"{GROUP}=tiny", "train.batch_size=8",
                  "data.val_size=0", "train.log_every=1", "train.progress=false"], ranks=2, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    lines = res.stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["steps"] == 3     # one summary, from rank 0
    assert (out / "checkpoint.pt").is_file() and (out / "evaluator.pt").is_file()
    assert len((out / "metrics.csv").read_text().splitlines()) == 1 + 3


def test_train_guide_under_torchrun(tmp_path):
    out = tmp_path / "guide"
    res = _synth(["train-guide", "--out", str(out), "--steps", "3", "guide=tiny", "draws=40", "short_sets=1",
                  "train.batch_size=16", "train.log_every=1", "train.eval_every=0", "train.progress=false"],
                 ranks=2, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    lines = res.stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["steps"] == 3     # one summary, from rank 0
    assert (out / "checkpoint.pt").is_file() and (out / "guide.pt").is_file()
    assert len((out / "metrics.csv").read_text().splitlines()) == 1 + 3
