"""Scale-out: split a list of search jobs across processes started by torchrun; results come back in order.

    torchrun --nproc_per_node 4 -m synth search --io tasks.jsonl                   # the CLI: rank 0 writes
    torchrun --nproc_per_node 4 experiments/bench_search.py --time-limit 10        # 4 ranks on one machine
    torchrun --nnodes 2 --nproc_per_node 8 --rdzv_endpoint HOST:29500 ...         # or several machines

    from synth.search.scaleout import run_jobs
    results = run_jobs(jobs, fn)        # fn(job) -> result (picklable); every rank returns the full list

Rank r of W runs jobs r, r + W, r + 2W, ... (a strided slice, so slow and fast tasks spread evenly), then
the ranks exchange their results with `torch.distributed.all_gather_object` over the gloo backend (CPU; it
also works beside NCCL jobs) and every rank returns all results in the jobs' order. Without torchrun (no
WORLD_SIZE in the environment, or 1) it is a plain loop. A process group it finds already initialised is used
as is; one it creates itself it also destroys.
"""
from __future__ import annotations

import datetime
import json
import os
import sys
from typing import Callable, Sequence

TIMEOUT = datetime.timedelta(hours=24)   # ranks wait for the slowest one at the gather: searches may be long


def world() -> tuple[int, int]:
    """(rank, world size) from torch.distributed if initialised, else from torchrun's environment."""
    try:
        import torch.distributed as dist
        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
    except ImportError:
        pass
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def run_jobs(jobs: Sequence, fn: Callable, on_result: Callable | None = None) -> list:
    """Run fn over jobs split across the ranks; every rank gets the results of all jobs, in order.
    on_result(index, result) is called on each rank for its own jobs as they finish (e.g. progress)."""
    rank, size = world()
    mine = []
    for i in range(rank, len(jobs), size):
        res = fn(jobs[i])
        mine.append((i, res))
        if on_result is not None:
            on_result(i, res)
    if size == 1:
        return [r for _, r in mine]
    import torch.distributed as dist
    created = False
    if not dist.is_initialized():
        dist.init_process_group("gloo", timeout=TIMEOUT)
        created = True
    try:
        parts: list = [None] * size
        dist.all_gather_object(parts, mine)
        dist.barrier()                                      # no rank tears gloo down under a peer
    finally:
        if created:
            dist.destroy_process_group()
    out: list = [None] * len(jobs)
    for part in parts:
        for i, res in part:
            out[i] = res
    return out


def search_sharded(tasks: Sequence, solve: Callable, method: str) -> int:
    """`synth search` under torchrun: each rank solves its strided share of `tasks` (progress on stderr, tagged
    with the rank); rank 0 then writes every result line to stdout in the file's order, and the summary."""
    rank, size = world()

    def progress(i: int, res) -> None:
        what = f"solved: {res.program}" if res.solved else "not solved"
        print(f"[rank {rank}/{size}] [{i + 1}/{len(tasks)}] {tasks[i].name}: {what} ({res.seconds:.2f} s, "
              f"{res.candidates} candidates)", file=sys.stderr, flush=True)

    results = run_jobs(tasks, solve, on_result=progress)
    if rank == 0:
        for res in results:
            print(json.dumps(res.to_json()))
        sys.stdout.flush()
        print(f"solved {sum(r.solved for r in results)}/{len(tasks)} with {method} on {size} ranks", file=sys.stderr)
    return 0
