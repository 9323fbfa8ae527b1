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
from dataclasses import dataclass, field

import numpy as np

from dsl.profiles import Profile
from dsl.tasks import Task

from .base import SearchResult, get_clock, register_method, unsolved, verify
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
    literals: list = field(default_factory=lambda: [-1, 0, 1, 2, 3, 4, 5, 10])
    lr: float = 0.2
    init_noise: float = 0.3
    skip_bias: float = 0.5               # initial logit of skip (short programs first)
    anneal: bool = True                  # alpha follows `alphas`; false: alpha 0 throughout
    alphas: list = field(default_factory=lambda: [[0.0, 1.0], [0.25, 0.5], [0.5, 0.0]])  # (cycle fraction, alpha)
    cycle_steps: int = 40                # steps per annealing cycle
    tau: list = field(default_factory=lambda: [1.5, 0.5])            # temperature at cycle start, end
    entropy: list = field(default_factory=lambda: [-0.01, 0.02])     # entropy weight at start, end
    mask: bool = True                    # abstract-graph mask
    samples: int = 48                    # grounded samples per restart per step
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
    import torch
    clock = get_clock(cfg.clock)
    t0 = clock()
    deadline = t0 + time_limit
    nfree = task.free_constants if task.free_constants is not None else cfg.free_constants
    sp = TaskSpace(task, p, nfree, cfg.literals, cfg.slots, mask=cfg.mask)
    seed = int(hashlib.sha1(f"{cfg.seed}:{task.name}".encode()).hexdigest()[:8], 16)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    R, L, V, E = cfg.restarts, sp.L, sp.V, len(sp.inputs)
    n_int, nf = len(sp.int_values), sp.n_free
    cand = 0
    tried: set = set()
    swept: set = set()

    def found(prog, consts):
        prog = sp.simplify(prog, consts)
        code, full, text = sp.solution(prog, consts)
        if verify(task, code, full, p):
            return SearchResult(task.name, True, text, full, clock() - t0, "gradient", cand)
        return None

    if sp.matches(sp.inputs):
        res = found((), (0,) * nf)
        if res:
            return res
    if meet is None and cfg.meet:      # (the hybrid passes the one it built)
        meet = Meet(task, p, cfg.literals, nfree, cfg.meet_depth, deadline=t0 + cfg.meet_budget * time_limit,
                    clock=clock)
    meet = meet if meet is not None and meet.ok else None
    met_seen: set = set()
    ex = executor if executor is not None and executor.profile == p and cfg.latent_weight > 0 else None
    plan = ex.plan(sp) if ex is not None else None
    static = torch.from_numpy(sp.slot_masks()) if cfg.mask else torch.ones(L, V, dtype=torch.bool)
    neg = torch.tensor(-1e9)

    def fresh(k: int):
        th = torch.randn(k, L, V, generator=gen) * cfg.init_noise
        th[..., sp.SKIP] += cfg.skip_bias
        ph = torch.randn(k, max(nf, 1), n_int, generator=gen) * cfg.init_noise
        return th, ph

    theta, phi = fresh(R)
    theta.requires_grad_(True)
    phi.requires_grad_(True)
    opt = _Adam([theta, phi], cfg.lr)
    best_r = np.zeros(R)
    pool: dict = {}        # skeleton -> best sign-level reward seen (candidates for the constant sweep)
    fitted: dict = {}      # skeleton -> (free values fitted on example 0, final state)
    step = 0
    while clock() < deadline:
        frac = (step % cfg.cycle_steps) / cfg.cycle_steps
        alpha = _schedule(cfg.alphas, frac) if cfg.anneal else 0.0
        tau = _lerp(cfg.tau, frac)
        ent_w = _lerp(cfg.entropy, frac)
        logits = torch.where(static, theta / tau, neg)                             # (R, L, V)
        logp = torch.log_softmax(logits, -1)
        w = logp.exp()
        q = torch.softmax(phi / tau, -1)                                           # (R, nf|1, n_int)
        loss = torch.zeros(())
        if ex is not None:
            z0 = ex.encode(sp, R, q[:, :nf] if nf else None, alpha,
                           free_vals=(q.argmax(-1) + p.int_min).tolist() if nf else None)
            zL = ex.rollout(plan, z0, w.repeat_interleave(E, 0), alpha)
            lat = ex.loss(sp, zL, R, alpha).view(R, E).mean(1)                     # (R,)
            loss = loss + cfg.latent_weight * lat.sum()
        # grounded samples on the real machine
        lp_np = logp.detach().numpy()
        q_np = q.detach().numpy()
        all_progs, all_allowed, adv, vals_all, rs = [], [], [], [], []
        n_fit = [0]
        for r in range(R):
            n = cfg.samples
            if nf:
                qq = (1 - cfg.explore) * q_np[r, :nf] + cfg.explore / n_int                  # (nf, n_int)
                vals = np.stack([rng.choice(n_int, size=n, p=qq[j] / qq[j].sum()) for j in range(nf)], 1)
            else:
                vals = np.zeros((n, 0), dtype=np.int64)
            consts = [tuple(int(v) + p.int_min for v in row) for row in vals]
            hits = []

            def visit(b, t, state, prefix):
                if state not in met_seen:
                    met_seen.add(state)
                    if meet.check(state, len(sp.free_used(prefix))):
                        hits.append((b, t))
            progs, allowed, finals = sp.sample(lp_np[r], n, rng, consts, cfg.explore, visit if meet else None)
            cand += n
            for b, t in hits:
                res = _complete(sp, task, p, meet, progs[b, :t + 1], consts[b], t0, clock)
                if res:
                    _export(prior_out, theta, q, sp, pool)
                    res.candidates = cand
                    return res
            if nf and cfg.fit_constants:      # choose the first used free constant of each skeleton on example 0
                order = np.argsort(-q_np[r, :nf], axis=-1) + p.int_min                            # (nf, n_int)
                for b in range(n):
                    key = sp.strip(progs[b])
                    used = sp.free_used(key)
                    if not used:
                        continue
                    hit = fitted.get(key)
                    if hit is None:
                        if n_fit[0] >= cfg.fit_per_step or clock() > deadline:
                            continue
                        n_fit[0] += 1
                        cs, fin, runs = sp.fit_constant(key, consts[b], used[0], order[used[0]])
                        cand += runs
                        hit = fitted[key] = (cs, fin)
                    consts[b], finals[b] = hit
                    vals[b] = np.array(hit[0]) - p.int_min
            rew = np.array([sp.reward(f, alpha) for f in finals])
            for b, f in enumerate(finals):
                if f is not None and sp.matches(f):
                    res = found(progs[b], consts[b])
                    if res:
                        _export(prior_out, theta, q, sp, pool)
                        res.candidates = cand
                        return res
                if f is not None and nf:
                    key = sp.strip(progs[b])
                    if sp.free_used(key):
                        sg = sp.reward(f, 0.5)
                        if sg > pool.get(key, -1):
                            pool[key] = sg
            best_r[r] = max(best_r[r], rew.max())
            all_progs.append(progs)
            all_allowed.append(allowed)
            adv.append(rew - rew.mean())
            vals_all.append(vals)
            rs.append(rew)
        if cfg.reinforce_weight > 0:
            progs_t = torch.from_numpy(np.stack(all_progs))                        # (R, n, L)
            allowed_t = torch.from_numpy(np.stack(all_allowed)) & static           # (R, n, L, V)
            allowed_t = allowed_t | torch.nn.functional.one_hot(progs_t, V).bool()
            lg = torch.where(allowed_t, (theta / tau)[:, None], neg)
            lps = torch.log_softmax(lg, -1).gather(-1, progs_t[..., None])[..., 0].sum(-1)   # (R, n)
            adv_t = torch.from_numpy(np.stack(adv)).float()
            rl = -(adv_t * lps).mean(1).sum()
            if nf:
                used = torch.zeros(R, cfg.samples, nf)
                for r in range(R):
                    for b in range(cfg.samples):
                        for j in sp.free_used(all_progs[r][b]):
                            used[r, b, j] = 1.0
                lq = torch.log_softmax(phi[:, :nf] / tau, -1)                      # (R, nf, n_int)
                vi = torch.from_numpy(np.stack(vals_all)).long()                   # (R, n, nf)
                lqv = lq[:, None].expand(R, cfg.samples, nf, n_int).gather(-1, vi[..., None])[..., 0]
                rl = rl - (adv_t[..., None] * lqv * used).mean(1).sum()
            loss = loss + cfg.reinforce_weight * rl
        ent = -(w * logp).sum(-1).mean()
        loss = loss + ent_w * ent * R
        if loss.requires_grad:
            opt.step(torch.autograd.grad(loss, [theta, phi], allow_unused=True))
        step += 1
        if step % cfg.decode_every == 0 or clock() >= deadline:
            res, n_run = _decode(sp, task, p, cfg, logp.detach(), q.detach(), tried, swept, pool, found,
                                 deadline, clock)
            cand += n_run
            if res:
                _export(prior_out, theta, q, sp, pool)
                res.candidates = cand
                return res
        if step % cfg.cycle_steps == 0:       # new cycle: the worst half of the restarts start again
            worst = np.argsort(best_r)[: R // 2]
            th, ph = fresh(len(worst))
            with torch.no_grad():
                theta[worst] = th
                phi[worst] = ph
            opt.reset(worst)
            best_r[worst] = 0
    _export(prior_out, theta, torch.softmax(phi.detach(), -1), sp, pool)
    return unsolved(task, clock() - t0, "gradient", cand)


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
