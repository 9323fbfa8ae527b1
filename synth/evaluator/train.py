"""Training the latent state machine with the core loop (synth.core.train.fit).

    cfg = compose("train_evaluator", ["evaluator=tiny", "train.steps=30"], TrainEvaluatorConfig)
    result = train(cfg, data_dir=None)        # writes cfg.train.out_dir/{checkpoint.pt, metrics.csv}

Each batch is B rollouts of K items (synth.data.dataset), drawn from `random.Random` seeded by
(seed, step) only, so a killed run resumes exactly. Losses, all from the same batch:
  rec    D(E(x_0)) = x_0
  roll   D(T(...T(E(x_0), item_1)..., item_t)) = x_t      the whole rollout in latent space, t = 1..K
                                                          (t = 1 is the one-step loss `loss_step`)
  cons   ||T(...) - sg(E(x_t))||^2                        rolled latents stay encodings of their states
With `loss.teacher=true`, also rec on every x_t and one step from every E(x_t) (about twice the compute).
Ops are drawn with weights that follow each op's recent one-step loss (`OpStats`, checkpointed), so the
ops that are hard get more data. A share of rollouts is seen at the sign and type levels.
"""
from __future__ import annotations

import random
import sys
from dataclasses import asdict, dataclass, field
from typing import Optional

import torch
import torch.nn.functional as F

from ..core.checkpoint import read_checkpoint
from ..core.train import FitResult, TrainConfig, fit, will_resume
from ..errors import UserError
from ..data.dataset import GenConfig, RolloutGenerator, fixed_batch, level_weights, rollout_batch
from ..data.shard_rollouts import ShardRollouts
from .model import EvaluatorConfig, LatentMachine, state_loss

KIND = "synth-evaluator/1"


@dataclass
class DataConfig:
    gen: GenConfig = field(default_factory=GenConfig)
    levels: list = field(default_factory=lambda: [0.85, 0.075, 0.075])  # P(concrete, sign, type)
    shard_frac: float = 0.5        # share of rollouts cut from --data shards (when given)
    max_runs: int = 200_000        # runs loaded from --data
    val_size: int = 512            # fixed validation rollouts (concrete), 0 = none
    codec: int = 64                # extra pseudo-states of independent random values per batch (codec loss)
    focus: Optional[dict] = None   # {op: factor}: draw these ops `factor` times as often (on top
                                   #   of the loss-following weights), e.g. {sum: 6, sort: 4, mod: 4}


@dataclass
class LossConfig:
    rec: float = 1.0
    codec: float = 1.0             # D(E(v)) = v on the extra random-value states
    step: float = 1.0
    roll: float = 1.0
    cons: float = 1.0
    teacher: bool = False          # also one step from E(x_t) for every t (about 2x the compute)
    adapt: float = 1.0             # exponent of the loss-following op weights; 0 = uniform ops
    ema: float = 0.95              # decay of the per-op loss average


@dataclass
class TrainEvaluatorConfig:
    profile: str = "small"
    threads: int = 1               # torch CPU threads; 0 = torch's default
    init: str = ""                 # warm start: the weights of this evaluator checkpoint (a fine-tune with a fresh
                                   #   optimizer; parameters it lacks, e.g. a new ALU path, keep their init)
    trainable: list = field(default_factory=list)   # parameter-name prefixes that train, e.g. [alu.]: the rest
                                   #   is frozen (a drill of one part that cannot disturb the others); [] = all
    model: EvaluatorConfig = field(default_factory=EvaluatorConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(   # as conf/train_evaluator.yaml
        steps=2600, lr=0.0015, min_lr_ratio=0.05, ckpt_every=100, eval_every=100, device="cpu",
        out_dir="runs/evaluator"))
    data: DataConfig = field(default_factory=DataConfig)
    loss: LossConfig = field(default_factory=LossConfig)


class OpStats:
    """Running mean loss per op id (PUSH last) of the first item of each rollout (one step from a true
    state, so earlier mistakes do not count); sampling weights follow it."""

    def __init__(self, ops: tuple, decay: float, power: float):
        self.ops, self.decay, self.power = ops, decay, power
        self.loss = torch.ones(len(ops) + 1)

    @torch.no_grad()
    def update(self, ids: torch.Tensor, loss: torch.Tensor) -> None:
        n = torch.zeros_like(self.loss).index_add_(0, ids, torch.ones_like(loss, dtype=torch.float32))
        s = torch.zeros_like(self.loss).index_add_(0, ids, loss.float())
        seen = n > 0
        mean = s[seen] / n[seen]
        self.loss[seen] = self.decay * self.loss[seen] + (1 - self.decay) * mean

    def weights(self) -> dict[str, float]:
        w = (self.loss[:-1] / self.loss[:-1].mean().clamp_min(1e-8)).clamp_min(1e-8) ** self.power
        w = w.clamp(0.2, 5.0)
        return {o: float(x) for o, x in zip(self.ops, w)}

    def state_dict(self) -> dict:
        return {"loss": self.loss.clone()}

    def load_state_dict(self, d: dict) -> None:
        self.loss = d["loss"].clone().float()


