"""dsl.sampler: well-typed, non-trivial, covering, deterministic sampling of inputs, programs, runs, tasks."""
import random
from collections import Counter

import pytest

from dsl import get_profile, parse, run, trace
from dsl.ops import OPS
from dsl.sampler import (_BANNED, _DROP_AFTER, SamplerConfig, get_sampler, op_weights, sample_inputs,
                         sample_program, sample_run, sample_task, trace_stacks)
from dsl.tasks import parse_tasks
from dsl.values import check_value, type_of

SMALL = get_profile("small")


def _programs(profile, n, seed=0, **kw):
    s = get_sampler(profile, SamplerConfig(**kw))
    rng = random.Random(seed)
    for _ in range(n):
        in_types, ctypes = s.types(rng), s.const_types(rng)
        consts = [s.value(rng, t) for t in ctypes]
        yield s, in_types, consts, s.program(rng, in_types, None, ctypes, consts)


def test_programs_are_well_typed_on_inputs_of_their_types():
    errors, runs = Counter(), 0
    for s, in_types, consts, code in _programs("small", 2000):
        for _ in range(3):
            stack = s.inputs(random.Random(runs), in_types)
            assert [type_of(v) for v in stack] == list(in_types)
            r = run(code, stack, consts, "small")
            runs += 1
            errors[r.error] += 1
    # no type, underflow or missing-constant error ever: those are decided by types alone
    assert errors["type"] == errors["underflow"] == errors["missing_constant"] == errors["too_long"] == 0
    assert errors[None] / runs > 0.7, errors  # mostly non-failing ...
    assert errors["overflow"] + errors["index"] + errors["div_zero"] > 0  # ... but some value errors are kept


def test_deepcoder_type_errors_only_from_to_int():
    runs, type_errors = 0, 0
    for s, in_types, consts, code in _programs("deepcoder", 600, seed=1):
        stack = s.inputs(random.Random(runs), in_types)
        r = run(code, stack, consts, "deepcoder")
        runs += 1
        assert r.error not in ("underflow", "missing_constant")
        if r.error == "type":
            type_errors += 1
            assert code[r.at] == "to_int"  # the one value-dependent type error
    assert type_errors / runs < 0.1


def test_covers_every_op_of_small():
    seen = Counter()
    for _, _, _, code in _programs("small", 2000, seed=2):
        seen.update(x for x in code if type(x) is str)
    assert set(seen) == set(SMALL.ops)
    # balanced within a factor ~10 (calibrated weights): no op is starved
    assert min(seen.values()) * 10 > max(seen.values()), seen.most_common()
    w = op_weights("small")
    assert set(w) == set(SMALL.ops) and all(v > 0 for v in w.values())


def test_no_useless_patterns():
    for _, _, _, code in _programs("small", 1500, seed=3):
        prev = None
        for i, item in enumerate(code):
            assert (prev, item) not in _BANNED, code
            if item == "drop":
                assert prev in _DROP_AFTER, code
            if i >= 2 and code[i - 2:i + 1] == ["rot", "rot", "rot"]:
                pytest.fail(f"rot rot rot in {code}")
            prev = item
        assert code[:2] not in (["dup", "drop"], ["swap", "swap"], ["not", "not"])


def test_determinism():
    def draw(seed):
        rng = random.Random(seed)
        return ([sample_run(rng) for _ in range(20)], sample_task(rng, "small", 3, 4).to_json(),
                sample_inputs(rng, "small"), sample_program(rng, "small", ("int",), 4, 1).text)
    assert draw(7) == draw(7)
    assert draw(7) != draw(8)


def test_sample_inputs_ranges_and_types():
    rng = random.Random(0)
    for _ in range(300):
        st = sample_inputs(rng, "small", ("int", "list", "str", "bool"), int_range=(-3, 4), max_len=2)
        assert [type_of(v) for v in st] == ["int", "list", "str", "bool"]
        assert -3 <= st[0] <= 4 and all(-3 <= x <= 4 for x in st[1])
        assert len(st[1]) <= 2 and len(st[2]) <= 2
        st = sample_inputs(rng, "deepcoder", depth=5)
        assert len(st) == 5 and all(check_value(v, get_profile("deepcoder")) is None for v in st)
    wide = [v for _ in range(500) for v in sample_inputs(rng, "small", ("int",))]
    assert min(wide) < -30 and max(wide) > 30  # default: the profile's whole range
    with pytest.raises(ValueError, match="within profile"):
        sample_inputs(rng, "small", int_range=(-100, 0))
    with pytest.raises(TypeError):
        sample_inputs(rng, "small", no_such_knob=1)


