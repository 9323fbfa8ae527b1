"""Gradient search: relaxed programs optimised through the evaluator (or the field), annealed from types to values.

    from synth.search import build
    solve = build("gradient", {"restarts": 8, "slots": 6}, checkpoint=None)   # None: shipped evaluator
    res = solve(task, time_limit=10.0)                                         # SearchResult, verified

Free variables (per task, R restarts in one batch of R x E rows, E examples): logits theta (R, L, V) over the
task's items (ops, constants, literals, `skip`) for each of L slots, and for each free constant logits
phi (R, n_free, n_int) over the profile's ints. One step:
  1. alpha, temperature tau and the entropy weight come from the annealing schedule (alpha 1 -> 0.5 -> 0:
     types, then sign/parity/length, then values), restarted every `cycle_steps` steps;
  2. latent loss: every example's input is encoded (free constants as q-mixtures), the relaxed program
     w = softmax(theta / tau) (masked by the abstract graph: items no type-correct path to the output uses
     are removed per slot) is rolled through the executor, and the decoded final state is compared with the
     output abstracted at level(alpha) (cross-entropy of the evaluator's decoder);
  3. grounded signal: `samples` discrete programs per restart are drawn from the same distributions (with
     the exact per-state type mask) and free values from q, run on the REAL machine, and scored by how well
     their final stacks match the outputs at level(alpha) (space.TaskSpace.reward); the first free constant
     of a new skeleton is fitted on example 0 (every int tried, in q's order: `fit_constants`) so that the
     skeleton is scored with its best value; REINFORCE with a per-restart mean baseline adds
     -(r - b) log p(program) (and -(r - b) log q(value)) to the loss;
  4. an entropy term (bonus early, penalty late) and one Adam step on theta and phi.
Every sampled program that matches all examples is verified at once; with `meet`, every intermediate state of
every sample is also looked up in goal sets computed backward from the outputs (synth/search/bidir.py), and
a hit (sampled prefix + backward tail) is verified. Every `decode_every` steps the most likely programs of
each restart (beam over slots) are run with the top values of q, and for the best skeletons using a free
constant every int is tried. Nothing is reported solved unless `verify` (the real machine on every example)
accepts it; solutions are shortened by deleting items while they still verify. At the end of a cycle the
worst half of the restarts start again from noise.

Registered methods: `gradient` (evaluator), `field` (the field's integration), ablations `gradient_noanneal`
(alpha 0 throughout), `gradient_nomask` (no abstract-graph mask: only each item's own type check),
`gradient_nolatent` (the grounded signal alone, no model), `gradient_nomeet` (no backward completion).
Without a model for the task's profile (the shipped evaluator is for `small`), the latent term is dropped
and a note is printed once.
"""
from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from dsl.profiles import Profile
from dsl.tasks import Task

from .base import SearchResult, register_method, unsolved, verify
from .bidir import Meet
from .space import TaskSpace, code_to_text, simplify_code