def rollout_losses(model: LatentMachine, batch: dict, w: LossConfig) -> tuple[torch.Tensor, dict, torch.Tensor]:
    """(total loss, metrics, per-sample loss of each item (B, K)) of one collated batch."""
    feats, status, ops, lit, level = batch["feats"], batch["status"], batch["ops"], batch["lit"], batch["level"]
    B, K1, S, Fd = feats.shape
    K = K1 - 1
    if w.teacher:
        return _teacher_losses(model, batch, w)
    z = model.encode(feats[:, 0], status[:, 0])                                     # (B, S, C)
    rec, rec_ok = state_loss(model.decoder, z, feats[:, 0], status[:, 0])
    with torch.no_grad():                                                           # consistency targets
        tgt = model.encode(feats[:, 1:].flatten(0, 1), status[:, 1:].flatten(0, 1)).unflatten(0, (B, K))
    rolled = []
    for t in range(K):
        z = model.transition(z, ops[:, t], lit[:, t], level)
        rolled.append(z)
    zr = torch.stack(rolled, 1)                                                     # (B, K, S, C)
    roll, roll_ok = state_loss(model.decoder, zr.flatten(0, 1), feats[:, 1:].flatten(0, 1),
                               status[:, 1:].flatten(0, 1))
    cons = F.mse_loss(zr, tgt)
    roll, roll_ok = roll.view(B, K), roll_ok.view(B, K)
    total = w.rec * rec.mean() + w.roll * roll.mean() + w.cons * cons
    metrics = {}
    if "codec" in batch:
        cf = batch["codec"]
        zero = torch.zeros(cf.shape[0], dtype=torch.long, device=cf.device)
        codec, codec_ok = state_loss(model.decoder, model.encode(cf, zero), cf, zero)
        total = total + w.codec * codec.mean()
        metrics.update(loss_codec=codec.mean().detach(), acc_codec=codec_ok.float().mean())
    metrics |= {"loss_rec": rec.mean().detach(), "loss_step": roll[:, 0].mean().detach(),
               "loss_roll": roll[:, 1:].mean().detach(), "loss_cons": cons.detach(),
               "acc_rec": rec_ok.float().mean(), "acc_step": roll_ok[:, 0].float().mean(),
               "acc_roll": roll_ok[:, 1:].float().mean(), "acc_roll_last": roll_ok[:, -1].float().mean()}
    return total, metrics, roll.detach()


def _teacher_losses(model: LatentMachine, batch: dict, w: LossConfig) -> tuple[torch.Tensor, dict, torch.Tensor]:
    """The teacher-forced variant: also one step from the encoding of every true state (costlier)."""
    feats, status, ops, lit, level = batch["feats"], batch["status"], batch["ops"], batch["lit"], batch["level"]
    B, K1, S, Fd = feats.shape
    K = K1 - 1
    z_all = model.encode(feats.flatten(0, 1), status.flatten(0, 1))                 # (B(K+1), S, C)
    rec, rec_ok = state_loss(model.decoder, z_all, feats.flatten(0, 1), status.flatten(0, 1))
    z_all = z_all.unflatten(0, (B, K1))
    lv = level[:, None].expand(B, K).flatten()
    z_tf = model.transition(z_all[:, :K].flatten(0, 1), ops.flatten(), lit.flatten(0, 1), lv)   # (BK, S, C)
    tgt_f, tgt_s = feats[:, 1:].flatten(0, 1), status[:, 1:].flatten(0, 1)
    step, step_ok = state_loss(model.decoder, z_tf, tgt_f, tgt_s)
    cons = F.mse_loss(z_tf, z_all[:, 1:].flatten(0, 1).detach())
    z = z_tf.unflatten(0, (B, K))[:, 0]
    rolled = []
    for t in range(1, K):
        z = model.transition(z, ops[:, t], lit[:, t], level)
        rolled.append(z)
    metrics = {"loss_rec": rec.mean().detach(), "loss_step": step.mean().detach(), "loss_cons": cons.detach(),
               "acc_rec": rec_ok.float().mean(), "acc_step": step_ok.float().mean()}
    total = w.rec * rec.mean() + w.step * step.mean() + w.cons * cons
    if rolled:
        zr = torch.stack(rolled, 1)                                                 # (B, K-1, S, C)
        roll, roll_ok = state_loss(model.decoder, zr.flatten(0, 1), feats[:, 2:].flatten(0, 1),
                                   status[:, 2:].flatten(0, 1))
        rcons = F.mse_loss(zr, z_all[:, 2:].detach())
        total = total + w.roll * roll.mean() + w.cons * rcons
        metrics.update(loss_roll=roll.mean().detach(), acc_roll=roll_ok.float().mean(),
                       acc_roll_last=roll_ok.view(B, K - 1)[:, -1].float().mean())
    return total, metrics, step.detach().view(B, K)


