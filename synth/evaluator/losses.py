"""The evaluator's state loss: cross-entropy of D(z) against target states, and exact match.

    loss, exact = state_loss(m.decoder, z, feats, status)    # (B,), (B,) bool
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..data.tokenizer import BOOL, F_BOOL, F_ELEM, F_INT, F_KIND, F_LEN, F_PAR, F_SIGN, INT, LIST, STR
from .decoder import Decoder, _ce


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
        rl, rok = fn(dec, h[sel], f[sel], None if ze is None else ze[sel])     # (R,), (R,) bool
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
    ll, le = dec.run("len", h), dec.elems(e, h)                             # (R, V), (R, L, Ve)
    e = f[:, F_ELEM:]
    loss = _ce(ll, f[:, F_LEN]) + _ce(le, e).sum(-1)
    L = e.shape[-1]
    within = torch.arange(L, device=f.device) < f[:, F_LEN, None].clamp(max=L)
    ok = (ll.argmax(-1) == f[:, F_LEN]) & ((le.argmax(-1) == e) | ~within).all(-1)
    return loss, ok
