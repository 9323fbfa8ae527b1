"""Training the student executor with the core loop (synth.core.train.fit): real traces + the evaluator's outputs.

    cfg = compose("distill", ["executor=tiny", "train.steps=30"], DistillConfig)
    result = train(cfg, data_dir=None, command="synth distill ...")   # writes cfg.train.out_dir/{checkpoint.pt,
                                                                       #   metrics.csv}; export() slims it

Each batch (drawn from `random.Random` seeded by (seed, step) only, so a killed run resumes exactly) holds:
  * B rollouts of K items from the interpreter (synth.data.dataset.RolloutGenerator, which runs dsl.machine;
    with --data DIR a share cut from `synth generate-data` shards), the evaluator's own recipe and losses
    (synth.evaluator.train.rollout_losses): rec D(E(x_0)) = x_0, roll D(T^t(E(x_0))) = x_t for t = 1..K, cons
    ||T^t(E(x_0)) - sg(E(x_t))||^2, codec states; ops drawn by their recent one-step loss (OpStats);
  * distillation, on the first `kd_batch` start states: a random RELAXED op distribution w (softmax of noise
    / tau, tau log-uniform in kd_tau; half the rows lean towards the rollout's own first op). The teacher
    (the evaluator, frozen) encodes the state, takes one soft step with w and decodes; the student does the
    same. `kd`: KL(teacher || student) of every decoder head (status; kind; int/sign/par, bool, len/elem
    weighted by the teacher's probability of that kind in an ok state): the student learns how the evaluator
    behaves between ops, where no interpreter trace exists. `hint`: a linear map of the student's slot
    latents regresses the teacher's slot latents before and after the step (its latents).
The teacher's outputs are computed in get_batch (no gradient), so they are part of the deterministic batch.
"""
from __future__ import annotations

import random
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core.train import FitResult, TrainConfig, fit
from ..data.dataset import GenConfig, RolloutGenerator, fixed_batch, level_weights, rollout_batch
from ..data.shard_rollouts import ShardRollouts
from ..data.tokenizer import BOOL, INT, LIST, STR
from ..evaluator.train import LossConfig, OpStats, tracked_losses, val_accuracies
from .student import KIND, StudentConfig, StudentMachine


@dataclass
class DistillDataConfig:
    gen: GenConfig = field(default_factory=GenConfig)
    levels: list = field(default_factory=lambda: [0.8, 0.1, 0.1])    # P(concrete, sign, type)
    shard_frac: float = 0.5        # share of rollouts cut from --data shards (when given)
    max_runs: int = 200_000        # runs loaded from --data
    val_size: int = 512            # fixed validation rollouts (concrete), 0 = none
    codec: int = 64                # extra pseudo-states of independent random values per batch


@dataclass
class DistillLossConfig:
    rec: float = 1.0
    codec: float = 1.0
    roll: float = 1.0
    cons: float = 1.0
    adapt: float = 1.0             # ops drawn by (recent one-step loss)^adapt; 0 = uniform
    ema: float = 0.95
    kd: float = 1.0                # KL to the teacher's decoded distributions after one relaxed step (0 = off)
    hint: float = 0.1              # regression of the teacher's slot latents (0 = off)
    kd_batch: int = 16             # start states per batch that get a relaxed step (teacher forward cost)
    kd_tau: list = field(default_factory=lambda: [0.1, 3.0])   # temperature range of the random mixtures


