"""The field's view of the evaluator: a frozen encoder E and decoder D around the latent space Z (B, T, C).

    lat = Latent.load("synth/pretrained/evaluator_small.pt")     # or Latent(machine) for a LatentMachine
    z = lat.encode_states([State((7,), (3, (1, 2)))], level=0)    # (B, T, C), no grad (T >= n_slots tokens)
    lat.decode_states(z)                                           # [State((7,), (3, (1, 2)), None)]
    loss, exact = lat.state_loss(z, feats, status)                 # decoder CE (B,), exact match (B,) bool
    m = lat.transition_copy()                                      # a trainable copy of the LatentMachine

The evaluator itself is frozen (requires_grad False, eval mode), but gradients still flow through D and E
to their inputs, so a search can differentiate a decoded loss w.r.t. a latent; the field builds its own
trainable copy of the transition (`transition_copy`). `fingerprint` identifies the weights, so a field
checkpoint can refuse an evaluator it was not trained on.
"""
from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Sequence

import torch
from torch import Tensor, nn

from ..data.tokenizer import State


def _machine_from_checkpoint(path: str | Path) -> nn.Module:
    """The LatentMachine of an evaluator checkpoint (training or exported), via synth.evaluator.load_evaluator."""
    from ..evaluator import load_evaluator
    return load_evaluator(path).model


def fingerprint(module: nn.Module) -> str:
    """sha256 (16 hex digits) of a module's parameters, in name order."""
    h = hashlib.sha256()
    for name, p in sorted(module.state_dict().items()):
        h.update(name.encode())
        h.update(p.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


class Latent(nn.Module):
    def __init__(self, machine: nn.Module, path: str | None = None):
        super().__init__()
        self.machine = machine.eval()
        for p in self.machine.parameters():
            p.requires_grad_(False)
        self.path = path
        self.tok = machine.tok
        self.profile = machine.profile
        self.ops: tuple = tuple(machine.ops)
        self.n_ops = len(self.ops)
        self.push_id = self.n_ops                     # op id of a literal push (as in the evaluator)
        self.op_index = {o: i for i, o in enumerate(self.ops)}
        self.n_slots, self.dim, self.n_consts = self.tok.n_slots, machine.cfg.d_model, self.tok.n_consts
        self.fingerprint = fingerprint(machine)

    @classmethod
    def load(cls, path: str | Path) -> "Latent":
        return cls(_machine_from_checkpoint(path), str(path))

    def train(self, mode: bool = True) -> "Latent":  # always eval: frozen
        return super().train(False)

    @property
    def device(self) -> torch.device:
        return next(self.machine.parameters()).device

    def to_device(self, device: torch.device | str) -> "Latent":
        """Move the frozen evaluator."""
        self.machine.to(device)
        return self

    def encode(self, feats: Tensor, status: Tensor) -> Tensor:
        """feats (B, S, F), status (B,) -> Z (B, T, C)."""
        return self.machine.encode(feats.to(self.device), status.to(self.device))

    @torch.no_grad()
    def encode_states(self, states: Sequence[State], level=0) -> Tensor:
        """States (at `level`: index, name or alpha; abstract values where level > 0) -> Z (B, T, C)."""
        b = self.tok.encode(list(states), level)
        return self.encode(b["feats"], b["status"])

    def decode(self, z: Tensor) -> dict[str, Tensor]:
        """Z (B, T, C) -> per-slot logits (the evaluator's decoder; differentiable w.r.t. z)."""
        return self.machine.decode(z)

    def state_loss(self, z: Tensor, feats: Tensor, status: Tensor) -> tuple[Tensor, Tensor]:
        """Decoder cross-entropy of z (B, T, C) against target states (B,), and exact match (B,) bool."""
        from ..evaluator.model import state_loss
        return state_loss(self.machine.decoder, z, feats, status)

    @torch.no_grad()
    def exact(self, z: Tensor, feats: Tensor, status: Tensor) -> Tensor:
        """(B,) bool: D(z) decodes to exactly the target state."""
        return self.state_loss(z, feats, status)[1]

    @torch.no_grad()
    def decode_feats(self, z: Tensor) -> tuple[Tensor, Tensor]:
        from ..evaluator.model import predict_feats
        return predict_feats(self.decode(z))

    def decode_states(self, z: Tensor, level=0) -> list[State]:
        feats, status = self.decode_feats(z)
        return self.tok.decode(feats, status, level)

    def transition_copy(self, fresh: bool = False) -> nn.Module:
        """A trainable copy of the evaluator's LatentMachine (its weights; fresh=True: a new init of the
        same architecture), for the field to build its time-dependent transition from."""
        if fresh:
            return type(self.machine)(self.machine.cfg, self.profile).to(self.device)
        m = copy.deepcopy(self.machine)
        for p in m.parameters():
            p.requires_grad_(True)
        return m.train()
