"""Training the field (and its state metric) on a frozen evaluator's latent space with the core loop.

    cfg = compose("train_field", ["field=tiny", "train.steps=50"], TrainFieldConfig)
    result = train(cfg, evaluator="synth/pretrained/evaluator_small.pt", data_dir=None)
    # writes cfg.train.out_dir/{checkpoint.pt, metrics.csv}; load it with synth.field.load_field

The field starts from the evaluator's transition weights (model.warm_start, synth.field.model). Losses on
one batch of K-item rollouts (synth.field.data), all latents from the frozen encoder E:
  flow    the core path's regression (FieldModel.regression_target: x1, or velocity, or eps) at a uniform t on every
          transition (x0, x1) = (E(x_k) [+ noise], E(x_{k+1})), conditioned on (op, t, alpha)
  dec     the evaluator decoder's cross-entropy of the one-shot end point estimate (FieldModel.endpoint)
          against x_{k+1} (vp with the eps target: weighted by alpha(t)^2, where the estimate is reliable)
  roll    a sub-batch integrated through all K ops with 1..2 Euler steps per op (backprop through the solver):
          MSE to E(x_k) and decoder cross-entropy at every k, so errors do not compound
  metric  per-slot binary cross-entropy of the state metric between an anchor latent (the field's end
          point estimate, detached, or E(x)) and E of: the same state, a near miss, the previous state,
          another rollout's state; labels = which slots of the two tokenized states differ
The source noise (std `source_noise` on a share `noise_p` of the transitions) teaches the field to pull
slightly-off latents back, which is what composition meets after the first op.
"""
from __future__ import annotations

import random
from pathlib import Path
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor

from ..core.losses import regression_loss
from ..core.paths import sample_t
from ..core.checkpoint import read_checkpoint
from ..core.train import FitResult, TrainConfig, fit, will_resume
from ..errors import UserError
from ..evaluator.api import Evaluator, load_evaluator
from .data import FieldBatches, FieldDataConfig
from .model import FieldConfig, FieldModel
from .program import integrate_ops

KIND = "synth-field/1"


@dataclass
class FieldLossConfig:
    flow: float = 1.0
    dec: float = 0.1
    roll: float = 0.5
    roll_batch: int = 32           # rollouts integrated end to end per step (0 = off)
    roll_steps: int = 1            # Euler steps per op in the roll loss: drawn per batch from
    roll_steps_max: int = 2        # roll_steps..roll_steps_max
    metric: float = 1.0
    source_noise: float = 0.1      # std of Gaussian noise added to source latents
    noise_p: float = 0.5           # share of transitions whose source is noised
    t0_p: float = 0.2              # share of transitions trained at exactly t = 0 (the first solver step)


@dataclass
class TrainFieldConfig:
    profile: str = "small"
    model: FieldConfig = field(default_factory=FieldConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(   # the shipped preset (conf/field/small.yaml)
        steps=1500, lr=0.0005, warmup=50, min_lr_ratio=0.05, batch_size=128, log_every=25, ckpt_every=100,
        eval_every=250, out_dir="runs/field"))
    data: FieldDataConfig = field(default_factory=FieldDataConfig)
    loss: FieldLossConfig = field(default_factory=FieldLossConfig)
    eval_steps: int = 4            # Euler steps per op in the validation metrics
    threads: int = 1               # torch CPU threads (1 is fastest when cores are shared); 0 = torch's default
    init_metric: str = ""          # a field checkpoint whose learned metric starts this run (e.g. when the
                                   #   field is retrained for a fine-tuned evaluator); the rest warm-starts as usual


def slot_labels(fa: Tensor, sa: Tensor, fb: Tensor, sb: Tensor) -> Tensor:
    """(B, S) float: 1 where the two tokenized states differ (slot 0: the status; others: the value row)."""
    diff = (fa[:, 1:] != fb[:, 1:]).any(-1)                                     # (B, S-1)
    return torch.cat([(sa != sb)[:, None], diff], dim=1).float()


def metric_bce(D: Tensor, label: Tensor) -> Tensor:
    """Per-slot BCE of p = 1 - exp(-D) against label (B, S), D the metric's squared distances (B, S); mean."""
    log_p = torch.log(-torch.expm1(-D.clamp_min(1e-6)))                          # log(1 - exp(-D))
    return (-(label * log_p) + (1 - label) * D).mean()


