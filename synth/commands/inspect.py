"""Look inside the evaluator: attention support per head, and what breaks when a head is changed.

    synth inspect attention [--checkpoint PATH] [--traces RUNS.jsonl] [--out DIR]
    synth inspect ablate    [--checkpoint PATH] [--traces RUNS.jsonl] [--out DIR] temperatures=[0.5,2]

attention: entropy of every head's attention on one batch of held-out states, as support = 2**bits
  (the effective number of slots attended) -> attention_heads.csv, support_by_length.csv,
  support_batch.png, support_hist.png, support_vs_length.png, support_by_head.png
ablate: per-op exact match of one-step predictions on the held-out runs, unchanged and with one head
  attending uniformly, one head's output replaced by its mean, and the scores' temperature scaled
  -> ablation.csv, ablation_heads.png, ablation_temperature.png, ablation_ops.png
A summary goes to stdout. Settings: synth/conf/inspect.yaml.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

HELP = "attention support per head and head ablations of an evaluator (CSV + PNG)"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class InspectConfig:
    checkpoint: Optional[str] = None
    traces: Optional[str] = None
    out: str = "inspect_out"
    limit: int = 4096
    attn_states: int = 512
    batch_size: int = 1024
    temperatures: list = field(default_factory=lambda: [0.25, 0.5, 2.0, 4.0])
    kinds: list = field(default_factory=lambda: ["uniform", "mean", "temperature"])


def add_arguments(p) -> None:
    p.add_argument("what", choices=("attention", "ablate"), help="which report")
    p.add_argument("--checkpoint", metavar="PATH", help="evaluator checkpoint (default: the shipped one)")
    p.add_argument("--traces", metavar="RUNS", help="held-out SPEC §7 runs file (default: datasets/heldout/)")
    p.add_argument("--out", metavar="DIR", help="output folder (default inspect_out)")


def default_checkpoint() -> Path:
    from ..errors import UserError
    try:
        from ..evaluator import DEFAULT_CHECKPOINT                      # the evaluator's own answer, if any
        return Path(DEFAULT_CHECKPOINT)
    except ImportError:
        pass
    found = sorted((ROOT / "synth" / "pretrained").glob("*evaluator*.pt"))
    if not found:
        raise UserError("no shipped evaluator in synth/pretrained/; pass --checkpoint PATH")
    return found[0]


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
    from ..inspect import KINDS, ablation_report, attention_report, load_evaluator, load_steps
    cfg = compose("inspect", args.overrides, InspectConfig)
    for k in ("checkpoint", "traces", "out"):
        if getattr(args, k) is not None:
            setattr(cfg, k, getattr(args, k))
    bad = set(cfg.kinds) - set(KINDS)
    if bad:
        raise UserError(f"kinds: unknown {sorted(bad)}; valid: {', '.join(KINDS)}")
    if any(float(t) <= 0 for t in cfg.temperatures):
        raise UserError(f"temperatures must be > 0, got {cfg.temperatures}")
    ckpt = Path(cfg.checkpoint) if cfg.checkpoint else default_checkpoint()
    runs = Path(cfg.traces) if cfg.traces else default_traces()
    torch.manual_seed(0)
    model = load_evaluator(ckpt)
    n = cfg.attn_states if args.what == "attention" else cfg.limit
    steps = load_steps(runs, model.tok, limit=n)
    print(f"synth inspect {args.what}: {ckpt} on {len(steps)} steps of {runs}", file=sys.stderr)
    if args.what == "attention":
        rep = attention_report(model, steps, cfg.out)
    else:
        rep = ablation_report(model, steps, cfg.out, [float(t) for t in cfg.temperatures], tuple(cfg.kinds),
                              cfg.batch_size)
    print(rep["text"])
    print("wrote " + ", ".join(rep["files"]), file=sys.stderr)
    return 0
