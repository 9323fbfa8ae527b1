"""Say what a checkpoint is and how it was made.

    synth info runs/evaluator/checkpoint.pt          # kind, profile, size, steps, then the provenance
    synth info synth/pretrained/evaluator_small.pt   # shipped before provenance: says "not recorded"
    synth info CHECKPOINT --json                     # the same as one JSON object

Provenance (written by every training run since it was added, synth/core/provenance.py): for each session
that trained the checkpoint, the command line, the git commit, the data seed (train.seed) and the resolved
config. A checkpoint without it is reported plainly as "not recorded".
"""
from __future__ import annotations

import json
from pathlib import Path

HELP = "show a checkpoint's model, size, profile and provenance (command, config, data seed, commit)"
NOT_RECORDED = "not recorded"


def add_arguments(p) -> None:
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="a checkpoint file (training run or exported)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def describe(state: dict, path: str) -> dict:
    """The facts `synth info` prints, from a loaded checkpoint."""
    meta = state.get("meta") if isinstance(state.get("meta"), dict) else {}
    weights = state.get("model") if isinstance(state.get("model"), dict) else {}
    n_params = sum(int(v.numel()) for v in weights.values() if hasattr(v, "numel"))
    steps = state.get("step", meta.get("trained_steps"))
    prov = meta.get("provenance")
    return {"file": path, "bytes": Path(path).stat().st_size, "kind": meta.get("kind", "unknown"),
            "profile": meta.get("profile", "unknown"), "parameters": n_params, "steps": steps,
            "model": meta.get("model", {}), "evaluator": meta.get("evaluator"), "data": meta.get("data"),
            "provenance": prov if isinstance(prov, list) and prov else NOT_RECORDED}


def main(args) -> int:
    from ..core.checkpoint import read_checkpoint
    from ..errors import UserError
    if args.overrides:
        raise UserError(f"synth info takes no config overrides (got {args.overrides[0]!r})")
    info = describe(read_checkpoint(args.checkpoint, args.checkpoint), args.checkpoint)
    if args.json:
        print(json.dumps(info))
        return 0
    print(f"file:        {info['file']} ({info['bytes'] / 1e6:.1f} MB)")
    print(f"kind:        {info['kind']}")
    print(f"profile:     {info['profile']}")
    print(f"parameters:  {info['parameters']:,} in this file" + (
        f" (the rest are those of its evaluator, {info['evaluator']})" if info["evaluator"] else ""))
    print(f"steps:       {info['steps'] if info['steps'] is not None else 'not recorded'}")
    if info["model"]:
        print("model:       " + ", ".join(f"{k}={v}" for k, v in info["model"].items()))
    if info["data"]:
        print(f"data:        {json.dumps(info['data'], sort_keys=True)}")
    if info["provenance"] == NOT_RECORDED:
        print("provenance:  not recorded (this checkpoint was written before synth recorded how checkpoints "
              "were made)")
        return 0
    for i, rec in enumerate(info["provenance"], 1):
        steps = rec.get("steps") or ["?", "?"]
        print(f"session {i}:   steps {steps[0]}..{steps[1]}, saved {rec.get('saved_at', '?')}")
        print(f"  command:   {rec.get('command', NOT_RECORDED)}")
        print(f"  commit:    {rec.get('commit', NOT_RECORDED)}")
        print(f"  data seed: {rec.get('data_seed', NOT_RECORDED)}")
        print(f"  config:    {json.dumps(rec.get('config', NOT_RECORDED), sort_keys=True)}")
    return 0