@dataclass
class DistillConfig:
    profile: str = "small"
    threads: int = 1               # torch CPU threads; 0 = torch's default
    teacher: str = ""              # evaluator checkpoint ("" = the shipped default); unused when kd = hint = 0
    model: StudentConfig = field(default_factory=StudentConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    data: DistillDataConfig = field(default_factory=DistillDataConfig)
    loss: DistillLossConfig = field(default_factory=DistillLossConfig)


class Distiller(nn.Module):
    """What fit() trains: the student and the hint map (student slot latents -> teacher slot latents)."""

    def __init__(self, student: StudentMachine, teacher_dim: int):
        super().__init__()
        self.student = student
        self.hint = nn.Linear(student.cfg.d_model, teacher_dim) if teacher_dim else None


def kd_loss(s: dict[str, Tensor], t: dict[str, Tensor]) -> Tensor:
    """(B,) KL(teacher || student) over the decoder heads; value heads weighted by the teacher's probability
    that the state is ok and the slot holds that kind."""
    kl = lambda k: F.kl_div(torch.log_softmax(s[k].float(), -1), torch.log_softmax(t[k].float(), -1),  # noqa: E731
                            log_target=True, reduction="none").sum(-1)
    p_ok = torch.softmax(t["status"].float(), -1)[:, 0, None]                     # (B, 1)
    pk = torch.softmax(t["kind"].float(), -1)                                     # (B, S-1, 5)
    seq = pk[..., STR] + pk[..., LIST]
    slots = (kl("kind") + pk[..., INT] * (kl("int") + 0.25 * (kl("sign") + kl("par")))
             + pk[..., BOOL] * kl("bool") + seq * (kl("len") + kl("elem").sum(-1)))   # (B, S-1)
    return kl("status") + (p_ok * slots).sum(1)


def _commit() -> str:
    try:
        root = Path(__file__).resolve().parents[2]
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True).stdout.strip()
        return head.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def build(cfg: DistillConfig, data_dir: str | None = None):
    """(module, get_batch, loss_fn, eval_fn, opstats, teacher) for `fit`."""
    from ..errors import UserError
    student = StudentMachine(cfg.model, cfg.profile)
    gen = RolloutGenerator(cfg.profile, cfg.data.gen)
    shards = ShardRollouts(data_dir, gen, cfg.data.max_runs) if data_dir else None
    w = cfg.loss
    stats = OpStats(gen.ops, w.ema, w.adapt)
    lv = level_weights(cfg.data.levels)
    tau = [float(x) for x in w.kd_tau]
    if len(tau) != 2 or not 0 < tau[0] <= tau[1]:
        raise ValueError(f"loss.kd_tau must be [low, high] with 0 < low <= high, got {w.kd_tau}")
    teacher = None
    if w.kd > 0 or w.hint > 0:
        from ..evaluator.api import load_evaluator
        teacher = load_evaluator(cfg.teacher or None)
        if teacher.profile.name != cfg.profile:
            raise UserError(f"teacher={cfg.teacher}: profile {teacher.profile.name!r}, not {cfg.profile!r}")
        for p in teacher.model.parameters():
            p.requires_grad_(False)
    S = student.tok.n_slots
    module = Distiller(student, teacher.model.cfg.d_model if teacher is not None and w.hint > 0 else 0)
    ev_loss = LossConfig(rec=w.rec, codec=w.codec, roll=w.roll, cons=w.cons, teacher=False)

    def get_batch(step: int, g: torch.Generator, bs: int) -> dict:
        rng = random.Random(int(torch.randint(0, 2**62, (1,), generator=g)))
        batch = rollout_batch(rng, bs, gen, student.tok, lv, stats.weights() if w.adapt else {}, shards,
                              cfg.data.shard_frac, cfg.data.codec)
        if teacher is not None and w.kd_batch:
            kb = min(w.kd_batch, bs)
            t = torch.tensor([tau[0] * (tau[1] / tau[0]) ** rng.random() for _ in range(kb)])      # (kb,)
            logits = torch.randn(kb, student.n_ops, generator=g) * 2
            first = batch["ops"][:kb, 0]
            lean = (first < student.n_ops) & (torch.rand(kb, generator=g) < 0.5)
            logits[lean, first[lean]] += 4.0
            kw = torch.softmax(logits / t[:, None], -1)                                        # (kb, n_ops)
            f0, s0, lvl = batch["feats"][:kb, 0], batch["status"][:kb, 0], batch["level"][:kb]
            with torch.no_grad():
                z0 = teacher.model.encode(f0, s0)
                z1 = teacher.model.transition_soft(z0, kw, lvl)
                batch["kd"] = {"w": kw, "logits": teacher.model.decode(z1), "z0": z0[:, :S], "z1": z1[:, :S]}
        return batch

    def loss_fn(m: Distiller, batch: dict):
        total, metrics = tracked_losses(m.student, batch, ev_loss, stats)
        if "kd" in batch:
            kd = batch["kd"]
            kb = kd["w"].shape[0]
            f0, s0, lvl = batch["feats"][:kb, 0], batch["status"][:kb, 0], batch["level"][:kb]
            z0 = m.student.encode(f0, s0)                                              # (kb, S, C)
            z1 = m.student.transition_soft(z0, kd["w"], lvl)
            if w.kd > 0:
                kl = kd_loss(m.student.decode(z1), kd["logits"]).mean()
                total = total + w.kd * kl
                metrics["loss_kd"] = kl.detach()
            if m.hint is not None:
                hint = F.mse_loss(m.hint(z0), kd["z0"]) + F.mse_loss(m.hint(z1), kd["z1"])
                total = total + w.hint * hint
                metrics["loss_hint"] = hint.detach()
        return total, metrics

    val = fixed_batch(gen, student.tok, cfg.data.val_size, f"executor-val:{cfg.train.seed}")

    def eval_fn(m: Distiller, step: int) -> dict:
        return val_accuracies(m.student, val, ev_loss)

    return module, get_batch, loss_fn, (eval_fn if val is not None else None), stats, teacher


def meta_of(cfg: DistillConfig, model: StudentMachine, command: str = "", teacher=None) -> dict:
    """What the checkpoint records: the model to rebuild, the whole config, the command, data seed, commit."""
    return {"kind": KIND, "profile": cfg.profile, "model": asdict(cfg.model), "ops": list(model.ops),
            "config": asdict(cfg), "command": command, "data_seed": cfg.train.seed, "commit": _commit(),
            "teacher": (cfg.teacher or "shipped") if teacher is not None else "",
            "teacher_step": teacher.trained_steps if teacher is not None else 0}


def train(cfg: DistillConfig, data_dir: str | None = None, command: str = "") -> FitResult:
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.train.seed)
    module, get_batch, loss_fn, eval_fn, stats, teacher = build(cfg, data_dir)
    return fit(module, loss_fn, get_batch, cfg.train, meta=meta_of(cfg, module.student, command, teacher),
               extra={"opstats": stats}, eval_fn=eval_fn)


def student_weights(state: dict) -> dict:
    """The student's own weights from a Distiller state dict (the hint map is training-only)."""
    return {k[len("student."):]: v for k, v in state.items() if k.startswith("student.")}

