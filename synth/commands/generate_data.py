"""Sample well-typed programs and inputs, run them on the machine, and write trace shards.

    synth generate-data --out data/small --count 1000000 --workers 2
    synth generate-data --out data/dc --profile deepcoder --count 200000 sampler.length_max=12
    synth generate-data --out data/heldout --seed 1 sampler.int_min=-20 sampler.int_max=20

--count is in TRACE STEPS (executed items, a failing one included), not runs: each shard stops at the
first run that reaches its share, so a dataset holds at least --count steps. Every run line also keeps
its whole trace (all intermediate stacks), for multi-step rollouts. The output is the same for any
--workers. Rerunning the same command resumes (finished, intact shards are kept) or does nothing; a
directory holding a dataset made with other settings is refused. The config is synth/conf/generate_data.yaml
(schema synth.data.shards.GenerateConfig); flags override it. Prints one JSON summary line.
"""
from __future__ import annotations

import json
import time

HELP = "write trace shards of sampled programs (--count is in trace steps)"


def add_arguments(p) -> None:
    p.add_argument("--out", required=True, help="output directory (created; resumed if it holds this dataset)")
    p.add_argument("--count", type=int, help="trace steps to generate in all (config default 1000000)")
    p.add_argument("--profile", help="language profile: small (default) or deepcoder")
    p.add_argument("--seed", type=int, help="random seed (default 0)")
    p.add_argument("--level", help="trace level: concrete (default), sign or type (dsl.abstract)")
    p.add_argument("--workers", type=int, help="worker processes (default: one per CPU core)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def main(args) -> int:
    from ..config import compose
    from ..data.shards import GenerateConfig, generate
    from ..errors import UserError

    flags = {k: getattr(args, k) for k in ("count", "profile", "seed", "level", "workers")}
    overrides = list(args.overrides) + [f"{k}={v}" for k, v in flags.items() if v is not None]
    cfg = compose("generate_data", overrides, GenerateConfig)
    if cfg.workers < 0:
        raise UserError("--workers must be >= 0")
    t0 = time.perf_counter()
    manifest = generate(args.out, cfg, progress=not args.quiet)
    dt = time.perf_counter() - t0
    print(json.dumps({"out": str(args.out), "profile": manifest["profile"], "level": manifest["level"],
                      "runs": manifest["runs"], "steps": manifest["steps"], "shards": len(manifest["shards"]),
                      "errors": manifest["error_counts"], "seconds": round(dt, 2)}))
    return 0