def field_losses(fm: FieldModel, lat: Evaluator, batch: dict, w: FieldLossConfig) -> tuple[Tensor, dict]:
    feats, status, ops, lit, level = batch["feats"], batch["status"], batch["ops"], batch["lit"], batch["level"]
    B, K1 = status.shape
    K = K1 - 1
    g = torch.Generator().manual_seed(int(batch["seed"]))
    dev = feats.device
    with torch.no_grad():
        Z = lat.encode_feats(feats.flatten(0, 1), status.flatten(0, 1))                  # (B (K+1), T, C)
        Z = Z.view(B, K1, *Z.shape[1:])                                                  # (B, K+1, T, C)
    T, C = Z.shape[2:]
    alpha = level.float() / 2                                                            # (B,) 0, .5, 1
    x0, x1 = Z[:, :K].flatten(0, 1), Z[:, 1:].flatten(0, 1)                              # (BK, T, C)
    n = B * K
    noise = torch.randn(x0.shape, generator=g).to(dev) * w.source_noise
    keep = (torch.rand(n, generator=g) < w.noise_p).to(dev).view(n, 1, 1).to(x0.dtype)
    x0n = x0 + keep * noise
    t = sample_t(n, generator=g, device=dev)
    t = torch.where((torch.rand(n, generator=g) < w.t0_p).to(dev), torch.zeros_like(t), t)
    s = fm.path.sample(x0n, x1, t)
    cond = fm.op_cond(ops.flatten(), lit.flatten(0, 1))
    al = alpha[:, None].expand(B, K).flatten()
    out = fm.raw(t, s.xt, cond, al)
    flow = regression_loss(out, fm.regression_target(s))
    x1_hat = fm.endpoint(t, s.xt, out)                                                   # (BK, T, C)
    tgt_f, tgt_s = feats[:, 1:].flatten(0, 1), status[:, 1:].flatten(0, 1)
    dec, dec_ok = lat.state_loss(x1_hat, tgt_f, tgt_s)
    dw = torch.ones_like(t) if fm.cfg.path == "linear" or fm.cfg.target == "x1" else fm.path.coefficients(t)[0].pow(2)
    total = w.flow * flow + w.dec * (dw * dec).mean()
    metrics = {"flow": flow.detach(), "dec": dec.mean().detach(), "acc_end": dec_ok.float().mean()}

    rb = min(w.roll_batch, B)
    if w.roll and rb:
        n_steps = int(torch.randint(w.roll_steps, max(w.roll_steps, w.roll_steps_max) + 1, (1,), generator=g))
        zs = integrate_ops(fm, Z[:rb, 0], ops[:rb], alpha[:rb], "euler", n_steps, lit[:rb],
                           return_states=True)[1:]                                       # (K, rb, T, C)
        zs = zs.transpose(0, 1)                                                          # (rb, K, T, C)
        rl, rok = lat.state_loss(zs.flatten(0, 1), feats[:rb, 1:].flatten(0, 1), status[:rb, 1:].flatten(0, 1))
        rmse = F.mse_loss(zs, Z[:rb, 1:])
        total = total + w.roll * (rmse + w.dec * rl.mean())
        metrics.update(roll_mse=rmse.detach(), acc_roll=rok.view(rb, K)[:, -1].float().mean())

    if w.metric:
        ar = torch.arange(B, device=dev)
        j = batch["mj"]                                                                  # (B,) in 1..K
        est = x1_hat.detach().view(B, K, T, C)[ar, j - 1]                                # estimate of state j
        use_est = (torch.rand(B, generator=g) < 0.7).to(dev).view(B, 1, 1)
        anchor = torch.where(use_est, est, Z[ar, j])
        fj, sj = feats[ar, j], status[ar, j]
        perm = torch.roll(ar, 1)
        cands = [(Z[ar, j], fj, sj),
                 (lat.encode_feats(batch["pert_feats"], batch["pert_status"]).detach(), batch["pert_feats"],
                  batch["pert_status"]),
                 (Z[ar, j - 1], feats[ar, j - 1], status[ar, j - 1]),
                 (Z[perm, j[perm]], feats[perm, j[perm]], status[perm, j[perm]])]
        m = fm.metric
        fa = m.features(anchor)                                                          # once for all candidates
        Ds = [m.dist(fa, m.features(zc)) for zc, _, _ in cands]                          # (B, S) each
        mloss = sum(metric_bce(D, slot_labels(fj, sj, fc, sc)) for D, (_, fc, sc) in zip(Ds, cands)) / len(cands)
        total = total + w.metric * mloss
        with torch.no_grad():
            d_same, d_pert = m.share(Ds[0]), m.share(Ds[1])
            real = slot_labels(fj, sj, batch["pert_feats"], batch["pert_status"]).sum(1) > 0
            rank = ((d_same < d_pert) | ~real).float().mean()
        metrics.update(metric=mloss.detach(), metric_rank=rank)
    return total, metrics


