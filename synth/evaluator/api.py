"""The evaluator as a library: load a checkpoint, run states and (relaxed) programs in latent space.

    ev = load_evaluator()                          # the shipped default for `small`; or load_evaluator(path)
    z = ev.encode([State((1,), (3,))])             # Z (B, T, C); ev.encode_feats(feats, status) from tokens
    z = ev.step(z, w)                              # w (B, len(ev.ops)): a distribution over ops (differentiable)
    z = ev.step_items(z, ["dup"])                  # discrete items: op names or literals as 1-tuples
    ev.decode_states(z)                            # [State((1,), (3, 3), None)]
    loss = ev.loss_to_target(z, [(3, 3)], match="top")     # (B,) differentiable, 0 when decoded exactly
    ev.run_programs([("dup", "mul")], [(3,)], [()])         # whole programs, decoded once at the end
    loss, exact = ev.state_loss(z, feats, status)            # decoder CE (B,), exact match (B,) bool
    ev.freeze();  m = ev.transition_copy();  ev.fingerprint  # as the field uses it (synth/field)

`Evaluator` is the one wrapper of a latent machine (the evaluator's LatentMachine, or the student of
synth/executor): the search, the field and the commands all go through it. `freeze()` makes the machine a
fixed function (eval mode, no parameter gradients; gradients still flow to the inputs, so a search can
differentiate a decoded loss w.r.t. a latent); `transition_copy` gives a trainable copy of the machine (the
field builds its transition from it); `fingerprint` identifies the weights, so a field checkpoint can refuse
an evaluator it was not trained on.
"""
from __future__ import annotations

import copy
import hashlib
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from ..core.checkpoint import read_model
from ..core.train import load_checkpoint, save_atomic
from ..data.tokenizer import State, level_index
from .model import LatentMachine, config_from_meta, predict_feats, state_loss

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained" / "evaluator_small.pt"
KIND = "synth-evaluator/1"


def export(checkpoint: str | Path, out: str | Path, half: bool = False) -> None:
    """Keep only what inference needs (weights, meta, step) of a training checkpoint; `half`: store the
    float weights as float16 (half the file; loading casts them back to float32)."""
    st = load_checkpoint(checkpoint)
    model = {k: v.half() if half and v.is_floating_point() else v for k, v in st["model"].items()}
    save_atomic({"model": model, "meta": st["meta"], "step": st["step"]}, out)


def load_evaluator(path: str | Path | None = None, device: str = "cpu") -> "Evaluator":
    """An Evaluator from a checkpoint (training or exported); None: the shipped default for `small`."""
    from ..errors import UserError
    path, st, meta = read_model(path, PRETRAINED, KIND, "evaluator", "train-evaluator", device)
    model = LatentMachine(config_from_meta(meta["model"], str(path)), meta.get("profile", "small"))
    try:
        model.load_state_dict(st["model"])
    except RuntimeError as e:
        raise UserError(f"{path}: weights do not fit the current evaluator code "
                        f"({str(e).splitlines()[1].strip()[:200]})") from None
    return Evaluator(model.to(device).eval(), meta, int(st.get("step", 0)), str(path))


