"""The one transformer of the project: pre-norm blocks, fused-kernel attention, optional AdaLN.

Usage:
    cfg = TransformerConfig(d_model=128, n_heads=4, n_layers=4, pos="rotary", cond_dim=0)
    net = Transformer(cfg)
    y = net(x)                                   # x (B, T, C) -> y (B, T, C)
    y = net(x, mask=valid)                       # valid (B, T) bool, True = real token
    y = net(x, cond=c)                           # c (B, cond_dim), needs cfg.cond_dim > 0
    y, attn = net(x, return_attn=True)           # attn: list of (B, H, T, T), one per layer

Positions: "rotary" (rotate-half RoPE on q, k), "complex_rotary" (q, k as complex numbers times
e^{i theta pos}; score = Re(q . conj k), the same math with interleaved pairs), "learned" and
"sinusoidal" (added to x), "none"; the tables are in positions.py.

Analysis hooks (slow path only where needed; `intervention=None` is the fast path):
    iv = AttnIntervention(temperature={0: 2.0},          # layer 0 logits divided by 2
                          uniform_heads={(1, 0)},        # layer 1 head 0 attends uniformly
                          mean_heads={(2, 3): vec},      # layer 2 head 3 output := vec (D_h,)
                          capture=True)                  # iv.captured[l] = head outputs (B, H, T, D_h)
    y = net(x, intervention=iv)
Weights returned with `return_attn=True` are the ones actually used (after temperature/uniform).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .positions import Rotary, sinusoidal_table

POSITIONS = ("rotary", "complex_rotary", "learned", "sinusoidal", "none")
ACTIVATIONS = {"gelu": nn.GELU, "relu": nn.ReLU, "silu": nn.SiLU}


@dataclass
class TransformerConfig:
    d_model: int = 128
    n_heads: int = 4
    n_layers: int = 4
    d_ff: int = 0                 # 0 => int(mlp_ratio * d_model)
    mlp_ratio: float = 4.0
    dropout: float = 0.0
    pos: str = "rotary"
    max_len: int = 512
    cond_dim: int = 0             # > 0 => adaptive layer norms conditioned on a (B, cond_dim) vector
    causal: bool = False
    bias: bool = True
    activation: str = "gelu"
    rotary_base: float = 10000.0

    def __post_init__(self) -> None:
        if self.pos not in POSITIONS:
            raise ValueError(f"unknown pos {self.pos!r}; valid: {', '.join(POSITIONS)}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; valid: {', '.join(ACTIVATIONS)}")
        if self.d_model <= 0 or self.n_heads <= 0 or self.n_layers < 0 or self.max_len <= 0:
            raise ValueError("d_model, n_heads, max_len must be > 0 and n_layers >= 0")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_heads={self.n_heads}")
        if self.pos in ("rotary", "complex_rotary") and (self.d_model // self.n_heads) % 2:
            raise ValueError(f"pos={self.pos!r} needs an even head dim, got {self.d_model // self.n_heads}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.cond_dim < 0 or self.d_ff < 0:
            raise ValueError("cond_dim and d_ff must be >= 0")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def ff_dim(self) -> int:
        return self.d_ff or int(self.mlp_ratio * self.d_model)


@dataclass
class AttnIntervention:
    """Per-forward analysis hooks. Layers and heads are 0-based indices."""
    temperature: dict[int, float] = field(default_factory=dict)            # layer -> T (logits / T)
    uniform_heads: set[tuple[int, int]] = field(default_factory=set)       # (layer, head)
    mean_heads: dict[tuple[int, int], Tensor] = field(default_factory=dict)  # (layer, head) -> (D_h,)
    capture: bool = False                                                    # fill `captured`
    captured: dict[int, Tensor] = field(default_factory=dict)               # layer -> (B, H, T, D_h)

    def validate(self, cfg: TransformerConfig) -> None:
        L, H = cfg.n_layers, cfg.n_heads
        for l, t in self.temperature.items():
            if not 0 <= l < L:
                raise ValueError(f"temperature: layer {l} out of range [0, {L})")
            if not t > 0:
                raise ValueError(f"temperature for layer {l} must be > 0, got {t}")
        for name, heads in (("uniform_heads", self.uniform_heads), ("mean_heads", self.mean_heads)):
            for lh in heads:
                if len(lh) != 2 or not (0 <= lh[0] < L and 0 <= lh[1] < H):
                    raise ValueError(f"{name}: (layer, head)={lh} out of range ({L} layers, {H} heads)")
        both = set(self.uniform_heads) & set(self.mean_heads)
        if both:
            raise ValueError(f"heads {sorted(both)} are both uniform and mean-replaced; pick one")
        for lh, v in self.mean_heads.items():
            if v.shape[-1] != cfg.head_dim:
                raise ValueError(f"mean_heads{lh}: last dim {v.shape[-1]} != head dim {cfg.head_dim}")

    def layer_needs_weights(self, layer: int) -> bool:
        return any(l == layer for l, _ in self.uniform_heads)


class Attention(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model, bias=cfg.bias)   # fused projection
        self.proj = nn.Linear(cfg.d_model, cfg.d_model, bias=cfg.bias)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: Tensor, attn_mask: Tensor | None, is_causal: bool, rotary: Rotary | None,
                layer: int, want_weights: bool, iv: AttnIntervention | None) -> tuple[Tensor, Tensor | None]:
        B, T, C = x.shape
        H, D = self.cfg.n_heads, self.cfg.head_dim
        q, k, v = self.qkv(x).view(B, T, 3, H, D).unbind(2)                # each (B, T, H, D)
        if rotary is not None:
            q, k = rotary(q, k)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)   # (B, H, T, D)
        scale = 1.0 / math.sqrt(D)
        if iv is not None and layer in iv.temperature:
            scale = scale / iv.temperature[layer]
        p_drop = self.cfg.dropout if self.training else 0.0
        weights = None
        if want_weights or (iv is not None and iv.layer_needs_weights(layer)):
            allowed = _allowed(attn_mask, is_causal, T, x.device)           # (B|1, 1, T, T) bool or None
            scores = (q @ k.transpose(-2, -1)).float() * scale              # (B, H, T, T)
            if allowed is not None:
                scores = scores.masked_fill(~allowed, float("-inf"))
            weights = scores.softmax(-1)                                    # (B, H, T, T)
            if iv is not None and iv.layer_needs_weights(layer):
                weights = weights.clone()
                uni = allowed.float().expand(B, 1, T, T) if allowed is not None else scores.new_ones(B, 1, T, T)
                uni = uni / uni.sum(-1, keepdim=True)
                for l, h in iv.uniform_heads:
                    if l == layer:
                        weights[:, h] = uni[:, 0]
            y = F.dropout(weights, p_drop, self.training).type_as(v) @ v   # (B, H, T, D)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=p_drop,
                                               is_causal=is_causal, scale=scale)
        if iv is not None:
            if iv.capture:
                iv.captured[layer] = y.detach()
            heads = [(h, vec) for (l, h), vec in iv.mean_heads.items() if l == layer]
            if heads:
                y = y.clone()                                                # SDPA's output is saved for backward
                for h, vec in heads:
                    y[:, h] = vec.to(y)                                      # (D,) or (T, D) or (B, T, D)
        y = y.transpose(1, 2).reshape(B, T, C)                               # (B, T, C)
        return self.drop(self.proj(y)), weights


def _allowed(attn_mask: Tensor | None, is_causal: bool, T: int, device: torch.device) -> Tensor | None:
    if is_causal:
        return torch.ones(T, T, dtype=torch.bool, device=device).tril()[None, None]
    return attn_mask


class Block(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        affine = cfg.cond_dim == 0                   # AdaLN supplies scale/shift when conditioned
        self.ln1 = nn.LayerNorm(cfg.d_model, elementwise_affine=affine, bias=affine)
        self.attn = Attention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model, elementwise_affine=affine, bias=affine)
        self.mlp = nn.Sequential(nn.Linear(cfg.d_model, cfg.ff_dim, bias=cfg.bias), ACTIVATIONS[cfg.activation](),
                                 nn.Linear(cfg.ff_dim, cfg.d_model, bias=cfg.bias), nn.Dropout(cfg.dropout))
        self.ada = nn.Linear(cfg.cond_dim, 6 * cfg.d_model) if cfg.cond_dim else None
        if self.ada is not None:                     # zero init: scale 0, shift 0, gate 0 => block = identity
            nn.init.zeros_(self.ada.weight)
            nn.init.zeros_(self.ada.bias)

    def forward(self, x: Tensor, c: Tensor | None, attn_mask: Tensor | None, is_causal: bool,
                rotary: Rotary | None, layer: int, want_weights: bool,
                iv: AttnIntervention | None) -> tuple[Tensor, Tensor | None]:
        if self.ada is None:
            a, w = self.attn(self.ln1(x), attn_mask, is_causal, rotary, layer, want_weights, iv)
            x = x + a
            return x + self.mlp(self.ln2(x)), w
        # c: (B, cond_dim) -> six (B, 1, C) modulations
        sh1, sc1, g1, sh2, sc2, g2 = self.ada(c)[:, None].chunk(6, dim=-1)
        a, w = self.attn(self.ln1(x) * (1 + sc1) + sh1, attn_mask, is_causal, rotary, layer, want_weights, iv)
        x = x + g1 * a
        return x + g2 * self.mlp(self.ln2(x) * (1 + sc2) + sh2), w


class Transformer(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        self.rotary = (Rotary(cfg.head_dim, cfg.max_len, cfg.rotary_base, cfg.pos == "complex_rotary")
                       if cfg.pos in ("rotary", "complex_rotary") else None)
        self.pos_emb = nn.Embedding(cfg.max_len, cfg.d_model) if cfg.pos == "learned" else None
        if cfg.pos == "sinusoidal":
            self.register_buffer("pos_table", sinusoidal_table(cfg.max_len, cfg.d_model), persistent=False)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        affine = cfg.cond_dim == 0
        self.ln_f = nn.LayerNorm(cfg.d_model, elementwise_affine=affine, bias=affine)
        self.ada_f = nn.Linear(cfg.cond_dim, 2 * cfg.d_model) if cfg.cond_dim else None
        self._init_weights()

    def _init_weights(self) -> None:
        for name, p in self.named_parameters():
            if ".ada" in name or name.startswith("ada"):
                nn.init.zeros_(p)
            elif p.dim() >= 2:
                std = 0.02 / math.sqrt(2 * max(self.cfg.n_layers, 1)) if name.endswith(("proj.weight", "mlp.2.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, x: Tensor, mask: Tensor | None = None, cond: Tensor | None = None,
                return_attn: bool = False, intervention: AttnIntervention | None = None):
        """x (B, T, C); mask (B, T) bool True = real token; cond (B, cond_dim) -> (B, T, C) [, attn]."""
        cfg = self.cfg
        if x.dim() != 3 or x.shape[-1] != cfg.d_model:
            raise ValueError(f"x must be (B, T, {cfg.d_model}), got {tuple(x.shape)}")
        B, T, _ = x.shape
        if T > cfg.max_len:
            raise ValueError(f"sequence length {T} > max_len {cfg.max_len}")
        if (cond is None) != (cfg.cond_dim == 0):
            raise ValueError(f"cond must be given iff cond_dim > 0 (cond_dim={cfg.cond_dim}, "
                             f"cond={'None' if cond is None else tuple(cond.shape)})")
        if cond is not None and cond.shape != (B, cfg.cond_dim):
            raise ValueError(f"cond must be (B, {cfg.cond_dim}) = ({B}, {cfg.cond_dim}), got {tuple(cond.shape)}")
        if mask is not None and (mask.shape != (B, T) or mask.dtype != torch.bool):
            raise ValueError(f"mask must be a bool tensor of shape ({B}, {T})")
        if intervention is not None:
            intervention.validate(cfg)
        if self.pos_emb is not None:
            x = x + self.pos_emb.weight[:T]
        elif cfg.pos == "sinusoidal":
            x = x + self.pos_table[:T].to(x.dtype)
        x = self.drop(x)
        attn_mask, is_causal = self._mask(mask, B, T, x.device)
        attn: list[Tensor] = []
        for i, blk in enumerate(self.blocks):
            x, w = blk(x, cond, attn_mask, is_causal, self.rotary, i, return_attn, intervention)
            if return_attn:
                attn.append(w)
        x = self.ln_f(x)
        if self.ada_f is not None:
            sh, sc = self.ada_f(cond)[:, None].chunk(2, dim=-1)
            x = x * (1 + sc) + sh
        return (x, attn) if return_attn else x

    def _mask(self, mask: Tensor | None, B: int, T: int, device: torch.device) -> tuple[Tensor | None, bool]:
        """Bool attention mask (True = may attend), broadcastable to (B, H, T, T), and the is_causal flag."""
        if mask is None:
            return None, self.cfg.causal
        allowed = mask[:, None, None, :]                                        # (B, 1, 1, T)
        if self.cfg.causal:
            allowed = allowed & torch.ones(T, T, dtype=torch.bool, device=device).tril()
        # every query may see itself: keeps fully padded rows finite; real queries are unaffected
        allowed = allowed | torch.eye(T, dtype=torch.bool, device=device)       # (B, 1, T, T)
        return allowed, False
