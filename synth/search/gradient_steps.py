"""The gradient search's state and steps (synth/search/gradient.py explains the method; `gradient_search` runs it).

    s = _Search(task, time_limit, profile, cfg, executor, prior_out=None, meet=None)
    res = s.first_checks()                      # the empty program, backward goals, initial distributions
    while res is None and s.clock() < s.deadline:
        res = s.step()                          # one step: latent loss, grounded samples, REINFORCE, Adam, decode
    res = res or s.give_up()

Bounded work whatever the task's size: at most `latent_rows` restart x example rows go through the model per
step (a window of the examples that moves every step); grounded samples per restart are capped so that
samples x examples <= `sample_runs`; the clock is checked between restarts, and a model step whose measured
cost would pass the deadline is not started (that step is grounded only).
"""
from __future__ import annotations

import hashlib

import numpy as np

from .base import SearchResult, get_clock, unsolved, verify
from .bidir import Meet
from .gradient_decode import Adam, complete, decode, export_prior, reinforce
from .space import ExampleView, TargetView, TaskSpace

ROW_COST = 0.04     # seconds per model row (forward + backward) assumed before the first latent step measures it


def _schedule(points, frac: float) -> float:
    """Piecewise-constant value of [(start fraction, value), ...] at cycle fraction frac."""
    v = points[0][1]
    for start, val in points:
        if frac >= start:
            v = val
    return float(v)


def _lerp(pair, frac: float) -> float:
    return float(pair[0]) + (float(pair[1]) - float(pair[0])) * frac


