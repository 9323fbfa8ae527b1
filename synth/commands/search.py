"""Search for a program solving each task of a task file (SPEC §5); one result JSON line per task.

    synth search --io datasets/examples/affine.json
    synth search --io tasks.jsonl --method enumerate --time-limit 5 enumerate.free_constants=1
    synth search --io tasks.json --method default --checkpoint model.pt
    torchrun --nproc_per_node 4 -m synth search --io tasks.jsonl      # tasks split over 4 processes

stdout: one SPEC §5 result object per task, flushed as each finishes; stderr: progress. Exit status 0 when
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
    p.add_argument("--io", required=True, metavar="FILE", help="task file (SPEC §5) or DeepCoder-style JSON Lines")
    p.add_argument("--method", help="search method (default: default, BFS + meeting in the middle)")
    p.add_argument("--time-limit", type=float, metavar="S", help="seconds per task (default 10)")
    p.add_argument("--profile", help="profile for every task (default: each task's own, else small)")
    p.add_argument("--checkpoint", metavar="PATH", help="model checkpoint for neural methods")


def split_config(name: str, overrides, schema, flags: dict):
    """Compose config `name`; return (general settings as `schema`, {method: section dict}).
    Top-level keys other than the schema's (and Hydra's `defaults`) are method sections."""
    import dataclasses

    from omegaconf import OmegaConf

    from ..config import compose, from_dict
    from ..errors import UserError
    from ..search import method_names
    cfg = OmegaConf.to_container(compose(name, list(overrides or [])), resolve=True)
    own = {f.name for f in dataclasses.fields(schema)}
    general = {k: v for k, v in cfg.items() if k in own}
    sections = {k: v for k, v in cfg.items() if k not in own}
    for k, v in sections.items():
        if not isinstance(v, dict):
            raise UserError(f"config '{name}': unknown key '{k}' (settings: {', '.join(sorted(own))}; "
                            f"method sections: {', '.join(method_names())})")
    general.update({k: v for k, v in flags.items() if v is not None})
    return from_dict(schema, general), sections


def make_solver(method: str, sections: dict, checkpoint: str | None):
    """build() the method with its config section; unknown methods or keys become UserError."""
    from ..errors import UserError
    from ..search import build, get_method
    try:
        m = get_method(method)
        return build(method, sections.get(m.section), checkpoint)
    except (ValueError, TypeError) as e:
        raise UserError(str(e)) from None


def main(args) -> int:
    from ..errors import UserError
    from ..search.suites import load_suite
    cfg, sections = split_config("search", args.overrides, SearchConfig,
                                 {"method": args.method, "time_limit": args.time_limit,
                                  "profile": args.profile, "checkpoint": args.checkpoint})
    if cfg.time_limit <= 0:
        raise UserError(f"--time-limit must be positive, got {cfg.time_limit}")
    if cfg.profile is not None:
        from dsl import get_profile
        try:
            get_profile(cfg.profile)
        except ValueError as e:
            raise UserError(f"--profile: {e}") from None
    tasks = load_suite(args.io, cfg.profile)   # validates the whole file first (TaskError -> exit 2)
    solve = make_solver(cfg.method, sections, cfg.checkpoint)
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
