"""T's parts beyond the core Transformer: the ALU, the element pointer, the routing table and element ranks.

    alu = ALU(d, hidden, layers, bilinear, readout)     # wide MLP on the top operands (B, 6C) -> new top, status
    cp = ElemCopy(d)                                   # pointer: new top elements copy input element latents
    table = routing_table(ops, n_consts, depth)        # (n_ops + 1, depth, n_src) one-hot stack routing
    r = rank_onehot(values, on)                        # (B, E) -> (B, E, E) rank one-hots
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data.tokenizer import StateTokenizer
from .embedding import ResMLP, SlotEmbed


class ALU(nn.Module):
    """The wide per-sample MLP of T: [Y_top, Y_status, the three top operand latents, cond] (B, 6C) ->
    updates of the new top value and the status (B, 2, C). With `bilinear` = r > 0 a second path adds
    W_o ((W_a x) * (W_b x)), rank r: products of operand features (and of op and operand), which a GELU MLP
    only approximates. Zero-initialised outputs: the ALU starts as a no-op, and a bilinear path added to a
    trained ALU starts as one too (warm start with `init=`). Extra features r (B, readout) (the operands'
    decoded values, LatentMachine.readout) enter the first layer and both bilinear factors through
    zero-initialised maps: a warm start is again a no-op."""

    def __init__(self, d: int, hidden: int, layers: int, bilinear: int, readout: int):
        super().__init__()
        self.inp = nn.Sequential(nn.LayerNorm(6 * d), nn.Linear(6 * d, hidden))
        self.blocks = nn.ModuleList(nn.Sequential(nn.GELU(), nn.Linear(hidden, hidden)) for _ in range(layers - 1))
        self.out = nn.Sequential(nn.GELU(), nn.Linear(hidden, 2 * d))
        nn.init.zeros_(self.out[1].weight)
        nn.init.zeros_(self.out[1].bias)
        self.bil = nn.ModuleDict({"a": nn.Linear(6 * d, bilinear), "b": nn.Linear(6 * d, bilinear),
                                  "out": nn.Linear(bilinear, 2 * d)})
        nn.init.zeros_(self.bil["out"].weight)
        nn.init.zeros_(self.bil["out"].bias)
        self.norm = nn.ModuleList([nn.LayerNorm(d), nn.LayerNorm(d)])
        self.rd = nn.ModuleDict({"h": nn.Linear(readout, hidden), "a": nn.Linear(readout, bilinear),
                                 "b": nn.Linear(readout, bilinear)})
        for lin in self.rd.values():
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)

    def forward(self, x: Tensor, top: Tensor, status: Tensor, r: Tensor) -> tuple[Tensor, Tensor]:
        # x (B, 6C), top/status (B, C), r (B, readout) readout features
        xn = self.inp[0](x)                                                    # (B, 6C)
        h = self.inp[1](xn) + self.rd["h"](r)                                  # (B, H)
        for blk in self.blocks:
            h = h + blk(h)
        upd = self.out(h)                                                      # (B, 2C)
        upd = upd + self.bil["out"]((self.bil["a"](xn) + self.rd["a"](r)) * (self.bil["b"](xn) + self.rd["b"](r)))
        d_top, d_st = upd.chunk(2, dim=-1)                                     # (B, C) each
        return self.norm[0](top + d_top), self.norm[1](status + d_st)


class ElemCopy(nn.Module):
    """A pointer for the new top value's elements: output element j attends (one head) over the input
    elements of s0 and s1, as T has processed them, and mixes in the attended ORIGINAL element latent with
    a learned per-element gate: out_j = y_j + g_j (copy_j - y_j), g_j = w . y_j + b (linear, not squashed).
    sort, filter_*, reverse and concat only rearrange elements; recomputing a value through T's residual stream blurs it (on held-out sort the
    errors were an element written twice, or a neighbour's value), a copy keeps it exact.
    The gate starts at zero: added to a trained T it changes nothing at first (warm start with `init=`).
    The score of input element i for output j also gets h(y_j) * R_ji, R_ji = 1 when s0's element
    i has rank j (LatentMachine.list_readout): `sort` can point by rank, not only by what attention finds
    (on held-out `sort` the errors were a neighbour written twice). h is linear and starts at zero."""

    def __init__(self, d: int):
        super().__init__()
        self.q, self.k = nn.Linear(d, d), nn.Linear(d, d)
        self.gate, self.rank_gain = nn.Linear(d, 1), nn.Linear(d, 1)
        for lin in (self.gate, self.rank_gain):
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)

    def forward(self, y_out: Tensor, y_in: Tensor, z_in: Tensor, rank: Tensor) -> Tensor:
        # y_out (B, E, C) T's outputs at the new top's elements; y_in (B, 2E, C) T's outputs at the input
        # elements (s0 then s1); z_in (B, 2E, C) their latents before T; rank (B, E, E) one-hot rank of s0's
        # elements (row i: element i) -> (B, E, C)
        score = self.q(y_out) @ self.k(y_in).transpose(1, 2) / math.sqrt(y_out.shape[-1])   # (B, E, 2E)
        match = F.pad(rank.transpose(1, 2), (0, rank.shape[-1]))                           # (B, E_out, 2E): s1 never
        score = score + self.rank_gain(y_out) * match
        att = torch.softmax(score, -1)
        copy = att @ z_in                                                      # (B, E, C)
        return y_out + self.gate(y_out) * (copy - y_out)


def routing_table(ops: tuple, n_consts: int, depth: int) -> Tensor:
    """(n_ops + 1, depth, n_src) one-hot: for op k (the last is PUSH) and output stack slot i (top first),
    the source of its latent. Sources: 0 = Y's top value, 1..depth = old stack slots (top first),
    then the constants, then EMPTY, then the pushed literal."""
    from dsl.ops import CONST_INDEX, OPS
    from dsl.profiles import STACK_OPS
    Y, EMPTY, LIT = 0, 1 + depth + n_consts, 2 + depth + n_consts
    table = torch.zeros(len(ops) + 1, depth, LIT + 1)
    for k, name in enumerate(tuple(ops) + ("<push>",)):
        if name == "<push>":
            n, outs = 0, [LIT]
        elif name in CONST_INDEX:
            n, outs = 0, [1 + depth + CONST_INDEX[name]]
        else:
            op = OPS[name]
            n = op.arity
            if name in STACK_OPS:            # outputs are inputs, by name; top first
                top_first_in = {tok: n - 1 - i for i, tok in enumerate(op.inputs)}
                outs = [1 + top_first_in[tok] for tok in reversed(op.outputs)]
            else:
                if len(op.outputs) != 1:
                    raise ValueError(f"op {name!r}: routing supports one computed output, got {op.outputs}")
                outs = [Y]
        m = len(outs)
        for i in range(depth):
            j = i - m + n
            table[k, i, outs[i] if i < m else (1 + j if j < depth else EMPTY)] = 1.0
    return table


def rank_onehot(v: Tensor, on: Tensor) -> Tensor:
    """Values v (B, E) of the elements that are `on` (B, E) bool -> (B, E, E): row i one-hot at element i's rank
    among the on elements (values rounded; ties by position), zero rows for the others."""
    E = v.shape[1]
    vr, idx = v.round(), torch.arange(E, device=v.device)
    before = idx[None, :] < idx[:, None]                                       # (i, j): j comes before i
    lower = (vr[:, None, :] < vr[:, :, None]) | ((vr[:, None, :] == vr[:, :, None]) & before)   # (B, i, j)
    rank = (lower & on[:, None, :]).sum(-1).clamp(max=E - 1)                   # (B, E)
    return F.one_hot(rank, E).to(v.dtype) * on[..., None]


class OpSteps:
    """The op-conditioned step shared by the evaluator (LatentMachine) and its student (synth/executor): a mixin
    for a module with `op_emb`, `level_emb`, `cfg.n_levels`, `route`, `n_ops`, `push_id`, `lit_proj`,
    `encode_rows` and `_step(z, cond, route, lit_z)`. `_init_slots` builds what both build first."""

    def _init_slots(self, cfg, profile) -> StateTokenizer:
        """The config, tokenizer and op ids (PUSH is id n_ops), then the per-slot encoder E: SlotEmbed, residual
        MLPs and a norm for the value slots, an embedding and a norm for the status slot. Returns the tokenizer."""
        self.cfg = cfg
        self.tok = tok = StateTokenizer(profile)
        self.profile = tok.profile
        self.ops = tuple(self.profile.ops)
        self.n_ops, self.push_id = len(self.ops), len(self.ops)
        d = cfg.d_model
        self.embed = SlotEmbed(tok, d, cfg.elem_dim)
        self.enc = nn.Sequential(*[ResMLP(d, cfg.mlp_ratio) for _ in range(cfg.enc_layers)], nn.LayerNorm(d))
        self.status_emb = nn.Embedding(tok.vocab["status"], d)
        self.status_norm = nn.LayerNorm(d)
        return tok

    def level_vec(self, level: Tensor) -> Tensor:
        """level (B,) int64 index, or float alpha in [0, 1] (interpolated) -> (B, C)."""
        if level.dtype.is_floating_point:
            pos = level.clamp(0, 1) * (self.cfg.n_levels - 1)
            lo = pos.floor().long().clamp(max=self.cfg.n_levels - 2)
            w = (pos - lo)[:, None]
            return (1 - w) * self.level_emb(lo) + w * self.level_emb(lo + 1)
        return self.level_emb(level)

    def _level(self, z: Tensor, level: Tensor | None) -> Tensor:
        if level is None:
            return torch.zeros(z.shape[0], dtype=torch.long, device=z.device)
        return level

    def transition(self, z: Tensor, ops: Tensor, lit: Tensor | None = None, level: Tensor | None = None) -> Tensor:
        """One discrete item per row: ops (B,) ids (push_id pushes lit (B, F)); level (B,) -> Z' (B, T, C)."""
        cond = self.op_emb(ops) + self.level_vec(self._level(z, level))
        lit_z = None
        if lit is not None:
            lit_z = self.encode_rows(lit)                                      # ((B, C), element latents | None)
            cond = cond + (ops == self.push_id)[:, None].to(cond.dtype) * self.lit_proj(lit_z[0])
        return self._step(z, cond, self.route[ops], lit_z)

    def transition_soft(self, z: Tensor, weights: Tensor, level: Tensor | None = None) -> Tensor:
        """weights (B, n_ops) over self.ops (a distribution; differentiable) -> Z' (B, T, C)."""
        if weights.dim() != 2 or weights.shape[-1] != self.n_ops:
            raise ValueError(f"op weights must be (B, {self.n_ops}), got {tuple(weights.shape)}")
        w = weights.to(self.op_emb.weight.dtype)
        cond = w @ self.op_emb.weight[:self.n_ops] + self.level_vec(self._level(z, level))
        route = torch.einsum("bk,kds->bds", w, self.route[:self.n_ops])
        return self._step(z, cond, route, None)