def test_sample_program_respects_signature_and_constants():
    rng = random.Random(4)
    for _ in range(200):
        prog = sample_program(rng, "small", ("list", "int"), 5, n_consts=2, const_types=("int", "str"))
        assert len(prog) == 5 and parse(prog.text, "small") == prog
        assert not any(it.op == "c2" for it in prog.items)
    prog = sample_program(rng, "small", ("int",), 3, constants=(5,))
    assert len(prog) == 3
    with pytest.raises(ValueError):
        sample_program(rng, "small", (), 3)  # nothing to work on, no constants


def test_sample_run_is_a_spec_record_answered_by_the_machine():
    rng = random.Random(5)
    for _ in range(200):
        rec = sample_run(rng, "small")
        assert set(rec) == {"program", "input", "constants", "profile", "result"}
        prog = parse(rec["program"], "small")
        assert prog.text == rec["program"]
        stack = [tuple(v) if isinstance(v, list) else v for v in rec["input"]]
        consts = [tuple(v) if isinstance(v, list) else v for v in rec["constants"]]
        assert run(prog, stack, consts, "small").to_json() == rec["result"]


def test_bad_steps_fail_with_type_level_errors():
    s = get_sampler("small", SamplerConfig(bad_step_p=1.0))
    rng, kinds = random.Random(6), Counter()
    for _ in range(300):
        code, consts, outs = s.runs(rng, 2)
        for stacks, err, at in outs:
            if at == len(code) - 1:  # the deliberate item
                kinds[err] += 1
            else:  # a value error before it
                assert err in ("overflow", "index", "div_zero")
    assert set(kinds) == {"type", "underflow", "missing_constant"} and sum(kinds.values()) > 500


def test_trace_stacks_agrees_with_machine_trace():
    s = get_sampler("small", SamplerConfig(bad_step_p=0.2))
    rng = random.Random(7)
    for _ in range(300):
        code, consts, outs = s.runs(rng, 2)
        for stacks, err, at in outs:
            steps = trace(code, stacks[0], consts, "small")
            assert [st.before for st in steps] == stacks[:len(steps)]
            assert steps[-1].error == err
            if err is None:
                assert steps[-1].after == stacks[-1] and len(stacks) == len(code) + 1
            else:
                assert steps[-1].index == at and len(stacks) == at + 1
    assert trace_stacks(["dup"] * 20, [1], (), SMALL)[1] == "too_long"


def test_sample_task():
    rng = random.Random(8)
    for length in (1, 3, 5):
        t = sample_task(rng, "small", length, 5)
        assert len(parse(t.program, "small")) == length and len(t.examples) == 5
        assert len({repr(e.input) for e in t.examples}) == 5
        for e in t.examples:
            r = run(parse(t.program, "small"), e.input, t.constants, "small")
            assert r.ok and r.stack[-1:] == e.output
        assert parse_tasks(__import__("json").dumps(t.to_json()))[0].examples == t.examples
    t = sample_task(rng, "small", 3, 4, n_consts=1, free_constants=True, name="free")
    assert t.name == "free" and t.constants == () and t.free_constants == 1
    assert "c0" in t.program.split()
    for e in t.examples:
        assert run(parse(t.program), e.input, t.extra["constants"]).stack[-1:] == e.output
    t = sample_task(rng, "small", 5, 3, n_consts=2, free_constants=True)
    assert {"c0", "c1"} <= set(t.program.split()) and len(t.extra["constants"]) == 2
    t = sample_task(rng, "small", 2, 3, match="exact")
    assert all(run(parse(t.program), e.input, t.constants).stack == e.output for e in t.examples)


def test_held_out_distribution_differs():
    cfg = SamplerConfig(int_min=-5, int_max=5, max_len=2)
    rng = random.Random(9)
    for _ in range(100):
        rec = sample_run(rng, "small", cfg=cfg)
        for v in rec["input"] + rec["constants"]:
            if type(v) is int:
                assert -5 <= v <= 5
            elif isinstance(v, (list, str)):
                assert len(v) <= 2
    assert all(OPS[o] for o in op_weights("small", cfg))
