"""Held-out runs for a latent-state-machine evaluator, and its per-op exact match, two ways.

    model = load_evaluator("synth/pretrained/evaluator_small.pt").model   # synth.evaluator; a LatentMachine
    runs = load_runs("datasets/heldout/small_runs.jsonl", model.profile, limit=2000)
    acc = per_op_programs(model, runs)          # {"add": (hits, n), ..., "ALL": (hits, records)}
    steps = runs.steps(model.tok)               # every executed item as one transition
    acc = per_op_steps(model, steps)            # {"add": (hits, n), ..., "push": ...}

`programs` is `synth eval-evaluator`'s measure: each record's input state is encoded, every item of its
program is one latent transition, the last latent is decoded once and must equal `result` (same stack,
types kept apart, or same error kind); an op's score is over the records containing it, "ALL" over all
records. `steps` is teacher-forced: every executed item (a failing one included) is one transition from
the TRUE state before it, D(T(E(before), item)) must decode to the state after (or its error kind).
Literal pushes count as the op "push". `limit` keeps that many records evenly spaced through the file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ..data.tokenizer import EMPTY, F_KIND, F_LEN, LIST, STR, State, StateTokenizer
from ..errors import UserError
from ..evaluator.model import LatentMachine, predict_feats

PUSH = "push"


# ---- records -------------------------------------------------------------------------------------
@dataclass
class Runs:
    codes: list          # machine code per record (op names, literals as 1-tuples)
    inputs: list         # input stacks (bottom first)
    consts: list
    results: list        # States: the machine's answer (stack, or error kind)

    def __len__(self) -> int:
        return len(self.codes)

    def steps(self, tok: StateTokenizer, limit: int = 0) -> "Steps":
        """Every executed item as a transition from the true state (at most `limit`, evenly spaced)."""
        from dsl.machine import trace
        before, after, items = [], [], []
        for code, stack, cs in zip(self.codes, self.inputs, self.consts):
            for st in trace(code, stack, cs, tok.profile):
                if st.item is None:                                     # too long: nothing executed
                    break
                before.append(State(cs, st.before))
                after.append(State(cs, st.after or (), st.error))
                items.append(st.item)
        keep = _spaced(len(items), limit)
        return Steps.build([before[i] for i in keep], [items[i] for i in keep], [after[i] for i in keep], tok)


def _spaced(n: int, limit: int) -> list[int]:
    if limit <= 0 or limit >= n:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, limit).round().astype(int).tolist()))


def load_runs(path: str | Path, profile, limit: int = 0) -> Runs:
    """docs §7 records of `profile` from a .jsonl(.gz) file or a generate-data directory (synth.data.records;
    records that do not parse are skipped, as eval-evaluator does)."""
    from dsl import DslSyntaxError, parse, run
    from dsl.values import from_json

    from ..data.records import load_records
    out = Runs([], [], [], [])
    for n, rec in enumerate(load_records(path), 1):                 # the one held-out reader
        if rec.get("profile", "small") != profile.name:
            raise UserError(f"{path}: record {n}: profile {rec.get('profile')!r}, the model's is {profile.name!r}")
        try:
            code = parse(rec["program"], profile).code
        except DslSyntaxError:
            continue
        cs = tuple(from_json(v, profile) for v in rec.get("constants", []))
        stack = tuple(from_json(v, profile) for v in rec.get("input", []))
        r = run(code, stack, cs, profile)                              # the machine is the ground truth
        out.codes.append(code), out.inputs.append(stack), out.consts.append(cs)
        out.results.append(State(cs, r.stack if r.ok else (), r.error))
    if not out.codes:
        raise UserError(f"{path}: no runnable records")
    keep = _spaced(len(out), limit)
    return Runs(*([xs[i] for i in keep] for xs in (out.codes, out.inputs, out.consts, out.results)))


def _key(v):
    return tuple(map(_key, v)) if type(v) is tuple else (type(v).__name__, v)


def same_state(pred: State, want: State, constants: bool = True) -> bool:
    """Exact match of a decoded state: errors by kind; else the stack (and constants), types included."""
    if want.error is not None or pred.error is not None:
        return pred.error == want.error
    return _key(pred.stack) == _key(want.stack) and (not constants or _key(pred.constants) == _key(want.constants))


def _name(item) -> str:
    return item if type(item) is str else PUSH


def _order(model: LatentMachine, acc: dict) -> dict:
    order = {o: i for i, o in enumerate(list(model.ops) + [PUSH, "ALL"])}
    return {k: (v[0], v[1]) for k, v in sorted(acc.items(), key=lambda kv: order.get(kv[0], 1 << 30))}


@torch.no_grad()
def per_op_programs(model: LatentMachine, runs: Runs, batch_size: int = 512) -> dict[str, tuple[int, int]]:
    """{op: (hits, records containing it)} and "ALL": (hits, records), as `synth eval-evaluator` counts."""
    from ..evaluator.api import Evaluator
    preds = Evaluator(model).run_programs(runs.codes, runs.inputs, runs.consts, batch_size=batch_size)
    acc: dict[str, list[int]] = {}
    for code, pred, want in zip(runs.codes, preds, runs.results):
        hit = int(same_state(pred, want, constants=False))
        for name in {_name(it) for it in code} | {"ALL"}:
            r = acc.setdefault(name, [0, 0])
            r[0], r[1] = r[0] + hit, r[1] + 1
    return _order(model, acc)


# ---- one-step transitions ----------------------------------------------------------------------------
@dataclass
class Steps:
    """N one-step transitions, tensors on CPU."""
    feats: Tensor        # (N, S, F) state before
    status: Tensor       # (N,)
    ops: Tensor          # (N,) op ids, model.push_id for a literal
    lit: Tensor          # (N, F) the pushed literal's row (empty row for ops)
    targets: list        # N States after
    names: list          # N op names ("push" for literals)

    @staticmethod
    def build(before: list, items: list, after: list, tok: StateTokenizer) -> "Steps":
        a = tok.encode(before)
        op_index = {o: i for i, o in enumerate(tok.profile.ops)}
        push_id = len(tok.profile.ops)
        ops = torch.tensor([op_index[x] if type(x) is str else push_id for x in items], dtype=torch.long)
        lit = torch.from_numpy(tok.empty_row).repeat(len(items), 1)
        for i, x in enumerate(items):
            if type(x) is not str:
                lit[i] = torch.from_numpy(tok.row(x[0]).copy())
        return Steps(a["feats"], a["status"], ops, lit, list(after), [_name(x) for x in items])

    def __len__(self) -> int:
        return len(self.names)

    def occupied(self, n_consts: int = 0, elems: int = 0) -> Tensor:
        """(N, S) bool: the status slot and every non-empty constant/stack slot of the state before; with
        `elems` = L > 0 (an evaluator with element tokens) also (N, 2L) for the elements of the two top
        stack slots (after the n_consts constants), as T sees them: real where index < the value's length."""
        occ = self.feats[..., F_KIND] != EMPTY
        occ[:, 0] = True
        if not elems:
            return occ
        top2 = self.feats[:, 1 + n_consts:3 + n_consts]                           # (N, 2, F)
        seq = (top2[..., F_KIND] == STR) | (top2[..., F_KIND] == LIST)
        inside = torch.arange(elems) < top2[..., F_LEN, None]                    # (N, 2, L)
        return torch.cat([occ, (seq[..., None] & inside).flatten(1)], dim=1)


@torch.no_grad()
def per_op_steps(model: LatentMachine, steps: Steps, batch_size: int = 1024) -> dict[str, tuple[int, int]]:
    """{op: (hits, n)} over teacher-forced one-step transitions, and "ALL"."""
    acc: dict[str, list[int]] = {}
    for i in range(0, len(steps), batch_size):
        sl = slice(i, i + batch_size)
        z = model.encode(steps.feats[sl], steps.status[sl])                       # (b, S, C)
        z = model.transition(z, steps.ops[sl], steps.lit[sl])
        got = model.tok.decode(*predict_feats(model.decode(z)))
        for name, g, w in zip(steps.names[sl], got, steps.targets[sl]):
            hit = int(same_state(g, w))
            for k in (name, "ALL"):
                r = acc.setdefault(k, [0, 0])
                r[0], r[1] = r[0] + hit, r[1] + 1
    return _order(model, acc)
