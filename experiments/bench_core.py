"""Training-step throughput of synth's Transformer vs torch.nn.TransformerEncoder, same run.

Usage:
    python experiments/bench_core.py                       # CPU defaults, about a minute
    python experiments/bench_core.py --device cuda --bf16  # GPU, bf16 autocast
    python experiments/bench_core.py --d-model 512 --layers 8 --heads 8 --seq 256 --batch 32

A step is forward + MSE loss + backward + AdamW step. Both models share width, depth, heads, ff
size, GELU, pre-norm, a final LayerNorm and biases. Rows are timed in interleaved rounds (A, B,
A, B, ...) and the median round is reported, so slow drift of the machine hits all rows alike.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from synth.core.transformer import Transformer, TransformerConfig


def torch_encoder(d: int, h: int, L: int, ff: int) -> nn.Module:
    layer = nn.TransformerEncoderLayer(d, h, ff, dropout=0.0, activation="gelu",
                                       batch_first=True, norm_first=True)
    return nn.TransformerEncoder(layer, L, norm=nn.LayerNorm(d), enable_nested_tensor=False)


def make_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, dev: str, bf16: bool):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step() -> None:
        with torch.autocast(device_type=dev, dtype=torch.bfloat16, enabled=bf16):
            loss = (model(x).float() - y).pow(2).mean()          # x (B, T, C) -> (B, T, C)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def sync(dev: str) -> None:
    if dev == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--ff", type=int, default=1024)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=10, help="timed rounds per model")
    ap.add_argument("--steps", type=int, default=2, help="training steps per round")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast (cuda)")
    ap.add_argument("--pos", default="none,rotary,complex_rotary", help="comma list of our pos variants")
    ap.add_argument("--threads", type=int, default=0, help="torch threads on CPU (0 = default)")
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda asked but CUDA is not available")
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = a.device
    x = torch.randn(a.batch, a.seq, a.d_model, device=dev)
    y = torch.randn(a.batch, a.seq, a.d_model, device=dev)

    def ours(pos: str) -> nn.Module:
        return Transformer(TransformerConfig(d_model=a.d_model, n_heads=a.heads, n_layers=a.layers, d_ff=a.ff,
                                             pos=pos, max_len=a.seq, activation="gelu"))
    base_name = "torch.nn.TransformerEncoder"
    models = {base_name: torch_encoder(a.d_model, a.heads, a.layers, a.ff)}
    for pos in a.pos.split(","):
        models[f"synth (pos={pos})"] = ours(pos)
    steps = {}
    for name, m in models.items():
        m.to(dev).train()
        steps[name] = make_step(m, x, y, dev, a.bf16)
        for _ in range(3):                                           # warm-up (allocator, kernels)
            steps[name]()
    times: dict[str, list[float]] = {n: [] for n in models}
    for _ in range(a.rounds):
        for name, step in steps.items():
            sync(dev)
            t = time.perf_counter()
            for _ in range(a.steps):
                step()
            sync(dev)
            times[name].append((time.perf_counter() - t) / a.steps)
    tokens = a.batch * a.seq
    params = {n: sum(p.numel() for p in m.parameters()) for n, m in models.items()}
    print(f"device={dev} bf16={a.bf16} threads={torch.get_num_threads()} torch={torch.__version__}  "
          f"B={a.batch} T={a.seq} d={a.d_model} H={a.heads} L={a.layers} ff={a.ff}")
    print(f"{'model':30s} {'params':>10s} {'ms/step':>9s} {'tokens/s':>10s}")
    tps = {}
    for name in models:
        med = statistics.median(times[name])
        tps[name] = tokens / med
        print(f"{name:30s} {params[name]:10d} {1e3 * med:9.1f} {tps[name]:10.0f}")
    for name in list(models)[1:]:
        print(f"ratio {name} / torch = {tps[name] / tps[base_name]:.3f}")


if __name__ == "__main__":
    main()
