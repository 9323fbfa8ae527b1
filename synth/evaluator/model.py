"""The latent state machine: encoder E, op-conditioned transition T, decoder D (tensor level).

    m = LatentMachine(EvaluatorConfig(d_model=128), "small")
    z = m.encode(feats, status)                  # feats (B, S, F), status (B,) -> Z (B, T, C)
    z = m.transition(z, ops, lit, level)         # ops (B,) op ids (m.push_id: push `lit` (B, F)), level (B,)
    z = m.transition_soft(z, w, level)           # w (B, n_ops): a distribution over the profile's ops
    logits = m.decode(z)                         # dict of per-slot logits, see Decoder
    loss, exact = state_loss(m.decoder, z, feats, status)  # (B,), (B,) bool

Slots (synth.data.tokenizer): status, constants, stack top first. Z (B, T, C) holds one latent per slot,
then one latent per element of every value slot, slot-major (T = S + (S-1) * max_len); an element moves
with its slot. The parts live in their own files: config.py (EvaluatorConfig), embedding.py (E),
transition.py (ALU, element pointer, routing), decoder.py (D), losses.py (state_loss); this file wires them.

E encodes every slot on its own (embedding.py). T knows each op's STACK EFFECT (its signature in dsl.ops)
and learns its VALUES. A core Transformer, conditioned by adaptive layer norm on `op embedding + level
embedding (+ the literal's latent for a push)`, reads all slots (plus slot embeddings) and the element
latents of the top two slots (s0's with their ranks, `list_readout`), and writes Y: the new status latent
and the new top value (and its elements, at the top slot's element positions). A wide MLP (the ALU) on the
top operands refines both; it also reads the operands' decoded values and the decoded sum of s0's elements
(`readout`, `list_readout`: fixed number features, no gradient). The new top's elements may copy input
element latents (ElemCopy, a pointer). Then the new stack is routed: for every output slot the op's routing
table picks a source among Y's top value, the old stack slots, the constants (c0..), the empty-slot latent
and a pushed literal's latent. Stack ops (dup, swap, over, rot, drop) only move latents; `cK` copies a
constant; every other op (one output) writes Y's top value over its inputs, and the slots below shift by
the op's net effect. For a SOFT op distribution w the routing is the w-mix of the ops' tables and the
conditioning the w-mix of their embeddings: one transition, differentiable in w. Errors are learned in the
status latent (which slot contents are then ignored). D is a small MLP per slot with one head per feature,
and a status head.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..core.transformer import Transformer, TransformerConfig
from .config import REMOVED, EvaluatorConfig, config_from_meta  # noqa: F401  (re-exported)
from .decoder import Decoder, predict_feats  # noqa: F401
from .embedding import READOUT, ElemEmbed, ResMLP, SlotEmbed, _num_scale, _numeric  # noqa: F401
from .losses import state_loss  # noqa: F401
from .transition import ALU, ElemCopy, OpSteps, rank_onehot, routing_table  # noqa: F401


class LatentMachine(OpSteps, nn.Module):
    def __init__(self, cfg: EvaluatorConfig, profile="small"):
        super().__init__()
        tok = self._init_slots(cfg, profile)                                  # cfg, tok, ops; E's slot encoder
        d, S = cfg.d_model, tok.n_slots
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

    def decode(self, z: Tensor) -> dict[str, Tensor]:
        return self.decoder(z)
