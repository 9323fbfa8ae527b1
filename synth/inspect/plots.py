"""PNG plots (matplotlib, Agg backend) of a SupportTable and of ablation rows.

    paths = plot_support(table, "out/")          # support_batch.png, support_hist.png,
                                                 # support_vs_length.png, support_by_head.png,
                                                 # attention_mean.png
    paths = plot_ablations(rows, "out/")         # ablation_heads.png, ablation_temperature.png,
                                                 # ablation_ops.png
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .entropy import SupportTable


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=110, bbox_inches="tight")
    _plt().close(fig)
    return path


def plot_support(t: SupportTable, out: str | Path, title: str = "") -> list[Path]:
    plt, out = _plt(), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    blocks, T = t.blocks, len(t.slot_names)
    H = t.bits[blocks[0]].shape[1]
    paths = []

    # 1. one batch: mean support per head (rows) and query slot (columns), one panel per block
    fig, axes = plt.subplots(1, len(blocks), figsize=(3.2 * len(blocks), 0.5 * H + 1.6), squeeze=False)
    vmax = T
    for ax, b in zip(axes[0], blocks):
        s = t.support(b)                                                     # (N, H, T)
        im = ax.imshow(s.mean(0), vmin=1, vmax=vmax, cmap="viridis", aspect="auto")
        ax.set_title(b, fontsize=9)
        ax.set_xticks(range(T), t.slot_names, rotation=90, fontsize=7)
        ax.set_yticks(range(H), [f"h{h}" for h in range(H)], fontsize=7)
    fig.colorbar(im, ax=axes[0].tolist(), label="support (positions)")
    fig.suptitle(title or f"mean support over one batch of {t.length.shape[0]} states", fontsize=10, y=1.06)
    paths.append(_save(fig, out / "support_batch.png"))

    # 2. histogram over all heads, blocks and occupied query positions
    fig, ax = plt.subplots(figsize=(5, 3.2))
    bins = np.linspace(1, T, 45)
    nets = sorted({b.rsplit(".", 1)[0] for b in blocks})
    for net in nets:
        v = np.concatenate([t.values(b) for b in blocks if b.rsplit(".", 1)[0] == net])
        ax.hist(v, bins=bins, alpha=0.6, label=f"{net} (median {np.median(v):.2f})")
    ax.set_xlabel("support = 2^entropy (positions)")
    ax.set_ylabel("count (state, head, query)")
    ax.legend(fontsize=8)
    ax.set_title("support over all heads", fontsize=10)
    paths.append(_save(fig, out / "support_hist.png"))

    # 3. support against sequence length (occupied slots), mean per block over heads and occupied queries
    fig, ax = plt.subplots(figsize=(5, 3.2))
    lengths = np.unique(t.length)
    for b in blocks:
        s, ys = t.support(b), []
        for n in lengths:
            rows = t.length == n
            m = np.broadcast_to(t.occupied[rows][:, None], s[rows].shape)
            ys.append(s[rows][m].mean())
        ax.plot(lengths, ys, marker="o", ms=3, label=b)
    ax.plot(lengths, lengths, "k:", lw=1, label="uniform over occupied")
    ax.set_xlabel("occupied positions (status + constants + stack depth [+ top elements])")
    ax.set_ylabel("mean support")
    ax.legend(fontsize=7, ncol=2)
    ax.set_title("support against sequence length", fontsize=10)
    paths.append(_save(fig, out / "support_vs_length.png"))

    # 4. histograms by block (rows) and head (columns)
    fig, axes = plt.subplots(len(blocks), H, figsize=(2.2 * H, 1.5 * len(blocks)), squeeze=False,
                             sharex=True)
    for i, b in enumerate(blocks):
        for h in range(H):
            v = t.values(b, h)
            ax = axes[i, h]
            ax.hist(v, bins=bins, color=f"C{i}")
            ax.set_title(f"{b} h{h}  med {np.median(v):.1f}", fontsize=7)
            ax.tick_params(labelsize=6)
    fig.supxlabel("support (positions)", fontsize=9)
    fig.tight_layout()
    paths.append(_save(fig, out / "support_by_head.png"))

    # 5. mean attention map (query slot x key slot) of every head over the batch
    if t.mean_attn:
        fig, axes = plt.subplots(len(blocks), H, figsize=(2.3 * H, 2.3 * len(blocks)), squeeze=False)
        for i, b in enumerate(blocks):
            for h in range(H):
                ax = axes[i, h]
                ax.imshow(t.mean_attn[b][h], vmin=0, vmax=1, cmap="magma")
                ax.set_title(f"{b} h{h}", fontsize=7)
                ax.set_xticks(range(T), t.slot_names, rotation=90, fontsize=5)
                ax.set_yticks(range(T), t.slot_names, fontsize=5)
        fig.supxlabel("key slot", fontsize=8)
        fig.supylabel("query slot", fontsize=8)
        fig.tight_layout()
        paths.append(_save(fig, out / "attention_mean.png"))
    return paths


def plot_ablations(rows, out: str | Path, metric: str = "ALL") -> list[Path]:
    plt, out = _plt(), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    base = next(r.exact for r in rows if r.kind == "base" and r.op == metric)

    heads = [r for r in rows if r.kind in ("uniform", "mean") and r.op == metric]
    if heads:
        targets = list(dict.fromkeys(r.target for r in heads))
        x = np.arange(len(targets))
        fig, ax = plt.subplots(figsize=(max(5, 0.45 * len(targets)), 3.4))
        for j, kind in enumerate(("uniform", "mean")):
            d = {r.target: r.delta for r in heads if r.kind == kind}
            if d:
                ax.bar(x + (j - 0.5) * 0.4, [100 * d.get(tg, np.nan) for tg in targets], 0.4,
                       label=f"{kind} attention" if kind == "uniform" else "mean output")
        ax.axhline(0, color="k", lw=0.6)
        ax.set_xticks(x, targets, rotation=90, fontsize=7)
        ax.set_ylabel(f"change of exact match (points, {metric.lower()})")
        ax.set_title(f"one head ablated at a time (base {100 * base:.1f}%)", fontsize=10)
        ax.legend(fontsize=8)
        paths.append(_save(fig, out / "ablation_heads.png"))

    temps = [r for r in rows if r.kind == "temperature" and r.op == metric]
    if temps:
        fig, ax = plt.subplots(figsize=(5, 3.2))
        for k, tg in enumerate(dict.fromkeys(r.target for r in temps)):
            pts = sorted([(r.temperature, r.exact) for r in temps if r.target == tg] + [(1.0, base)])
            ax.plot(*zip(*pts), marker="o", ms=3, label=tg, lw=2.2 if tg == "all" else 1,
                    color="k" if tg == "all" else f"C{k}")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("temperature T (scores / T; <1 sharper, >1 flatter)")
        ax.set_ylabel(f"exact match ({metric.lower()})")
        ax.legend(fontsize=7)
        ax.set_title("temperature scaling of attention scores", fontsize=10)
        paths.append(_save(fig, out / "ablation_temperature.png"))

    per_op = [r for r in rows if r.kind in ("uniform", "mean") and r.op not in ("ALL", "MACRO")]
    if per_op:
        ops = list(dict.fromkeys(r.op for r in per_op))
        keys = list(dict.fromkeys((r.kind, r.target) for r in per_op))
        m = np.full((len(keys), len(ops)), np.nan)
        ki, oi = {k: i for i, k in enumerate(keys)}, {o: i for i, o in enumerate(ops)}
        for r in per_op:
            m[ki[(r.kind, r.target)], oi[r.op]] = 100 * r.delta
        lim = max(1.0, np.nanmax(np.abs(m)))
        fig, ax = plt.subplots(figsize=(0.22 * len(ops) + 2.5, 0.2 * len(keys) + 1.5))
        im = ax.imshow(m, cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
        ax.set_xticks(range(len(ops)), ops, rotation=90, fontsize=6)
        ax.set_yticks(range(len(keys)), [f"{k} {t}" for k, t in keys], fontsize=6)
        fig.colorbar(im, ax=ax, label="change of exact match (points)")
        ax.set_title("per-op change under each head ablation", fontsize=10)
        paths.append(_save(fig, out / "ablation_ops.png"))
    return paths
