"""The gradient search's learned start: relaxed programs initialised from the guide (synth/guide) instead of noise.

    st = GuideStart(net, task, profile, space, n_free, cfg)       # net: synth.guide.api.load_guide()
    theta, phi = st.draw(k, rng, gen)                              # (k, L, V) item logits, (k, nf|1, n_int)

Restart b walks one program through the guide: at slot t it asks the guide about its current state (the
real machine's stacks on every example; Oracle caches by state), turns the answer into logits over the task's
items (below), samples an item from them under the exact type mask (TaskSpace.trans) and runs it on the
machine; the next slot is asked about the new state. The relaxed program's slot-t logits are that answer,
times `start_scale`, plus the usual noise: so each restart starts near one guide-likely program, not at the
uniform point. Items -> guide vocabulary: ops and `cK` by name, literals `litV`, skip = "stop here": the value
head's log P(no item left), the other items share log(1 - that) (an item the guide lacks gets its lowest
score). Free constants: where restart b's walk first pushes free constant j, phi[b, j] is the constant head's
top values' log-probs (the others: below the lowest); a constant the walk never pushes takes the head's
answer at the input state. Deterministic for a seed: the walk draws from the search's own rng.
"""
from __future__ import annotations

import numpy as np

from .bfs import sig_of

FLOOR = -8.0        # logit of an item the guide gives no mass (before start_scale)


class GuideStart:
    def __init__(self, net, task, p, sp, n_free: int, cfg):
        from synth.guide.api import Oracle
        from synth.guide.features import item_id
        self.sp, self.p, self.cfg, self.nf = sp, p, cfg, sp.n_free
        self.oracle = Oracle(net, task, p, sp.n_free, const_top=cfg.start_const_top)
        vid = []
        for it in sp.items:
            code = (it.value,) if it.kind == "lit" else it.op
            try:
                vid.append(None if it.kind == "skip" else item_id(code))
            except KeyError:                      # a literal outside the guide's pool
                vid.append(None)
        self.known = np.array([v is not None for v in vid])
        self.vid = np.array([v if v is not None else 0 for v in vid])

    def logits(self, answer) -> np.ndarray:
        """(V,) item logits from the guide's (policy, value, consts) at one state, max 0, floor FLOOR."""
        pol, val, _ = answer
        stop = float(np.clip(np.exp(val[0]), 1e-3, 0.999))
        row = np.where(self.known, pol[self.vid] + np.log1p(-stop), -np.inf)
        row[self.sp.SKIP] = np.log(stop)
        row = row - row.max()
        return np.maximum(row, FLOOR)

    def phi_row(self, cands, n_int: int) -> np.ndarray:
        """(n_int,) logits of one free constant from the constant head's [(value, logq)] top values."""
        row = np.full(n_int, FLOOR)
        if cands:
            lq = np.array([c[1] for c in cands])
            lq = lq - lq.max()
            for (v, _), l in zip(cands, lq):
                if self.p.int_min <= v <= self.p.int_max:
                    row[v - self.p.int_min] = max(float(l), FLOOR)
        return row

    def draw(self, k: int, rng: np.random.Generator, gen):
        """k relaxed programs: theta (k, L, V), phi (k, max(nf, 1), n_int) float32 tensors."""
        import torch
        sp, cfg, nf, L, V = self.sp, self.cfg, self.nf, self.sp.L, self.sp.V
        n_int = len(sp.int_values)
        theta = np.zeros((k, L, V))
        phi = np.zeros((k, max(nf, 1), n_int))
        states = [sp.inputs] * k
        bound = [()] * k                         # values of the free constants pushed so far, in order
        orc = self.oracle
        orc.ask([sp.inputs], [()])
        first = orc.get(sp.inputs, ())
        for j in range(nf):
            phi[:, j] = self.phi_row(first[2][j] if j < len(first[2]) else [], n_int)
        for t in range(L):
            live = [b for b in range(k) if states[b] is not None]
            orc.ask([states[b] for b in live], [bound[b] for b in live])
            for b in range(k):
                if states[b] is None:            # the walk failed: uniform from here on
                    continue
                ans = orc.get(states[b], bound[b])
                row = self.logits(ans)
                theta[b, t] = row
                sig = sig_of(states[b])
                allowed = sp.trans(sig, L - t)[0] if sig is not None else np.ones(V, dtype=bool)
                allowed = allowed & ~np.array([it.kind == "free" and it.slot > len(bound[b])
                                               for it in sp.items])          # free constants in order
                if not allowed.any():
                    allowed[sp.SKIP] = True
                w = np.exp(row) * allowed
                i = int(rng.choice(V, p=w / w.sum()))
                it = sp.items[i]
                if it.kind == "free" and it.slot == len(bound[b]):          # a new free constant: bind it
                    cands = ans[2][0] if ans[2] else []
                    phi[b, it.slot] = self.phi_row(cands, n_int)
                    pv = np.exp(phi[b, it.slot] - phi[b, it.slot].max())
                    bound[b] = bound[b] + (int(rng.choice(n_int, p=pv / pv.sum())) + self.p.int_min,)
                if i != sp.SKIP:
                    cs = tuple(bound[b]) + (0,) * (nf - len(bound[b]))
                    states[b] = sp.run((i,), cs, states[b])
        th = torch.from_numpy(theta * cfg.start_scale).float()
        th += torch.randn(k, L, V, generator=gen) * cfg.init_noise
        ph = torch.from_numpy(phi * cfg.start_scale).float()
        ph += torch.randn(k, max(nf, 1), n_int, generator=gen) * cfg.init_noise
        return th, ph