class Evaluator:
    """Wraps a latent machine with its tokenizer. `.profile`, `.ops` (op order of the soft weights), `.model`
    (the nn.Module; gradients flow through every method below except decode_states/run_programs), `.path` (the
    checkpoint it came from, or None)."""

    def __init__(self, model: LatentMachine, meta: dict | None = None, step: int = 0, path: str | None = None):
        self.model, self.meta, self.trained_steps, self.path = model, meta or {}, step, path
        self.tok, self.profile, self.ops = model.tok, model.profile, model.ops
        self.op_index = {o: i for i, o in enumerate(self.ops)}
        self.n_ops, self.push_id = len(self.ops), model.push_id       # push_id: the op id of a literal push
        self.n_slots, self.n_consts = self.tok.n_slots, self.tok.n_consts

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def freeze(self) -> "Evaluator":
        """Eval mode and no parameter gradients, for good (the field's frozen evaluator)."""
        for p in self.model.eval().parameters():
            p.requires_grad_(False)
        return self

    def to_device(self, device: torch.device | str) -> "Evaluator":
        self.model.to(device)
        return self

    @cached_property
    def fingerprint(self) -> str:
        """sha256 (16 hex digits) of the machine's parameters, in name order."""
        h = hashlib.sha256()
        for name, p in sorted(self.model.state_dict().items()):
            h.update(name.encode())
            h.update(p.detach().cpu().contiguous().numpy().tobytes())
        return h.hexdigest()[:16]

    def transition_copy(self, fresh: bool = False) -> torch.nn.Module:
        """A trainable copy of the machine (its weights; fresh=True: a new init of the same architecture)."""
        m = self.model
        if fresh:
            return type(m)(m.cfg, self.profile).to(self.device)
        m = copy.deepcopy(m)
        for p in m.parameters():
            p.requires_grad_(True)
        return m.train()

    def _levels(self, level, B: int) -> Tensor:
        if isinstance(level, Tensor):
            return level.to(self.device)
        return torch.full((B,), level_index(level) if not isinstance(level, int) else level,
                          dtype=torch.long, device=self.device)

    def encode(self, states: Sequence[State], level=0) -> Tensor:
        """States (at `level`: index, name or alpha; abstract values where level > 0) -> Z (B, T, C)."""
        b = self.tok.encode(states, level)
        return self.encode_feats(b["feats"], b["status"])

    def encode_feats(self, feats: Tensor, status: Tensor) -> Tensor:
        """Token features (B, S, F), status (B,) -> Z (B, T, C)."""
        return self.model.encode(feats.to(self.device), status.to(self.device))

    def step(self, z: Tensor, op_weights: Tensor, level=0) -> Tensor:
        """One relaxed step: op_weights (B, n_ops) over self.ops mixes the op embeddings."""
        return self.model.transition_soft(z, op_weights, self._levels(level, z.shape[0]))

    def step_items(self, z: Tensor, items: Sequence, level=0) -> Tensor:
        """One discrete item per row: an op name, or a literal value wrapped as a 1-tuple."""
        lv = self._levels(level, z.shape[0])
        ids, lits = [], []
        for k, it in enumerate(items):
            if type(it) is str:
                if it not in self.op_index:
                    raise ValueError(f"op {it!r} is not in profile {self.profile.name!r}")
                ids.append(self.op_index[it])
                lits.append(self.tok.empty_row)
            else:
                ids.append(self.model.push_id)
                lits.append(self.tok.row(it[0], int(lv[k])))
        lit = torch.from_numpy(np.stack(lits)).to(self.device)
        return self.model.transition(z, torch.tensor(ids, device=self.device), lit, lv)

    def decode(self, z: Tensor) -> dict[str, Tensor]:
        """Z (B, T, C) -> per-slot logits (differentiable w.r.t. z)."""
        return self.model.decode(z)

    def state_loss(self, z: Tensor, feats: Tensor, status: Tensor, mask: Tensor | None = None):
        """(decoder cross-entropy (B,), exact match (B,) bool) of z against target token states; `mask`
        (B, S-1) bool: the value slots that count (None: all)."""
        return state_loss(self.model.decoder, z, feats, status, mask)

    @torch.no_grad()
    def decode_states(self, z: Tensor, level=0) -> list[State]:
        feats, status = predict_feats(self.model.decode(z))
        return self.tok.decode(feats, status, level)

    def loss_to_target(self, z: Tensor, targets: Sequence, level=0, match: str = "exact") -> Tensor:
        """(B,) cross-entropy of D(z) against target stacks (tuples, bottom first) or States, at `level`.
        match="exact": every stack slot counts; "top": only the top len(target) values (docs §5)."""
        if match not in ("exact", "top"):
            raise ValueError(f"unknown match {match!r}; valid: exact, top")
        states = [t if isinstance(t, State) else State((), tuple(t)) for t in targets]
        b = self.tok.encode(states, level)
        S1, nc = self.tok.n_slots - 1, self.tok.n_consts
        mask = torch.zeros(len(states), S1, dtype=torch.bool)
        for i, st in enumerate(states):
            n = len(st.stack) if match == "top" else self.tok.max_depth
            mask[i, nc:nc + n] = True
        loss, _ = self.state_loss(z, b["feats"].to(self.device), b["status"].to(self.device), mask.to(self.device))
        return loss

    @torch.no_grad()
    def run_programs(self, codes: Sequence[Sequence], inputs: Sequence[Sequence], constants: Sequence[Sequence],
                     level=0, batch_size: int = 512) -> list[State]:
        """Run whole programs in latent space, decoded once at the end (batched by program length).
        A program longer than max_program is answered `too_long` without the model (docs §2)."""
        out: list[State | None] = [None] * len(codes)
        by_len: dict[int, list[int]] = {}
        for i, code in enumerate(codes):
            if len(code) > self.profile.max_program:
                out[i] = State(tuple(constants[i]), (), "too_long")
            else:
                by_len.setdefault(len(code), []).append(i)
        for n, idx in by_len.items():
            for s in range(0, len(idx), batch_size):
                chunk = idx[s:s + batch_size]
                z = self.encode([State(tuple(constants[i]), tuple(inputs[i])) for i in chunk], level)
                for t in range(n):
                    z = self.step_items(z, [codes[i][t] for i in chunk], level)
                for i, st in zip(chunk, self.decode_states(z, level)):
                    out[i] = st
        return out
