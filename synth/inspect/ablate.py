"""Head ablations, each scored as the change of per-op exact match.

    score = lambda: per_op_steps(model, steps)          # any () -> {op: (hits, n)[, "ALL": ...]} on `model`
    means = head_means(model, score)                    # {net: (L, H, T, D_h)} mean head outputs on that data
    rows = ablations(model, score, means, temperatures=(0.25, 0.5, 2, 4))
    rows[0] == Row(kind="base", target="-", op="ALL", exact=0.93, n=4096, delta=0.0)

Kinds (all done through synth.core.AttnIntervention, one forward pass over the data per row group):
  uniform      one head attends equally to every allowed key                  target "encoder.0.h1"
  mean         one head's output replaced by its mean output on the same data,
               per query position (the mean over the batch: (T, D_h))        target "encoder.0.h1"
  temperature  scores divided by T before the softmax in one block, or in all
               blocks of all nets (T < 1 sharper, T > 1 flatter)             target "encoder.0" / "all"
Rows per (kind, target): one per op, plus "ALL" (every transition) and "MACRO" (mean over ops).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor, nn

from ..core.transformer import AttnIntervention
from .hooks import find_transformers, probe

Score = Callable[[], dict]          # () -> {op: (hits, n)}
KINDS = ("uniform", "mean", "temperature")


@dataclass
class Row:
    kind: str
    target: str
    op: str
    exact: float
    n: int
    delta: float                    # exact - exact of the unablated model on the same op
    temperature: float = 1.0


def head_means(model: nn.Module, run: Callable[[], object]) -> dict[str, Tensor]:
    """Mean output of every head per query position over all the rows `run()` feeds the model (every
    call of every net): {net name: (L, H, T, D_h)}."""
    sums: dict[str, dict[int, list]] = {}

    def add(name: str, heads: dict[int, Tensor]) -> None:
        for l, y in heads.items():                                         # y (B, H, T, D)
            acc = sums.setdefault(name, {}).setdefault(l, [0.0, 0])
            acc[0] = acc[0] + y.double().sum(0)
            acc[1] += y.shape[0]
    with probe(model, record=False, capture=add):
        run()
    return {name: torch.stack([(s / n).float() for s, n in (layers[l] for l in sorted(layers))])
            for name, layers in sums.items()}


def _rows(kind: str, target: str, acc: dict, base: dict, temperature: float = 1.0) -> list[Row]:
    """One row per op, "ALL" (acc's own "ALL" entry when the score gives one, else every op's counts
    pooled) and "MACRO" (the mean over ops)."""
    def pooled(d):
        return d["ALL"] if "ALL" in d else (sum(h for h, _ in d.values()), sum(c for _, c in d.values()))
    ops = [op for op in acc if op != "ALL"]
    rows = [Row(kind, target, op, acc[op][0] / acc[op][1], acc[op][1],
                acc[op][0] / acc[op][1] - base[op][0] / base[op][1], temperature) for op in ops]
    (h, n), (bh, bn) = pooled(acc), pooled(base)
    rows.append(Row(kind, target, "ALL", h / n, n, h / n - bh / bn, temperature))
    mac = sum(acc[op][0] / acc[op][1] for op in ops) / len(ops)
    bmac = sum(base[op][0] / base[op][1] for op in ops) / len(ops)
    rows.append(Row(kind, target, "MACRO", mac, n, mac - bmac, temperature))
    return rows


def scored(model: nn.Module, score: Score, interventions: dict[str, AttnIntervention]) -> dict:
    with probe(model, interventions, record=False):
        return score()


def ablations(model: nn.Module, score: Score, means: dict[str, Tensor] | None = None,
              temperatures=(0.25, 0.5, 2.0, 4.0), kinds=KINDS,
              progress: Callable[[str], None] | None = None) -> list[Row]:
    """Base rows, then every ablation of `kinds` (see the module docstring)."""
    bad = set(kinds) - set(KINDS)
    if bad:
        raise ValueError(f"unknown ablation kinds {sorted(bad)}; valid: {', '.join(KINDS)}")
    nets = find_transformers(model)
    base = scored(model, score, {})
    rows = _rows("base", "-", base, base)
    if "mean" in kinds and means is None:
        means = head_means(model, score)
    say = progress or (lambda s: None)
    for name, net in nets.items():
        L, H = net.cfg.n_layers, net.cfg.n_heads
        for l in range(L):
            for h in range(H):
                target = f"{name}.{l}.h{h}"
                if "uniform" in kinds:
                    say(f"uniform {target}")
                    acc = scored(model, score, {name: AttnIntervention(uniform_heads={(l, h)})})
                    rows += _rows("uniform", target, acc, base)
                if "mean" in kinds:
                    say(f"mean {target}")
                    acc = scored(model, score, {name: AttnIntervention(mean_heads={(l, h): means[name][l, h]})})
                    rows += _rows("mean", target, acc, base)
    if "temperature" in kinds:
        for t in temperatures:
            for name, net in nets.items():
                for l in range(net.cfg.n_layers):
                    say(f"temperature {t} {name}.{l}")
                    acc = scored(model, score, {name: AttnIntervention(temperature={l: float(t)})})
                    rows += _rows("temperature", f"{name}.{l}", acc, base, float(t))
            say(f"temperature {t} all")
            every = {name: AttnIntervention(temperature={l: float(t) for l in range(net.cfg.n_layers)})
                     for name, net in nets.items()}
            rows += _rows("temperature", "all", scored(model, score, every), base, float(t))
    return rows
