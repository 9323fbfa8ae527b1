"""Enumerative baseline: breadth-first by program length, with observational-equivalence pruning.

    from synth.search.enumerate import enumerate_search, EnumerateConfig
    res = enumerate_search(task, time_limit=5.0, profile=None, config=EnumerateConfig(prune=True))

How it searches (the loop is synth/search/bfs.py, shared with the hybrid). A search *state* is the tuple of
every example's current stack. Level L holds the states first reached by a program of L items; each is
expanded by every item (the profile's ops, `c0..` for the task's given constants, literals from `literals`,
and free constants), and a new state is kept only if no program reached it before. Every new state is checked
against the outputs; a hit is verified by the real machine (`synth.search.base.verify`) before it is reported.

Free constants. A task may allow `free_constants` further int constants (else `free_constants` here). A free
constant is a push of a value drawn from `free_min..free_max` (clipped to the profile) plus the ints of the
task's outputs and inputs (minus the literal pool, which covers those); the first distinct value used is
`c{len(given)}`, the next `c{len(given)+1}`, ..., and the values are reported in `constants`. A state is
identified by its stacks only, so of two programs reaching the same stacks the first wins even if it binds
more free constants (rarely matters; noted for completeness). With `solve_tail`, the common ending
`c add|sub|mul` is not enumerated value by value: while level L is expanded, each state whose top int can
become the output's by adding, subtracting or multiplying one constant gets that constant solved from the
examples (any int of the profile, not just the pool); such a program of L + 1 items is returned once level L
is finished without a shorter solution (or at the time limit).

Abstract pruning (`prune: true`). An item is skipped when the types it leaves cannot reach the output's types
within the remaining length, when that is below `prune_horizon` (further out nearly everything is reachable,
and the exact answer costs seconds on `deepcoder`): with `dsl.graph`'s reachability table at the type level
(constants and literals enter it as abstract constants), or, where dsl.graph has no table for the goal, with a
local type-level search (synth/search/space.py `Reach`). With `prune: false` only type-correct items are run.

`candidates` counts the programs run on the examples (type-ill programs are never run and not counted).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from dsl.profiles import Profile
from dsl.tasks import Task

from .base import SearchResult, register_method
from .bfs import BFS


@dataclass
class EnumerateConfig:
    max_length: int = 8                  # longest program tried (task max_length and profile max_program cap it)
    free_constants: int = 0              # free int constants when the task does not say
    literals: list[int] = field(default_factory=lambda: [-1, 0, 1, 2, 3, 4, 5, 10])
    free_min: int = -64                  # values a free constant may take (clipped to the profile) ...
    free_max: int = 64                   # ... plus the ints found in the task's examples
    prune: bool = True                   # type-level reachability pruning
    prune_horizon: int = 3               # look-ahead of the pruning (steps); beyond it, assume reachable
    max_states: int = 2_000_000          # states remembered; past it, no new states are stored (bounded memory)
    check_every: int = 32                # expansions between clock checks
    clock: str = "wall"                  # time limit and `seconds` in "wall" time or this process's "cpu" time
    solve_tail: bool = True              # solve for a free constant in a final `c add|sub|mul` (any int value)


def enumerate_search(task: Task, time_limit: float, profile: str | Profile | None = None,
                     config: EnumerateConfig | None = None) -> SearchResult:
    """Shortest program (fewest items) that solves `task`, within `time_limit` seconds (see module doc)."""
    cfg = config or EnumerateConfig()
    return BFS(task, profile, cfg, time_limit, "enumerate").run()


register_method("enumerate", config=EnumerateConfig)(enumerate_search)
register_method("enumerate_noprune", config=EnumerateConfig, section="enumerate",
                defaults={"prune": False})(enumerate_search)
