"""Benchmark trace generation: trace steps per second for 1 and 2 workers.

    python experiments/bench_tracegen.py                       # small profile, 1M steps, 3 repeats
    python experiments/bench_tracegen.py --count 2000000 --repeats 5 --profile deepcoder

How it is measured: `synth.data.shards.generate` (exactly what `synth generate-data` runs) writes a full
dataset (gzip shards, stats, manifest, checksums) into a fresh temporary directory; the wall-clock time of
that call is divided into the trace steps written. The sampler's one-off op-weight calibration (about a
second per process, done before the pool forks) is excluded by warming it first. Each setting is repeated;
the median and best are printed, since other processes may share the cores. Steps per CPU-second (this
process and its workers, from getrusage) shows the per-core speed independent of such contention; with
W workers on W idle cores the wall rate approaches W times it.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time

from dsl.sampler import get_sampler
from synth.data.shards import GenerateConfig, generate


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measure(cfg: GenerateConfig, workers: int) -> tuple[float, float]:
    """(steps per wall second, steps per CPU second of this process and its workers)."""
    with tempfile.TemporaryDirectory() as d:
        t0, c0 = time.perf_counter(), _cpu()
        manifest = generate(os.path.join(d, "traces"), cfg, workers=workers, progress=False)
        return manifest["steps"] / (time.perf_counter() - t0), manifest["steps"] / (_cpu() - c0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="small")
    ap.add_argument("--count", type=int, default=1_000_000, help="trace steps per measurement")
    ap.add_argument("--shard-steps", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    args = ap.parse_args()
    cfg = GenerateConfig(profile=args.profile, count=args.count, shard_steps=args.shard_steps)
    get_sampler(cfg.profile, cfg.sampler)  # calibrate once, before forking
    print(f"profile={cfg.profile} count={cfg.count} shard_steps={cfg.shard_steps} level={cfg.level} "
          f"gzip={cfg.compress} runs_per_program={cfg.runs_per_program} cpus={os.cpu_count()} "
          f"loadavg={os.getloadavg()[0]:.2f}")
    for w in (int(x) for x in args.workers.split(",")):
        got = [measure(cfg, w) for _ in range(args.repeats)]
        rates, cpu = [g[0] for g in got], [g[1] for g in got]
        print(f"workers={w}: median {statistics.median(rates):,.0f} steps/s, best {max(rates):,.0f} steps/s "
              f"(runs: {', '.join(f'{r:,.0f}' for r in rates)}); per CPU-second {statistics.median(cpu):,.0f} "
              f"steps, loadavg now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