@dataclass
class GradientConfig:
    executor: str = "evaluator"          # evaluator | field: how relaxed programs are executed
    latent_weight: float = 1.0           # weight of the decoded-state loss (0: model-free, grounded only)
    reinforce_weight: float = 1.0        # weight of the grounded REINFORCE term
    slots: int = 8                       # L program slots (skip makes shorter programs)
    restarts: int = 8                    # R restarts in one batch
    free_constants: int = 0              # free int constants when the task does not say
    literals: list[int] = field(default_factory=lambda: [-1, 0, 1, 2, 3, 4, 5, 10])
    lr: float = 0.2
    init_noise: float = 0.3
    skip_bias: float = 0.5               # initial logit of skip (short programs first)
    anneal: bool = True                  # alpha follows `alphas`; false: alpha 0 throughout
    alphas: list[list[float]] = field(default_factory=lambda: [[0.0, 1.0], [0.25, 0.5], [0.5, 0.0]])  # (cycle fraction, alpha)
    cycle_steps: int = 40                # steps per annealing cycle
    tau: list[float] = field(default_factory=lambda: [1.5, 0.5])            # temperature at cycle start, end
    entropy: list[float] = field(default_factory=lambda: [-0.01, 0.02])     # entropy weight at start, end
    mask: bool = True                    # abstract-graph mask
    samples: int = 48                    # grounded samples per restart per step ...
    sample_runs: int = 4096              # ... fewer when samples x examples would exceed this (at least 4)
    latent_rows: int = 64                # restarts x examples through the model per step (a moving window beyond)
    explore: float = 0.05                # uniform share in the sampling distribution
    decode_every: int = 4                # steps between beam decodes
    beam: int = 16                       # programs per restart from the beam
    const_topk: int = 3                  # values per free constant tried with beam programs
    sweep: bool = True                   # try every int for the free constants of the best skeletons
    sweep_top: int = 8                   # skeletons swept per decode (best sign-level reward, short first)
    fit_constants: bool = True           # sampled skeletons get their first free constant fitted on example 0
    fit_per_step: int = 24               # new skeletons fitted per step (each costs one run per int value)
    meet: bool = True                    # complete sampled prefixes with tails found backward (synth/search/bidir.py)
    meet_depth: int = 3
    meet_budget: float = 0.1             # share of the time limit the backward goals may take to build
    solver: str = "euler"                # field executor: ODE solver, steps per op, mixing
    solver_steps: int = 1
    mix: str = "embedding"
    threads: int = 1                     # torch CPU threads
    clock: str = "wall"                  # time limit in "wall" time or this process's "cpu" time
    seed: int = 0


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
ROW_COST = 0.04     # seconds per model row (forward + backward) assumed before the first latent step measures it


def get_clock(name: str):
    if name not in CLOCKS:
        raise ValueError(f"unknown clock {name!r}; choose one of {', '.join(CLOCKS)}")
    return CLOCKS[name]


def _schedule(points, frac: float) -> float:
    """Piecewise-constant value of [(start fraction, value), ...] at cycle fraction frac."""
    v = points[0][1]
    for start, val in points:
        if frac >= start:
            v = val
    return float(v)


def _lerp(pair, frac: float) -> float:
    return float(pair[0]) + (float(pair[1]) - float(pair[0])) * frac


class GradientSearch:
    """Built once per run (loads the model); called per task."""

    _noted: set = set()

    def __init__(self, cfg: GradientConfig, checkpoint: str | None = None):
        import torch
        self.cfg = cfg
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        self.executor = None
        self.note = ""
        if cfg.latent_weight > 0:
            from ..errors import UserError
            from .latent import make_executor
            try:
                self.executor = make_executor(cfg.executor, checkpoint, solver=cfg.solver,
                                              solver_steps=cfg.solver_steps, mix=cfg.mix)
            except UserError as e:
                if checkpoint is not None:
                    raise
                self.note = f"no {cfg.executor} model ({e}); running without the latent term"
            if self.executor is not None and self.executor.notes:
                self.note = "; ".join(self.executor.notes)
        if self.note and self.note not in GradientSearch._noted:
            GradientSearch._noted.add(self.note)
            print(f"synth search: note: {self.note}", file=sys.stderr)

    def __call__(self, task: Task, time_limit: float, p: Profile, cfg: GradientConfig) -> SearchResult:
        return gradient_search(task, time_limit, p, cfg, self.executor)


def gradient_search(task: Task, time_limit: float, p: Profile, cfg: GradientConfig, executor=None,
                    prior_out: dict | None = None, meet=None) -> SearchResult:
    """The search loop (module docstring). `meet`: backward goals already built (bidir.Meet; the hybrid
    passes its own). `prior_out`, when given, receives the final distributions
    (`theta` (R, L, V) logits, `q` (R, n_free, n_int), the TaskSpace `space`, `best` samples) for the hybrid."""
    s = _Search(task, time_limit, p, cfg, executor, prior_out, meet)
    res = s.first_checks()
    while res is None and s.clock() < s.deadline:
        res = s.step()
    return res if res is not None else s.give_up()


