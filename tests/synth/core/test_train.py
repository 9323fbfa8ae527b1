"""Tests of synth.core.train: learning, exact kill-and-resume, checkpoints, config errors, DDP (CPU, gloo)."""
from __future__ import annotations

import csv
import os
import random
import socket

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from synth.core import Transformer, TransformerConfig, TrainConfig, fit, load_checkpoint
from synth.core.train import lr_factor

torch.set_num_threads(1)


class Tiny(nn.Module):
    """Embed 8 random features per token, one transformer, read out; target: the running sum."""

    def __init__(self, dropout: float = 0.1):
        super().__init__()
        self.inp = nn.Linear(1, 16)
        self.tr = Transformer(TransformerConfig(d_model=16, n_heads=2, n_layers=1, max_len=8, dropout=dropout,
                                                causal=True))
        self.out = nn.Linear(16, 1)

    def forward(self, x):                                   # (B, T) -> (B, T)
        return self.out(self.tr(self.inp(x[..., None])))[..., 0]


def get_batch(step, gen, batch_size):
    x = torch.randn(batch_size, 8, generator=gen)
    return {"x": x, "y": x.cumsum(1) / 2}


def loss_fn(model, batch):
    mse = F.mse_loss(model(batch["x"]), batch["y"])
    jitter = 1 + 1e-3 * random.random() + 1e-3 * float(np.random.rand())   # python + numpy RNG must resume too
    return mse * jitter, {"mse": mse.detach()}


def make(seed=0, **kw):
    torch.manual_seed(seed)
    return Tiny(**kw)


def read(path, drop=("time_s",)):
    with open(path, newline="") as f:
        return [{k: v for k, v in r.items() if k not in drop} for r in csv.DictReader(f)]


def test_training_lowers_the_loss(tmp_path):
    cfg = TrainConfig(steps=40, lr=3e-3, warmup=5, batch_size=32, log_every=1, ckpt_every=0,
                      out_dir=str(tmp_path), progress=False)
    res = fit(make(dropout=0.0), loss_fn, get_batch, cfg)
    first = np.mean([r["mse"] for r in res.history[:5]])
    last = np.mean([r["mse"] for r in res.history[-5:]])
    assert last < 0.5 * first, (first, last)
    assert res.step == 40 and len(read(tmp_path / "metrics.csv")) == 40


class Killed(Exception):
    pass


def test_kill_and_resume_is_bit_identical(tmp_path):
    base = dict(steps=14, lr=3e-3, warmup=3, batch_size=8, log_every=1, ckpt_every=4, progress=False,
                eval_every=7)
    eval_fn = lambda m, step: {"probe": float(m(torch.ones(1, 8)).sum()) + random.random() * 0}  # noqa: E731
    a = fit(make(), loss_fn, get_batch, TrainConfig(**base, out_dir=str(tmp_path / "a")), eval_fn=eval_fn)

    def dying(step, gen, bs):
        if step == 10:                                      # dies after the checkpoint at 8, mid-interval
            raise Killed
        return get_batch(step, gen, bs)
    torch.manual_seed(123)                                  # the global RNG state before resuming must not matter
    with pytest.raises(Killed):
        fit(make(), loss_fn, dying, TrainConfig(**base, out_dir=str(tmp_path / "b")), eval_fn=eval_fn)
    assert len(read(tmp_path / "b" / "metrics.csv")) == 10 and load_checkpoint(tmp_path / "b" / "checkpoint.pt")["step"] == 8
    np.random.seed(5), random.seed(5)
    m_b = make(seed=99)                                     # a fresh process would build a differently-seeded model
    b = fit(m_b, loss_fn, get_batch, TrainConfig(**base, out_dir=str(tmp_path / "b")), eval_fn=eval_fn)
    assert b.step == 14 and [r["step"] for r in b.history] == list(range(9, 15))
    ra, rb = read(tmp_path / "a" / "metrics.csv"), read(tmp_path / "b" / "metrics.csv")
    assert len(ra) == 14 and ra == rb                       # every logged number, as text, identical
    assert "probe" in ra[6] and ra[6]["probe"] != ""
    sa = load_checkpoint(tmp_path / "a" / "checkpoint.pt")["model"]
    for k, v in sa.items():
        assert torch.equal(v, m_b.state_dict()[k]), k
    assert not list((tmp_path / "b").glob("*.tmp"))


_CHILD = """
import os, signal, sys
sys.path.insert(0, {tests!r})
import torch
from test_train import TrainConfig, fit, get_batch, loss_fn, make
torch.set_num_threads(1)
def dying(step, gen, bs):
    if step == 7:
        os.kill(os.getpid(), signal.SIGKILL)           # no cleanup, no exception handlers
    return get_batch(step, gen, bs)
fit(make(), loss_fn, dying, TrainConfig(**{base!r}, out_dir={out!r}))
"""


