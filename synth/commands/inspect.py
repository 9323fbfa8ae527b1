"""Look inside the evaluator: attention support per head, and what breaks when a head is changed.

    synth inspect attention [--checkpoint PATH] [--traces RUNS.jsonl] [--out DIR]
    synth inspect ablate temperatures=[0.5,2] metric=steps [--checkpoint PATH] [--traces RUNS.jsonl] [--out DIR]

attention: entropy of every head's attention on one batch of held-out states, as support = 2**bits
  (the effective number of slots attended) -> attention_heads.csv, support_by_length.csv,
  support_batch.png, support_hist.png, support_vs_length.png, support_by_head.png
ablate: per-op exact match on the held-out runs (metric=programs: as `synth eval-evaluator`, whole
  programs rolled out in latent space; metric=steps: every executed item from the true state), unchanged
  and with one head attending uniformly, one head's output replaced by its mean output on the same data,
  and the scores' temperature scaled -> ablation.csv, ablation_heads.png, ablation_temperature.png,
  ablation_ops.png
Overrides (key=value) go right after attention|ablate, before the flags.
A summary goes to stdout. Settings: synth/conf/inspect.yaml.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

HELP = "attention support per head and head ablations of an evaluator (CSV + PNG)"
ROOT = Path(__file__).resolve().parents[2]
METRICS = ("programs", "steps")


@dataclass
class InspectConfig:
    checkpoint: Optional[str] = None
    traces: Optional[str] = None
    out: str = "inspect_out"
    metric: str = "programs"
    limit: int = 0
    attn_states: int = 512
    batch_size: int = 512
    threads: int = 1
    temperatures: list = field(default_factory=lambda: [0.25, 0.5, 2.0, 4.0])
    kinds: list = field(default_factory=lambda: ["uniform", "mean", "temperature"])


def add_arguments(p) -> None:
    p.add_argument("what", choices=("attention", "ablate"), help="which report")
    p.add_argument("--checkpoint", metavar="PATH", help="evaluator checkpoint (default: the shipped one)")
    p.add_argument("--traces", metavar="RUNS", help="held-out docs §7 runs file (default: datasets/heldout/)")
    p.add_argument("--out", metavar="DIR", help="output folder (default inspect_out)")


def default_checkpoint() -> Path:
    from ..errors import UserError
    from ..evaluator.api import PRETRAINED
    if not PRETRAINED.is_file():
        raise UserError(f"the shipped evaluator {PRETRAINED} is missing; pass --checkpoint PATH")
    return PRETRAINED


def default_traces() -> Path:
    from ..errors import UserError
    found = sorted((ROOT / "datasets" / "heldout").glob("*.jsonl"))
    if not found:
        raise UserError("no held-out runs in datasets/heldout/; pass --traces RUNS.jsonl")
    return found[0]


def main(args) -> int:
    import sys

    import torch

    from ..config import compose
    from ..errors import UserError
    from ..evaluator import load_evaluator
    from ..inspect import KINDS, ablation_report, attention_report, load_runs, per_op_programs, per_op_steps
    cfg = compose("inspect", args.overrides, InspectConfig)
    for k in ("checkpoint", "traces", "out"):
        if getattr(args, k) is not None:
            setattr(cfg, k, getattr(args, k))
    bad = set(cfg.kinds) - set(KINDS)
    if bad:
        raise UserError(f"kinds: unknown {sorted(bad)}; valid: {', '.join(KINDS)}")
    if cfg.metric not in METRICS:
        raise UserError(f"metric: unknown {cfg.metric!r}; valid: {', '.join(METRICS)}")
    if any(float(t) <= 0 for t in cfg.temperatures):
        raise UserError(f"temperatures must be > 0, got {cfg.temperatures}")
    ckpt = Path(cfg.checkpoint) if cfg.checkpoint else default_checkpoint()
    from ..core.checkpoint import read_checkpoint
    from ..io import make_dir
    read_checkpoint(ckpt, f"--checkpoint {ckpt}")
    make_dir(cfg.out, "--out")
    runs = Path(cfg.traces) if cfg.traces else default_traces()
    torch.manual_seed(0)
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    model = load_evaluator(ckpt).model
    if args.what == "attention":
        steps = load_runs(runs, model.profile).steps(model.tok, limit=cfg.attn_states)
        print(f"synth inspect attention: {ckpt} on {len(steps)} held-out states of {runs}", file=sys.stderr)
        rep = attention_report(model, steps, cfg.out)
    else:
        recs = load_runs(runs, model.profile, limit=cfg.limit if cfg.metric == "programs" else 0)
        if cfg.metric == "programs":
            data, what = recs, "held-out records (latent rollouts, decoded once)"
            score = lambda: per_op_programs(model, recs, cfg.batch_size)  # noqa: E731
        else:
            data, what = recs.steps(model.tok, limit=cfg.limit), "held-out steps (one step from the true state)"
            score = lambda: per_op_steps(model, data, cfg.batch_size)  # noqa: E731
        print(f"synth inspect ablate: {ckpt} on {len(data)} {what} of {runs}", file=sys.stderr)
        rep = ablation_report(model, score, cfg.out, [float(t) for t in cfg.temperatures], tuple(cfg.kinds),
                              what=what)
    print(rep["text"])
    print("wrote " + ", ".join(rep["files"]), file=sys.stderr)
    return 0
