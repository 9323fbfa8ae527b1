"""Programs as vector fields on the evaluator's latent space (DESIGN "The field").

    from synth.field import load_field
    field = load_field()                          # synth/pretrained/field_small.pt + its evaluator
    z0 = field.encode(states, level=0)            # (B, T, C) from dsl states (synth.data.tokenizer.State)
    w = torch.softmax(logits, -1)                 # (B, L, n_ops): a fuzzy program, one distribution per slot
    zL = field.integrate_program(z0, w, solver="euler", steps=4, alpha=0.0)   # (B, T, C), differentiable
    loss = field.metric(zL, field.encode(targets)).mean()                    # (B,) in [0, 1), 0 = same state
    field.decode_states(zL)                       # [State, ...] by the evaluator's decoder
    zL = field.integrate_ops(z0, ops)             # discrete programs: ops (B, L) ids into field.ops

`field.ops` is the profile's op list (index = position in op_weights' last axis); `alpha` is the
abstraction level in [0, 1] (0 concrete, 0.5 sign, 1 type), a float or (B,). Fuzzy programs integrate
the probability-weighted mixture of the ops' fields (`mix="fields"`, one field evaluation per op with
nonzero weight) or, cheaper, one field conditioned on the mixed op embedding (`mix="embedding"`).
Solvers are the core's (synth.core.solvers.METHODS: euler, midpoint, rk4, dopri5, ...); `steps` is per op.

Training: `synth train-field` (synth.field.train); evaluation: `synth eval-field` (synth.field.evaluate).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch
from torch import Tensor, nn

from ..evaluator.api import Evaluator, load_evaluator
from .model import FieldConfig, FieldModel, trained_state
from .program import integrate_ops, integrate_weights, program_velocity

PRETRAINED = Path(__file__).resolve().parents[1] / "pretrained"
DEFAULT_FIELD = PRETRAINED / "field_small.pt"

__all__ = ["Field", "load_field", "FieldConfig", "FieldModel", "integrate_ops", "integrate_weights",
           "program_velocity", "DEFAULT_FIELD"]


class Field(nn.Module):
    """A trained field + its frozen evaluator (`.latent`, a synth.evaluator Evaluator): the handle the search uses."""

    def __init__(self, model: FieldModel, latent: Evaluator, meta: dict | None = None):
        super().__init__()
        self.model, self.latent, self.meta = model.eval(), latent, dict(meta or {})
        self.ops, self.n_ops, self.profile = latent.ops, latent.n_ops, latent.profile
        self.op_index = latent.op_index

    @torch.no_grad()
    def encode(self, states: Sequence, level=0) -> Tensor:
        return self.latent.encode(list(states), level)

    def decode_states(self, z: Tensor, level=0) -> list:
        return self.latent.decode_states(z, level)

    def integrate_program(self, z0: Tensor, op_weights: Tensor, solver: str = "euler", steps: int = 4,
                          alpha: float | Tensor = 0.0, mix: str = "fields", **kw) -> Tensor:
        """z0 (B, T, C), op_weights (B, L, n_ops) -> z_L (B, T, C); differentiable w.r.t. both."""
        return integrate_weights(self.model, z0, op_weights, alpha, solver, steps, mix=mix, **kw)

    def integrate_ops(self, z0: Tensor, ops: Tensor, solver: str = "euler", steps: int = 4,
                      alpha: float | Tensor = 0.0, **kw) -> Tensor:
        """z0 (B, T, C), ops (B, L) long ids -> z_L (B, T, C); pushes: lit=(B, L, F) literal rows."""
        return integrate_ops(self.model, z0, ops, alpha, solver, steps, **kw)

    def metric(self, za: Tensor, zb: Tensor) -> Tensor:
        """(B,) learned distance in [0, 1) between latent states (about the share of differing slots)."""
        return self.model.metric(za, zb)


def _resolve_evaluator(meta: dict, field_path: Path, evaluator: str | Path | None) -> Path:
    if evaluator is not None:
        return Path(evaluator)
    stored = Path(meta.get("evaluator", "") or "evaluator.pt")
    for cand in (field_path.parent / stored.name, stored, Path(meta.get("evaluator_path", "") or stored)):
        if cand.is_file():
            return cand
    from ..errors import UserError
    raise UserError(f"{field_path}: its evaluator {stored} was not found; pass evaluator=PATH (--evaluator)")


def load_field(path: str | Path | None = None, evaluator: str | Path | Evaluator | None = None,
               device: str | torch.device = "cpu", strict_evaluator: bool = True) -> Field:
    """Load a field checkpoint (default: the shipped synth/pretrained/field_small.pt) and its evaluator
    (default: the checkpoint's, looked up beside the field file first). A field refuses an evaluator with
    other weights than it was trained on unless strict_evaluator=False. An Evaluator passed is frozen."""
    from ..errors import UserError
    from .model import config_from_meta
    from .train import KIND

    from ..core.checkpoint import read_model
    path, state, meta = read_model(path, DEFAULT_FIELD, KIND, "field", "train-field")
    lat = (evaluator if isinstance(evaluator, Evaluator)
           else load_evaluator(_resolve_evaluator(meta, path, evaluator))).freeze()
    want = meta.get("evaluator_fingerprint")
    if strict_evaluator and want and want != lat.fingerprint:
        raise UserError(f"{path}: trained on evaluator {want}, got {lat.fingerprint} ({lat.path}); "
                        "pass the matching evaluator")
    fm = FieldModel(config_from_meta(meta["model"], str(path)), lat.transition_copy(), lat.n_slots)
    missing, unexpected = fm.load_state_dict(state["model"], strict=False)   # missing: the evaluator's parts
    trained = trained_state(dict.fromkeys(fm.state_dict()), fm.cfg)
    if unexpected or any(k in trained for k in missing):
        raise UserError(f"{path}: weights do not fit the field (unexpected {unexpected[:3]}, "
                        f"missing {[k for k in missing if k in trained][:3]})")
    for p in fm.parameters():
        p.requires_grad_(False)
    lat.to_device(device)
    return Field(fm.to(device), lat, meta)
