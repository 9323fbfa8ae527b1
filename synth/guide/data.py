"""Training data of the guide: sampled tasks, semantically deduplicated, teacher-forced states. No torch.

    from synth.guide.data import sample_tasks, build_arrays, load_or_build
    recs = sample_tasks("small", n=1000, seed=1000)        # task records (dicts), deterministic
    arr = build_arrays(recs)                               # dict of numpy arrays, one row per state
    arr = load_or_build("runs/guide_small", "small", 10000, 1000, short_sets=40)   # cached task records

Tasks. The `small` stream is sampler tasks; the `deepcoder` stream alternates: task i is a sampler task
(j = i // 2 below) for even i and a DeepCoder-style program (dsl/deepcoder.py, the generator of the
DeepCoder-DSL suites, with the string seeds `guide:dc:{seed}:{i}`) of 1 + (i // 2) % 8 statements for odd i.
Sampler task j has a reference program of 1 + j % 10 items drawn by `dsl.sampler.sample_task`
(5 distinct example inputs, outputs = the final top value), and kind j % 5 as in
experiments/make_hard_suites.py: 0-2 plain (the sampler may give constants), 3 one hidden int constant,
4 two hidden ones, redrawn far from the literal pool (|c| in 11..64 for small, 65..255 for deepcoder; every
hidden constant must matter). Hidden constants are renumbered in order of first use (c0 first), as the
search binds them. Seeds are strings `guide:{profile}:{seed}:{i}` (the suites use integer seeds 11, 12 and
their own string seeds), and a task whose examples equal a suite task's is dropped.

Semantic deduplication (cheap, sufficient for teacher forcing): a task is dropped when its outputs are all
equal or all equal the input's top, when two prefixes of its program leave the same stacks on every example,
or when deleting any segment of 1..3 items leaves a program that still gives the same outputs (a shorter
program does). Not covered here: shorter programs that are not a deletion of the reference (e.g. `dup add`
for `double`). Programs of 1 and 2 items are also enumerated exhaustively (synth/guide/short.py).

States. A program of L items gives L + 1 states (after 0..L items); each row holds the features of the
state (synth.guide.features), the profile, the next item's vocabulary id (-1 after the last item), the
remaining length L - k, and per free-constant slot the value still to be bound (or -1).
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from dsl import get_profile, parse
from dsl.machine import apply
from dsl.ops import CONST_INDEX, Fail
from dsl.redundancy import outputs, redundant, shorter_equivalent
from dsl.deepcoder import draw_task as draw_deepcoder
from dsl.sampler import sample_task
from dsl.sampling import far_constant

from .features import INT_LO, LITERALS, MAX_REM, PROFILES, Featurizer, item_id

N_EX = 5


def suite_keys(root: Path | None = None) -> set:
    """repr of the examples of every task in datasets/ (to keep training tasks off the suites)."""
    root = root or Path(__file__).resolve().parents[2] / "datasets"
    keys = set()
    for f in root.rglob("*.jsonl"):
        for line in f.read_text().splitlines():
            try:
                d = json.loads(line)
            except ValueError:
                continue
            if isinstance(d, dict) and "examples" in d:
                keys.add(repr([(e["input"], e["output"]) for e in d["examples"]]))
    return keys


def draw(profile: str, seed: int, i: int, keys: set = frozenset(), tries: int = 6) -> dict | None:
    """Task i of the stream (None when `tries` candidates were all dropped)."""
    if profile == "deepcoder" and i % 2:
        return _draw_dc(random.Random(f"guide:dc:{seed}:{i}"), 1 + (i // 2) % 8, keys, 100 * tries)
    rng = random.Random(f"guide:{profile}:{seed}:{i}")
    j = i // 2 if profile == "deepcoder" else i
    for _ in range(tries):
        r = _draw(rng, profile, j, keys)
        if r is not None:
            return r
    return None


def _draw(rng: random.Random, profile: str, i: int, keys) -> dict | None:
    p = get_profile(profile)
    length, kind = 1 + i % 10, i % 5
    nfree = {3: 1, 4: 2}.get(kind, 0)
    try:
        t = sample_task(rng, profile, length=length, n_examples=N_EX, free_constants=bool(nfree),
                        n_consts=nfree if nfree else None, literal_p=0.03)
    except ValueError:
        return None
    code = list(parse(t.program, p).code)
    if any(type(c) is tuple and (type(c[0]) is not int or c[0] not in LITERALS) for c in code):
        return None               # a literal outside the search's pool
    inputs = [ex.input for ex in t.examples]
    given = tuple(t.constants)
    free = ()
    if nfree:
        order = []
        for c in code:
            if type(c) is str and c in CONST_INDEX and CONST_INDEX[c] not in order:
                order.append(CONST_INDEX[c])
        code = [f"c{order.index(CONST_INDEX[c])}" if type(c) is str and c in CONST_INDEX else c for c in code]
        for _ in range(30):
            free = tuple(far_constant(rng, profile) for _ in range(nfree))
            outs = outputs(code, inputs, free, p)
            if outs is None:
                continue
            other = tuple(far_constant(rng, profile) for _ in range(nfree))
            if all(outputs(code, inputs, free[:k] + other[k:k + 1] + free[k + 1:], p) != outs for k in range(nfree)):
                break
        else:
            return None
    consts = given + free
    outs = outputs(code, inputs, consts, p)
    if outs is None or len({repr(o) for o in outs}) == 1:
        return None
    if all(s and repr(o) == repr(tuple(s[-1:])) for s, o in zip(inputs, outs)):
        return None
    if redundant(code, inputs, consts, p) or shorter_equivalent(code, inputs, consts, p, outs):
        return None
    if keys and suite_key(inputs, outs) in keys:
        return None
    return {"profile": profile, "inputs": inputs, "outputs": outs, "given": given, "free": free, "code": code}


def _draw_dc(rng: random.Random, n_stmts: int, keys, tries: int) -> dict | None:
    p = get_profile("deepcoder")
    for _ in range(tries):
        t = draw_deepcoder(rng, n_stmts)
        if t is None:
            continue
        inputs = [tuple(tuple(v) if type(v) is list else v for v in e["input"]) for e in t["examples"]]
        code = t["code"]
        outs = outputs(code, inputs, (), p)
        if redundant(code, inputs, (), p) or shorter_equivalent(code, inputs, (), p, outs):
            continue
        if keys and suite_key(inputs, outs) in keys:
            continue
        return {"profile": "deepcoder", "inputs": inputs, "outputs": outs, "given": (), "free": (), "code": code}
    return None


def suite_key(inputs, outs) -> str:
    """The key of a task's examples (stacks as tuples) in suite_keys()."""
    return repr([(list(_j(s)), list(_j(o))) for s, o in zip(inputs, outs)])


