"""Gradient search: relaxed programs optimised through the evaluator (or the field), annealed from types to values.

    from synth.search import build
    solve = build("gradient", {"restarts": 8, "slots": 6}, checkpoint=None)   # None: the shipped student
    res = solve(task, time_limit=10.0)                                         # SearchResult, verified
    res.info                                   # {"steps": optimiser steps, "min_alpha": lowest alpha, "latent": bool}

Free variables (per task, R restarts in one batch of R x E rows, E examples): logits theta (R, L, V) over the
task's items (ops, constants, literals, `skip`) for each of L slots, and for each free constant logits
phi (R, n_free, n_int) over the profile's ints. One step:
  1. alpha, temperature tau and the entropy weight come from the annealing schedule (alpha 1 -> 0.5 -> 0:
     types, then sign/parity/length, then values), restarted every `cycle_steps` steps;
  2. latent loss: every example's input is encoded (free constants as q-mixtures), the relaxed program
     w = softmax(theta / tau) (masked by the abstract graph: items no type-correct path to the output uses
     are removed per slot) is rolled through the executor, and the decoded final state is compared with the
     output abstracted at level(alpha) (cross-entropy of the evaluator's decoder);
  3. grounded signal (every `ground_every` steps, and every step without a model): `samples` discrete
     programs per restart are drawn from the same distributions (with
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

Executor: `student` (default: the distilled synth/executor, ~25 CPU-ms per relaxed step at 8 restarts x 8 slots
x 3 examples, so >= 300 steps per 10 s task and several annealing cycles) or `evaluator` (the big one: ~15x
slower, for accuracy studies) or `field`. Learned start (`start: guide`): every restart, and every restart
reset at a cycle's end, starts from a walk of the guide (synth/search/gradient_start.py) instead of noise
(the default; `start: noise` is the ablation).
Learned metric (`metric_weight` > 0): the field's learned state metric (synth/field) between the relaxed
run's final latent and the encoded outputs is added to the loss; it is defined over the evaluator's latent
space, so it needs executor evaluator (then the field's own evaluator runs the programs) or field; with the
student it is a loud error.

Code: this file holds the config and the entry points; the loop's state and steps (and the caps that keep the
work per step bounded whatever the number of examples) are in gradient_steps.py, the beam decode, constant
sweeps, backward completion, the REINFORCE term and the per-restart Adam in gradient_decode.py, the guide start in
gradient_start.py.

Registered methods: `gradient` (student), `field` (the field's integration), ablations `gradient_noanneal`
(alpha 0 throughout), `gradient_nomask` (no abstract-graph mask: only each item's own type check),
`gradient_nolatent` (the grounded signal alone, no model), `gradient_nomeet` (no backward completion),
`gradient_noisestart` (restarts from noise, not from the guide).
Without a model for the task's profile (the shipped evaluator and student are for `small`), the latent term is
dropped and a note is printed once.
"""

import sys
from dataclasses import dataclass, field

from dsl.profiles import Profile
from dsl.tasks import Task

from ..guide.api import load_guide_once
from .base import SearchResult, register_method
from .gradient_steps import ROW_COST, _Search  # noqa: F401  (re-exported)


