"""Reach the core Transformers inside any model: record their attention, apply head interventions.

    heads = find_transformers(model)                  # {"encoder": Transformer, "trans": Transformer}
    with probe(model) as rec:                         # every Transformer call returns its weights to rec
        model.decode(model.transition(model.encode(f, s), ops))
    rec.attn["encoder"][0]                            # call 0: list over layers of (B, H, T, T)
    rec.mask["encoder"][0]                            # the (B, T) key mask of that call, or None
    with probe(model, {"trans": AttnIntervention(uniform_heads={(0, 1)})}):
        ...                                           # trans layer 0 head 1 attends uniformly
    with probe(model, capture=fn):
        ...                                           # fn("trans", {layer: (B, H, T, D_h) head outputs}) per call

Works through forward hooks (with kwargs), so the model's own code is untouched and callers that do
not ask for attention still get a plain tensor back. Nothing is recorded unless `record`/`capture`.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

from torch import Tensor, nn

from ..core.transformer import AttnIntervention, Transformer


def find_transformers(model: nn.Module) -> dict[str, Transformer]:
    """Every core Transformer in `model` by its module path ("" when the model is one)."""
    found = {name: m for name, m in model.named_modules() if isinstance(m, Transformer)}
    if not found:
        raise ValueError(f"{type(model).__name__} holds no synth.core Transformer to inspect")
    return found


@dataclass
class Recording:
    attn: dict[str, list[list[Tensor]]] = field(default_factory=dict)    # name -> calls -> layers (B,H,T,T)
    mask: dict[str, list[Tensor | None]] = field(default_factory=dict)   # name -> calls -> (B, T) or None


@contextmanager
def probe(model: nn.Module, interventions: dict[str, AttnIntervention] | None = None,
          record: bool = True, capture: Callable[[str, dict], None] | None = None):
    """Yield a Recording; inside the block every Transformer of `model` runs with its intervention
    (by module name, see find_transformers), when `record` hands its attention weights over, and when
    `capture` is given calls it after every forward with (name, {layer: head outputs (B, H, T, D_h)})."""
    nets = find_transformers(model)
    interventions = dict(interventions or {})
    unknown = set(interventions) - set(nets)
    if unknown:
        raise ValueError(f"no Transformer named {sorted(unknown)}; valid: {', '.join(sorted(nets))}")
    rec = Recording()
    handles = []
    for name, net in nets.items():
        iv = interventions.get(name)
        if capture is not None:
            iv = copy.copy(iv) if iv is not None else AttnIntervention()
            iv.capture, iv.captured = True, {}

        def pre(mod, args, kwargs, iv=iv, name=name):
            kwargs = dict(kwargs)
            asked = bool(kwargs.get("return_attn", False))
            if asked and record:
                raise ValueError(f"{name} was called with return_attn=True inside probe(record=True)")
            if iv is not None:
                kwargs["intervention"] = iv
            if record:
                kwargs["return_attn"] = True
                mask = kwargs.get("mask", args[1] if len(args) > 1 else None)
                rec.mask.setdefault(name, []).append(None if mask is None else mask.detach())
            return args, kwargs

        def post(mod, args, kwargs, out, iv=iv, name=name):
            if capture is not None:
                capture(name, iv.captured)
                iv.captured = {}
            if record:
                x, attn = out
                rec.attn.setdefault(name, []).append([a.detach() for a in attn])
                return x
            return None

        handles.append(net.register_forward_pre_hook(pre, with_kwargs=True))
        handles.append(net.register_forward_hook(post, with_kwargs=True))
    try:
        yield rec
    finally:
        for h in handles:
            h.remove()