def _j(vals):
    return [list(v) if type(v) is tuple else v for v in vals]


def sample_tasks(profile: str, n: int, seed: int, keys: set | None = None, start: int = 0) -> list[dict]:
    """Records of the tasks i = start.. of the stream until n are kept."""
    keys = suite_keys() if keys is None else keys
    out, i = [], start
    while len(out) < n:
        r = draw(profile, seed, i, keys)
        i += 1
        if r is not None:
            out.append(r)
    return out


def states_of(rec: dict):
    """(state, bound, next code item or None, remaining) for every prefix of the record's program."""
    p = get_profile(rec["profile"])
    consts = tuple(rec["given"]) + tuple(rec["free"])
    stacks = [list(s) for s in rec["inputs"]]
    code, ng = rec["code"], len(rec["given"])
    bound = []
    for k in range(len(code) + 1):
        yield tuple(tuple(s) for s in stacks), tuple(bound), (code[k] if k < len(code) else None), len(code) - k
        if k < len(code):
            c = code[k]
            if type(c) is str and c in CONST_INDEX and CONST_INDEX[c] >= ng and len(bound) <= CONST_INDEX[c] - ng:
                bound.append(consts[CONST_INDEX[c]])
            for s in stacks:
                try:
                    apply(c, s, consts, p)
                except Fail:       # cannot happen: the outputs were computed by the same runs
                    raise AssertionError(rec)


def build_arrays(recs: list[dict]) -> dict:
    """Rows of every state of every record: x (N, E, SLOTS, F) uint8, prof (N,), item (N,), rem (N,),
    const (N, 2) (value - INT_LO of the free constant still to bind in that slot, else -1)."""
    xs, prof, item, rem, const = [], [], [], [], []
    for rec in recs:
        fz = Featurizer(rec["outputs"], rec["given"], len(rec["free"]))
        pid = PROFILES.index(rec["profile"])
        for state, bound, nxt, r in states_of(rec):
            xs.append(fz.state(state, bound))
            prof.append(pid)
            item.append(-1 if nxt is None else item_id(nxt))
            rem.append(min(r, MAX_REM))
            cs = [-1, -1]
            for j, v in enumerate(rec["free"][:2]):
                if j >= len(bound):
                    cs[j] = v - INT_LO
            const.append(cs)
    return {"x": np.stack(xs), "prof": np.array(prof, np.int64), "item": np.array(item, np.int64),
            "rem": np.array(rem, np.int64), "const": np.array(const, np.int64)}


def load_or_build(folder: str | Path, profile: str, n: int, seed: int, log=None, chunk: int = 1000,
                  stride: int = 1000, short_sets: int = 0) -> dict:
    """The arrays (build_arrays) of the short programs on `short_sets` input sets (synth/guide/short.py)
    followed by the kept tasks among the draws start..start + chunk - 1 of the stream (profile, seed) for
    start = 0, stride, 2 * stride, ... < n. The task records are cached in folder (tasks_{profile}_{seed}_
    {start}.pkl.gz per chunk, short_{profile}_{seed}_{short_sets}.pkl.gz), so a larger `n` reuses them,
    several processes may build disjoint chunks, and changing the features does not redraw the tasks."""
    recs = []
    if short_sets:
        from .short import short_tasks
        recs += cached(Path(folder) / f"short_{profile}_{seed}_{short_sets}.pkl.gz",
                        lambda: short_tasks(profile, short_sets, seed, suite_keys()), log)
    for start in range(0, n, stride):
        recs += load_chunk(folder, profile, seed, start, min(chunk, n - start), log)
    return build_arrays(recs)


def load_chunk(folder: str | Path, profile: str, seed: int, start: int, chunk: int = 1000, log=None) -> list[dict]:
    def make():
        keys = suite_keys()
        return [r for i in range(start, start + chunk) if (r := draw(profile, seed, i, keys)) is not None]
    part = "" if chunk == 1000 else f"_{chunk}"           # a short chunk (small runs) is cached apart
    return cached(Path(folder) / f"tasks_{profile}_{seed}_{start}{part}.pkl.gz", make, log)


def cached(path: Path, make, log=None) -> list[dict]:
    """The records pickled at path, or make()'s, written there atomically first."""
    import gzip
    import os
    import pickle
    if path.exists():
        with gzip.open(path, "rb") as f:
            return pickle.load(f)
    recs = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with gzip.open(tmp, "wb") as f:
        pickle.dump(recs, f)
    tmp.rename(path)
    if log:
        log(f"guide data: {path.name}: {len(recs)} tasks")
    return recs
