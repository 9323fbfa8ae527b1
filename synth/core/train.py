"""The one training loop every model uses: AdamW, warm-up + cosine LR, clipping, bf16, DDP, exact resume.

Usage:
    def loss_fn(model, batch):                     # -> (scalar loss, metrics dict of floats/0-d tensors)
        x, y = batch
        loss = F.mse_loss(model(x), y)
        return loss, {"mse": loss.detach()}
    def get_batch(step, gen, batch_size):          # must depend only on its arguments => exact resume
        x = torch.randn(batch_size, 8, generator=gen)
        return x, 2 * x
    cfg = TrainConfig(steps=1000, lr=3e-4, batch_size=64, out_dir="runs/demo")
    res = fit(model, loss_fn, get_batch, cfg, meta={"profile": profile_dict})
    state = load_checkpoint("runs/demo/checkpoint.pt")     # model, optimizer, step, rng, config, meta...

`gen` is a CPU torch.Generator seeded from (cfg.seed, step, rank). A run killed at any point and
started again with the same cfg (resume=True) continues from out_dir/checkpoint.pt and produces the
same metrics as an uninterrupted run on CPU. Under `torchrun --nproc_per_node N` the model is wrapped
in DistributedDataParallel (gloo on CPU, nccl on CUDA), each rank gets batch_size // N examples, and
only rank 0 writes metrics.csv, TensorBoard events and checkpoints (runlog.py); devices, ranks and the
random streams: ranks.py.
"""
from __future__ import annotations

import math
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
import torch.distributed as dist
from torch import Tensor, nn
from tqdm import tqdm

from .checkpoint import check_resume, fresh_hint, load_checkpoint, read_checkpoint, save_atomic, set_rng_state
from .ranks import LossModule, gather_row, seed_everything, setup_ranks, step_generator, to_device
from .provenance import git_commit
from .runlog import CsvLog, save_state

__all__ = ["FitResult", "TrainConfig", "fit", "load_checkpoint", "lr_factor", "save_atomic", "seed_everything",
           "step_generator", "will_resume"]

DEVICES = ("auto", "cpu", "cuda")
CKPT_NAME, METRICS_NAME = "checkpoint.pt", "metrics.csv"


@dataclass
class TrainConfig:
    steps: int = 1000
    stop_at: int = 0               # > 0: a planned cut, stop (checkpointed) after this step on the schedule of
                                   #   `steps`; running again with stop_at=0 (or later) goes on exactly
    lr: float = 3e-4
    weight_decay: float = 0.01
    beta1: float = 0.9
    beta2: float = 0.95
    warmup: int = 100              # linear warm-up steps
    min_lr_ratio: float = 0.1      # cosine decays lr to lr * min_lr_ratio at `steps`
    batch_size: int = 64           # global: each of N ranks gets batch_size // N
    grad_clip: float = 1.0         # 0 = off
    log_every: int = 10
    ckpt_every: int = 500          # 0 = only at the end
    eval_every: int = 0            # 0 = never (needs eval_fn)
    seed: int = 0
    device: str = "auto"
    amp: bool = True               # bf16 autocast; applies on CUDA only
    out_dir: str = ""              # "" = write nothing
    resume: bool = True            # continue from out_dir/checkpoint.pt when it exists
    tensorboard: bool = False
    progress: bool = True          # tqdm bar on stderr when it is a TTY
    find_unused_parameters: bool = False

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ValueError(f"unknown device {self.device!r}; valid: {', '.join(DEVICES)}")
        if self.steps < 1 or self.batch_size < 1 or self.log_every < 1:
            raise ValueError("steps, batch_size and log_every must be >= 1")
        if min(self.warmup, self.ckpt_every, self.eval_every) < 0 or self.grad_clip < 0 or self.lr <= 0:
            raise ValueError("warmup, ckpt_every, eval_every, grad_clip must be >= 0 and lr > 0")
        if not 0 <= self.stop_at <= self.steps:
            raise ValueError(f"stop_at must be in 0..steps ({self.steps}), got {self.stop_at}")
        if not 0.0 <= self.min_lr_ratio <= 1.0:
            raise ValueError(f"min_lr_ratio must be in [0, 1], got {self.min_lr_ratio}")


