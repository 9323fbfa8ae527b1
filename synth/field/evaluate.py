"""Evaluate a field on runs (docs §7): integrate every program through the field, decode, compare.

    field = load_field()
    records = load_records("datasets/heldout/runs.jsonl")         # .jsonl, .jsonl.gz or a generate-data dir
    report = evaluate(field, records, solver="rk4", steps=4)      # dict, see below
    print(format_table(report), file=sys.stderr)

For each record: E(constants, input) -> integrate op k on [k, k+1] (literal pushes too) -> decode, and
compare the decoded final stack (or error kind) with the record's `result` at the chosen level
(`concrete`, or `sign`/`type`: input and result abstracted with dsl.abstract; a sign-level int decodes to
its class). Records that do not parse, or whose result is `syntax`, are skipped (counted in `skipped`).

report = {"records": N, "exact_match": x, "per_op": {op: x}, "per_length": {L: x}, "metric_top1": y, ...}
  per_op      exact match over every record containing the op (once per record; literals count as "push")
  one_op      exact match over the one-item records, per op (the same grouping as `synth eval-evaluator`)
  per_length  grouped by program length (items)
  metric_top1 the learned metric, measured from the integrated latent, ranks E(true final state) strictly
              first among 10 candidates: the truth, near misses of it (synth.field.data.perturb) and the
              final states of other records' programs run on the same input (all distinct from the truth)
  metric_top1_exact  the same over the records the field got right (the metric's share of the errors)
"""
from __future__ import annotations

import random
import time
from collections import defaultdict
from pathlib import Path

import torch

from dsl.machine import run
from dsl.values import from_json

from ..data.records import load_records  # noqa: F401  (the held-out reader; re-exported)
from ..data.tokenizer import State, level_index
from ..errors import UserError


class Case:
    """One parsed record: code, start and final State (concrete)."""
    __slots__ = ("code", "start", "final", "names")

    def __init__(self, code: tuple, start: State, final: State):
        self.code, self.start, self.final = code, start, final
        self.names = sorted({it if type(it) is str else "push" for it in code})


def parse_case(rec: dict, profile) -> Case | None:
    from dsl import DslSyntaxError, parse
    if rec.get("profile", profile.name) != profile.name:
        raise UserError(f"record of profile {rec.get('profile')!r}; the field is for {profile.name!r}")
    res = rec.get("result")
    if res is not None and res.get("error") == "syntax":
        return None
    try:
        code = parse(rec["program"], profile).code
        stack = tuple(from_json(v, profile) for v in rec.get("input", []))
        consts = tuple(from_json(v, profile) for v in rec.get("constants", []))
    except (DslSyntaxError, ValueError):
        return None
    if len(code) > profile.max_program or len(stack) > profile.max_depth:
        return None
    if res is None:
        r = run(code, stack, consts, profile)
        res = {"ok": r.ok, "stack": [list(v) if type(v) is tuple else v for v in r.stack], "error": r.error}
    if res.get("ok"):
        final = State(consts, tuple(from_json(v, profile) for v in res["stack"]), None)
    else:
        final = State(consts, (), res["error"])
    return Case(code, State(consts, stack, None), final)


def _abstract(st: State, level: int) -> State:
    if level == 0:
        return st
    from dsl.abstract import abstracter
    f = abstracter(("concrete", "sign", "type")[level])
    return State(tuple(map(f, st.constants)), tuple(map(f, st.stack)), st.error)


def _same(a: State, b: State) -> bool:
    """Same final answer: the error kind, or the stack (bool kept apart from int)."""
    if a.error or b.error:
        return a.error == b.error
    return len(a.stack) == len(b.stack) and all(type(x) is type(y) and x == y for x, y in zip(a.stack, b.stack))


def distractors(case: Case, others: list[Case], rng: random.Random, level: int, profile, n: int = 9) -> list[State]:
    """n states near or like the truth but different from it at `level` (fewer if none can be found)."""
    from ..data.dataset import RolloutGenerator
    from .data import perturb
    gen = _gen_cache.get(profile.name) or _gen_cache.setdefault(profile.name, RolloutGenerator(profile))
    truth = _abstract(case.final, level)
    out: list[State] = []

    def add(st: State) -> None:
        a = _abstract(st, level)
        if not _same(a, truth) and all(not _same(a, o) for o in out) and len(a.stack) <= profile.max_depth:
            out.append(a)
    for _ in range(40):                                       # other programs on the same input
        if len(out) >= n // 2 or not others:
            break
        o = others[rng.randrange(len(others))]
        r = run(o.code, case.start.stack, case.start.constants, profile)
        add(State(case.start.constants, r.stack if r.ok else (), None if r.ok else r.error))
    for _ in range(200):                                      # near misses
        if len(out) >= n:
            break
        add(perturb(case.final, rng, gen))
    return out


_gen_cache: dict = {}


