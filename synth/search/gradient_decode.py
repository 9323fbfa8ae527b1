"""Turning the gradient search's relaxed distributions into verified programs; its REINFORCE term and optimiser.

    res, n_run = decode(sp, task, p, cfg, logp, q, tried, swept, pool, found, deadline, clock)   # beam + sweeps
    res = complete(sp, task, p, meet, prefix, consts, t0, clock)    # sampled prefix + backward tail, verified
    opt = Adam([theta, phi], lr); opt.step(grads); opt.reset(rows)   # per-restart Adam (restarts reset alone)
    loss = reinforce(search, batch, tau)                            # the grounded samples' REINFORCE term
"""
from __future__ import annotations

import numpy as np

from .base import SearchResult, verify
from .base import simplify_code
from .space import TaskSpace, code_to_text


class Adam:
    """Adam on a few leaf tensors (torch.optim's first use imports torch._dynamo: seconds per process)."""

    def __init__(self, params, lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
        import torch
        self.params, self.lr, self.b1, self.b2, self.eps = params, lr, b1, b2, eps
        self.m = [torch.zeros_like(x) for x in params]
        self.v = [torch.zeros_like(x) for x in params]
        self.t = [torch.zeros(x.shape[0]) for x in params]   # step count per restart (row)

    def step(self, grads) -> None:
        import torch
        with torch.no_grad():
            for x, g, m, v, t in zip(self.params, grads, self.m, self.v, self.t):
                if g is None:
                    continue
                t += 1
                m.mul_(self.b1).add_(g, alpha=1 - self.b1)
                v.mul_(self.b2).addcmul_(g, g, value=1 - self.b2)
                shape = (-1,) + (1,) * (x.dim() - 1)
                mh = m / (1 - self.b1 ** t).view(shape)
                vh = v / (1 - self.b2 ** t).view(shape)
                x.sub_(self.lr * mh / (vh.sqrt() + self.eps))

    def reset(self, rows) -> None:
        for m, v, t in zip(self.m, self.v, self.t):
            m[rows] = 0
            v[rows] = 0
            t[rows] = 0


def reinforce(s, batch, tau: float):
    """REINFORCE loss of a gradient search `s` (gradient_steps._Search) on its grounded batch: -(r - b) log
    p(program) (and log q(value) of the free constants used), per-restart mean baseline."""
    import torch
    all_progs, all_allowed, adv, vals_all, _ = batch
    R, V, nf, n_int, n = s.R, s.V, s.nf, s.n_int, s.n_samples
    theta = s.theta
    progs_t = torch.from_numpy(np.stack(all_progs))                                # (R, n, L)
    allowed_t = torch.from_numpy(np.stack(all_allowed)) & s.static              # (R, n, L, V)
    allowed_t = allowed_t | torch.nn.functional.one_hot(progs_t, V).bool()
    lg = torch.where(allowed_t, (theta / tau)[:, None], s.neg)
    lps = torch.log_softmax(lg, -1).gather(-1, progs_t[..., None])[..., 0].sum(-1)   # (R, n)
    adv_t = torch.from_numpy(np.stack(adv)).float()
    rl = -(adv_t * lps).mean(1).sum()
    if nf:
        used = torch.zeros(R, n, nf)
        for r in range(R):
            for b in range(n):
                for j in s.sp.free_used(all_progs[r][b]):
                    used[r, b, j] = 1.0
        lq = torch.log_softmax(s.phi[:, :nf] / tau, -1)                         # (R, nf, n_int)
        vi = torch.from_numpy(np.stack(vals_all)).long()                           # (R, n, nf)
        lqv = lq[:, None].expand(R, n, nf, n_int).gather(-1, vi[..., None])[..., 0]
        rl = rl - (adv_t[..., None] * lqv * used).mean(1).sum()
    return rl


def complete(sp: TaskSpace, task, p, meet, prefix, consts, t0, clock):
    """Verify prefix + each backward tail its final state meets; the first verified as a SearchResult."""
    code, full, text = sp.solution(prefix, consts)
    state = sp.run(sp.strip(prefix), consts)
    if state is None:
        return None
    for tail, extra in meet.check(state, len(full) - len(sp.given)):
        if verify(task, code + list(tail), full + list(extra), p):
            code2, consts2 = simplify_code(task, code + list(tail), full + list(extra), p, verify)
            return SearchResult(task.name, True, code_to_text(code2), consts2, clock() - t0, "gradient", 0)
    return None


def export_prior(prior_out, theta, q, sp, pool):
    if prior_out is not None:
        prior_out.update(theta=theta.detach().clone(), q=q.detach().clone(), space=sp, pool=dict(pool))


def beam(logp: np.ndarray, k: int) -> list[tuple]:
    """Top-k item sequences of one restart under factorised per-slot log-probs (L, V)."""
    beam = [(0.0, ())]
    for t in range(logp.shape[0]):
        top = np.argsort(-logp[t])[:k]
        beam = sorted(((s + logp[t, i], seq + (int(i),)) for s, seq in beam for i in top), key=lambda x: -x[0])[:k]
    return [seq for _, seq in beam]


def decode(sp: TaskSpace, task, p, cfg, logp, q, tried: set, swept: set, pool: dict, found, deadline, clock):
    """Beam programs with the top values of q, then constant sweeps of the best skeletons."""
    n_run = 0
    R = logp.shape[0]
    nf = sp.n_free
    top_vals = []
    for r in range(R):
        if r and clock() >= deadline:       # the decode at the deadline tries restart 0 only
            break
        if nf:
            order = np.argsort(-q[r, :nf].numpy(), axis=-1)[:, :cfg.const_topk] + p.int_min   # (nf, k)
            combos = [tuple(int(order[j, min(c, order.shape[1] - 1)]) for j in range(nf))
                      for c in range(cfg.const_topk)]
        else:
            combos = [()]
        top_vals.append(combos)
        for seq in beam(logp[r].numpy(), cfg.beam):
            prog = sp.strip(seq)
            used = sp.free_used(prog)
            for cs in (combos if used else [(0,) * nf]):
                key = (prog, tuple(cs[j] for j in used))
                if key in tried:
                    continue
                tried.add(key)
                n_run += 1
                final = sp.run(prog, cs)
                if final is not None and sp.matches(final):
                    res = found(prog, cs)
                    if res:
                        return res, n_run
                if final is not None and used and nf:
                    sg = sp.reward(final, 0.5)
                    if sg > pool.get(prog, -1):
                        pool[prog] = sg
    if nf and cfg.sweep and pool:
        order_q = [np.argsort(-q[:, j].mean(0).numpy()) + p.int_min for j in range(nf)]
        best = sorted((k for k in pool if k not in swept), key=lambda k: (-pool[k] + 0.05 * len(k), k))
        best = best[:cfg.sweep_top]
        for prog in best:
            if clock() >= deadline:
                break
            swept.add(prog)
            used = sp.free_used(prog)
            for j in used:
                for base in top_vals[0][:2]:
                    n_run += len(sp.int_values)
                    for cs in sp.sweep(prog, base, j, order_q[j]):
                        res = found(prog, cs)
                        if res:
                            return res, n_run
    return None, n_run