def tracked_losses(model: LatentMachine, batch: dict, w: LossConfig, stats: OpStats) -> tuple[torch.Tensor, dict]:
    """(total loss, metrics) of rollout_losses on a training batch; `stats` learns each op's one-step loss
    from the first item of every rollout that runs on a true state."""
    total, metrics, step_loss = rollout_losses(model, batch, w)
    alive = batch["status"][:, 0] == 0                          # the first item, run on a true state
    stats.update(batch["ops"][:, 0][alive], step_loss[:, 0][alive])
    return total, metrics


def val_accuracies(model: LatentMachine, val: dict, w: LossConfig) -> dict:
    """The accuracies of rollout_losses on the validation batch, as val_acc_* floats."""
    _, metrics, _ = rollout_losses(model, val, w)
    return {"val_" + k: float(v) for k, v in metrics.items() if k.startswith("acc")}


def build(cfg: TrainEvaluatorConfig, data_dir: str | None = None):
    """(model, get_batch, loss_fn, eval_fn, opstats) for `fit`."""
    model = LatentMachine(cfg.model, cfg.profile)
    gen = RolloutGenerator(cfg.profile, cfg.data.gen)
    shards = ShardRollouts(data_dir, gen, cfg.data.max_runs) if data_dir else None
    stats = OpStats(gen.ops, cfg.loss.ema, cfg.loss.adapt)
    lv = level_weights(cfg.data.levels)
    focus = {}
    for o, f in (cfg.data.focus or {}).items():
        if o not in gen.op_index or type(f) not in (int, float) or f <= 0:
            raise ValueError(f"data.focus: {o!r} must be an op of profile {cfg.profile!r} with a factor > 0, got {f!r}")
        focus[o] = float(f)

    def get_batch(step: int, g: torch.Generator, bs: int) -> dict:
        rng = random.Random(int(torch.randint(0, 2**62, (1,), generator=g)))
        weights = stats.weights() if cfg.loss.adapt else {}
        for o, f in focus.items():
            weights[o] = weights.get(o, 1.0) * f
        return rollout_batch(rng, bs, gen, model.tok, lv, weights, shards, cfg.data.shard_frac, cfg.data.codec)

    def loss_fn(m: LatentMachine, batch: dict):
        return tracked_losses(m, batch, cfg.loss, stats)

    val = fixed_batch(gen, model.tok, cfg.data.val_size, f"evaluator-val:{cfg.train.seed}")

    def eval_fn(m: LatentMachine, step: int) -> dict:
        return val_accuracies(m, val, cfg.loss)

    return model, get_batch, loss_fn, (eval_fn if val is not None else None), stats


def meta_of(cfg: TrainEvaluatorConfig, model: LatentMachine) -> dict:
    return {"kind": KIND, "profile": cfg.profile, "model": asdict(cfg.model), "ops": list(model.ops),
            "config": asdict(cfg)}


def warm_start(model: LatentMachine, path: str) -> list[str]:
    """Copy the weights of an evaluator checkpoint into `model` (same profile); returns the names of the
    parameters the checkpoint lacks. A weight the model does not have, or of another shape, is an error."""
    st = read_checkpoint(path, f"init={path}")
    meta = st.get("meta", {})
    if meta.get("kind") != KIND or meta.get("profile") != model.profile.name:
        raise UserError(f"init={path}: not a {model.profile.name!r} evaluator checkpoint")
    own = model.state_dict()
    bad = [k for k, v in st["model"].items() if k not in own or own[k].shape != v.shape]
    if bad:
        raise UserError(f"init={path}: weights that do not fit this model: {bad[:5]}")
    missing, _ = model.load_state_dict({k: v.to(own[k].dtype) for k, v in st["model"].items()}, strict=False)
    return missing


def freeze(model: LatentMachine, trainable: list) -> None:
    """Only parameters whose names start with one of `trainable` keep requires_grad ([] = all train)."""
    if not trainable:
        return
    names = [n for n, _ in model.named_parameters()]
    for prefix in trainable:
        if not any(n.startswith(str(prefix)) for n in names):
            raise UserError(f"trainable: no parameter of this model starts with {prefix!r} "
                            f"(top-level parts: {sorted({n.split('.')[0] for n in names})})")
    for n, p in model.named_parameters():
        p.requires_grad_(any(n.startswith(str(prefix)) for prefix in trainable))


def train(cfg: TrainEvaluatorConfig, data_dir: str | None = None) -> FitResult:
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.train.seed)
    model, get_batch, loss_fn, eval_fn, stats = build(cfg, data_dir)
    freeze(model, cfg.trainable)
    if cfg.init and not will_resume(cfg.train):
        new = warm_start(model, cfg.init)
        if new:
            parts = sorted({k.rsplit(".", 1)[0] for k in new})
            print(f"init={cfg.init}: new parameters keep their fresh init: {', '.join(parts)}", file=sys.stderr)
    return fit(model, loss_fn, get_batch, cfg.train, meta=meta_of(cfg, model), extra={"opstats": stats},
               eval_fn=eval_fn)
