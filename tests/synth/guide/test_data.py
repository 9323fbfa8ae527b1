"""The guide's training data: the DeepCoder-style stream, the exhaustive short programs, one guide per profile."""
from __future__ import annotations

import functools

import pytest

from conftest import ROOT
from dsl import get_profile
from dsl.redundancy import outputs
from synth.guide.data import draw, suite_keys
from synth.guide.short import input_set, short_tasks


def test_deepcoder_generator_reproduces_the_suites():
    """dsl.deepcoder with seed 20 / 21 gives the tasks of datasets/deepcoder_dsl (first 3 of each)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("mk", ROOT / "experiments/make_deepcoder_dsl.py")
    mk = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mk)
    import json
    for n in (5, 8):
        want = [json.loads(x) for x in (ROOT / f"datasets/deepcoder_dsl/s{n}.jsonl").read_text().splitlines()[:3]]
        assert mk.make(n, 3) == want


def test_deepcoder_stream_alternates_and_stays_off_the_suites():
    keys = suite_keys()
    recs = [draw("deepcoder", 5, i, keys) for i in range(40)]
    assert recs == [draw("deepcoder", 5, i, keys) for i in range(40)]               # deterministic
    dc = [r for i, r in enumerate(recs) if i % 2 and r is not None]
    assert len(dc) >= 12 and max(len(r["code"]) for r in dc) >= 6
    p = get_profile("deepcoder")
    for r in dc:                                    # DeepCoder ops only (no constants), the outputs are the code's
        assert not r["free"] and outputs(r["code"], r["inputs"], (), p) == r["outputs"]
        ex = repr([([list(v) if type(v) is tuple else v for v in s], [list(v) if type(v) is tuple else v for v in o])
                   for s, o in zip(r["inputs"], r["outputs"])])
        assert ex not in keys


@pytest.mark.parametrize("profile", ["small", "deepcoder"])
def test_short_programs_are_exhaustive_and_distinct(profile):
    p = get_profile(profile)
    recs = short_tasks(profile, 2, seed=3)
    by_set: dict = {}
    for r in recs:
        by_set.setdefault(repr(r["inputs"]), []).append(r)
    assert by_set
    for inputs_key, rs in by_set.items():
        inputs = rs[0]["inputs"]
        outs = [repr(r["outputs"]) for r in rs]
        assert len(outs) == len(set(outs))                           # one program per behaviour
        assert {len(r["code"]) for r in rs} <= {1, 2}
        kept = {repr(r["outputs"]): r["code"] for r in rs}
        for op in p.ops:                                             # every useful one-item program is there
            if op.startswith("c") and op[1:].isdigit():
                continue
            o = outputs([op], inputs, (), p)
            if o is None or len({repr(x) for x in o}) == 1 or repr(o) == repr([s[-1:] for s in inputs]):
                continue
            assert repr(o) in kept, op
            assert len(kept[repr(o)]) == 1                           # ... and its label is a one-item program
    assert input_set(profile, 3, 0) == input_set(profile, 3, 0)


def test_one_guide_per_profile(monkeypatch):
    """Without --checkpoint the guided search loads the shipped guide of each task's profile, once."""
    import synth.guide.api as api
    from synth.search.guided import GuidedConfig, GuidedSearch
    got = []
    monkeypatch.setattr(api, "load_guide", lambda path=None, profile="small": got.append((path, profile)) or profile)
    monkeypatch.setattr(api, "load_guide_once", functools.lru_cache(api.load_guide_once.__wrapped__))  # own cache
    s = GuidedSearch(GuidedConfig())
    assert s.guide(get_profile("deepcoder")) == "deepcoder" and s.guide(get_profile("small")) == "small"
    s.guide(get_profile("small"))
    assert got == [(None, "deepcoder"), (None, "small")]
    assert api.shipped("deepcoder").name == "guide_deepcoder.pt"
    with pytest.raises(ValueError, match="no shipped guide"):
        api.shipped("nope")
