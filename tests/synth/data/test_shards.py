"""synth generate-data end to end: manifest, checksums, determinism across workers, resume, refusal."""
import gzip
import hashlib
import json
from pathlib import Path

import pytest

from dsl import get_profile, parse, run, trace
from dsl.abstract import abstract_stack
from synth.cli import main
from synth.data import iter_runs, iter_steps, steps_of, verify
from synth.errors import UserError

ARGS = ["--count", "3000", "--quiet", "shard_steps=1000", "sampler.length_max=5"]


def _gen(out, *extra, workers=1):
    return main(["generate-data", "--out", str(out), "--workers", str(workers), *ARGS, *extra])


def _files(d: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def _values(xs):
    return [tuple(v) if isinstance(v, list) else v for v in xs]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    d = tmp_path_factory.mktemp("traces") / "a"
    assert _gen(d) == 0
    return d


def test_manifest_and_checksums(made, capsys):
    m = json.loads((made / "manifest.json").read_text())
    assert m["format"] == "synth-traces/1"
    assert (m["profile"], m["seed"], m["level"], m["count"], m["shard_steps"]) == ("small", 0, "concrete", 3000, 1000)
    assert m["config"]["sampler"]["length_max"] == 5 and "workers" not in m["config"]
    assert [s["file"] for s in m["shards"]] == [f"shard-{i:05d}.jsonl.gz" for i in range(3)]
    for sh in m["shards"]:
        data = (made / sh["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sh["sha256"]
        assert 1000 <= sh["steps"] < 1000 + 5  # a shard stops with the run that reaches its share
        assert len(gzip.decompress(data).splitlines()) == sh["runs"]
    assert m["steps"] == sum(s["steps"] for s in m["shards"]) >= 3000
    assert sum(m["op_counts"].values()) == m["steps"]
    assert sum(m["error_counts"].values()) == m["runs"] == sum(s["runs"] for s in m["shards"])
    assert set(m["op_counts"]) == set(get_profile("small").ops)  # every op occurs even in 3000 steps
    assert 0.6 < m["error_counts"]["ok"] / m["runs"] < 0.95  # mostly ok, some errors of several kinds
    assert {"overflow", "type", "underflow"} <= set(m["error_counts"])
    assert verify(made) == m


def test_runs_replay_on_the_machine(made):
    steps, runs = 0, 0
    for rec in iter_runs(made):
        prog = parse(rec["program"], rec["profile"])
        stack, consts = _values(rec["input"]), _values(rec["constants"])
        assert run(prog, stack, consts, "small").to_json() == rec["result"]
        want = trace(prog, stack, consts, "small")
        got = steps_of(rec)
        assert len(got) == len(want)
        for (c, before, item, after, err), w in zip(got, want):
            assert tuple(_values(before)) == w.before and item == prog.items[w.index].text
            assert (after is None and err == w.error) or (tuple(_values(after)) == w.after and err is None)
        assert rec["trace"][0] == rec["input"]
        steps += len(got)
        runs += 1
    m = verify(made)
    assert (steps, runs) == (m["steps"], m["runs"]) == (sum(1 for _ in iter_steps(made)), runs)


def test_same_output_for_two_workers(made, tmp_path):
    assert _gen(tmp_path / "b", workers=2) == 0
    assert _files(made) == _files(tmp_path / "b")


def test_resume_after_deleting_a_shard(made, tmp_path, capsys):
    d = tmp_path / "c"
    assert _gen(d) == 0
    before = _files(d)
    keep = (d / "shard-00000.jsonl.gz").stat().st_mtime_ns
    (d / "shard-00001.jsonl.gz").unlink()
    with pytest.raises(UserError, match="missing"):
        verify(d)
    (d / "manifest.json").unlink()
    (d / "shard-00002.jsonl.gz").write_bytes(b"corrupt")  # a damaged shard is redone too
    assert _gen(d) == 0
    assert _files(d) == before
    assert (d / "shard-00000.jsonl.gz").stat().st_mtime_ns == keep  # intact shards were skipped
    capsys.readouterr()
    assert _gen(d) == 0  # same settings again: nothing to do
    assert json.loads(capsys.readouterr().out)["steps"] == json.loads((d / "manifest.json").read_text())["steps"]
    assert _files(d) == before


def test_refuses_other_settings(made, tmp_path, capsys):
    d = tmp_path / "d"
    assert _gen(d) == 0
    assert _gen(d, "--seed", "1") == 2
    assert "other settings" in capsys.readouterr().err
    (d / "manifest.json").unlink()  # unfinished dataset: its shards still belong to the old settings
    assert _gen(d, "sampler.length_max=6") == 2
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "notes.txt").write_text("mine")
    assert _gen(tmp_path / "e") == 2
    assert "other files" in capsys.readouterr().err
    assert _gen(tmp_path / "f", "--level", "nope") == 2
    assert _gen(tmp_path / "f", "no_such_key=1") == 2


def test_abstract_level(tmp_path):
    d = tmp_path / "sign"
    assert main(["generate-data", "--out", str(d), "--count", "500", "--level", "sign", "--quiet",
                 "--workers", "1", "compress=false"]) == 0
    assert (d / "shard-00000.jsonl").exists()
    for rec in iter_runs(d):
        concrete = trace(parse(rec["program"]), _values(rec["input"]), _values(rec["constants"]))
        assert [list(abstract_stack(s.before, "sign")) for s in concrete] == rec["trace"][:len(concrete)]
        if rec["result"]["ok"]:
            assert list(abstract_stack(concrete[-1].after, "sign")) == rec["trace"][-1]


def test_shipped_config_matches_the_schema_defaults():
    from synth.config import compose
    from synth.data import GenerateConfig
    assert compose("generate_data", [], GenerateConfig) == GenerateConfig()