@dataclass
class FitResult:
    step: int                                   # optimizer steps done in total
    history: list[dict[str, float]] = field(default_factory=list)   # logged rows of this call (rank 0)
    checkpoint: str | None = None


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """Multiplier of cfg.lr at optimizer step `step` (0-based): linear warm-up then cosine."""
    if step < cfg.warmup:
        return (step + 1) / cfg.warmup
    progress = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def fit(model: nn.Module, loss_fn: Callable[[nn.Module, Any], tuple[Tensor, dict]],
        get_batch: Callable[[int, torch.Generator, int], Any], cfg: TrainConfig,
        meta: dict[str, Any] | None = None, extra: dict[str, Any] | None = None,
        eval_fn: Callable[[nn.Module, int], dict[str, float]] | None = None) -> FitResult:
    """Train `model` in place for cfg.steps optimizer steps, or up to cfg.stop_at (resuming if a checkpoint exists).

    meta: JSON-like dict stored in every checkpoint (e.g. the language profile, the model config).
    extra: name -> object with state_dict()/load_state_dict() (e.g. an EMA), checkpointed too.
    eval_fn(model, step) -> metrics: run on rank 0 every cfg.eval_every steps in eval mode, no grad.
    A fresh run seeds python/numpy/torch with cfg.seed + rank (dropout streams); build the model before.
    """
    rank, world, device, created = setup_ranks(cfg)
    git_commit()                         # the commit this run starts from (cached: what its checkpoints record)
    out = Path(cfg.out_dir) if cfg.out_dir else None
    if out is not None and rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg))
    extra = extra or {}
    start, ckpt_path = 0, (out / CKPT_NAME if out is not None else None)
    seed_everything(cfg.seed + rank)
    if will_resume(cfg):
        try:
            state = read_checkpoint(ckpt_path, f"{ckpt_path} (resume)", map_location=device)
        except ValueError as e:
            raise type(e)(f"{e}; {fresh_hint(None, ckpt_path)}") from None
        check_resume(state, cfg, meta, ckpt_path)
        try:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            for k, obj in extra.items():
                obj.load_state_dict(state["extra"][k])
        except (RuntimeError, KeyError, ValueError) as e:
            from ..errors import UserError
            raise UserError(f"{ckpt_path}: cannot resume, it does not fit this model "
                            f"({str(e).splitlines()[0][:120]}); {fresh_hint(meta, ckpt_path)}") from None
        start = int(state["step"])
        if rank < len(state["rng"]):
            set_rng_state(state["rng"][rank])
        if rank == 0:
            print(f"resumed from {ckpt_path} at step {start} of {cfg.steps}", file=sys.stderr, flush=True)
    log = tb = None
    if out is not None and rank == 0:
        log = CsvLog(out / METRICS_NAME, keep_until=start if start else None)
        if cfg.tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
                tb = SummaryWriter(str(out / "tb"), purge_step=start or None)
            except ImportError as e:
                warnings.warn(f"tensorboard requested but unavailable: {e}")
    net: nn.Module = LossModule(model, loss_fn)
    if world > 1:
        net = nn.parallel.DistributedDataParallel(
            net, device_ids=[device.index] if device.type == "cuda" else None,
            find_unused_parameters=cfg.find_unused_parameters)
    amp = cfg.amp and device.type == "cuda"
    result = FitResult(step=start, checkpoint=str(ckpt_path) if ckpt_path and ckpt_path.exists() else None)
    bar = tqdm(total=cfg.steps, initial=start, file=sys.stderr, dynamic_ncols=True,
               disable=not (cfg.progress and rank == 0 and sys.stderr.isatty()))
    t_start = time.perf_counter()
    net.train()
    end = cfg.stop_at or cfg.steps
    for step in range(start, end):
        batch = to_device(get_batch(step, step_generator(cfg.seed, step, rank), cfg.batch_size // world), device)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
            loss, metrics = net(batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = nn.utils.clip_grad_norm_(params, cfg.grad_clip) if cfg.grad_clip > 0 else None
        lr = opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
        done = step + 1
        bar.update(1)
        row: dict[str, float] = {}
        if done % cfg.log_every == 0 or done == end:
            row = gather_row(loss, metrics, gnorm, world, device)
            if not math.isfinite(row["loss"]):
                raise FloatingPointError(f"non-finite loss {row['loss']} at step {done}")
            row.update(lr=lr, time_s=time.perf_counter() - t_start)
            bar.set_postfix(loss=f"{row['loss']:.4g}")
        if eval_fn is not None and cfg.eval_every and done % cfg.eval_every == 0 and rank == 0:
            row.update(_run_eval(eval_fn, model, done))
        if row and rank == 0:
            row = {"step": done, **row}
            result.history.append(row)
            if log is not None:
                log.add(row)
            if tb is not None:
                for k, v in row.items():
                    if k != "step":
                        tb.add_scalar(k, v, done)
        if ckpt_path is not None and (done == end or (cfg.ckpt_every and done % cfg.ckpt_every == 0)):
            save_state(ckpt_path, model, opt, sched, done, cfg, meta, extra, rank, world)
            result.checkpoint = str(ckpt_path)
        result.step = done
    bar.close()
    if tb is not None:
        tb.close()
    if world > 1:
        del net                                             # DDP's reducer holds the group: free it first,
        dist.barrier()                                      # and let every rank finish its last write, so no
    if created:                                             # rank tears gloo down under a peer (SIGABRT)
        dist.destroy_process_group()
    return result


def will_resume(cfg: TrainConfig) -> bool:
    """True when `fit(cfg=cfg)` would continue from out_dir's checkpoint (so warm starts can be skipped)."""
    return bool(cfg.resume and cfg.out_dir and (Path(cfg.out_dir) / CKPT_NAME).exists())


def _run_eval(eval_fn: Callable, model: nn.Module, step: int) -> dict[str, float]:
    was_training = model.training
    model.eval()
    with torch.no_grad(), torch.random.fork_rng(devices=[]):   # eval never perturbs the training RNG
        res = {k: float(v) for k, v in eval_fn(model, step).items()}
    model.train(was_training)
    return res


