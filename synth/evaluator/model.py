"""The latent state machine: encoder E, op-conditioned transition T, decoder D (tensor level).

    m = LatentMachine(EvaluatorConfig(d_model=128), "small")
    z = m.encode(feats, status)                  # feats (B, S, F), status (B,) -> Z (B, T, C)
    z = m.transition(z, ops, lit, level)         # ops (B,) op ids (m.push_id: push `lit` (B, F)), level (B,)
    z = m.transition_soft(z, w, level)           # w (B, n_ops): a distribution over the profile's ops
    logits = m.decode(z)                         # dict of per-slot logits, see Decoder
    loss, exact = state_loss(m.decoder, z, feats, status)  # (B,), (B,) bool

Slots (synth.data.tokenizer): status, constants, stack top first. Z (B, T, C) holds one latent per slot
(T = S), and with `elem_tokens` also one latent per element of every value slot, slot-major after them
(T = S + (S-1) * max_len); an element moves with its slot.

E encodes every slot on its own (no attention): the slot's features (kind, value, sign, parity, bool,
length, and its elements, each element embedding projected by its own position's map) through residual
MLPs and a final norm. So a value has one latent wherever it sits, and moving it moves its latent.

T knows each op's STACK EFFECT (its signature in dsl.ops) and learns its VALUES. A core Transformer,
conditioned by adaptive layer norm on `op embedding + level embedding (+ the literal's latent for a push)`,
reads all slots (plus slot embeddings, and the element latents of the top two slots when `elem_tokens`;
with `elem_set`, s0's slot and element tokens first get a masked sum and pairwise relations of its elements)
and writes Y: the new status latent and the new top value (and its elements, at the top slot's element
positions); with `elem_fold` a bilinear fold over s0's elements adds to the new top value, and an optional
wide MLP (`alu_hidden`) on the top operands refines both (with `list_readout` it also reads the decoded sum of
s0's elements, and s0's element tokens their ranks, fixed features without gradient). Then the
new stack is routed: for every output slot the op's routing table picks a source among Y's top value,
the old stack slots, the constants (c0..), the empty-slot latent and a pushed literal's latent. Stack ops
(dup, swap, over, rot, drop) only move latents; `cK` copies a constant; every other op (one output)
writes Y's top value over its inputs, and the slots below shift by the op's net effect. For a SOFT op
distribution w the routing is the w-mix of the ops' tables and the conditioning the w-mix of their
embeddings: one transition, differentiable in w. Errors are learned in the status latent (which slot
contents are then ignored). D is a small MLP per slot with one head per feature, and a status head.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core.transformer import Transformer, TransformerConfig
from ..data.tokenizer import (BOOL, F_BOOL, F_ELEM, F_INT, F_KIND, F_LEN, F_PAR, F_SIGN, INT, LIST, STR,
                              StateTokenizer)


@dataclass
class EvaluatorConfig:
    """The shipped evaluator (synth/conf/evaluator/small.yaml == these defaults)."""
    d_model: int = 128
    n_heads: int = 4
    enc_layers: int = 2           # residual MLP blocks of the per-slot encoder
    trans_layers: int = 3
    mlp_ratio: float = 4.0
    elem_dim: int = 32            # per-element embedding width before the per-position projection
    dec_hidden: int = 256
    pos: str = "rotary"           # slot positions inside E and T (a core Transformer option)
    dropout: float = 0.0
    n_levels: int = 3             # concrete, sign, type
    alu_hidden: int = 1024        # width of the ALU, the wide MLP on the top operands that writes the new top
    alu_layers: int = 2           #   value and status
    alu_bilinear: int = 512       # rank of the ALU's bilinear path, (A x) * (B x) -> out: products of operand
                                  #   features (angle addition of periodic number features is bilinear)
    residues: list = field(default_factory=lambda: [3, 4, 5, 8, 16, 32])   # moduli m: D also predicts int
                                  #   values mod m, and the int logits of v add each head's logit of (v mod m)
                                  #   (see Decoder); [] = none
    residue_loss: float = 0.25    # weight of the residue heads' own cross-entropy

    def __post_init__(self) -> None:
        if self.enc_layers < 1 or self.trans_layers < 1:
            raise ValueError("enc_layers and trans_layers must be >= 1")
        if self.alu_hidden < 1 or self.alu_layers < 1 or self.alu_bilinear < 1:
            raise ValueError("alu_hidden, alu_layers and alu_bilinear must be >= 1")
        if self.elem_dim < 1 or self.dec_hidden < 1:
            raise ValueError("elem_dim and dec_hidden must be >= 1")
        if any(int(m) < 2 for m in self.residues) or len(set(self.residues)) != len(self.residues):
            raise ValueError(f"residues must be distinct moduli >= 2, got {list(self.residues)}")


# Options measured and removed from the code (experiments/results/removed.md); a checkpoint that stores one
# loads only with the value that is now the only behaviour.
REMOVED = {"elem_tokens": True, "alu_readout": True, "elem_copy": True, "list_readout": True, "rank_pointer": True,
           "elem_set": 0, "elem_fold": 0, "value_probe": 0.0}


def config_from_meta(d: dict, where: str = "checkpoint") -> EvaluatorConfig:
    """EvaluatorConfig from a checkpoint's stored dict (removed options: synth.core.removed)."""
    from ..config import from_dict
    from ..core.removed import drop_removed
    return from_dict(EvaluatorConfig, drop_removed(d, REMOVED, where))