@pytest.mark.slow
def test_resume_after_sigkill(tmp_path):
    import subprocess
    import sys
    base = dict(steps=10, lr=3e-3, warmup=2, batch_size=8, log_every=1, ckpt_every=3, progress=False)
    code = _CHILD.format(tests=os.path.dirname(__file__), base=base, out=str(tmp_path / "b"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    assert load_checkpoint(tmp_path / "b" / "checkpoint.pt")["step"] == 6
    fit(make(), loss_fn, get_batch, TrainConfig(**base, out_dir=str(tmp_path / "b")))
    fit(make(), loss_fn, get_batch, TrainConfig(**base, out_dir=str(tmp_path / "a")))
    assert read(tmp_path / "a" / "metrics.csv") == read(tmp_path / "b" / "metrics.csv")


def test_stop_at_is_a_planned_cut_on_the_full_schedule(tmp_path):
    base = dict(steps=9, lr=3e-3, warmup=2, batch_size=8, log_every=1, ckpt_every=0, progress=False)
    a = fit(make(), loss_fn, get_batch, TrainConfig(**base, out_dir=str(tmp_path / "a")))
    cut = fit(make(), loss_fn, get_batch, TrainConfig(**base, stop_at=4, out_dir=str(tmp_path / "b")))
    assert cut.step == 4 and load_checkpoint(tmp_path / "b" / "checkpoint.pt")["step"] == 4
    assert [r["lr"] for r in cut.history] == [r["lr"] for r in a.history[:4]]   # not a 4-step schedule
    fit(make(), loss_fn, get_batch, TrainConfig(**base, out_dir=str(tmp_path / "b")))
    assert read(tmp_path / "a" / "metrics.csv") == read(tmp_path / "b" / "metrics.csv")


def test_checkpoint_contents_and_finished_run_is_a_noop(tmp_path):
    cfg = TrainConfig(steps=3, batch_size=4, warmup=1, log_every=1, out_dir=str(tmp_path), progress=False)
    fit(make(), loss_fn, get_batch, cfg, meta={"profile": {"name": "small", "ints": [-8, 8]}})
    s = load_checkpoint(tmp_path / "checkpoint.pt")        # weights_only=True load
    assert set(s) >= {"model", "optimizer", "scheduler", "step", "rng", "config", "meta", "extra"}
    assert s["step"] == 3 and s["config"]["steps"] == 3 and s["meta"]["profile"]["name"] == "small"
    assert set(s["rng"][0]) == {"python", "numpy", "torch", "cuda"}
    again = fit(make(), loss_fn, get_batch, cfg)
    assert again.step == 3 and again.history == []


def test_tensorboard_is_optional(tmp_path):
    cfg = TrainConfig(steps=2, batch_size=4, log_every=1, out_dir=str(tmp_path), tensorboard=True, progress=False)
    try:
        import torch.utils.tensorboard  # noqa: F401
    except ImportError:
        with pytest.warns(UserWarning, match="tensorboard"):
            fit(make(), loss_fn, get_batch, cfg)
    else:
        fit(make(), loss_fn, get_batch, cfg)
        assert list((tmp_path / "tb").iterdir())
    assert len(read(tmp_path / "metrics.csv")) == 2


def test_lr_schedule():
    cfg = TrainConfig(steps=110, lr=1.0, warmup=10, min_lr_ratio=0.1)
    assert lr_factor(0, cfg) == pytest.approx(0.1) and lr_factor(9, cfg) == pytest.approx(1.0)
    assert lr_factor(10, cfg) == pytest.approx(1.0) and lr_factor(60, cfg) == pytest.approx(0.55)
    assert lr_factor(110, cfg) == pytest.approx(0.1)


@pytest.mark.parametrize("kw", [dict(device="tpu"), dict(steps=0), dict(min_lr_ratio=2.0), dict(lr=0.0),
                                dict(grad_clip=-1.0), dict(log_every=0), dict(steps=5, stop_at=6)])
def test_bad_train_config_raises(kw):
    with pytest.raises(ValueError):
        TrainConfig(**kw)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error without CUDA")
def test_cuda_without_cuda_raises():
    with pytest.raises(ValueError, match="CUDA"):
        fit(make(), loss_fn, get_batch, TrainConfig(steps=1, device="cuda", progress=False))


# ---------------------------------------------------------------- DDP

def _ddp_worker(rank, world, port, out):
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    torch.manual_seed(rank)                                 # ranks start different; DDP broadcasts rank 0
    model = Tiny(dropout=0.0)
    cfg = TrainConfig(steps=6, lr=1e-2, warmup=1, batch_size=8, log_every=3, ckpt_every=0, device="cpu",
                      out_dir=out, progress=False)
    fit(model, loss_fn, get_batch, cfg)
    torch.save({k: v.clone() for k, v in model.state_dict().items()}, f"{out}/params_{rank}.pt")


@pytest.mark.slow
def test_ddp_two_gloo_ranks_end_identical(tmp_path):
    import torch.distributed as dist
    import torch.multiprocessing as mp
    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("torch.distributed with gloo is not available")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = str(tmp_path / "ddp")
    os.makedirs(out)
    try:
        mp.start_processes(_ddp_worker, args=(2, port, out), nprocs=2, join=True, start_method="spawn")
    except Exception as e:                                  # e.g. sandbox without loopback sockets
        if "Connection" in str(e) or "socket" in str(e).lower():
            pytest.skip(f"could not start gloo processes: {e}")
        raise
    p0, p1 = (torch.load(f"{out}/params_{r}.pt") for r in (0, 1))
    for k in p0:
        assert torch.equal(p0[k], p1[k]), k
    fresh = Tiny(dropout=0.0)
    assert any(not torch.equal(p0[k], v) for k, v in fresh.state_dict().items())
    assert [r["step"] for r in read(tmp_path / "ddp" / "metrics.csv")] == ["3", "6"]   # rank 0 alone writes
    assert load_checkpoint(tmp_path / "ddp" / "checkpoint.pt")["step"] == 6
    assert len(load_checkpoint(tmp_path / "ddp" / "checkpoint.pt")["rng"]) == 2