@dataclass
class GradientConfig:
    executor: str = "student"            # student | evaluator | field: how relaxed programs are executed
    latent_weight: float = 1.0           # weight of the decoded-state loss (0: model-free, grounded only)
    reinforce_weight: float = 1.0        # weight of the grounded REINFORCE term
    slots: int = 8                       # L program slots (skip makes shorter programs)
    restarts: int = 8                    # R restarts in one batch
    free_constants: int = 0              # free int constants when the task does not say
    literals: list[int] = field(default_factory=lambda: [-1, 0, 1, 2, 3, 4, 5, 10])
    lr: float = 0.2
    init_noise: float = 0.3
    start: str = "guide"                 # guide | noise: restarts start from the guide's walks or from noise
    start_scale: float = 1.0             # guide start: its logits times this (plus init_noise noise)
    start_const_top: int = 16            # guide start: values per free constant from the constant head
    guide: str | None = None             # guide start: checkpoint (None: the shipped guide of the task's profile)
    skip_bias: float = 0.5               # initial logit of skip (short programs first)
    anneal: bool = True                  # alpha follows `alphas`; false: alpha 0 throughout
    alphas: list[list[float]] = field(default_factory=lambda: [[0.0, 1.0], [0.25, 0.5], [0.5, 0.0]])  # (cycle fraction, alpha)
    cycle_steps: int = 100               # steps per annealing cycle
    tau: list[float] = field(default_factory=lambda: [1.5, 0.5])            # temperature at cycle start, end
    entropy: list[float] = field(default_factory=lambda: [-0.01, 0.02])     # entropy weight at start, end
    metric_weight: float = 0.0           # the field's learned state metric between the relaxed run's latent and the
                                         #   encoded outputs (executor evaluator or field only: its latent space)
    metric_field: str | None = None      # field checkpoint for the metric (None: synth/pretrained/field_small.pt)
    mask: bool = True                    # abstract-graph mask
    samples: int = 8                     # grounded samples per restart per grounded step ...
    ground_every: int = 2                # steps between grounded steps (the others: latent term only)
    sample_runs: int = 4096              # ... fewer when samples x examples would exceed this (at least 4)
    latent_rows: int = 24                # restarts x examples through the model per step (a moving window beyond)
    explore: float = 0.05                # uniform share in the sampling distribution
    decode_every: int = 8                # steps between beam decodes
    beam: int = 16                       # programs per restart from the beam
    const_topk: int = 3                  # values per free constant tried with beam programs
    sweep: bool = True                   # try every int for the free constants of the best skeletons
    sweep_top: int = 8                   # skeletons swept per decode (best sign-level reward, short first)
    fit_constants: bool = True           # sampled skeletons get their first free constant fitted on example 0
    fit_per_step: int = 4                # new skeletons fitted per step (each costs one run per int value)
    meet: bool = True                    # complete sampled prefixes with tails found backward (synth/search/bidir.py)
    meet_depth: int = 3
    meet_budget: float = 0.1             # share of the time limit the backward goals may take to build
    solver: str = "euler"                # field executor: ODE solver, steps per op, mixing
    solver_steps: int = 1
    mix: str = "embedding"
    threads: int = 1                     # torch CPU threads
    clock: str = "wall"                  # time limit in "wall" time or this process's "cpu" time
    seed: int = 0


STARTS = ("noise", "guide")


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
        if cfg.start not in STARTS:
            raise ValueError(f"unknown gradient.start {cfg.start!r}; choose one of {', '.join(STARTS)}")
        self.guide = load_guide_once(cfg.guide) if cfg.start == "guide" and cfg.guide else None
        if cfg.metric_weight > 0:
            self.executor = metric_executor(cfg, checkpoint)
        elif cfg.latent_weight > 0:
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
        return gradient_search(task, time_limit, p, cfg, self.executor, guide=self.guide)


def metric_executor(cfg: GradientConfig, checkpoint: str | None):
    """The executor for `metric_weight` > 0, with `.metric` = the field's learned metric: the field and the
    relaxed runs must share the evaluator's latent space, so the executor is the field's own evaluator (or the
    field itself); the student has another latent space: a loud error."""
    from ..field import load_field
    from .latent import Executor
    if cfg.executor not in ("evaluator", "field"):
        raise ValueError(f"gradient.metric_weight={cfg.metric_weight} needs executor evaluator or field (the "
                         f"field's metric is defined over the evaluator's latent space), not {cfg.executor!r}")
    if cfg.executor == "field":
        fld = load_field(checkpoint if checkpoint is not None else cfg.metric_field)
    else:
        fld = load_field(cfg.metric_field, evaluator=checkpoint)     # refuses an evaluator it was not trained on
    ex = Executor(fld.latent, fld if cfg.executor == "field" else None,
                  solver=cfg.solver, solver_steps=cfg.solver_steps, mix=cfg.mix)
    ex.metric = fld.metric
    return ex


def gradient_search(task: Task, time_limit: float, p: Profile, cfg: GradientConfig, executor=None,
                    prior_out: dict | None = None, meet=None, guide=None) -> SearchResult:
    """The search loop (module docstring). `meet`: backward goals already built (bidir.Meet; the hybrid
    passes its own). `prior_out`, when given, receives the final distributions
    (`theta` (R, L, V) logits, `q` (R, n_free, n_int), the TaskSpace `space`, `best` samples) for the hybrid.
    `guide`: the guide network for `start: guide` (None: cfg.guide's, loaded once). res.info holds the steps
    taken and the lowest alpha reached."""
    s = _Search(task, time_limit, p, cfg, executor, prior_out, meet, guide)
    res = s.first_checks()
    while res is None and s.clock() < s.deadline:
        res = s.step()
    return res if res is not None else s.give_up()


def _method(name: str, **defaults):
    register_method(name, config=GradientConfig, section="gradient", defaults=defaults)(GradientSearch)


_method("gradient")
_method("field", executor="field")
_method("gradient_noanneal", anneal=False)
_method("gradient_nomask", mask=False)
_method("gradient_nolatent", latent_weight=0.0)
_method("gradient_nomeet", meet=False)
_method("gradient_noisestart", start="noise")