READOUT = 19                          # features per operand of LatentMachine.readout: _numeric's 18 + "no value"


def _num_scale(profile) -> float:
    """The unit of the number line feature: v / scale lies in [-1, 1] for the profile's ints."""
    return float(max(abs(profile.int_min), abs(profile.int_max)))


def _numeric(values: Tensor, scale: float) -> Tensor:
    """(N,) ints -> (N, 18) fixed features: v/scale and sin/cos of 2 pi v / P for 8 periods."""
    periods = torch.tensor([2.0, 3.0, 4.0, 5.0, 8.0, 16.0, 32.0, 128.0], dtype=torch.float64, device=values.device)
    ang = 2 * math.pi * values[:, None].double() / periods
    return torch.cat([values[:, None].double() / scale, ang.sin(), ang.cos(), (values[:, None] < 0).double()],
                     dim=1).float()


class SlotEmbed(nn.Module):
    """Feature rows (..., F) -> slot vectors (..., C)."""

    def __init__(self, tok: StateTokenizer, d: int, elem_dim: int):
        super().__init__()
        v, p = tok.vocab, tok.profile
        self.max_len = tok.max_len
        self.kind, self.int, self.sign = nn.Embedding(v["kind"], d), nn.Embedding(v["int"], d), nn.Embedding(v["sign"], d)
        self.par, self.bool, self.len = nn.Embedding(v["par"], d), nn.Embedding(v["bool"], d), nn.Embedding(v["len"], d)
        self.elem = nn.Embedding(v["elem"], elem_dim)
        self.elem_proj = nn.Linear(tok.max_len * elem_dim, d)
        scale = _num_scale(p)
        ints = torch.arange(tok.n_int) + p.int_min
        num = torch.zeros(v["int"], 18)
        num[:tok.n_int] = _numeric(ints, scale)
        enum = torch.zeros(v["elem"], 18)
        enum[tok.E_INT0:tok.E_INT0 + tok.n_int] = _numeric(ints, scale)
        self.register_buffer("num", num, persistent=False)
        self.register_buffer("elem_num", enum, persistent=False)
        self.num_proj = nn.Linear(18, d)
        self.elem_num_proj = nn.Linear(18, elem_dim)
        self.out = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, d), nn.GELU(), nn.Linear(d, d))

    def forward(self, f: Tensor) -> Tensor:
        # f: (..., F) int64
        x = (self.kind(f[..., F_KIND]) + self.int(f[..., F_INT]) + self.num_proj(self.num[f[..., F_INT]])
             + self.sign(f[..., F_SIGN]) + self.par(f[..., F_PAR]) + self.bool(f[..., F_BOOL]) + self.len(f[..., F_LEN]))
        e = f[..., F_ELEM:]                                                    # (..., L)
        ev = self.elem(e) + self.elem_num_proj(self.elem_num[e])               # (..., L, E)
        x = x + self.elem_proj(ev.flatten(-2))                                 # (..., C)
        return x + self.out(x)