@torch.no_grad()
def evaluate(field, records: list[dict], solver: str = "euler", steps: int = 4, level="concrete",
             batch_size: int = 256, metric: bool = True, seed: int = 0, **solver_kw) -> dict:
    lat, p = field.latent, field.profile
    lv = level_index(level)
    cases = [c for c in (parse_case(r, p) for r in records) if c is not None]
    if not cases:
        raise UserError("no usable records to evaluate")
    t0 = time.perf_counter()
    dev = lat.device
    by_len: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(cases):
        by_len[len(c.code)].append(i)
    ok = [False] * len(cases)
    zq: list = [None] * len(cases)
    for L, idx in sorted(by_len.items()):
        for s in range(0, len(idx), batch_size):
            chunk = [cases[i] for i in idx[s:s + batch_size]]
            z = lat.encode([_abstract(c.start, lv) for c in chunk], lv)
            if L:
                ops, lit = _items(chunk, lat, lv)
                z = field.integrate_ops(z, ops.to(dev), solver=solver, steps=steps, alpha=lv / 2,
                                        lit=lit.to(dev),
                                        **solver_kw)
            dec = lat.decode_states(z, lv)
            for j, (c, d) in enumerate(zip(chunk, dec)):
                ok[idx[s + j]] = _same(d, _abstract(c.final, lv))
                zq[idx[s + j]] = z[j]
    seconds = time.perf_counter() - t0
    report = {"records": len(cases), "exact_match": sum(ok) / len(cases),
              "per_op": _group(cases, ok, lambda c: c.names),
              "per_length": _group(cases, ok, lambda c: [str(len(c.code))]),
              "one_op": _group(cases, ok, lambda c: c.names if len(c.code) == 1 else []),
              "skipped": len(records) - len(cases), "level": ("concrete", "sign", "type")[lv], "solver": solver,
              "steps": steps, "seconds": round(seconds, 3)}
    if metric:
        hit = metric_hits(field, cases, zq, lv, seed, batch_size)
        report["metric_top1"] = round(sum(hit) / len(hit), 4)
        right = [h for h, o in zip(hit, ok) if o]                       # the metric where the field was right
        report["metric_top1_exact"] = round(sum(right) / len(right), 4) if right else None
    return report


def _items(chunk: list[Case], lat, lv: int) -> tuple[torch.Tensor, torch.Tensor]:
    """ops (B, L) ids (push_id for literals) and literal rows (B, L, F)."""
    from dsl.abstract import abstracter
    tok, L = lat.tok, len(chunk[0].code)
    f = None if lv == 0 else abstracter(("concrete", "sign", "type")[lv])
    ops = torch.zeros(len(chunk), L, dtype=torch.long)
    lit = torch.from_numpy(tok.empty_row).repeat(len(chunk), L, 1)
    for b, c in enumerate(chunk):
        for k, it in enumerate(c.code):
            if type(it) is str:
                ops[b, k] = lat.op_index[it]
            else:
                ops[b, k] = lat.push_id
                lit[b, k] = torch.from_numpy(tok.row(it[0] if f is None else f(it[0]), lv).copy())
    return ops, lit


def _group(cases: list[Case], ok: list[bool], keys) -> dict[str, float]:
    """Exact match per group; keys(case) lists the groups a case belongs to."""
    tot: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c, o in zip(cases, ok):
        for k in keys(c):
            t = tot[k]
            t[0] += o
            t[1] += 1
    order = sorted(tot, key=lambda k: (len(k), k)) if all(k.isdigit() for k in tot) else sorted(tot)
    return {k: round(tot[k][0] / tot[k][1], 4) for k in order}


def metric_hits(field, cases: list[Case], zq: list, lv: int, seed: int, batch_size: int) -> list[bool]:
    """Per record: does the metric rank the truth strictly first among 1 + 9 candidates?"""
    rng = random.Random(f"metric-eval:{seed}")
    lat, hits = field.latent, []
    for s in range(0, len(cases), batch_size):
        chunk = range(s, min(s + batch_size, len(cases)))
        cands, sizes = [], []
        for i in chunk:
            ds = distractors(cases[i], cases, rng, lv, field.profile)
            group = [_abstract(cases[i].final, lv)] + ds
            cands += group
            sizes.append(len(group))
        m, rep = field.model.metric, torch.tensor(sizes, device=lat.device)
        fq = [None if f is None else f.repeat_interleave(rep, 0)          # each query's features, once per candidate
              for f in m.features(torch.stack([zq[i] for i in chunk]))]
        d = m.share(m.dist(fq, m.features(lat.encode(cands, lv)))).tolist()
        pos = 0
        for k in sizes:
            g = d[pos:pos + k]
            hits.append(all(g[0] < x for x in g[1:]))
            pos += k
    return hits


def format_table(report: dict) -> str:
    lines = [f"field eval: {report['records']} records, level {report['level']}, solver {report['solver']} "
             f"x {report['steps']} steps/op, {report['seconds']} s",
             f"exact match {report['exact_match']:.4f}" +
             (f"   metric top-1 of 10: {report['metric_top1']:.4f}" if "metric_top1" in report else ""),
             "per length: " + "  ".join(f"{k}: {v:.3f}" for k, v in report["per_length"].items()),
             f"{'op':<14}{'1-op':>8}{'any':>8}"]
    one = report.get("one_op", {})
    lines += [f"{k:<14}{(f'{one[k]:.3f}' if k in one else '-'):>8}{v:>8.3f}" for k, v in report["per_op"].items()]
    return "\n".join(lines)
