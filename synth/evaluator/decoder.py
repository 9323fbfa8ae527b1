"""D, the decoder: latents -> per-slot logits, and the arg-max decode to feature rows.

    logits = Decoder(tok, d, hidden, residues)(z)   # Z (B, T, C) -> dict of logits (see Decoder)
    feats, status = predict_feats(logits)           # (B, S, F), (B,)
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data.tokenizer import StateTokenizer


class Decoder(nn.Module):
    """Z (B, S, C) -> logits: status (B, V), and per value slot (B, S-1, V) for kind/int/sign/par/bool/len,
    elem (B, S-1, L, V). `trunk` + `heads(h)` let the loss run the big heads only on the rows that need them.

    With `residues` (moduli m), the int logits are a product of experts: logit(v) = direct(v) +
    sum_m r_m(v mod m), each r_m a head over Z/m trained also on its own (an arithmetic op then only has
    to get each residue right, e.g. (a + b) mod m from a mod m and b mod m, to pin the exact sum down;
    without them the error of add/sub on held-out values was almost always an even offset of 2 to 8).
    The residue heads start at zero: added to a trained decoder they change nothing at first."""

    def __init__(self, tok: StateTokenizer, d: int, hidden: int, residues: tuple = (), residue_loss: float = 0.0,
                 elem_tokens: bool = True):
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
        self.S, self.L, self.E = tok.n_slots, tok.max_len, tok.max_len if elem_tokens else 0
        self.trunk = nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.LayerNorm(hidden))
        self.head = nn.ModuleDict({k: nn.Linear(hidden, v[k]) for k in ("kind", "int", "sign", "par", "bool", "len")})
        if self.E:             # the evaluator: one latent per list element, one shared head
            self.elem_trunk = nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.LayerNorm(hidden))
            self.elem = nn.Linear(hidden, v["elem"])
        else:                  # the student (synth/executor): every element from its slot's latent
            self.elem = nn.Linear(hidden, self.L * v["elem"])
        self.status = nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.Linear(hidden, v["status"]))

    def split(self, z: Tensor) -> tuple[Tensor, Tensor | None]:
        """Z (B, T, C) -> slot latents (B, S, C) and element latents (B, S-1, L, C) (None without them)."""
        if not self.E:
            return z, None
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

    def elems(self, e: Tensor | None, h: Tensor | None = None) -> Tensor:
        """Element logits (..., L, Ve) from element latents e (..., L, C), or, without element tokens (e None),
        from the slot's hidden rows h (..., H)."""
        if e is None:
            return self.elem(h).unflatten(-1, (self.L, -1))
        return self.elem(self.elem_trunk(e))

    def forward(self, z: Tensor) -> dict[str, Tensor]:
        zs, ze = self.split(z)
        h = self.trunk(zs[:, 1:])                                              # (B, S-1, H)
        out = {k: self.run(k, h) for k in ("kind", "int", "sign", "par", "bool", "len")}
        out["elem"] = self.elems(ze, h)                                        # (B, S-1, L, Ve)
        out["status"] = self.status(zs[:, 0])                                  # (B, Vs)
        return out


def predict_feats(logits: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
    """Arg-max decode: (feats (B, S, F) with slot 0 zero, status (B,))."""
    cols = [logits[k].argmax(-1) for k in ("kind", "int", "sign", "par", "bool", "len")]
    body = torch.cat([torch.stack(cols, -1), logits["elem"].argmax(-1)], dim=-1)   # (B, S-1, F)
    feats = torch.cat([torch.zeros_like(body[:, :1]), body], dim=1)
    return feats, logits["status"].argmax(-1)


def _ce(logits: Tensor, target: Tensor) -> Tensor:
    return F.cross_entropy(logits.float().flatten(0, -2), target.flatten(), reduction="none").view(target.shape)
