"""Attention entropy in bits and support = 2**entropy, the effective number of positions attended.

    bits = entropy_bits(attn)                    # attn (..., Tq, Tk), rows sum to 1 -> (..., Tq)
    bits = entropy_bits(attn, key_mask=valid)    # valid (..., Tk) bool: masked keys dropped, rows renormalised
    sup = support(attn)                          # 2 ** bits: 1 for one-hot rows, n for uniform over n keys
    table = support_table(rec, length, occupied) # per block, (N, H, T) bits for a probe() recording

A block is "<transformer name>.<layer>" (e.g. "encoder.1"). `length` (N,) is what "sequence length" means
for the model at hand (for the slot-based evaluator: the number of occupied slots); `occupied` (N, T)
marks the real query positions.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from .hooks import Recording


def entropy_bits(attn: Tensor, key_mask: Tensor | None = None, eps: float = 0.0) -> Tensor:
    """Shannon entropy (bits) of each attention row. attn (..., Tq, Tk) -> (..., Tq)."""
    p = attn.double().clamp_min(0)
    if key_mask is not None:
        p = p * key_mask.unsqueeze(-2).to(p.dtype)                         # (..., 1, Tk) broadcast
    p = p / p.sum(-1, keepdim=True).clamp_min(1e-300)
    logp = torch.where(p > eps, p.clamp_min(1e-300).log2(), torch.zeros_like(p))
    bits = (-(p * logp).sum(-1)).clamp_min(0)
    return bits.to(attn.dtype if attn.is_floating_point() else torch.float64)


def support(attn: Tensor, key_mask: Tensor | None = None) -> Tensor:
    """Effective number of attended positions, 2 ** entropy_bits. (..., Tq, Tk) -> (..., Tq)."""
    return torch.exp2(entropy_bits(attn, key_mask))


@dataclass
class SupportTable:
    """Entropy bits per block: bits[block] is (N, H, T); N stacks every recorded call of the block's net."""
    bits: dict[str, np.ndarray]
    length: np.ndarray            # (N,) "sequence length" of each row
    occupied: np.ndarray          # (N, T) bool, real query positions
    slot_names: list[str]
    mean_attn: dict[str, np.ndarray] = field(default_factory=dict)   # block -> (H, Tq, Tk) mean weights

    @property
    def blocks(self) -> list[str]:
        return list(self.bits)

    def support(self, block: str) -> np.ndarray:
        return np.exp2(self.bits[block])                                  # (N, H, T)

    def values(self, block: str | None = None, head: int | None = None, occupied_only: bool = True) -> np.ndarray:
        """Flat support values over rows, heads and query positions (one block/head when given)."""
        out = []
        for b in ([block] if block else self.blocks):
            s = self.support(b)                                          # (N, H, T)
            if head is not None:
                s = s[:, head:head + 1]
            m = np.broadcast_to(self.occupied[:, None] if occupied_only else True, s.shape)
            out.append(s[m])
        return np.concatenate(out)


def support_table(rec: Recording, length: Tensor, occupied: Tensor, slot_names: list[str] | None = None) -> SupportTable:
    """Entropies of every recorded call. `length` (N,) and `occupied` (N, T) describe one call's rows;
    a net called k times (e.g. a transition in a rollout) repeats them k times."""
    bits, mean_attn, nrep = {}, {}, {}
    for name, calls in rec.attn.items():
        for layer in range(len(calls[0])):
            per_call = []
            for c, layers in enumerate(calls):
                km = rec.mask[name][c]
                km = None if km is None else km[:, None]                   # (B, 1, Tk) over heads
                per_call.append(entropy_bits(layers[layer], km).float().cpu().numpy())   # (B, H, T)
            block = f"{name}.{layer}" if name else str(layer)
            bits[block] = np.concatenate(per_call)
            mean_attn[block] = torch.cat([layers[layer] for layers in calls]).float().mean(0).cpu().numpy()
            nrep[name] = len(calls)
    reps = set(nrep.values())
    if len(reps) != 1:
        raise ValueError(f"nets were called different numbers of times {nrep}; record them separately")
    k = reps.pop()
    length = np.tile(length.cpu().numpy(), k)
    occupied = np.tile(occupied.cpu().numpy(), (k, 1))
    T = occupied.shape[1]
    return SupportTable(bits, length, occupied, slot_names or [str(t) for t in range(T)], mean_attn)


def slot_names(tok, elems: int = 0) -> list[str]:
    """Names of the positions T attends over: status, c0.., s0 (stack top), s1, ..., then with element
    tokens (`elems` = L) the elements of the top two slots, s0[0]..s0[L-1], s1[0].."""
    return (["status"] + [f"c{k}" for k in range(tok.n_consts)] + [f"s{i}" for i in range(tok.max_depth)]
            + [f"s{j}[{i}]" for j in range(2 if elems else 0) for i in range(elems)])
