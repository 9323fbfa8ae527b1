"""Search for a program solving each task of a task file (docs §5); one result JSON line per task.

    synth search --io datasets/examples/affine.json
    synth search --io tasks.jsonl --method enumerate --time-limit 5 enumerate.free_constants=1
    synth search --io tasks.json --method default --checkpoint model.pt
    torchrun --nproc_per_node 4 -m synth search --io tasks.jsonl      # tasks split over 4 processes

stdout: one docs §5 result object per task, flushed as each finishes; stderr: progress. Exit status 0 when
the file was valid (whatever was solved); a bad file stops before any search with one line and status 2.
Settings: synth/conf/search.yaml (flags override it; method settings as `<method>.<key>=value`).
DeepCoder-style JSON Lines (`inputs`/`output` examples) are accepted too (synth/search/suites.py).
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Optional

HELP = "search for programs that solve the tasks of a file (one result JSON line per task)"


@dataclass
class SearchConfig:
    method: str = "default"
    time_limit: float = 10.0
    profile: Optional[str] = None
    checkpoint: Optional[str] = None


def add_arguments(p) -> None:
    p.add_argument("--io", required=True, metavar="FILE", help="task file (docs §5) or DeepCoder-style JSON Lines")
    p.add_argument("--method", help="search method (default: default, BFS + meeting in the middle)")
    p.add_argument("--time-limit", type=seconds, metavar="S", help="seconds per task (default 10)")
    p.add_argument("--profile", help="profile for every task (default: each task's own, else small)")
    p.add_argument("--checkpoint", metavar="PATH", help="model checkpoint for neural methods")


def split_config(name: str, overrides, schema, flags: dict):
    """Compose config `name`; return (general settings as `schema`, {method: section dict}).
    The whole config is checked as a structured config: `schema`'s fields plus one section per search
    method, typed by the method's config dataclass (so `time_limit=abc` or `enumerate.prune=maybe` fail)."""
    import dataclasses

    from omegaconf import OmegaConf

    from ..config import check_choices, compose, from_dict, structured
    cfg = compose(name, list(overrides or []))
    merged = structured(name, cfg, settings_schema(schema), {k: v for k, v in flags.items() if v is not None})
    full = OmegaConf.to_container(merged, resolve=True)
    check_choices(full, name)
    own = {f.name for f in dataclasses.fields(schema)}
    general = {k: v for k, v in full.items() if k in own}
    sections = {k: v for k, v in full.items() if k not in own}
    return from_dict(schema, general), sections


def settings_schema(schema):
    """`schema` extended by one field per search-method section (its config dataclass), for OmegaConf."""
    import dataclasses

    from ..search.base import METHODS, _load_builtin
    _load_builtin()
    sections = {}
    for m in METHODS.values():
        if m.config is not None and m.section not in sections:
            sections[m.section] = m.config
    extra = [(sec, cls, dataclasses.field(default_factory=cls)) for sec, cls in sorted(sections.items())]
    return dataclasses.make_dataclass(f"{schema.__name__}WithMethods", extra, bases=(schema,))


def seconds(text: str) -> float:
    """argparse type of --time-limit: a positive, finite number of seconds."""
    import argparse
    import math
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"must be a positive, finite number of seconds, got {text[:24]!r}")
    return v


def check_seconds(v: float, key: str = "time_limit") -> None:
    import math

    from ..errors import UserError
    if not (math.isfinite(v) and v > 0):
        raise UserError(f"{key} must be a positive, finite number of seconds, got {v}")


def make_solver(method: str, sections: dict, checkpoint: str | None):
    """build() the method with its config section; unknown methods or keys become UserError."""
    from ..errors import UserError
    from ..search import build, get_method
    try:
        m = get_method(method)
        if checkpoint and uses_model(m, m.make_config(sections.get(m.section))):
            from ..core.checkpoint import read_checkpoint
            read_checkpoint(checkpoint, f"--checkpoint {checkpoint}")     # unreadable: one line, before loading
        return build(method, sections.get(m.section), checkpoint)
    except (ValueError, TypeError) as e:
        raise UserError(str(e)) from None


def uses_model(m, cfg) -> bool:
    """Will method `m` with config `cfg` load the --checkpoint? (enumeration and prior-free hybrids do not)"""
    return isinstance(m.impl, type) and getattr(cfg, "prior", "gradient") != "none" and \
        getattr(cfg, "latent_weight", 1.0) > 0


def check_constants(tasks, solve, profile) -> None:
    """UserError when a task's given constants plus the method's free constants exceed the profile's."""
    from dsl import get_profile

    from ..errors import UserError
    cfg, section = solve.config, solve.method.section
    if not hasattr(cfg, "free_constants") and hasattr(cfg, "enumerate"):
        cfg, section = cfg.enumerate, f"{section}.enumerate"     # the methods that hold the BFS's settings
    free = getattr(cfg, "free_constants", None)
    if free is None:
        return
    for t in tasks:
        p = get_profile(profile or t.profile)
        n_const = sum(1 for o in p.ops if o.startswith("c") and o[1:].isdigit())
        if t.free_constants is None and len(t.constants) + free > n_const:
            raise UserError(f"task '{t.name}': {len(t.constants)} given constants + {section}.free_constants={free} "
                            f"exceed the {n_const} constant ops of profile '{p.name}'; lower "
                            f"{section}.free_constants or set the task's free_constants")


def main(args) -> int:
    from ..errors import UserError
    from ..search.suites import load_suite
    cfg, sections = split_config("search", args.overrides, SearchConfig,
                                 {"method": args.method, "time_limit": args.time_limit,
                                  "profile": args.profile, "checkpoint": args.checkpoint})
    check_seconds(cfg.time_limit)
    if cfg.profile is not None:
        from dsl import get_profile
        try:
            get_profile(cfg.profile)
        except ValueError as e:
            raise UserError(f"--profile: {e}") from None
    tasks = load_suite(args.io, cfg.profile)   # validates the whole file first (TaskError -> exit 2)
    solve = make_solver(cfg.method, sections, cfg.checkpoint)
    check_constants(tasks, solve, cfg.profile)
    from ..search.scaleout import search_sharded, world
    if world()[1] > 1:   # under torchrun: the ranks split the tasks; rank 0 writes every result, in order
        return search_sharded(tasks, lambda task: solve(task, cfg.time_limit, cfg.profile), solve.method.name)
    n_solved = 0
    for i, task in enumerate(tasks, 1):
        res = solve(task, cfg.time_limit, cfg.profile)
        n_solved += res.solved
        print(json.dumps(res.to_json()), flush=True)
        what = f"solved: {res.program}" if res.solved else "not solved"
        print(f"[{i}/{len(tasks)}] {task.name}: {what} ({res.seconds:.2f} s, {res.candidates} candidates)",
              file=sys.stderr, flush=True)
    print(f"solved {n_solved}/{len(tasks)} with {solve.method.name}", file=sys.stderr)
    return 0