class ElemEmbed(nn.Module):
    """Feature rows (..., F) -> one latent per element (..., L, C): the element's value, its position,
    the slot's kind and length."""

    def __init__(self, tok: StateTokenizer, d: int, ratio: float, num: Tensor):
        super().__init__()
        v = tok.vocab
        self.val = nn.Embedding(v["elem"], d)
        self.register_buffer("num", num, persistent=False)                   # (Ve, 18)
        self.num_proj = nn.Linear(18, d)
        self.pos = nn.Parameter(torch.randn(tok.max_len, d) * 0.02)
        self.kind, self.len = nn.Embedding(v["kind"], d), nn.Embedding(v["len"], d)
        self.mlp = nn.Sequential(ResMLP(d, ratio), nn.LayerNorm(d))

    def forward(self, f: Tensor) -> Tensor:
        e = f[..., F_ELEM:]                                                    # (..., L)
        x = self.val(e) + self.num_proj(self.num[e]) + self.pos
        x = x + (self.kind(f[..., F_KIND]) + self.len(f[..., F_LEN]))[..., None, :]
        return self.mlp(x)                                                     # (..., L, C)


class Decoder(nn.Module):
    """Z (B, S, C) -> logits: status (B, V), and per value slot (B, S-1, V) for kind/int/sign/par/bool/len,
    elem (B, S-1, L, V). `trunk` + `heads(h)` let the loss run the big heads only on the rows that need them.

    With `residues` (moduli m), the int logits are a product of experts: logit(v) = direct(v) +
    sum_m r_m(v mod m), each r_m a head over Z/m trained also on its own (an arithmetic op then only has
    to get each residue right, e.g. (a + b) mod m from a mod m and b mod m, to pin the exact sum down;
    without them the error of add/sub on held-out values was almost always an even offset of 2 to 8).
    The residue heads start at zero: added to a trained decoder they change nothing at first."""

    def __init__(self, tok: StateTokenizer, d: int, hidden: int, residues: tuple = (), residue_loss: float = 0.0):
        super().__init__()
        v = tok.vocab
        self.res_w = residue_loss
        self.res = nn.ModuleDict({str(m): nn.Linear(hidden, int(m)) for m in residues})
        for lin in self.res.values():
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)
        for m in residues:                  # (n_int,) residue class of every int value token
            self.register_buffer(f"res_of_{m}", (torch.arange(tok.n_int) + tok.profile.int_min) % int(m),
                                 persistent=False)
        self.int_min, self.n_int = tok.profile.int_min, tok.n_int
        self.S, self.E = tok.n_slots, tok.max_len
        self.trunk = nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.LayerNorm(hidden))
        self.head = nn.ModuleDict({k: nn.Linear(hidden, v[k]) for k in ("kind", "int", "sign", "par", "bool", "len")})
        self.elem_trunk = nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.LayerNorm(hidden))   # per element latent
        self.elem = nn.Linear(hidden, v["elem"])
        self.status = nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.Linear(hidden, v["status"]))

    def split(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """Z (B, T, C) -> slot latents (B, S, C) and element latents (B, S-1, L, C)."""
        return z[:, :self.S], z[:, self.S:].unflatten(1, (self.S - 1, self.E))

    def run(self, name: str, h: Tensor) -> Tensor:
        """One head on hidden slot rows h (..., H); "int" includes the residue experts."""
        return self.int_logits(h) if name == "int" else self.head[name](h)

    def residue_logits(self, h: Tensor) -> dict[str, Tensor]:
        """{modulus: (..., m) logits} of the residue heads ({} without them)."""
        return {m: lin(h) for m, lin in self.res.items()}

    def int_logits(self, h: Tensor, res: dict[str, Tensor] | None = None) -> Tensor:
        """(..., V_int): the direct head plus, per value token v, every residue head's logit of (v mod m).
        `res`: residue_logits(h) when the caller has them already."""
        out = self.head["int"](h)
        if not len(self.res):
            return out
        res = self.residue_logits(h) if res is None else res
        add = sum(r[..., getattr(self, f"res_of_{m}")] for m, r in res.items())   # (..., n_int)
        return torch.cat([out[..., :self.n_int] + add, out[..., self.n_int:]], dim=-1)

    def residue_loss(self, res: dict[str, Tensor], ints: Tensor) -> Tensor:
        """(R,) summed cross-entropy of residue logits `res` (residue_logits of R rows) against int tokens
        `ints` (R,) (unknown values count zero)."""
        known = ints < self.n_int
        v = ints.clamp(max=self.n_int - 1) + self.int_min
        loss = sum(_ce(r, v % int(m)) for m, r in res.items())
        return loss * known

    def elems(self, e: Tensor) -> Tensor:
        """Element latents (..., L, C) -> element logits (..., L, Ve)."""
        return self.elem(self.elem_trunk(e))

    def forward(self, z: Tensor) -> dict[str, Tensor]:
        zs, ze = self.split(z)
        h = self.trunk(zs[:, 1:])                                              # (B, S-1, H)
        out = {k: self.run(k, h) for k in ("kind", "int", "sign", "par", "bool", "len")}
        out["elem"] = self.elems(ze)                                        # (B, S-1, L, Ve)
        out["status"] = self.status(zs[:, 0])                                  # (B, Vs)
        return out


class ResMLP(nn.Module):
    def __init__(self, d: int, ratio: float):
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, int(ratio * d)), nn.GELU(), nn.Linear(int(ratio * d), d))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.net(x)


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


