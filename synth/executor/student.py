"""The student executor: a compact latent state machine, one small vector per slot, fast enough for search.

    m = StudentMachine(StudentConfig(), "small")
    z = m.encode(feats, status)                  # feats (B, S, F), status (B,) -> Z (B, S, C)
    z = m.transition(z, ops, lit, level)         # ops (B,) op ids (m.push_id: push `lit` (B, F)), level (B,)
    z = m.transition_soft(z, w, level)           # w (B, n_ops): a distribution over the profile's ops
    logits = m.decode(z)                         # the evaluator's Decoder layout (synth.evaluator.model)

It has the evaluator's interface (LatentMachine: encode, encode_rows, transition, transition_soft, decode,
decoder, op_emb, lit_proj, level_vec, route, _step, push_id, n_ops), so `synth.evaluator.api.Evaluator`
wraps it unchanged and `synth.search.latent.Executor` rolls relaxed programs through it exactly as through
the evaluator (synth.executor.load_student, make_student_executor).

A state is S = 12 vectors (status, constants c0.., stack top first; synth.data.tokenizer), width C (64 in
the shipped preset; the evaluator has 78 tokens x 128 and a transformer). No attention, no element tokens:
  E   each slot encoded on its own: the evaluator's SlotEmbed (its list/str elements are packed into the slot
      vector by a per-position projection) then residual MLPs and a norm; the status slot is an embedding.
  T   the op's STACK EFFECT is the evaluator's routing table (dsl.ops signatures), exact; its VALUES come from
      one ALU: an MLP on [status, s0, s1, s2] (4C), FiLM-conditioned on `cond = op embedding + level
      embedding (+ the pushed literal's latent)`, plus a bilinear path, writing the new top value and the
      new status (residual over s0 and the old status). Then the routing moves every slot.
  D   the evaluator's Decoder class without element tokens (each slot decodes its elements itself).
A SOFT op distribution w mixes the op embeddings (cond) and the routing tables, as the evaluator does
(`transition_soft`): one ALU call per row, differentiable in w; a one-hot w is exactly the discrete step.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..evaluator.model import Decoder, OpSteps, routing_table

KIND = "synth-executor/1"


@dataclass
class StudentConfig:
    d_model: int = 64             # C: width of every slot vector
    enc_layers: int = 2           # residual MLP blocks of the per-slot encoder
    mlp_ratio: float = 2.0        # encoder MLP width / C
    elem_dim: int = 16            # per-element embedding width inside SlotEmbed
    alu_hidden: int = 256         # ALU width
    alu_layers: int = 1           # FiLM-conditioned residual blocks of the ALU
    alu_bilinear: int = 64       # > 0: rank of the ALU's bilinear path (products of operand features)
    dec_hidden: int = 192         # decoder trunk width
    n_levels: int = 3             # concrete, sign, type
    residues: list = field(default_factory=lambda: [4, 8, 16])   # moduli of the decoder's residue heads
    residue_loss: float = 0.25

    def __post_init__(self) -> None:
        if min(self.d_model, self.enc_layers, self.alu_hidden, self.alu_layers, self.elem_dim, self.dec_hidden) < 1:
            raise ValueError("d_model, enc_layers, alu_hidden, alu_layers, elem_dim and dec_hidden must be >= 1")
        if self.alu_bilinear < 0 or self.mlp_ratio <= 0:
            raise ValueError("alu_bilinear must be >= 0 and mlp_ratio > 0")
        if any(int(m) < 2 for m in self.residues) or len(set(self.residues)) != len(self.residues):
            raise ValueError(f"residues must be distinct moduli >= 2, got {list(self.residues)}")


class StudentALU(nn.Module):
    """[status, s0, s1, s2] (B, 4C) and cond (B, C) -> the new top value and the new status (B, C) each.
    Every block is FiLM-modulated by cond: h += W(gelu(h * (1 + g(cond)) + b(cond)))."""

    def __init__(self, d: int, hidden: int, layers: int, bilinear: int):
        super().__init__()
        self.inp = nn.Sequential(nn.LayerNorm(4 * d), nn.Linear(4 * d, hidden))
        self.cond_in = nn.Linear(d, hidden)
        self.film = nn.Linear(d, 2 * hidden * layers)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)
        self.blocks = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(layers))
        self.out = nn.Linear(hidden, 2 * d)
        self.bil = None
        if bilinear:
            self.bil = nn.ModuleDict({"a": nn.Linear(5 * d, bilinear), "b": nn.Linear(5 * d, bilinear),
                                      "out": nn.Linear(bilinear, 2 * d)})
        self.norm = nn.ModuleList([nn.LayerNorm(d), nn.LayerNorm(d)])

    def forward(self, x: Tensor, cond: Tensor, top: Tensor, status: Tensor) -> tuple[Tensor, Tensor]:
        # x (B, 4C), cond (B, C), top/status (B, C)
        xn = self.inp[0](x)                                                    # (B, 4C)
        h = self.inp[1](xn) + self.cond_in(cond)                               # (B, H)
        film = self.film(cond).chunk(2 * len(self.blocks), dim=-1)             # 2L x (B, H)
        for i, blk in enumerate(self.blocks):
            h = h + blk(F.gelu(h * (1 + film[2 * i]) + film[2 * i + 1]))
        upd = self.out(F.gelu(h))                                              # (B, 2C)
        if self.bil is not None:
            u = torch.cat([xn, cond], dim=-1)                                  # (B, 5C)
            upd = upd + self.bil["out"](self.bil["a"](u) * self.bil["b"](u))
        d_top, d_st = upd.chunk(2, dim=-1)
        return self.norm[0](top + d_top), self.norm[1](status + d_st)


class StudentMachine(OpSteps, nn.Module):
    def __init__(self, cfg: StudentConfig, profile="small"):
        super().__init__()
        tok = self._init_slots(cfg, profile)                                  # cfg, tok, ops; E's slot encoder
        self.E = 0                                                             # no element tokens
        self.n_tokens = tok.n_slots                                            # Z is (B, S, C)
        d = cfg.d_model
        self.op_emb = nn.Embedding(self.n_ops + 1, d)                          # + PUSH
        self.level_emb = nn.Embedding(cfg.n_levels, d)
        self.lit_proj = nn.Linear(d, d)
        self.cond_norm = nn.LayerNorm(d)
        self.alu = StudentALU(d, cfg.alu_hidden, cfg.alu_layers, cfg.alu_bilinear)
        self.register_buffer("route", routing_table(self.ops, tok.n_consts, tok.max_depth), persistent=False)
        self.register_buffer("empty_feats", torch.from_numpy(tok.empty_row.copy()), persistent=False)
        self.decoder = Decoder(tok, d, cfg.dec_hidden, tuple(cfg.residues), cfg.residue_loss, elem_tokens=False)

    # ---- E ------------------------------------------------------------------------------------------
    def encode_rows(self, rows: Tensor) -> tuple[Tensor, None]:
        """Value-slot feature rows (..., F) -> slot latents (..., C) (and None: no element latents)."""
        return self.enc(self.embed(rows)), None

    def encode(self, feats: Tensor, status: Tensor) -> Tensor:
        """feats (B, S, F), status (B,) -> Z (B, S, C)."""
        x, _ = self.encode_rows(feats[:, 1:])                                  # (B, S-1, C)
        return torch.cat([self.status_norm(self.status_emb(status))[:, None], x], dim=1)

    # ---- T ------------------------------------------------------------------------------------------
    def _step(self, z: Tensor, cond: Tensor, route: Tensor, lit: tuple | None) -> Tensor:
        """z (B, S, C), cond (B, C), route (B, D, n_src), lit (slot latent (B, C), None) or None -> Z' (B, S, C)."""
        B, S, C = z.shape
        nc = self.tok.n_consts
        status, consts, stack = z[:, 0], z[:, 1:1 + nc], z[:, 1 + nc:]         # (B, C), (B, nc, C), (B, D, C)
        x = torch.cat([status, stack[:, :3].flatten(1)], dim=-1)               # (B, 4C)
        top, new_status = self.alu(x, self.cond_norm(cond), stack[:, 0], status)
        empty = self.empty_latent()                                            # (C,)
        lit_s = lit[0] if lit is not None else torch.zeros(B, C, dtype=z.dtype, device=z.device)
        src = torch.cat([top[:, None], stack, consts, empty.expand(B, 1, C), lit_s[:, None]], dim=1)  # (B, n_src, C)
        return torch.cat([new_status[:, None], consts, route.to(src.dtype) @ src], dim=1)

    def empty_latent(self) -> Tensor:
        """E(empty row) (C,): the latent of an empty slot; cached while the weights are frozen (search)."""
        if self.embed.int.weight.requires_grad:
            self._empty = None
            return self.encode_rows(self.empty_feats)[0]
        if getattr(self, "_empty", None) is None:
            with torch.no_grad():
                self._empty = self.encode_rows(self.empty_feats)[0]
        return self._empty

    def freeze(self) -> "StudentMachine":
        """Frozen weights (the search's use): no parameter gradients, the empty-slot latent cached."""
        for p in self.parameters():
            p.requires_grad_(False)
        self._empty = None
        return self.eval()

    # ---- D ------------------------------------------------------------------------------------------
    def decode(self, z: Tensor) -> dict[str, Tensor]:
        return self.decoder(z)
