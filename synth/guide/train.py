"""Teacher-forced training of the guide on the reference programs' states (synth.core.train's loop).

    from synth.guide.train import TrainGuideConfig, train
    cfg = TrainGuideConfig()                 # = synth/conf/train_guide.yaml (guide: small, profile: small)
    res = train(cfg)                         # writes cfg.train.out_dir/{tasks_*.pkl.gz, checkpoint.pt, metrics.csv}
    export(out / "checkpoint.pt", "synth/pretrained/guide_small.pt")

One guide per profile (`profile`; the vocabulary, features and constant classes are profile-agnostic, the
profile is an input and its missing ops are masked out of the policy). Data (synth.guide.data, seed
`data_seed`): every program of 1-2 items on `short_sets` input sets, then the first `draws` tasks of the
profile's stream, cached in data_dir; the last `val_frac` of the rows (stream tasks) is held out. A batch is rows drawn with the
step's generator (so a killed run resumes exactly). Losses: cross-entropy of the next item (rows with a
next item), of the remaining length, and of each free constant's value (rows where it is still unbound).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as Fn

from ..core.checkpoint import load_checkpoint, save_atomic
from ..core.train import TrainConfig, fit
from .data import load_or_build
from .features import PROFILES, mask
from .model import Guide, GuideConfig

KIND = "guide"


@dataclass
class TrainGuideConfig:
    profile: str = "small"        # the profile this guide is for (one guide per profile)
    draws: int = 10000            # stream positions (about 70% become tasks, ~5 states each)
    short_sets: int = 40          # input sets on which every program of 1-2 items is a task
    data_seed: int = 1000         # the streams' seed (the suites use 11, 12 and their own strings)
    data_stride: int = 1000       # chunks of 1000 draws start every data_stride draws (2000: every other one)
    data_dir: str = ""            # where the data chunks are cached ("" = train.out_dir)
    val_frac: float = 0.02
    threads: int = 1
    w_value: float = 0.5
    w_const: float = 0.5
    guide: GuideConfig = field(default_factory=GuideConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=3000, lr=2e-3, warmup=200, min_lr_ratio=0.05, batch_size=256, log_every=50, ckpt_every=500,
        eval_every=500, out_dir="runs/guide", device="cpu", resume=True))


def load_data(cfg: TrainGuideConfig, log=print) -> tuple[dict, dict]:
    """(train arrays, val arrays) of the profile, as torch tensors."""
    if cfg.profile not in PROFILES:
        raise ValueError(f"unknown profile {cfg.profile!r}; choose from {', '.join(PROFILES)}")
    a = load_or_build(Path(cfg.data_dir or cfg.train.out_dir), cfg.profile, cfg.draws, cfg.data_seed, log,
                      stride=cfg.data_stride, short_sets=cfg.short_sets)
    n = len(a["item"])
    cut = n - max(1, int(n * cfg.val_frac))
    tr, va = {k: v[:cut] for k, v in a.items()}, {k: v[cut:] for k, v in a.items()}
    return {k: torch.from_numpy(v) for k, v in tr.items()}, {k: torch.from_numpy(v) for k, v in va.items()}


def losses(net: Guide, b: dict, masks: torch.Tensor, cfg: TrainGuideConfig) -> tuple[torch.Tensor, dict]:
    out = net(b["x"], b["prof"])
    logits = out["policy"].masked_fill(~masks[b["prof"]], -1e4)                # (B, V)
    has = b["item"] >= 0
    lp = Fn.cross_entropy(logits[has], b["item"][has]) if has.any() else logits.sum() * 0
    lv = Fn.cross_entropy(out["value"], b["rem"])
    c = b["const"]                                                               # (B, 2)
    cm = c >= 0
    lc = Fn.cross_entropy(out["const"][cm], c[cm]) if cm.any() else out["const"].sum() * 0
    loss = lp + cfg.w_value * lv + cfg.w_const * lc
    with torch.no_grad():
        acc = (logits[has].argmax(-1) == b["item"][has]).float().mean() if has.any() else torch.tensor(0.0)
    return loss, {"policy": lp.detach(), "value": lv.detach(), "const": lc.detach(), "acc": acc}


def train(cfg: TrainGuideConfig, log=print):
    torch.set_num_threads(cfg.threads) if cfg.threads > 0 else None
    t0 = time.perf_counter()
    tr, va = load_data(cfg, log)
    log(f"guide data: {len(tr['item'])} train rows, {len(va['item'])} val rows ({time.perf_counter() - t0:.0f} s)")
    masks = torch.from_numpy(np.stack([mask(p) for p in PROFILES]))               # (P, V)
    net = Guide(cfg.guide)
    n = len(tr["item"])

    def get_batch(step, gen, bs):
        idx = torch.randint(0, n, (bs,), generator=gen)
        return {k: v[idx] for k, v in tr.items()}

    def loss_fn(model, b):
        return losses(model, b, masks, cfg)

    def eval_fn(model, step):
        tot: dict = {}
        m = len(va["item"])
        for s in range(0, m, 2048):
            b = {k: v[s:s + 2048] for k, v in va.items()}
            _, met = losses(model, b, masks, cfg)
            w = len(b["item"]) / m
            for k, v in met.items():
                tot["val_" + k] = tot.get("val_" + k, 0.0) + float(v) * w
        return tot

    from dataclasses import asdict
    meta = {"kind": KIND, "guide": asdict(cfg.guide), "profile": cfg.profile, "profiles": [cfg.profile],
            "config": asdict(cfg), "data_seed": cfg.data_seed,
            "data": {"data_seed": cfg.data_seed, "draws": cfg.draws, "short_sets": cfg.short_sets,
                     "data_stride": cfg.data_stride}}
    return fit(net, loss_fn, get_batch, cfg.train, meta=meta, eval_fn=eval_fn if cfg.train.eval_every else None)


def export(checkpoint: str | Path, out: str | Path) -> None:
    """Weights + meta of a training checkpoint (what `load_guide` reads)."""
    st = load_checkpoint(checkpoint)
    save_atomic({"model": st["model"], "meta": st["meta"], "step": st["step"]}, out)
