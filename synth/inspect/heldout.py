"""Held-out one-step transitions for a latent-state-machine evaluator, and its per-op exact match.

    model = load_evaluator("synth/pretrained/evaluator.pt")          # a LatentMachine, eval mode
    steps = load_steps("datasets/heldout/runs.jsonl", model.tok, limit=4096)
    acc = per_op_exact(model, steps)                                  # {"add": (hits, n), ..., "push": ...}

A runs file holds SPEC §7 records; each is re-run on the real machine (`dsl.machine.trace`), and every
executed item, a failing one included, is one transition `(constants, stack) --item--> state'`. The
model scores a transition when D(T(E(before), item)) decodes (arg-max, `StateTokenizer.decode`) to exactly
`state'`: the same error kind, or no error and the same constants and stack, values compared with their
types (True is not 1). Literal pushes count under the op name "push".
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from ..data.tokenizer import EMPTY, F_KIND, State, StateTokenizer
from ..errors import UserError
from ..evaluator.model import LatentMachine, predict_feats

PUSH = "push"


@dataclass
class Steps:
    """N one-step transitions, tensors on CPU."""
    feats: Tensor        # (N, S, F) state before
    status: Tensor       # (N,)
    ops: Tensor          # (N,) op ids, model.push_id for a literal
    lit: Tensor          # (N, F) the pushed literal's row (empty row for ops)
    targets: list        # N States after
    names: list          # N op names ("push" for literals)

    def __len__(self) -> int:
        return len(self.names)

    def occupied(self) -> Tensor:
        """(N, S) bool: the status slot and every non-empty constant/stack slot of the state before."""
        occ = self.feats[..., F_KIND] != EMPTY
        occ[:, 0] = True
        return occ

    def subset(self, idx) -> "Steps":
        idx = torch.as_tensor(idx, dtype=torch.long)
        return Steps(self.feats[idx], self.status[idx], self.ops[idx], self.lit[idx],
                     [self.targets[i] for i in idx.tolist()], [self.names[i] for i in idx.tolist()])


def load_evaluator(path: str | Path) -> LatentMachine:
    """A LatentMachine from a checkpoint written by `synth train-evaluator` (fit's format)."""
    from ..config import from_dict
    from ..core.train import load_checkpoint
    from ..evaluator.model import EvaluatorConfig
    path = Path(path)
    if not path.is_file():
        raise UserError(f"checkpoint {path} does not exist")
    state = load_checkpoint(path)
    meta = state.get("meta", {})
    if "model" not in meta or "model" not in state:
        raise UserError(f"{path}: not an evaluator checkpoint (no model config in its meta)")
    model = LatentMachine(from_dict(EvaluatorConfig, meta["model"]), meta.get("profile", "small"))
    model.load_state_dict(state["model"])
    return model.eval()


def load_steps(path: str | Path, tok: StateTokenizer, limit: int = 0) -> Steps:
    """Transitions of every run in a SPEC §7 JSON Lines file (at most `limit` when > 0, in file order)."""
    from dsl import DslSyntaxError, parse
    from dsl.machine import trace
    from dsl.values import from_json

    from ..io import read_jsonl
    p = tok.profile
    path = Path(path)
    if not path.is_file():
        raise UserError(f"runs file {path} does not exist")
    before, after, items = [], [], []
    for line_no, rec in read_jsonl(path):
        if isinstance(rec, Exception) or not isinstance(rec, dict) or "program" not in rec:
            raise UserError(f"{path}:{line_no}: not a SPEC §7 run record")
        if rec.get("profile", "small") != p.name:
            raise UserError(f"{path}:{line_no}: profile {rec.get('profile')!r}, the model's is {p.name!r}")
        try:
            code = parse(rec["program"], p).code
        except DslSyntaxError:
            continue                                                    # answered as "syntax", no step
        consts = tuple(from_json(v, p) for v in rec.get("constants", []))
        stack = tuple(from_json(v, p) for v in rec.get("input", []))
        for st in trace(code, stack, consts, p):
            if st.item is None:                                         # too long: nothing executed
                break
            before.append(State(consts, st.before))
            after.append(State(consts, st.after or (), st.error))
            items.append(st.item)
            if 0 < limit <= len(items):
                break
        if 0 < limit <= len(items):
            break
    if not items:
        raise UserError(f"{path}: no executable steps")
    a = tok.encode(before)
    op_index = {o: i for i, o in enumerate(p.ops)}
    push_id = len(p.ops)
    ops = torch.tensor([op_index[x] if type(x) is str else push_id for x in items])
    lit = torch.from_numpy(tok.empty_row).repeat(len(items), 1)
    for i, x in enumerate(items):
        if type(x) is not str:
            lit[i] = torch.from_numpy(tok.row(x[0]))
    names = [x if type(x) is str else PUSH for x in items]
    return Steps(a["feats"], a["status"], ops, lit, after, names)


def _key(v):
    return tuple(map(_key, v)) if type(v) is tuple else (type(v).__name__, v)


def same_state(pred: State, want: State) -> bool:
    """Exact match of a decoded state: errors by kind; else constants and stack, types included."""
    if want.error is not None or pred.error is not None:
        return pred.error == want.error
    return _key(pred.constants) == _key(want.constants) and _key(pred.stack) == _key(want.stack)


@torch.no_grad()
def predict_exact(model: LatentMachine, steps: Steps, batch_size: int = 1024) -> Tensor:
    """(N,) bool: whether each transition decodes exactly right."""
    out = []
    for i in range(0, len(steps), batch_size):
        sl = slice(i, i + batch_size)
        z = model.encode(steps.feats[sl], steps.status[sl])                       # (b, S, C)
        z = model.transition(z, steps.ops[sl], steps.lit[sl])
        feats, status = predict_feats(model.decode(z))
        got = model.tok.decode(feats, status)
        out += [same_state(g, w) for g, w in zip(got, steps.targets[sl])]
    return torch.tensor(out, dtype=torch.bool)


def per_op_exact(model: LatentMachine, steps: Steps, batch_size: int = 1024) -> dict[str, tuple[int, int]]:
    """{op name: (exact, count)} over the transitions, in the profile's op order (then "push")."""
    ok = predict_exact(model, steps, batch_size).tolist()
    res: dict[str, list[int]] = {}
    for name, hit in zip(steps.names, ok):
        r = res.setdefault(name, [0, 0])
        r[0] += int(hit)
        r[1] += 1
    order = {o: i for i, o in enumerate(list(model.ops) + [PUSH])}
    return {k: (v[0], v[1]) for k, v in sorted(res.items(), key=lambda kv: order.get(kv[0], 1 << 30))}


def summary(acc: dict[str, tuple[int, int]]) -> dict[str, float]:
    """micro (all transitions) and macro (mean over ops) exact match."""
    hits, n = sum(h for h, _ in acc.values()), sum(c for _, c in acc.values())
    return {"micro": hits / max(n, 1), "macro": sum(h / c for h, c in acc.values()) / max(len(acc), 1)}


def write_runs(path: str | Path, records: list[dict]) -> None:
    """Write SPEC §7 records (tests and experiments make small held-out files with it)."""
    Path(path).write_text("".join(json.dumps(r) + "\n" for r in records))
