"""The two reports behind `synth inspect attention|ablate`: CSV tables, PNG plots, a short summary.

    model = load_evaluator(ckpt).model      # synth.evaluator
    runs = load_runs("datasets/heldout/small_runs.jsonl", model.profile)
    s = attention_report(model, runs.steps(model.tok, limit=512), "out/")    # attention_heads.csv,
                                                                            # support_by_length.csv, 4 PNGs
    s = ablation_report(model, lambda: per_op_programs(model, runs), "out/")  # ablation.csv, 3 PNGs
    print(s["text"])

What is measured (slot-based evaluator): E then T run on the state before each held-out step, conditioned
on the step's op; every core Transformer inside the model is probed (today only T has attention: E encodes
each slot on its own) and each (net, layer) is a block. "Sequence length" is the number of occupied slots
(status + constants + stack depth, plus the real elements of the top two slots when the evaluator has
element tokens); every query attends over all S slots (the model uses no padding mask),
so support can exceed the occupied count. Statistics over query positions use the occupied slots only
unless a column says `_all`. The summary also gives the support at the `status` and `s0` (stack top)
queries, the two outputs of T the evaluator reads, and the key slot each of them attends to most.
"""
from __future__ import annotations

import csv
import io
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np
import torch

from ..io import atomic_write_text
from .ablate import KINDS, Row, ablations, head_means
from .entropy import SupportTable, slot_names, support_table
from .heldout import Steps
from .hooks import probe
from .plots import plot_ablations, plot_support


def _csv(path: Path, header: list[str], rows: list[list]) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    atomic_write_text(path, buf.getvalue())
    return path


def _f(x: float) -> str:
    return f"{x:.4f}"


@torch.no_grad()
def record_support(model, steps: Steps) -> SupportTable:
    """Run E then T on every step (one batch) with attention recorded."""
    with probe(model) as rec:
        z = model.encode(steps.feats, steps.status)
        model.transition(z, steps.ops, steps.lit)
    occ = steps.occupied(model.tok.n_consts, model.E)                          # (N, S [+ 2L])
    return support_table(rec, occ.sum(1), occ, slot_names(model.tok, model.E))


def attention_report(model, steps: Steps, out: str | Path) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t = record_support(model, steps)
    rows, by_len = [], []
    for b in t.blocks:
        s, bits = t.support(b), t.bits[b]                                         # (N, H, T)
        for h in range(s.shape[1]):
            for q, name in enumerate(t.slot_names):
                m = t.occupied[:, q]
                if m.any():
                    rows.append([b, h, q, name, _f(bits[m, h, q].mean()), _f(s[m, h, q].mean()),
                                 _f(np.median(s[m, h, q])), int(m.sum()), _f(s[:, h, q].mean())])
            for n in np.unique(t.length):
                r = t.length == n
                v = s[r, h][t.occupied[r]]
                by_len.append([b, h, int(n), _f(v.mean()), int(r.sum())])
    files = [_csv(out / "attention_heads.csv",
                  ["block", "head", "query", "slot", "mean_bits", "mean_support", "median_support", "n",
                   "mean_support_all"], rows),
             _csv(out / "support_by_length.csv", ["block", "head", "occupied_slots", "mean_support", "n"], by_len)]
    files += plot_support(t, out)
    H = t.bits[t.blocks[0]].shape[1]
    names = t.slot_names
    reads = [q for q in ("status", "s0") if q in names]
    lines = [f"attention support = 2**entropy on {len(steps)} held-out states (max {len(names)} slots; "
             f"mean occupied {t.length.mean():.2f}); median over occupied queries, then at "
             + ", ".join(f"query {q} (-> its most attended key)" for q in reads)]
    blocks = {}
    for b in t.blocks:
        s = t.support(b)                                                           # (N, H, T)
        blocks[b] = {"median": float(np.median(t.values(b))), "heads": []}
        for h in range(H):
            d = {"median": float(np.median(t.values(b, h)))}
            line = f"  {b + ' h' + str(h):<14}{d['median']:6.2f}"
            for q in reads:
                qi = names.index(q)
                d[q] = float(np.median(s[:, h, qi]))
                d[q + "_key"] = names[int(np.argmax(t.mean_attn[b][h, qi]))] if t.mean_attn else "?"
                line += f"   {q}: {d[q]:5.2f} -> {d[q + '_key']:<6}"
            blocks[b]["heads"].append(d)
            lines.append(line)
    lines.append(f"all heads: median support {np.median(t.values()):.2f}")
    return {"blocks": blocks, "median": float(np.median(t.values())), "files": [str(f) for f in files],
            "text": "\n".join(lines)}


def ablation_report(model, score, out: str | Path, temperatures=(0.25, 0.5, 2.0, 4.0), kinds=KINDS,
                    progress=None, what: str = "held-out") -> dict:
    """`score()` -> {op: (hits, n), "ALL": (hits, n)} of `model` on held-out data (synth.inspect.heldout)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    means = head_means(model, score) if "mean" in kinds else None
    rows = ablations(model, score, means, temperatures, kinds, progress)
    names = [f.name for f in fields(Row)]
    files = [_csv(out / "ablation.csv", names,
                  [[_f(v) if isinstance(v, float) else v for v in asdict(r).values()] for r in rows])]
    files += plot_ablations(rows, out)
    base = next(r for r in rows if r.kind == "base" and r.op == "ALL")
    macro = next(r for r in rows if r.kind == "base" and r.op == "MACRO")
    heads = sorted((r for r in rows if r.kind in ("uniform", "mean") and r.op == "ALL"), key=lambda r: r.delta)
    temps = [r for r in rows if r.kind == "temperature" and r.target == "all" and r.op == "ALL"]
    lines = [f"exact match on {base.n} {what}: {100 * base.exact:.2f}% (macro over ops {100 * macro.exact:.2f}%)",
             "largest drops (one head ablated, points of exact match):"]
    lines += [f"  {r.kind:<8} {r.target:<14} {100 * r.delta:+7.2f}" for r in heads[:8]]
    lines += [f"temperature T={r.temperature:g} in every block: {100 * r.exact:.2f}% ({100 * r.delta:+.2f})"
              for r in temps]
    return {"base": base.exact, "rows": rows, "files": [str(f) for f in files], "text": "\n".join(lines)}