class LatentMachine(nn.Module):
    def __init__(self, cfg: EvaluatorConfig, profile="small"):
        super().__init__()
        self.cfg = cfg
        self.tok = tok = StateTokenizer(profile)
        self.profile = tok.profile
        self.ops = tuple(self.profile.ops)
        self.n_ops, self.push_id = len(self.ops), len(self.ops)
        d = cfg.d_model
        S = tok.n_slots
        self.embed = SlotEmbed(tok, d, cfg.elem_dim)
        self.enc = nn.Sequential(*[ResMLP(d, cfg.mlp_ratio) for _ in range(cfg.enc_layers)], nn.LayerNorm(d))
        self.status_emb = nn.Embedding(tok.vocab["status"], d)
        self.status_norm = nn.LayerNorm(d)
        self.E = E = tok.max_len
        self.n_tokens = S + (S - 1) * E                                        # Z is (B, n_tokens, C)
        self.elem_embed = ElemEmbed(tok, d, cfg.mlp_ratio, self.embed.elem_num)
        self.elem_slot = nn.Parameter(torch.randn(2, E, d) * 0.02)             # elements of s0, s1 inside T
        self.slot = nn.Parameter(torch.randn(S, d) * 0.02)                     # which slot, inside T
        self.trans = Transformer(TransformerConfig(n_layers=cfg.trans_layers, cond_dim=d, d_model=d,
                                                   n_heads=cfg.n_heads, mlp_ratio=cfg.mlp_ratio,
                                                   dropout=cfg.dropout, pos=cfg.pos, max_len=S + 2 * E))
        self.op_emb = nn.Embedding(self.n_ops + 1, d)                          # + PUSH
        self.level_emb = nn.Embedding(cfg.n_levels, d)
        self.lit_proj = nn.Linear(d, d)
        self.cond_norm = nn.LayerNorm(d)
        self.alu = ALU(d, cfg.alu_hidden, cfg.alu_layers, cfg.alu_bilinear, 4 * READOUT)   # 3 operands + list sum
        self.rank_proj = nn.Linear(E, d)                                       # rank one-hot -> s0's element tokens
        nn.init.zeros_(self.rank_proj.weight)
        nn.init.zeros_(self.rank_proj.bias)
        self.register_buffer("elem_val", torch.arange(tok.n_int, dtype=torch.float32) + tok.profile.int_min,
                             persistent=False)
        self.copy = ElemCopy(d)
        self.register_buffer("route", routing_table(self.ops, tok.n_consts, tok.max_depth), persistent=False)
        self.register_buffer("empty_feats", torch.from_numpy(tok.empty_row.copy()), persistent=False)
        self.decoder = Decoder(tok, d, cfg.dec_hidden, tuple(cfg.residues), cfg.residue_loss)

    # ---- E, T, D --------------------------------------------------------------------------------
    def encode_rows(self, rows: Tensor) -> tuple[Tensor, Tensor]:
        """Value-slot feature rows (..., F) -> slot latents (..., C) and element latents (..., L, C);
        each row on its own."""
        return self.enc(self.embed(rows)), self.elem_embed(rows)

    def encode(self, feats: Tensor, status: Tensor) -> Tensor:
        """feats (B, S, F), status (B,) -> Z (B, T, C): T = S slot latents, then (S-1) x L element latents."""
        x, e = self.encode_rows(feats[:, 1:])                                  # (B, S-1, C), (B, S-1, L, C)
        return self._join(torch.cat([self.status_norm(self.status_emb(status))[:, None], x], dim=1), e)

    def _join(self, zs: Tensor, ze: Tensor) -> Tensor:
        return torch.cat([zs, ze.flatten(1, 2)], dim=1)

    def level_vec(self, level: Tensor) -> Tensor:
        """level (B,) int64 index, or float alpha in [0, 1] (interpolated) -> (B, C)."""
        if level.dtype.is_floating_point:
            pos = level.clamp(0, 1) * (self.cfg.n_levels - 1)
            lo = pos.floor().long().clamp(max=self.cfg.n_levels - 2)
            w = (pos - lo)[:, None]
            return (1 - w) * self.level_emb(lo) + w * self.level_emb(lo + 1)
        return self.level_emb(level)

    def _step(self, z: Tensor, cond: Tensor, route: Tensor, lit: tuple | None) -> Tensor:
        """z (B, T, C), cond (B, C), route (B, D, n_src), lit (slot (B, C), elems (B, L, C)) or None."""
        zs, ze = self.decoder.split(z)
        B, S, C = zs.shape
        nc, E = self.tok.n_consts, self.E
        cond = self.cond_norm(cond)
        x = zs + self.slot
        xe = ze[:, nc:nc + 2] + self.elem_slot                                 # (B, 2, E, C)
        r_sum, rank = self.list_readout(ze[:, nc])                             # (B, R), (B, E, E)
        xe = torch.cat([xe[:, :1] + self.rank_proj(rank)[:, None], xe[:, 1:]], dim=1)
        x = torch.cat([x, xe.flatten(1, 2)], dim=1)                            # (B, S + 2E, C)
        y = self.trans(x, cond=cond)
        top, status = y[:, 1 + nc:2 + nc], y[:, :1]                            # (B, 1, C) each
        a = torch.cat([top[:, 0], status[:, 0], zs[:, 1 + nc:4 + nc].flatten(1), cond], dim=-1)  # (B, 6C)
        r = torch.cat([self.readout(zs[:, 1 + nc:4 + nc]).flatten(1), r_sum], -1)               # (B, 4R)
        t, st = self.alu(a, top[:, 0], status[:, 0], r)
        top, status = t[:, None], st[:, None]
        empty_s, empty_e = self.encode_rows(self.empty_feats)
        lit_s, lit_e = lit if lit is not None else (None, None)
        src = torch.cat([top, zs[:, 1 + nc:], zs[:, 1:1 + nc], empty_s.expand(B, 1, C),
                         lit_s[:, None] if lit_s is not None else torch.zeros(B, 1, C, dtype=zs.dtype, device=zs.device)],
                        dim=1)                                                 # (B, n_src, C)
        route = route.to(src.dtype)
        new_s = torch.cat([status, zs[:, 1:1 + nc], route @ src], dim=1)       # (B, S, C)
        y_el = self.copy(y[:, S:S + E], y[:, S:S + 2 * E], ze[:, nc:nc + 2].flatten(1, 2), rank)   # (B, E, C)
        esrc = torch.cat([y_el[:, None], ze[:, nc:], ze[:, :nc], empty_e.expand(B, 1, E, C),
                          lit_e[:, None] if lit_e is not None else torch.zeros(B, 1, E, C, dtype=ze.dtype, device=ze.device)],
                         dim=1)                                                # (B, n_src, E, C)
        new_e = torch.cat([ze[:, :nc], torch.einsum("bds,bsec->bdec", route, esrc)], dim=1)
        return self._join(new_s, new_e)

    def elem_probs(self, e: Tensor) -> Tensor:
        """Element latents (..., E, C) -> the decoder's element distributions (..., E, Ve), float32, no gradient."""
        with torch.no_grad():
            return torch.softmax(self.decoder.elems(e).float(), -1)

    def readout(self, z: Tensor) -> Tensor:
        """Value-slot latents (..., C) -> (..., READOUT) number features of what they hold, as the decoder
        reads them: E_p[_numeric(v)] under its int distribution p, and the mass p puts on no value (an
        abstract or unknown int). No gradient flows into the decoder through it."""
        with torch.no_grad():
            p = torch.softmax(self.decoder.run("int", self.decoder.trunk(z)).float(), -1)   # (..., V_int)
            num = self.embed.num                                               # (V_int, 18), zero rows for non-values
            return torch.cat([p @ num, p[..., self.tok.n_int:].sum(-1, keepdim=True)], -1).to(z.dtype)

    def list_readout(self, e: Tensor) -> tuple[Tensor, Tensor]:
        """Element latents of the top value (B, E, C) -> fixed features of their values as the decoder reads
        them (no gradient): (B, READOUT) the number features of the SUM of their expected int values plus the
        mass on elements that are no int (chars, abstract values), and (B, E, E) each element's rank among
        them as a one-hot (ties by position; zero rows for padding). A DeepSets pool whose element map is
        the number line: what `sum` and `sort` need and attention only approximates (a learned set pool and
        a learned fold were measured and did not learn them: experiments/results/removed.md)."""
        p = self.elem_probs(e)                                                 # (B, E, Ve)
        p_int = p[..., self.tok.E_INT0:self.tok.E_INT0 + self.tok.n_int]       # (B, E, n_int)
        v = p_int @ self.elem_val                                              # (B, E) expected values
        live = 1 - p[..., self.tok.E_PAD]                                      # (B, E)
        other = (live - p_int.sum(-1)).clamp(min=0).sum(1, keepdim=True)       # (B, 1)
        feats = torch.cat([_numeric(v.sum(1), _num_scale(self.profile)), other], -1)   # (B, READOUT)
        return feats.to(e.dtype), rank_onehot(v, live > 0.5).to(e.dtype)       # (B, E, E) ranks

    def _level(self, z: Tensor, level: Tensor | None) -> Tensor:
        if level is None:
            return torch.zeros(z.shape[0], dtype=torch.long, device=z.device)
        return level

    def transition(self, z: Tensor, ops: Tensor, lit: Tensor | None = None, level: Tensor | None = None) -> Tensor:
        """One discrete item per row: ops (B,) ids (push_id pushes lit (B, F)); level (B,) -> Z' (B, T, C)."""
        cond = self.op_emb(ops) + self.level_vec(self._level(z, level))
        lit_z = None
        if lit is not None:
            lit_z = self.encode_rows(lit)                                      # (B, C), (B, L, C) | None
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

    def decode(self, z: Tensor) -> dict[str, Tensor]:
        return self.decoder(z)


