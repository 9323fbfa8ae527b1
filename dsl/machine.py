"""The machine (docs §2): run a program on a stack, concretely. Never raises on any program or input.

    from dsl import parse, run, trace
    r = run(parse("dup mul c0 add"), [3], constants=[1], profile="small")
    r.ok, r.stack == True, [10];   r.to_json() == {"ok": True, "stack": [10]}
    steps = trace(prog, [3], [1])   # [Step(index, item, before, after | None, error | None), ...]

`program` may be a parsed `Program`, its `.code`, or a sequence of op names (strings) and literal values
wrapped as 1-tuples. Dispatch is by table: each op name maps to a precompiled step function.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .ops import CONST_INDEX, OPS, Fail, Op
from .parser import Program
from .profiles import Profile, get_profile
from .values import Value, check_value, literal_text, to_json


@dataclass(frozen=True)
class Result:
    ok: bool
    stack: tuple = ()          # final stack (bottom first) when ok
    error: str | None = None   # error kind when not ok
    at: int | None = None      # index of the failing item

    def to_json(self) -> dict:
        if self.ok:
            return {"ok": True, "stack": [to_json(v) for v in self.stack]}
        return {"ok": False, "error": self.error, "at": self.at}


@dataclass(frozen=True)
class Step:
    index: int
    item: str | tuple
    before: tuple
    after: tuple | None
    error: str | None


_TYPECHECK = {"int": int, "bool": bool, "str": str, "list": tuple}


def _compile(op: Op):
    """A step function `f(stack: list, p) -> None` that raises Fail; specialised per op for speed."""
    n, fn, checked = op.arity, op.fn, op.checked
    toks = op.inputs
    checks = tuple((i, _TYPECHECK[t]) for i, t in enumerate(toks) if t in _TYPECHECK)  # concrete input types
    generic = any(t in ("s", "T") for t in toks)

    s_at = [i for i, t in enumerate(toks) if t == "s"]
    t_at = [i for i, t in enumerate(toks) if t == "T"]

    def generic_ok(args) -> bool:   # the `s` inputs are one sequence type, the `T` inputs one type
        if s_at:
            first = type(args[s_at[0]])
            if first is not str and first is not tuple:
                return False
            for i in s_at[1:]:
                if type(args[i]) is not first:
                    return False
        if t_at:
            first = type(args[t_at[0]])
            for i in t_at[1:]:
                if type(args[i]) is not first:
                    return False
        return True

    if n == 1 and not generic:         # the common shapes, specialised: same checks in the same order
        want = _TYPECHECK.get(toks[0])

        def step1(stack: list, p: Profile) -> None:
            if not stack:
                raise Fail("underflow")
            a = stack[-1]
            if want is not None and type(a) is not want:
                raise Fail("type")
            out = fn(p, a)
            if checked:
                _check(out, p)
            stack[-1:] = out
        return step1
    if n == 2 and not generic:
        want_a, want_b = _TYPECHECK.get(toks[0]), _TYPECHECK.get(toks[1])

        def step2(stack: list, p: Profile) -> None:
            if len(stack) < 2:
                raise Fail("underflow")
            a, b = stack[-2], stack[-1]
            if (want_a is not None and type(a) is not want_a) or (want_b is not None and type(b) is not want_b):
                raise Fail("type")
            out = fn(p, a, b)
            if checked:
                _check(out, p)
            stack[-2:] = out
        return step2

    def step(stack: list, p: Profile) -> None:
        k = len(stack) - n
        if k < 0:
            raise Fail("underflow")
        args = stack[k:]
        for i, want in checks:
            if type(args[i]) is not want:
                raise Fail("type")
        if generic and not generic_ok(args):
            raise Fail("type")
        out = fn(p, *args)
        if checked:
            _check(out, p)
        del stack[k:]
        stack.extend(out)

    return step


def _check(out: tuple, p: Profile) -> None:
    """Fail("overflow") unless every output value is within the profile's limits."""
    for v in out:
        if type(v) is int:
            if not p.int_min <= v <= p.int_max:
                raise Fail("overflow")
        elif check_value(v, p) is not None:
            raise Fail("overflow")


STEPS = {name: _compile(op) for name, op in OPS.items() if op.fn is not None}


def apply(item, stack: list, constants: Sequence[Value], p: Profile) -> None:
    """Execute one item on `stack` in place; raises Fail(kind). Checks max_depth after the item."""
    if type(item) is str:
        k = CONST_INDEX.get(item)
        if k is None:
            STEPS[item](stack, p)
        elif k < len(constants):
            stack.append(constants[k])
        else:
            raise Fail("missing_constant")
    else:
        stack.append(item[0])
    if len(stack) > p.max_depth:
        raise Fail("overflow")


def code_text(code: Sequence) -> str:
    """Canonical program text of machine code (op names, literals as 1-tuples)."""
    return " ".join(x if type(x) is str else literal_text(x[0]) for x in code)


def _code(program) -> tuple:
    return program.code if isinstance(program, Program) else tuple(program)


def run(program, stack: Sequence[Value], constants: Sequence[Value] = (), profile="small") -> Result:
    """Run `program` on `stack` (bottom first); a Result, never an exception (docs §2)."""
    p = get_profile(profile)
    code = _code(program)
    if len(code) > p.max_program:
        return Result(False, error="too_long", at=p.max_program)
    st = list(stack)
    err = execute(code, st, constants, p)
    return Result(True, stack=tuple(st)) if err is None else Result(False, error=err[0], at=err[1])


def execute(code: tuple, st: list, constants: Sequence[Value], p: Profile) -> tuple[str, int] | None:
    """The loop of `run` without its checks and its Result: run `code` on the list `st` in place; None when
    every item ran, else (error kind, index of the failing item). Never raises."""
    depth = p.max_depth
    for i, item in enumerate(code):
        try:   # `apply`, inlined: this loop is the hot path of `run` and of `synth run --file`
            if type(item) is str:
                step = STEPS.get(item)
                if step is not None:
                    step(st, p)
                elif CONST_INDEX[item] < len(constants):
                    st.append(constants[CONST_INDEX[item]])
                else:
                    raise Fail("missing_constant")
            else:
                st.append(item[0])
            if len(st) > depth:
                raise Fail("overflow")
        except Fail as f:
            return f.kind, i
        except Exception:  # defensive: an unforeseen Python error is a type error of that item
            return "type", i
    return None


def trace(program, stack: Sequence[Value], constants: Sequence[Value] = (), profile="small") -> list[Step]:
    """Every step of a run: the stack before and after each item, ending at the first error."""
    p = get_profile(profile)
    code = _code(program)
    if len(code) > p.max_program:
        return [Step(p.max_program, None, tuple(stack), None, "too_long")]
    st, steps = list(stack), []
    for i, item in enumerate(code):
        before = tuple(st)
        try:
            apply(item, st, constants, p)
        except Fail as f:
            steps.append(Step(i, item, before, None, f.kind))
            break
        except Exception:
            steps.append(Step(i, item, before, None, "type"))
            break
        steps.append(Step(i, item, before, tuple(st), None))
    return steps


def matches(result: Result, output: Sequence[Value], match: str = "top") -> bool:
    """Does a run's result satisfy an example's expected output (docs §5)?"""
    if not result.ok:
        return False
    out = tuple(output)
    if match == "exact":
        return _same(result.stack, out)
    return len(result.stack) >= len(out) and _same(result.stack[len(result.stack) - len(out):], out)


def _same(a: tuple, b: tuple) -> bool:  # value equality that keeps True apart from 1
    return len(a) == len(b) and all(type(x) is type(y) and x == y for x, y in zip(a, b))