class _Search:
    """The state of one gradient search; `step()` is one optimisation step (module docstring, 1-4)."""

    def __init__(self, task, time_limit, p, cfg, executor, prior_out, meet, guide=None):
        import torch
        self.task, self.p, self.cfg, self.prior_out = task, p, cfg, prior_out
        self.clock = get_clock(cfg.clock)
        self.t0 = self.clock()
        self.time_limit, self.deadline = time_limit, self.t0 + time_limit
        self.nfree = task.free_constants if task.free_constants is not None else cfg.free_constants
        sp = self.sp = TaskSpace(task, p, self.nfree, cfg.literals, cfg.slots, mask=cfg.mask)
        seed = int(hashlib.sha1(f"{cfg.seed}:{task.name}".encode()).hexdigest()[:8], 16)
        self.rng = np.random.default_rng(seed)
        self.gen = torch.Generator().manual_seed(seed)
        self.R, self.L, self.V, self.E = cfg.restarts, sp.L, sp.V, len(sp.inputs)
        self.n_int, self.nf = len(sp.int_values), sp.n_free
        # grounded samples per restart: capped so that samples x examples stays within sample_runs
        self.n_samples = cfg.samples if cfg.samples * self.E <= cfg.sample_runs else \
            max(4, min(cfg.samples, cfg.sample_runs // self.E))
        self.cand, self.step_no, self.min_alpha = 0, 0, None
        self.tried, self.swept, self.met_seen = set(), set(), set()
        self.pool: dict = {}       # skeleton -> best sign-level reward seen (candidates for the constant sweep)
        self.fitted: dict = {}     # skeleton -> (free values fitted on example 0, final state)
        self.meet = meet
        use = cfg.latent_weight > 0 or cfg.metric_weight > 0
        self.ex = executor if executor is not None and executor.profile == p and use else None
        self.start = None
        if cfg.start not in ("noise", "guide"):
            raise ValueError(f"unknown gradient.start {cfg.start!r}; choose one of noise, guide")
        if cfg.start == "guide":              # the guide's walks as the restarts' start (gradient_start.py)
            from synth.guide.api import load_guide_once

            from .gradient_start import GuideStart
            self.start = GuideStart(guide or load_guide_once(cfg.guide, p.name), task, p, sp, self.nfree, cfg)

    # ---- set-up ---------------------------------------------------------------------------------------------
    def first_checks(self) -> SearchResult | None:
        """The empty program; the backward goals; the model's plan; the initial distributions."""
        import torch
        cfg, sp, L, V = self.cfg, self.sp, self.L, self.V
        if sp.matches(sp.inputs):
            res = self.found((), (0,) * self.nf)
            if res:
                return self.with_info(res)
        if self.meet is None and cfg.meet:      # (the hybrid passes the one it built)
            self.meet = Meet(self.task, self.p, cfg.literals, self.nfree, cfg.meet_depth,
                             deadline=self.t0 + cfg.meet_budget * self.time_limit, clock=self.clock)
        self.meet = self.meet if self.meet is not None and self.meet.ok else None
        self.plan = self.ex.plan(sp) if self.ex is not None else None
        self.static = torch.from_numpy(sp.slot_masks()) if cfg.mask else torch.ones(L, V, dtype=torch.bool)
        self.neg = torch.tensor(-1e9)
        self.theta, self.phi = self.fresh(self.R)
        self.theta.requires_grad_(True)
        self.phi.requires_grad_(True)
        self.opt = Adam([self.theta, self.phi], cfg.lr)
        self.best_r = np.zeros(self.R)
        return None

    def fresh(self, k: int):
        """Initial logits of k restarts: theta (k, L, V), phi (k, nf|1, n_int); from the guide with start=guide."""
        import torch
        if self.start is not None:
            return self.start.draw(k, self.rng, self.gen)
        th = torch.randn(k, self.L, self.V, generator=self.gen) * self.cfg.init_noise
        th[..., self.sp.SKIP] += self.cfg.skip_bias
        ph = torch.randn(k, max(self.nf, 1), self.n_int, generator=self.gen) * self.cfg.init_noise
        return th, ph

    def found(self, prog, consts) -> SearchResult | None:
        sp = self.sp
        prog = sp.simplify(prog, consts)
        code, full, text = sp.solution(prog, consts)
        if verify(self.task, code, full, self.p):
            return SearchResult(self.task.name, True, text, full, self.clock() - self.t0, "gradient", self.cand)
        return None

    def with_info(self, res: SearchResult) -> SearchResult:
        """res.info: optimiser steps taken and the lowest alpha reached (None before the first step)."""
        res.info = {"steps": self.step_no, "min_alpha": self.min_alpha, "latent": self.ex is not None}
        return res

    def done(self, res: SearchResult, q) -> SearchResult:
        export_prior(self.prior_out, self.theta, q, self.sp, self.pool)
        res.candidates = self.cand
        return self.with_info(res)

    def give_up(self) -> SearchResult:
        import torch
        if hasattr(self, "theta"):
            export_prior(self.prior_out, self.theta, torch.softmax(self.phi.detach(), -1), self.sp, self.pool)
        return self.with_info(unsolved(self.task, self.clock() - self.t0, "gradient", self.cand))

    # ---- one step -------------------------------------------------------------------------------------------
    def step(self) -> SearchResult | None:
        import torch
        cfg, R = self.cfg, self.R
        frac = (self.step_no % cfg.cycle_steps) / cfg.cycle_steps
        alpha = _schedule(cfg.alphas, frac) if cfg.anneal else 0.0
        tau, ent_w = _lerp(cfg.tau, frac), _lerp(cfg.entropy, frac)
        self.min_alpha = alpha if self.min_alpha is None else min(self.min_alpha, alpha)
        logits = torch.where(self.static, self.theta / tau, self.neg)                 # (R, L, V)
        logp = torch.log_softmax(logits, -1)
        w = logp.exp()
        q = torch.softmax(self.phi / tau, -1)                                          # (R, nf|1, n_int)
        loss = torch.zeros(())
        t_lat = self.clock()
        latent = self.ex is not None and self.latent_fits()
        if latent:
            loss = loss + self.latent_loss(w, q, alpha)
        t_lat = self.clock() - t_lat
        batch = None
        if self.step_no % cfg.ground_every == 0 or not latent:      # grounded samples every ground_every steps
            res, batch = self.grounded(logp.detach().numpy(), q.detach().numpy(), alpha)
            if res is not None:
                return self.done(res, q)
            if batch is None:                      # the time ran out while sampling: no update
                return None
        if batch is not None and cfg.reinforce_weight > 0:
            loss = loss + cfg.reinforce_weight * reinforce(self, batch, tau)
        ent = -(w * logp).sum(-1).mean()
        loss = loss + ent_w * ent * R
        if loss.requires_grad:
            t_grad = self.clock()
            self.opt.step(torch.autograd.grad(loss, [self.theta, self.phi], allow_unused=True))
            if latent:        # seconds per model row (forward + backward), kept on the executor for later tasks
                self.ex.row_cost = (t_lat + self.clock() - t_grad) / self.latent_rows()
        self.step_no += 1
        if self.step_no % cfg.decode_every == 0 or self.clock() >= self.deadline:
            res, n_run = decode(self.sp, self.task, self.p, cfg, logp.detach(), q.detach(), self.tried, self.swept,
                                 self.pool, self.found, self.deadline, self.clock)
            self.cand += n_run
            if res:
                return self.done(res, q)
        if self.step_no % cfg.cycle_steps == 0:
            self.restart_worst()
        return None

    def latent_rows(self) -> int:
        return min(self.R * self.E, max(1, self.cfg.latent_rows // self.R) * self.R)

    def latent_fits(self) -> bool:
        """Can the model's forward and backward pass end before the deadline? (Else this step is grounded
        only: the time limit holds whatever the model's speed; cost measured on the last latent step.)"""
        cost = getattr(self.ex, "row_cost", ROW_COST)
        return self.clock() + cost * self.latent_rows() <= self.deadline

    def latent_loss(self, w, q, alpha: float):
        """Decoded-state loss of the relaxed programs through the model (times latent_weight), plus
        metric_weight x the field's metric between their latents and the encoded outputs (the outputs as whole
        stacks, also for a `top` match); summed over (R,). At most `latent_rows`
        rows (restarts x examples) go through the model at once: a task with more examples uses a window of
        them that moves on every step (memory and step time independent of the number of examples)."""
        cfg, sp, R, E, nf, ex = self.cfg, self.sp, self.R, self.E, self.nf, self.ex
        view = sp
        if R * E > cfg.latent_rows:
            k = max(1, cfg.latent_rows // R)
            view = ExampleView(sp, [(self.step_no * k + i) % E for i in range(k)])
        e = len(view.inputs)
        z0 = ex.encode(view, R, q[:, :nf] if nf else None, alpha,
                       free_vals=(q.argmax(-1) + self.p.int_min).tolist() if nf else None)
        zL = ex.rollout(self.plan, z0, w.repeat_interleave(e, 0), alpha)
        loss = cfg.latent_weight * ex.loss(view, zL, R, alpha).view(R, e).mean(1).sum() if cfg.latent_weight else 0
        if cfg.metric_weight:
            import torch
            with torch.no_grad():                                     # the outputs, encoded like the inputs
                zt = ex.encode(TargetView(view), R, q[:, :nf] if nf else None, alpha,
                               free_vals=(q.argmax(-1) + self.p.int_min).tolist() if nf else None)
            loss = loss + cfg.metric_weight * ex.metric(zL, zt).view(R, e).mean(1).sum()
        return loss

    def grounded(self, lp_np, q_np, alpha: float):
        """`samples` programs per restart on the real machine (step 3): (a verified result or None,
        the batch for REINFORCE, or None when the time ran out before every restart was sampled)."""
        batch = ([], [], [], [], [])          # programs, allowed masks, advantages, value ids, rewards
        self.n_fit = 0
        for r in range(self.R):
            if r and self.clock() >= self.deadline:
                return None, None
            res = self.sample_restart(r, lp_np, q_np, alpha, batch)
            if res is not None:
                return res, None
        return None, batch

    def sample_restart(self, r: int, lp_np, q_np, alpha: float, batch) -> SearchResult | None:
        cfg, sp, p, nf, n_int, n = self.cfg, self.sp, self.p, self.nf, self.n_int, self.n_samples
        if nf:
            qq = (1 - cfg.explore) * q_np[r, :nf] + cfg.explore / n_int                      # (nf, n_int)
            vals = np.stack([self.rng.choice(n_int, size=n, p=qq[j] / qq[j].sum()) for j in range(nf)], 1)
        else:
            vals = np.zeros((n, 0), dtype=np.int64)
        consts = [tuple(int(v) + p.int_min for v in row) for row in vals]
        hits = []

        def visit(b, t, state, prefix):
            if state not in self.met_seen:
                self.met_seen.add(state)
                if self.meet.check(state, len(sp.free_used(prefix))):
                    hits.append((b, t))
        progs, allowed, finals = sp.sample(lp_np[r], n, self.rng, consts, cfg.explore,
                                           visit if self.meet else None)
        self.cand += n
        for b, t in hits:
            res = complete(sp, self.task, p, self.meet, progs[b, :t + 1], consts[b], self.t0, self.clock)
            if res:
                return res
        if nf and cfg.fit_constants:
            self.fit_constants(r, q_np, progs, consts, vals, finals)
        rew = np.array([sp.reward(f, alpha) for f in finals])
        for b, f in enumerate(finals):
            if f is not None and sp.matches(f):
                res = self.found(progs[b], consts[b])
                if res:
                    return res
            if f is not None and nf:
                key = sp.strip(progs[b])
                if sp.free_used(key):
                    sg = sp.reward(f, 0.5)
                    if sg > self.pool.get(key, -1):
                        self.pool[key] = sg
        self.best_r[r] = max(self.best_r[r], rew.max())
        for part, x in zip(batch, (progs, allowed, rew - rew.mean(), vals, rew)):
            part.append(x)
        return None

    def fit_constants(self, r: int, q_np, progs, consts, vals, finals) -> None:
        """The first used free constant of each sampled skeleton, chosen on example 0 (in place)."""
        sp, p, cfg, nf = self.sp, self.p, self.cfg, self.nf
        order = np.argsort(-q_np[r, :nf], axis=-1) + p.int_min                                  # (nf, n_int)
        for b in range(len(consts)):
            key = sp.strip(progs[b])
            used = sp.free_used(key)
            if not used:
                continue
            hit = self.fitted.get(key)
            if hit is None:
                if self.n_fit >= cfg.fit_per_step or self.clock() > self.deadline:
                    continue
                self.n_fit += 1
                cs, fin, runs = sp.fit_constant(key, consts[b], used[0], order[used[0]])
                self.cand += runs
                hit = self.fitted[key] = (cs, fin)
            consts[b], finals[b] = hit
            vals[b] = np.array(hit[0]) - p.int_min

    def restart_worst(self) -> None:
        """New cycle: the worst half of the restarts start again (from noise, or the guide's walks)."""
        import torch
        worst = np.argsort(self.best_r)[: self.R // 2]
        th, ph = self.fresh(len(worst))
        with torch.no_grad():
            self.theta[worst] = th
            self.phi[worst] = ph
        self.opt.reset(worst)
        self.best_r[worst] = 0