@torch.no_grad()
def rollout_accuracy(fm: FieldModel, lat: Evaluator, batch: dict, solver: str = "euler", steps: int = 4) -> dict:
    """Exact match of decoded states after integrating 1..K ops of a batch: {"acc_k1": .., "acc_kK": ..}."""
    dev = next(fm.parameters()).device
    feats, status = batch["feats"].to(dev), batch["status"].to(dev)
    B, K1 = status.shape
    z0 = lat.encode_feats(feats[:, 0], status[:, 0])
    zs = integrate_ops(fm, z0, batch["ops"].to(dev), batch["level"].to(dev).float() / 2, solver, steps,
                       batch["lit"].to(dev),
                       return_states=True)
    out = {"acc_rec": float(lat.state_loss(zs[0], feats[:, 0], status[:, 0])[1].float().mean())}
    for k in range(1, K1):
        out[f"acc_k{k}"] = float(lat.state_loss(zs[k], feats[:, k], status[:, k])[1].float().mean())
    return out


def meta_of(cfg: TrainFieldConfig, lat: Evaluator) -> dict:
    return {"kind": KIND, "profile": cfg.profile, "model": asdict(cfg.model), "ops": list(lat.ops),
            "evaluator": lat.path or "", "evaluator_fingerprint": lat.fingerprint, "config": asdict(cfg)}


def build(cfg: TrainFieldConfig, lat: Evaluator, data_dir: str | None = None):
    """(model, get_batch, loss_fn, eval_fn) for `fit`."""
    if lat.profile.name != cfg.profile:
        raise ValueError(f"evaluator is for profile {lat.profile.name!r}, config says {cfg.profile!r}")
    fm = FieldModel(cfg.model, lat.transition_copy(fresh=not cfg.model.warm_start), lat.n_slots)
    src = FieldBatches(cfg.profile, cfg.data, lat.tok, data_dir)
    val = src.validation(cfg.train.seed)

    def loss_fn(m: FieldModel, batch: dict):
        lat.to_device(batch["feats"].device)
        return field_losses(m, lat, batch, cfg.loss)

    def eval_fn(m: FieldModel, step: int) -> dict:
        return {"val_" + k: v for k, v in rollout_accuracy(m, lat.to_device(next(m.parameters()).device), val,
                                                           steps=cfg.eval_steps).items()}

    return fm, src, loss_fn, (eval_fn if val is not None else None)


def load_metric(fm: FieldModel, path: str | Path) -> None:
    """Copy the learned metric (`metric.*`) of a field checkpoint into fm; loud if it does not fit."""
    got = {k: v for k, v in read_checkpoint(path, f"init_metric={path}").get("model", {}).items()
           if k.startswith("metric.")}
    own = fm.state_dict()
    if not got or any(k not in own or own[k].shape != v.shape for k, v in got.items()):
        raise UserError(f"init_metric={path}: no metric of this field's shape in that checkpoint")
    fm.load_state_dict({k: v.to(own[k].dtype) for k, v in got.items()}, strict=False)


def train(cfg: TrainFieldConfig, evaluator: str | Evaluator, data_dir: str | None = None) -> FitResult:
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    lat = (evaluator if isinstance(evaluator, Evaluator) else load_evaluator(evaluator)).freeze()
    torch.manual_seed(cfg.train.seed)
    random.seed(cfg.train.seed)
    fm, get_batch, loss_fn, eval_fn = build(cfg, lat, data_dir)
    if cfg.init_metric and not will_resume(cfg.train):
        load_metric(fm, cfg.init_metric)
    return fit(fm, loss_fn, get_batch, cfg.train, meta=meta_of(cfg, lat), eval_fn=eval_fn)


def export(checkpoint: str | Path, out: str | Path, half: bool = True) -> Path:
    """Slim copy of a training checkpoint: the weights training changed (float16 with `half`; the frozen
    rest is the evaluator's, filled in by load_field) + meta (the evaluator named by file name, so the pair
    can ship side by side). Returns the path written."""
    from ..core.train import load_checkpoint, save_atomic
    from .model import config_from_meta, trained_state
    state = load_checkpoint(checkpoint)
    weights = trained_state(state["model"], config_from_meta(state["meta"]["model"], str(checkpoint)))
    if half:
        weights = {k: v.half() if v.is_floating_point() else v for k, v in weights.items()}
    meta = dict(state["meta"])
    meta["evaluator_path"] = meta.get("evaluator") or ""
    meta["evaluator"] = Path(meta.get("evaluator") or "evaluator.pt").name
    meta["trained_steps"] = int(state["step"])
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_atomic({"model": weights, "meta": meta}, out)
    return out
