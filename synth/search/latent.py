"""Differentiable execution of relaxed programs for the gradient search (evaluator, field or distilled student).

    ex = make_executor("evaluator", checkpoint=None)          # None: the shipped default (synth/pretrained/)
    ex = make_executor("field", checkpoint="field.pt")        # the field and the evaluator it was trained on
    ex = make_executor("student")                              # synth/pretrained/executor_small.pt (synth distill)
    plan = ex.plan(space)                                      # item -> op mapping for one task (TaskSpace)
    z0 = ex.encode(space, q, alpha)                            # (R E, S, C); q (R, n_free, n_int) value dists
    zL = ex.rollout(plan, z0, w, alpha)                        # w (R E, L, V) item distributions per slot
    loss = ex.loss(space, zL, alpha)                           # (R E,) decoder CE to the outputs at level(alpha)

Items (synth.search.space): ops and constants `cK` are op weights of the evaluator's soft transition; a
literal push is the evaluator's `push` conditioned on the literal's slot embedding (mixed like the ops);
`skip` keeps the state: z' = w_skip z + (1 - w_skip) T(z, mixed op). A free constant's value is a
distribution q over the profile's ints: its constant slot is embedded as the q-weighted mean of the slot
embeddings of every int (so gradients reach q). The field integrates, slot by slot, the mixture of the ops'
fields (mix="fields") or the field of the mixed op embedding (mix="embedding"), and mixes the result with the
unchanged state by the weight of skip and literals; it decodes with its evaluator.

The soft constant slots and soft literals use the evaluator's modules (encode_rows: each slot is encoded on
its own; op_emb, lit_proj, level_vec, the routing table `route` and `_step`); `check()` compares them once with the evaluator's own encode /
step_items on one-hot inputs and turns a feature off (with a note in `.notes`) if they disagree, so a change
inside the evaluator degrades the search instead of silently corrupting it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from dsl.abstract import abstract, abstract_stack, level_of

from .space import TaskSpace

EXECUTORS = ("evaluator", "field", "student")


def make_executor(kind: str, checkpoint: str | None = None, **kw) -> "Executor":
    if kind == "evaluator":
        from ..evaluator import load_evaluator
        return Executor(load_evaluator(checkpoint), None, **kw)
    if kind == "field":
        from ..field import load_field
        field = load_field(checkpoint)
        return Executor(field.latent, field, **kw)
    if kind == "student":                 # the distilled executor (synth/executor): ~18x faster, less exact
        from ..executor import load_student
        return Executor(load_student(checkpoint), None, **kw)
    raise ValueError(f"unknown executor {kind!r}; choose one of {', '.join(EXECUTORS)}")


@dataclass
class Plan:
    op_map: Tensor       # (V, n_ops) item -> evaluator op weights (rows of ops/constants are one-hot)
    lit_rows: Tensor     # (n_lit, F) literal rows
    lit_z: tuple | None  # their latents (n_lit, C) and element latents | None (when soft literals are on)
    lit_ids: Tensor      # (n_lit,) item ids of the literals
    skip: int


class Executor:
    def __init__(self, ev, field=None, solver: str = "euler", solver_steps: int = 2, mix: str = "embedding"):
        self.ev, self.field = ev, field
        self.m = ev.model
        self.tok, self.profile, self.ops = ev.tok, ev.profile, tuple(ev.ops)
        self.solver, self.solver_steps, self.mix = solver, solver_steps, mix
        self.notes: list[str] = []
        self.soft_consts = self.soft_lits = True
        self._cache: dict = {}
        ints = [int(v) for v in range(self.profile.int_min, self.profile.int_max + 1)]
        self._int_rows = {lv: torch.from_numpy(np.stack([self.tok.row(abstract(v, lv), k) for v in ints]))
                          for k, lv in enumerate(("concrete", "sign", "type"))}        # level -> (n_int, F)
        self.check()

    @property
    def kind(self) -> str:
        return "field" if self.field is not None else "evaluator"

    # ---- adapters over the evaluator's modules (verified by check) ---------------------------------------
    def _int_latents(self, level: str) -> tuple[Tensor, Tensor | None]:
        """The latents of every int's slot at `level`, (n_int, C) and (n_int, L, C) | None: each value slot is
        encoded on its own; computed once (the model is frozen)."""
        hit = self._cache.get(level)
        if hit is None:
            with torch.no_grad():
                hit = self._cache[level] = self.m.encode_rows(self._int_rows[level].to(self.ev.device))
        return hit

    def _encode_soft(self, feats: Tensor, status: Tensor, slots: list[int], q: Tensor | None,
                     level: str = "concrete") -> Tensor:
        """machine.encode, with value slots `slots` (indices into the S-1 value slots) replaced by the
        q-mixture of every int's latent: q (B, len(slots), n_int)."""
        z = self.m.encode(feats, status)                                          # (B, T, C)
        if slots and q is not None:
            zs_all, ze_all = self._int_latents(level)
            qq = q.to(z.dtype)
            z = z.clone()
            z[:, [1 + s for s in slots]] = qq @ zs_all                            # (B, k, C)
            if ze_all is not None:                                                # element tokens after the slots
                S, L = self.tok.n_slots, ze_all.shape[1]
                mixed = torch.einsum("bkv,vlc->bklc", qq, ze_all)                 # (B, k, L, C)
                for n, s in enumerate(slots):
                    z[:, S + s * L:S + (s + 1) * L] = mixed[:, n]
        return z

    def _soft_items(self, z: Tensor, w_ops: Tensor, w_lit: Tensor | None, lit_z, alpha: Tensor) -> Tensor:
        """One transition for a mixed item: ops (B, n_ops) and literal pushes (B, n_lit), rows sum to 1.
        The conditioning and the stack routing are the w-mixes of the items' (a literal: `push` with the
        literal's latent; several literals: their w-mixed latent). lit_z: the literals' latents as encode_rows
        gives them: (n_lit, C) and (n_lit, L, C) | None."""
        m = self.m
        if w_lit is None or not w_lit.shape[1]:
            return self.ev.step(z, w_ops, alpha)
        ls, le = lit_z
        wl = w_lit.sum(1, keepdim=True)                                           # (B, 1)
        wn = w_lit / wl.clamp_min(1e-6)
        lz = wn @ ls                                                              # (B, C)
        cond = (w_ops @ m.op_emb.weight[:m.n_ops] + wl * m.op_emb.weight[m.push_id] + wl * m.lit_proj(lz)
                + m.level_vec(alpha))
        route = torch.einsum("bk,kds->bds", w_ops, m.route[:m.n_ops]) + wl[:, :, None] * m.route[m.push_id]
        lit = (lz, None if le is None else torch.einsum("bn,nlc->blc", wn, le))   # (B, C), (B, L, C) | None
        return m._step(z, cond, route, lit)

    def check(self) -> None:
        """Compare the adapters with the evaluator's own methods on one-hot inputs; a mismatch (or a missing
        module) turns the feature off, with a note."""
        from ..data.tokenizer import State
        try:
            with torch.no_grad():
                st = [State((5,), (3, 4))]
                b = self.tok.encode(st, 0)
                ref = self.ev.encode(st)
                qi = torch.zeros(1, 1, len(self._int_rows["concrete"]))
                qi[0, 0, 5 - self.profile.int_min] = 1.0
                got = self._encode_soft(b["feats"], b["status"], [0], qi)
                if not torch.allclose(ref, got, atol=1e-4):
                    raise ValueError("encode mismatch")
        except Exception as e:  # noqa: BLE001 - any mismatch disables the feature
            self.soft_consts = False
            self.notes.append(f"soft constants off ({type(e).__name__}: {e})")
        try:
            with torch.no_grad():
                z = self.ev.encode([State((), (3,))])
                a = torch.zeros(1)
                ref = self.ev.step_items(z, [(7,)], a)
                row = torch.from_numpy(self.tok.row(7, 0)[None].copy())
                got = self._soft_items(z, torch.zeros(1, self.m.n_ops), torch.ones(1, 1), self.m.encode_rows(row), a)
                if not torch.allclose(ref, got, atol=1e-4):
                    raise ValueError("transition mismatch")
        except Exception as e:  # noqa: BLE001
            self.soft_lits = False
            self.notes.append(f"soft literals off ({type(e).__name__}: {e})")

    # ---- per task ------------------------------------------------------------------------------------------
    def plan(self, sp: TaskSpace) -> Plan:
        idx = {o: i for i, o in enumerate(self.ops)}
        op_map = torch.zeros(sp.V, len(self.ops))
        lit_ids, lit_rows = [], []
        for i, it in enumerate(sp.items):
            if it.op is not None and it.op in idx:
                op_map[i, idx[it.op]] = 1.0
            elif it.kind == "lit":
                lit_ids.append(i)
                lit_rows.append(self.tok.row(it.value, 0))
        rows = torch.from_numpy(np.stack(lit_rows)) if lit_rows else torch.zeros(0, self.tok.n_feats,
                                                                                  dtype=torch.long)
        lit_z = None
        if lit_rows and self.soft_lits:
            with torch.no_grad():
                lit_z = self.m.encode_rows(rows.to(self.ev.device))
        return Plan(op_map, rows, lit_z, torch.tensor(lit_ids, dtype=torch.long), sp.SKIP)

    def encode(self, sp: TaskSpace, R: int, q: Tensor | None, alpha: float, free_vals=None) -> Tensor:
        """Z0 (R E, S, C) of every example for R restarts; free constants as q (R, n_free, n_int) mixtures
        (soft) or, when soft constants are off, as the values free_vals (R, n_free) ints."""
        from ..data.tokenizer import State
        lv = level_of(alpha)
        E, nf = len(sp.inputs), sp.n_free
        states = []
        for r in range(R):
            fv = tuple(int(v) for v in free_vals[r]) if free_vals is not None else (0,) * nf
            consts = abstract_stack(sp.given + fv, lv)
            states += [State(consts, abstract_stack(s, lv)) for s in sp.inputs]
        b = self.tok.encode(states, lv)
        feats, status = b["feats"].to(self.ev.device), b["status"].to(self.ev.device)
        if nf and q is not None and self.soft_consts:
            qq = q.repeat_interleave(E, dim=0)                                     # (R E, nf, n_int)
            slots = [len(sp.given) + j for j in range(nf)]
            return self._encode_soft(feats, status, slots, qq, lv)
        return self.m.encode(feats, status)

    def rollout(self, plan: Plan, z: Tensor, w: Tensor, alpha: float) -> Tensor:
        """w (B, L, V) item distributions -> z_L (B, S, C)."""
        B, L, V = w.shape
        a = torch.full((B,), float(alpha), device=z.device)
        w_skip = w[..., plan.skip]                                                 # (B, L)
        w_ops = w @ plan.op_map.to(w.dtype)                                        # (B, L, n_ops)
        w_lit = w[..., plan.lit_ids] if len(plan.lit_ids) else None                # (B, L, n_lit)
        if self.field is not None:        # one segment per slot; skip and literals keep the state
            for t in range(L):
                mass = w_ops[:, t].sum(-1).clamp_min(1e-6)                         # (B,)
                nxt = self.field.integrate_program(z, (w_ops[:, t] / mass[:, None])[:, None], solver=self.solver,
                                                   steps=self.solver_steps, alpha=a, mix=self.mix)
                keep = (1 - mass)[:, None, None]
                z = keep * z + (1 - keep) * nxt
            return z
        for t in range(L):
            keep = w_skip[:, t]
            if w_lit is not None and plan.lit_z is not None:
                mass = (1 - keep).clamp_min(1e-6)[:, None]
                nxt = self._soft_items(z, w_ops[:, t] / mass, w_lit[:, t] / mass, plan.lit_z, a)
            else:
                mass = w_ops[:, t].sum(-1, keepdim=True).clamp_min(1e-6)
                keep = 1 - mass[:, 0]
                nxt = self.ev.step(z, w_ops[:, t] / mass, a)
            z = keep[:, None, None] * z + (1 - keep)[:, None, None] * nxt
        return z

    def loss(self, sp: TaskSpace, z: Tensor, R: int, alpha: float) -> Tensor:
        """(R E,) decoder cross-entropy of z to every example's output, abstracted at level(alpha)."""
        lv = level_of(alpha)
        targets = [abstract_stack(o, lv) for o in sp.outs] * R
        return self.ev.loss_to_target(z, targets, level=lv, match="exact" if sp.exact else "top")
