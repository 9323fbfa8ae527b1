"""The language reference stands alone: its generated tables match the code, the edge cases are ours, and no
file of the repository names a path outside it."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import EDGE_CASES, ROOT, read_jsonl
from dsl import OPS, PROFILES
from dsl import doc as gen

DOC = ROOT / "docs" / "language.md"
# Optional cross-check for the team's CI: the shared edge cases beside the repository, when they exist.
SHARED_CASES = Path(os.environ.get("SYNTH_SHARED_CASES", ROOT.parent / "shared" / "spec_cases.jsonl"))
OUTSIDE = ["../" + "shared", "shared" + "/", "SPEC" + ".md", "DESIGN" + ".md", "/" + "work/"]


def test_doc_tables_match_the_code():
    text = DOC.read_text(encoding="utf-8")
    assert gen.sections(text) == ["ops", "profiles"]
    assert gen.render(text) == text, "run: python -m dsl.doc --write docs/language.md"


def test_every_op_and_profile_is_in_the_doc():
    text = DOC.read_text(encoding="utf-8")
    for name in OPS:
        assert f"| `{name}` |" in text, name
    for p in PROFILES.values():
        assert f"| `{p.name}` | {p.int_min}..{p.int_max} |" in text, p.name


def test_drift_is_detected(monkeypatch):
    text = DOC.read_text(encoding="utf-8")
    monkeypatch.setitem(gen.MEANING, "add", "a plus b, changed")
    assert gen.render(text) != text
    monkeypatch.delitem(gen.MEANING, "add")
    with pytest.raises(KeyError, match="add"):
        gen.ops_table()


def test_check_command(tmp_path):
    stale = tmp_path / "language.md"
    stale.write_text(DOC.read_text(encoding="utf-8").replace("| `dup` | stack |", "| `dup` | stak |"))
    assert gen.main(["--check", str(stale)]) == 1
    assert gen.main(["--write", str(stale)]) == 0
    assert gen.main(["--check", str(stale)]) == 0
    assert stale.read_text() == DOC.read_text(encoding="utf-8")


def test_edge_cases_cover_every_error_kind_and_profile():
    cases = read_jsonl(EDGE_CASES)
    assert len(cases) >= 100
    kinds = {c["result"].get("error") for c in cases} - {None}
    assert kinds == {"underflow", "type", "overflow", "div_zero", "index", "missing_constant", "too_long"}
    assert {c.get("profile", "small") for c in cases} == set(PROFILES)


@pytest.mark.skipif(not SHARED_CASES.exists(), reason="no shared edge cases beside the repository")
def test_edge_cases_agree_with_the_shared_copy():
    def key(c):
        return c["program"], repr(c["input"]), repr(c.get("constants", [])), c.get("profile", "small")
    ours = {key(c): c["result"] for c in read_jsonl(EDGE_CASES)}
    theirs = {key(c): c["result"] for c in read_jsonl(SHARED_CASES)}
    assert set(theirs) <= set(ours), f"shared cases we lack: {sorted(set(theirs) - set(ours))[:3]}"
    assert all(ours[k] == theirs[k] for k in theirs)


def test_no_file_names_a_path_outside_the_repository():
    try:
        files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    bad = []
    for name in files:
        path = ROOT / name
        if path.suffix in (".pt", ".png", ".npz") or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        bad += [f"{name}: {pat}" for pat in OUTSIDE if pat in text]
    assert not bad, bad
