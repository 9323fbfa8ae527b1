"""Scale-out: split a list of search jobs across processes started by torchrun; results come back in order.

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

import os
from typing import Callable, Sequence


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
        dist.init_process_group("gloo")
        created = True
    try:
        parts: list = [None] * size
        dist.all_gather_object(parts, mine)
    finally:
        if created:
            dist.destroy_process_group()
    out: list = [None] * len(jobs)
    for part in parts:
        for i, res in part:
            out[i] = res
    return out
