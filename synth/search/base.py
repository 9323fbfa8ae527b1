"""What every search method shares: the result type, the verifier and the method registry.

    from synth.search import get_method, build, verify, SearchResult
    solve = build("enumerate", {"prune": False})        # -> solve(task, time_limit, profile) -> SearchResult
    res = solve(task, 5.0, None);  print(json.dumps(res.to_json()))

A method is a function `fn(task, time_limit, profile, config) -> SearchResult` (profile: a dsl Profile,
config: an instance of the method's config dataclass), or a class built once per run as
`cls(config, checkpoint=...)` whose instances are called `obj(task, time_limit, profile, config)` (for neural
methods that load a model once). Register either with `@register_method("name", config=ConfigClass)`;
`section="other"` makes the method read the config section of another (e.g. a variant of `enumerate`),
`defaults={...}` overrides fields of it. `ALIASES` maps a name to a registered one (none is
registered today; `default` is a method of its own, synth/search/default.py). Rule that every method keeps: a result is `solved` only if `verify` returned True for
its program and constants; `candidates` counts the programs the method ran on the real machine.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from dsl import DslSyntaxError, Program, matches, parse, run, to_json
from dsl.ops import CONST_INDEX
from dsl.profiles import Profile, get_profile
from dsl.tasks import Task


@dataclass
class SearchResult:
    """One task's answer, serialised as docs §5's result object by `to_json`.

    `program` is canonical program text, or None when unsolved; `constants` the full list the program runs
    with (the task's given constants, then the free ones the search found; just the given ones if unsolved).
    """
    task: str
    solved: bool
    program: str | None
    constants: list = field(default_factory=list)
    seconds: float = 0.0
    method: str = ""
    candidates: int = 0
    info: dict = field(default_factory=dict)   # method-specific numbers (e.g. the gradient search's steps);
                                               # not part of the result object of docs §5

    def to_json(self) -> dict:
        return {"task": self.task, "solved": self.solved, "program": self.program,
                "constants": [to_json(v) for v in self.constants], "seconds": round(self.seconds, 4),
                "method": self.method, "candidates": self.candidates}


def verify(task: Task, program, constants: Sequence = (), profile: str | Profile | None = None) -> bool:
    """True iff the real machine runs `program` (text, Program or code tuple) with `constants` on every
    example of `task` and every final stack matches (docs §5). Never raises."""
    p = get_profile(profile if profile is not None else task.profile)
    if isinstance(program, str):
        try:
            program = parse(program, p)
        except DslSyntaxError:
            return False
    if task.max_length is not None and len(program) > task.max_length:
        return False
    consts = tuple(constants)
    return all(matches(run(program, ex.input, consts, p), ex.output, task.match) for ex in task.examples)


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def get_clock(name: str):
    """The clock a search counts its time limit on: "wall" time or this process's "cpu" time."""
    if name not in CLOCKS:
        raise ValueError(f"unknown clock {name!r}; choose one of {', '.join(CLOCKS)}")
    return CLOCKS[name]


@dataclass(frozen=True)
class Method:
    name: str
    impl: Callable            # function or class (see module docstring)
    config: type | None       # config dataclass (None: the method takes no config)
    section: str              # config section it reads (its own name unless told)
    defaults: dict            # field overrides applied on top of the section

    def make_config(self, section: dict | None = None):
        """The method's config from a section dict (loud on unknown keys), with this entry's defaults."""
        if self.config is None:
            return None
        from ..config import from_dict
        return dataclasses.replace(from_dict(self.config, dict(section or {})), **self.defaults)


METHODS: dict[str, Method] = {}
ALIASES: dict[str, str] = {}


def register_method(name: str, config: type | None = None, section: str | None = None, defaults: dict | None = None):
    """Decorator: register a search function or class under `name` (see module docstring)."""
    def deco(impl):
        METHODS[name] = Method(name, impl, config, section or name, dict(defaults or {}))
        return impl
    return deco


def method_names() -> list[str]:
    _load_builtin()
    return sorted(set(METHODS) | set(ALIASES))


def get_method(name: str) -> Method:
    """The registered method `name` (aliases resolved); ValueError naming the valid choices otherwise."""
    _load_builtin()
    real = ALIASES.get(name, name)
    if real not in METHODS:
        raise ValueError(f"unknown search method {name!r}; choose one of {', '.join(method_names())}")
    return METHODS[real]


def build(name: str, section: dict | None = None, checkpoint: str | None = None) -> Callable:
    """A ready `solve(task, time_limit, profile=None) -> SearchResult` for method `name`; `section` is its
    config dict (e.g. the `enumerate:` block of search.yaml), `checkpoint` goes to class-based methods."""
    m = get_method(name)
    cfg = m.make_config(section)
    if isinstance(m.impl, type):
        obj = m.impl(cfg, checkpoint=checkpoint)
        call = lambda task, tl, p: obj(task, tl, p, cfg)  # noqa: E731
    else:
        call = lambda task, tl, p: m.impl(task, tl, p, cfg)  # noqa: E731

    def solve(task: Task, time_limit: float, profile: str | Profile | None = None) -> SearchResult:
        p = get_profile(profile if profile is not None else task.profile)
        res = call(task, float(time_limit), p)
        res.method = m.name
        if res.solved and not verify(task, res.program, res.constants, p):  # the last line of defence
            raise AssertionError(f"method {m.name} reported an unverified program for task {task.name}: "
                                 f"{res.program!r} with constants {res.constants!r}")
        return res

    solve.method = m
    solve.config = cfg
    return solve


# Modules that register methods when imported; a module not written yet is skipped.
METHOD_MODULES = ["synth.search.enumerate", "synth.search.gradient", "synth.search.hybrid"]


def _load_builtin() -> None:
    import importlib
    for mod in METHOD_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name != mod:
                raise


def unsolved(task: Task, seconds: float, method: str, candidates: int) -> SearchResult:
    return SearchResult(task.name, False, None, list(task.constants), seconds, method, candidates)


from dsl.machine import code_text as program_text  # noqa: E402,F401  (one code-to-text helper: dsl.machine)


def shorten(prog, ok):
    """Delete segments of 1..3 items (longest first, leftmost first, from the start again after each) while
    ok(shorter) holds; the program itself when nothing can go."""
    changed = True
    while changed and prog:
        changed = False
        for n in (3, 2, 1):
            for j in range(len(prog) - n + 1):
                shorter = prog[:j] + prog[j + n:]
                if ok(shorter):
                    prog, changed = shorter, True
                    break
            if changed:
                break
    return prog


def simplify_code(task: Task, code: list, consts: list, p: Profile, verify) -> tuple[list, list]:
    """Delete segments of 1..3 items while `verify` still accepts the program, then renumber the free
    constants (those after the task's given ones) in order of use and drop unused ones."""
    consts = list(consts)
    code = shorten(list(code), lambda c: verify(task, c, consts, p))
    g = len(task.constants)
    order: list[int] = []
    for c in code:
        if isinstance(c, str) and c in CONST_INDEX and CONST_INDEX[c] >= g and CONST_INDEX[c] not in order:
            order.append(CONST_INDEX[c])
    slot = {k: g + n for n, k in enumerate(order)}
    new = [f"c{slot[CONST_INDEX[c]]}" if isinstance(c, str) and c in CONST_INDEX and CONST_INDEX[c] >= g else c
           for c in code]
    new_consts = list(task.constants) + [consts[k] for k in order]
    return (new, new_consts) if verify(task, new, new_consts, p) else (code, consts)