class _Search:
    """The state of one gradient search; `step()` is one optimisation step (module docstring, 1-4)."""

    def __init__(self, task, time_limit, p, cfg, executor, prior_out, meet):
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
        self.cand, self.step_no = 0, 0
        self.tried, self.swept, self.met_seen = set(), set(), set()
        self.pool: dict = {}       # skeleton -> best sign-level reward seen (candidates for the constant sweep)
        self.fitted: dict = {}     # skeleton -> (free values fitted on example 0, final state)
        self.meet = meet
        self.ex = executor if executor is not None and executor.profile == p and cfg.latent_weight > 0 else None

    # ---- set-up ---------------------------------------------------------------------------------------------
    def first_checks(self) -> SearchResult | None:
        """The empty program; the backward goals; the model's plan; the initial distributions."""
        import torch
        cfg, sp, L, V = self.cfg, self.sp, self.L, self.V
        if sp.matches(sp.inputs):
            res = self.found((), (0,) * self.nf)
            if res:
                return res
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
        self.opt = _Adam([self.theta, self.phi], cfg.lr)
        self.best_r = np.zeros(self.R)
        return None

    def fresh(self, k: int):
        import torch
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

    def done(self, res: SearchResult, q) -> SearchResult:
        _export(self.prior_out, self.theta, q, self.sp, self.pool)
        res.candidates = self.cand
        return res

    def give_up(self) -> SearchResult:
        import torch
        if hasattr(self, "theta"):
            _export(self.prior_out, self.theta, torch.softmax(self.phi.detach(), -1), self.sp, self.pool)
        return unsolved(self.task, self.clock() - self.t0, "gradient", self.cand)

    # ---- one step -------------------------------------------------------------------------------------------
    def step(self) -> SearchResult | None:
        import torch
        cfg, R = self.cfg, self.R
        frac = (self.step_no % cfg.cycle_steps) / cfg.cycle_steps
        alpha = _schedule(cfg.alphas, frac) if cfg.anneal else 0.0
        tau, ent_w = _lerp(cfg.tau, frac), _lerp(cfg.entropy, frac)
        logits = torch.where(self.static, self.theta / tau, self.neg)                 # (R, L, V)
        logp = torch.log_softmax(logits, -1)
        w = logp.exp()
        q = torch.softmax(self.phi / tau, -1)                                          # (R, nf|1, n_int)
        loss = torch.zeros(())
        t_lat = self.clock()
        latent = self.ex is not None and self.latent_fits()
        if latent:
            loss = loss + cfg.latent_weight * self.latent_loss(w, q, alpha)
        t_lat = self.clock() - t_lat
        res, batch = self.grounded(logp.detach().numpy(), q.detach().numpy(), alpha)
        if res is not None:
            return self.done(res, q)
        if batch is None:                          # the time ran out while sampling: no update
            return None
        if cfg.reinforce_weight > 0:
            loss = loss + cfg.reinforce_weight * self.reinforce(batch, tau)
        ent = -(w * logp).sum(-1).mean()
        loss = loss + ent_w * ent * R
        if loss.requires_grad:
            t_grad = self.clock()
            self.opt.step(torch.autograd.grad(loss, [self.theta, self.phi], allow_unused=True))
            if latent:        # seconds per model row (forward + backward), kept on the executor for later tasks
                self.ex.row_cost = (t_lat + self.clock() - t_grad) / self.latent_rows()
        self.step_no += 1
        if self.step_no % cfg.decode_every == 0 or self.clock() >= self.deadline:
            res, n_run = _decode(self.sp, self.task, self.p, cfg, logp.detach(), q.detach(), self.tried, self.swept,
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
        """Decoded-state loss of the relaxed programs through the model: (R,) summed. At most `latent_rows`
        rows (restarts x examples) go through the model at once: a task with more examples uses a window of
        them that moves on every step (memory and step time independent of the number of examples)."""
        cfg, sp, R, E, nf, ex = self.cfg, self.sp, self.R, self.E, self.nf, self.ex
        view = sp
        if R * E > cfg.latent_rows:
            k = max(1, cfg.latent_rows // R)
            view = _Examples(sp, [(self.step_no * k + i) % E for i in range(k)])
        e = len(view.inputs)
        z0 = ex.encode(view, R, q[:, :nf] if nf else None, alpha,
                       free_vals=(q.argmax(-1) + self.p.int_min).tolist() if nf else None)
        zL = ex.rollout(self.plan, z0, w.repeat_interleave(e, 0), alpha)
        return ex.loss(view, zL, R, alpha).view(R, e).mean(1).sum()

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
            res = _complete(sp, self.task, p, self.meet, progs[b, :t + 1], consts[b], self.t0, self.clock)
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

    def reinforce(self, batch, tau: float):
        """-(r - b) log p(program) (and log q(value) of the free constants used), per-restart mean baseline."""
        import torch
        all_progs, all_allowed, adv, vals_all, _ = batch
        R, V, nf, n_int, n = self.R, self.V, self.nf, self.n_int, self.n_samples
        theta = self.theta
        progs_t = torch.from_numpy(np.stack(all_progs))                                # (R, n, L)
        allowed_t = torch.from_numpy(np.stack(all_allowed)) & self.static              # (R, n, L, V)
        allowed_t = allowed_t | torch.nn.functional.one_hot(progs_t, V).bool()
        lg = torch.where(allowed_t, (theta / tau)[:, None], self.neg)
        lps = torch.log_softmax(lg, -1).gather(-1, progs_t[..., None])[..., 0].sum(-1)   # (R, n)
        adv_t = torch.from_numpy(np.stack(adv)).float()
        rl = -(adv_t * lps).mean(1).sum()
        if nf:
            used = torch.zeros(R, n, nf)
            for r in range(R):
                for b in range(n):
                    for j in self.sp.free_used(all_progs[r][b]):
                        used[r, b, j] = 1.0
            lq = torch.log_softmax(self.phi[:, :nf] / tau, -1)                         # (R, nf, n_int)
            vi = torch.from_numpy(np.stack(vals_all)).long()                           # (R, n, nf)
            lqv = lq[:, None].expand(R, n, nf, n_int).gather(-1, vi[..., None])[..., 0]
            rl = rl - (adv_t[..., None] * lqv * used).mean(1).sum()
        return rl

    def restart_worst(self) -> None:
        """New cycle: the worst half of the restarts start again from noise."""
        import torch
        worst = np.argsort(self.best_r)[: self.R // 2]
        th, ph = self.fresh(len(worst))
        with torch.no_grad():
            self.theta[worst] = th
            self.phi[worst] = ph
        self.opt.reset(worst)
        self.best_r[worst] = 0


class _Examples:
    """A TaskSpace seen through a subset of its examples (inputs and outputs), for the latent loss."""

    def __init__(self, sp: TaskSpace, idx: list[int]):
        self._sp = sp
        self.inputs = tuple(sp.inputs[i] for i in idx)
        self.outs = tuple(sp.outs[i] for i in idx)

    def __getattr__(self, name):
        return getattr(self._sp, name)


class _Adam:
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


def _complete(sp: TaskSpace, task, p, meet, prefix, consts, t0, clock):
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


def _export(prior_out, theta, q, sp, pool):
    if prior_out is not None:
        prior_out.update(theta=theta.detach().clone(), q=q.detach().clone(), space=sp, pool=dict(pool))


def _beam(logp: np.ndarray, k: int) -> list[tuple]:
    """Top-k item sequences of one restart under factorised per-slot log-probs (L, V)."""
    beam = [(0.0, ())]
    for t in range(logp.shape[0]):
        top = np.argsort(-logp[t])[:k]
        beam = sorted(((s + logp[t, i], seq + (int(i),)) for s, seq in beam for i in top), key=lambda x: -x[0])[:k]
    return [seq for _, seq in beam]


def _decode(sp: TaskSpace, task, p, cfg, logp, q, tried: set, swept: set, pool: dict, found, deadline, clock):
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
        for seq in _beam(logp[r].numpy(), cfg.beam):
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


def _method(name: str, **defaults):
    register_method(name, config=GradientConfig, section="gradient", defaults=defaults)(GradientSearch)


_method("gradient")
_method("field", executor="field")
_method("gradient_noanneal", anneal=False)
_method("gradient_nomask", mask=False)
_method("gradient_nolatent", latent_weight=0.0)
_method("gradient_nomeet", meet=False)