def predict_feats(logits: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
    """Arg-max decode: (feats (B, S, F) with slot 0 zero, status (B,))."""
    cols = [logits[k].argmax(-1) for k in ("kind", "int", "sign", "par", "bool", "len")]
    body = torch.cat([torch.stack(cols, -1), logits["elem"].argmax(-1)], dim=-1)   # (B, S-1, F)
    feats = torch.cat([torch.zeros_like(body[:, :1]), body], dim=1)
    return feats, logits["status"].argmax(-1)


def rank_onehot(v: Tensor, on: Tensor) -> Tensor:
    """Values v (B, E) of the elements that are `on` (B, E) bool -> (B, E, E): row i one-hot at element i's rank
    among the on elements (values rounded; ties by position), zero rows for the others."""
    E = v.shape[1]
    vr, idx = v.round(), torch.arange(E, device=v.device)
    before = idx[None, :] < idx[:, None]                                       # (i, j): j comes before i
    lower = (vr[:, None, :] < vr[:, :, None]) | ((vr[:, None, :] == vr[:, :, None]) & before)   # (B, i, j)
    rank = (lower & on[:, None, :]).sum(-1).clamp(max=E - 1)                   # (B, E)
    return F.one_hot(rank, E).to(v.dtype) * on[..., None]


def _ce(logits: Tensor, target: Tensor) -> Tensor:
    return F.cross_entropy(logits.float().flatten(0, -2), target.flatten(), reduction="none").view(target.shape)


def state_loss(dec: Decoder, z: Tensor, feats: Tensor, status: Tensor,
               slot_mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Cross-entropy of D(z) against target states, per sample (B,), and exact match (B,) bool.

    Error states count only their status. `slot_mask` (B, S-1) bool limits which value slots count
    (e.g. only the top n stack slots, for "top" matching); default all. Value heads run only on the
    rows whose target holds a value of their kind (the decoder is the costly part of training)."""
    B = z.shape[0]
    f = feats[:, 1:]                                                           # (B, S-1, F)
    live = (status == 0)[:, None].expand(f.shape[:2])                          # (B, S-1)
    if slot_mask is not None:
        live = live & slot_mask
    zs, ze = dec.split(z)
    h = dec.trunk(zs[:, 1:])                                                   # (B, S-1, H)
    st_logits = dec.status(zs[:, 0])
    kind = f[..., F_KIND]
    kind_logits = dec.run("kind", h)
    loss = _ce(st_logits, status) + (live * _ce(kind_logits, kind)).sum(1)
    good = (kind_logits.argmax(-1) == kind) | ~live                            # (B, S-1)
    row_b = torch.arange(B, device=z.device)[:, None].expand(f.shape[:2])
    for kinds, fn in (((INT,), _int_rows), ((BOOL,), _bool_rows), ((STR, LIST), _seq_rows)):
        sel = live & ((kind == kinds[0]) if len(kinds) == 1 else (kind == kinds[0]) | (kind == kinds[1]))
        if not bool(sel.any()):
            continue
        rl, rok = fn(dec, h[sel], f[sel], ze[sel])                             # (R,), (R,) bool
        loss = loss.index_add(0, row_b[sel], rl)
        good = good.clone()
        good[sel] = good[sel] & rok
    exact = (st_logits.argmax(-1) == status) & ((status != 0) | good.all(1))
    return loss, exact.detach()


def _int_rows(dec: Decoder, h: Tensor, f: Tensor, e: Tensor) -> tuple[Tensor, Tensor]:
    res = dec.residue_logits(h)                                                # each head once per row
    li, ls, lp = dec.int_logits(h, res), dec.run("sign", h), dec.run("par", h)
    loss = _ce(li, f[:, F_INT]) + 0.25 * (_ce(ls, f[:, F_SIGN]) + _ce(lp, f[:, F_PAR]))
    if res:
        loss = loss + dec.res_w * dec.residue_loss(res, f[:, F_INT])
    ok = li.argmax(-1) == f[:, F_INT]
    unk = f[:, F_INT] >= li.shape[-1] - 2                                      # value unknown (abstract)
    ok = ok & (~unk | ((ls.argmax(-1) == f[:, F_SIGN]) & (lp.argmax(-1) == f[:, F_PAR])))
    return loss, ok


def _bool_rows(dec: Decoder, h: Tensor, f: Tensor, e: Tensor) -> tuple[Tensor, Tensor]:
    lb = dec.run("bool", h)
    return _ce(lb, f[:, F_BOOL]), lb.argmax(-1) == f[:, F_BOOL]


def _seq_rows(dec: Decoder, h: Tensor, f: Tensor, e: Tensor) -> tuple[Tensor, Tensor]:
    ll, le = dec.run("len", h), dec.elems(e)                                # (R, V), (R, L, Ve)
    e = f[:, F_ELEM:]
    loss = _ce(ll, f[:, F_LEN]) + _ce(le, e).sum(-1)
    L = e.shape[-1]
    within = torch.arange(L, device=f.device) < f[:, F_LEN, None].clamp(max=L)
    ok = (ll.argmax(-1) == f[:, F_LEN]) & ((le.argmax(-1) == e) | ~within).all(-1)
    return loss, ok
