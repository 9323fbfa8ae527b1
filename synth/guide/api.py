"""Loading the guide and asking it about search states, batched and cached by state.

    from synth.guide.api import load_guide, load_guide_once, Oracle
    net = load_guide(profile="small")               # the shipped synth/pretrained/guide_small.pt (or a path)
    net = load_guide_once(None, "small")            # the same, loaded once per process (what the searches use)
    orc = Oracle(net, task, profile, n_free=1)      # one task
    orc.ask(states, bounds)                         # fills the cache for the states not asked before
    logp, val, cvals = orc.get(state, bound)        # (V,) log-probs over VOCAB (the profile's items only),
                                                    # (MAX_REM + 1,) log P(remaining <= r), [(value, logq)] per
                                                    # free slot still unbound (top `const_top` values)
`Oracle(None, ...)` is the uniform guide of the ablations: logp 0 over the allowed items (uniform after
normalising over whatever the search compares), value 0, constants from the enumerator's pool order.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from .features import INT_LO, PROFILES, Featurizer, mask

PRETRAINED = Path(__file__).resolve().parents[1] / "pretrained"


def shipped(profile: str) -> Path:
    """The shipped guide of a profile (one per profile: guide_small.pt, guide_deepcoder.pt)."""
    if profile not in PROFILES:
        raise ValueError(f"no shipped guide for profile {profile!r} (there are: {', '.join(PROFILES)}); "
                         "give one with --checkpoint")
    return PRETRAINED / f"guide_{profile}.pt"


def load_guide(path: str | Path | None = None, profile: str = "small"):
    """The Guide network of a checkpoint (training or exported) in eval mode; None: the profile's shipped one."""
    from ..config import from_dict
    from ..core.checkpoint import read_model
    from .model import Guide, GuideConfig
    path, st, meta = read_model(path or None, shipped(profile), "guide", "guide", "train-guide")
    net = Guide(from_dict(GuideConfig, meta["guide"]))
    net.load_state_dict({k: v.float() for k, v in st["model"].items()})
    net.eval()
    return net


@functools.lru_cache(maxsize=4)
def load_guide_once(path: str | None, profile: str = "small"):
    """load_guide, once per (path, profile) in a process: the searches share the loaded networks."""
    return load_guide(path, profile=profile)


class Oracle:
    """The guide's answers for the states of one task (cache keyed by (state, bound))."""

    def __init__(self, net, task, profile, n_free: int = 0, const_top: int = 16, pool=()):
        self.net, self.n_free, self.const_top = net, n_free, const_top
        self.fz = Featurizer.for_task(task, n_free)
        self.vmask = mask(profile)
        self.pid = PROFILES.index(profile.name) if profile.name in PROFILES else 0
        self.lo, self.hi = profile.int_min, profile.int_max
        self.cache: dict = {}
        self.calls = self.rows = 0
        self.uniform_consts = [(int(v), 0.0) for v in list(pool)[:const_top]]

    def ask(self, states, bounds, batch: int = 512) -> None:
        todo = [(s, b) for s, b in zip(states, bounds) if (s, b) not in self.cache]
        todo = list(dict.fromkeys(todo))
        if not todo:
            return
        if self.net is None:
            for k in todo:
                self.cache[k] = (None, None, [self.uniform_consts] * max(0, self.n_free - len(k[1])))
            return
        import torch
        for s in range(0, len(todo), batch):
            part = todo[s:s + batch]
            x = torch.from_numpy(self.fz.batch([k[0] for k in part], [k[1] for k in part]))
            prof = torch.full((len(part),), self.pid, dtype=torch.long)
            need_c = self.n_free > 0 and any(len(k[1]) < self.n_free for k in part)
            with torch.inference_mode():
                out = self.net(x, prof, const=need_c)
                pol = out["policy"].masked_fill(~torch.from_numpy(self.vmask), -1e4).log_softmax(-1).numpy()
                val = np.log(np.maximum(out["value"].softmax(-1).cumsum(-1).numpy(), 1e-9))
                cv = None
                if need_c:
                    lq = out["const"].log_softmax(-1)[:, :, self.lo - INT_LO:self.hi - INT_LO + 1]   # (B, 2, n)
                    top = lq.topk(min(self.const_top, lq.shape[-1]), -1)
                    cv = (top.values.numpy(), (top.indices + self.lo).numpy())
            self.calls += 1
            self.rows += len(part)
            for j, k in enumerate(part):
                consts = []
                if cv is not None:
                    for slot in range(len(k[1]), min(self.n_free, cv[0].shape[1])):
                        consts.append(list(zip(cv[1][j, slot].tolist(), cv[0][j, slot].tolist())))
                self.cache[k] = (pol[j], val[j], consts)

    def get(self, state, bound):
        return self.cache[(state, bound)]
