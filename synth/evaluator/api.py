"""The evaluator as a library: load a checkpoint, run states and (relaxed) programs in latent space.

    ev = load_evaluator()                          # the shipped default for `small`; or load_evaluator(path)
    z = ev.encode([State((1,), (3,))])             # Z (B, T, C)
    z = ev.step(z, w)                              # w (B, len(ev.ops)): a distribution over ops (differentiable)
    z = ev.step_items(z, ["dup"])                  # discrete items: op names or literals as 1-tuples
    ev.decode_states(z)                            # [State((1,), (3, 3), None)]
    loss = ev.loss_to_target(z, [(3, 3)], match="top")     # (B,) differentiable, 0 when decoded exactly
    ev.run_programs([("dup", "mul")], [(3,)], [()])         # whole programs, decoded once at the end
"""
from __future__ import annotations

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
    return Evaluator(model.to(device).eval(), meta, int(st.get("step", 0)))


class Evaluator:
    """Wraps a LatentMachine with its tokenizer. `.profile`, `.ops` (op order of the soft weights),
    `.model` (the nn.Module; gradients flow through every method below except decode_states/run_programs)."""

    def __init__(self, model: LatentMachine, meta: dict | None = None, step: int = 0):
        self.model, self.meta, self.trained_steps = model, meta or {}, step
        self.tok, self.profile, self.ops = model.tok, model.profile, model.ops
        self.op_index = {o: i for i, o in enumerate(self.ops)}

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def _levels(self, level, B: int) -> Tensor:
        if isinstance(level, Tensor):
            return level.to(self.device)
        return torch.full((B,), level_index(level) if not isinstance(level, int) else level,
                          dtype=torch.long, device=self.device)

    def encode(self, states: Sequence[State], level=0) -> Tensor:
        b = self.tok.encode(states, level)
        return self.model.encode(b["feats"].to(self.device), b["status"].to(self.device))

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
        return self.model.decode(z)

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
        loss, _ = state_loss(self.model.decoder, z, b["feats"].to(self.device), b["status"].to(self.device),
                             mask.to(self.device))
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
