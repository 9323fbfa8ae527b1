"""Trace shards: generate deterministic, resumable trace data; read it back.

    from synth.data.shards import GenerateConfig, generate, iter_runs, iter_steps, steps_of, verify
    manifest = generate("data/small", GenerateConfig(count=1_000_000), workers=2)
    for run in iter_runs("data/small"):          # one dict per program run, shard order
        for constants, before, item, after, error in steps_of(run): ...   # or iter_steps(dir)
    verify("data/small")                         # UserError on a missing or changed shard

A directory holds `shard-00000.jsonl.gz`, ... (JSON Lines, gzip level 1; `compress=false`: `.jsonl`),
one `shard-00000.stats.json` beside each (its sha256, counts and the settings fingerprint; written after
the shard, both atomically) and `manifest.json` (written last). One line is one program run, a docs §7
record plus its trace:

    {"program":"dup mul c0 add","input":[3],"constants":[1],"profile":"small",
     "result":{"ok":true,"stack":[10]},"trace":[[3],[3,3],[9],[9,1],[10]]}

`trace[i]` is the stack before item i and `trace[i+1]` the stack after it; a run failing at item k ends its
trace with the stack before item k (`result` holds the kind and `at`). So a run gives one-step transitions
(`steps_of`) and multi-step rollouts alike. At an abstract `level` the trace holds
`dsl.abstract.abstract_stack(stack, level)` of each stack (e.g. `["int>0,odd","list[2]"]` at `sign`);
`input`, `constants` and `result` stay concrete.

Reading a dataset back (`read_manifest`, `verify`, `iter_runs`, `steps_of`, `iter_steps`): shard_read.py,
re-exported here.

`count` is in trace steps (executed items, a failing one included). Shard i holds runs until it reaches
min(shard_steps, what is left of count), drawn from `random.Random("synth-traces:<seed>:<i>")` alone, so
the output is byte-identical whatever the number of workers. A restart skips every shard whose file
matches its recorded checksum; a directory made with other settings is refused (UserError).
"""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from dsl.sampler import SamplerConfig, code_text, get_sampler

from ..errors import UserError
from ..io import atomic_write_bytes, atomic_write_text
from .shard_read import FORMAT, file_sha256, items_of, iter_runs, iter_steps, read_manifest, steps_of, verify

__all__ = ["FORMAT", "GenerateConfig", "fingerprint", "generate", "items_of", "iter_runs", "iter_steps",
           "make_shard", "read_manifest", "shard_name", "stats_name", "steps_of", "verify"]

_OURS = re.compile(r"^(manifest\.json|shard-\d{5}\.(jsonl|jsonl\.gz|stats\.json)|\.(shard-\d{5}|manifest).*\.tmp)$")
_ENC = json.JSONEncoder(separators=(",", ":"), check_circular=False)
try:  # the C encoder without JSONEncoder.encode's per-call setup: ~2x faster on small values
    from json.encoder import c_make_encoder, encode_basestring_ascii
    _C_ENC = c_make_encoder(None, _ENC.default, encode_basestring_ascii, None, ":", ",", False, False, True)

    def _enc(obj) -> str:
        return "".join(_C_ENC(obj, 0))
except ImportError:  # pragma: no cover - pure-Python json
    _enc = _ENC.encode


def _default_sampler() -> SamplerConfig:
    return SamplerConfig(bad_step_p=0.05)


@dataclass
class GenerateConfig:
    profile: str = "small"
    seed: int = 0
    level: str = "concrete"          # concrete, or a level of dsl.abstract
    count: int = 1_000_000           # trace steps in all (at least: a shard ends with a whole run)
    shard_steps: int = 100_000       # trace steps per shard
    runs_per_program: int = 4        # each sampled program is run on this many inputs
    compress: bool = True            # gzip level 1
    workers: int = 0                 # processes; 0: one per CPU core (does not change the output)
    sampler: SamplerConfig = field(default_factory=_default_sampler)

    def settings(self) -> dict:
        """Everything that determines the output (workers does not)."""
        d = dataclasses.asdict(self)
        d.pop("workers")
        return d


def fingerprint(cfg: GenerateConfig) -> str:
    return hashlib.sha256(json.dumps([FORMAT, cfg.settings()], sort_keys=True).encode()).hexdigest()[:16]


def shard_name(i: int, compress: bool) -> str:
    return f"shard-{i:05d}.jsonl" + (".gz" if compress else "")


def _abstracter(level: str):
    """None for concrete traces, else a function stack -> abstract stack (dsl.abstract: tuples of str)."""
    if level == "concrete":
        return None
    try:
        from dsl.abstract import LEVELS, abstracter
    except ImportError:  # pragma: no cover - dsl.abstract ships with the toolkit
        raise UserError(f"level {level!r} needs dsl.abstract, which is not available; use level concrete") from None
    if level not in LEVELS:
        raise UserError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    f = abstracter(level)
    return lambda st: tuple(map(f, st))


def _check(cfg: GenerateConfig):
    if cfg.count < 1 or cfg.shard_steps < 1 or cfg.runs_per_program < 1:
        raise UserError("count, shard_steps and runs_per_program must be positive")
    try:
        sampler = get_sampler(cfg.profile, cfg.sampler)
    except ValueError as e:
        raise UserError(f"sampler config: {e}") from None
    _abstracter(cfg.level)
    return sampler


# ---- writing ---------------------------------------------------------------------------------------
def make_shard(cfg: GenerateConfig, index: int, budget: int) -> tuple[bytes, dict]:
    """The bytes of shard `index` (runs until `budget` trace steps) and its stats. Pure function of
    (cfg.settings(), index, budget)."""
    s = get_sampler(cfg.profile, cfg.sampler)
    p, absf, R = s.p, _abstracter(cfg.level), cfg.runs_per_program
    rng = random.Random(f"synth-traces:{cfg.seed}:{index}")
    lines, ops, errors = [], [], []
    steps = runs = 0
    prof = _enc(p.name)
    while steps < budget:
        code, consts, outs = s.runs(rng, R)
        names = [x if type(x) is str else "<literal>" for x in code]
        head = '{"program":' + _enc(code_text(code)) + ',"input":'
        mid = ',"constants":' + _enc(consts) + ',"profile":' + prof + ',"result":'
        for stacks, err, at in outs:
            if err is None:
                n, res = len(code), '{"ok":true,"stack":' + _enc(stacks[-1]) + "}"
            else:
                n, res = at + 1, '{"ok":false,"error":"' + err + '","at":' + str(at) + "}"
            tr = stacks if absf is None else [absf(st) for st in stacks]
            lines.append(head + _enc(stacks[0]) + mid + res + ',"trace":' + _enc(tr) + "}\n")
            ops.extend(names[:n])
            errors.append(err or "ok")
            steps += n
            runs += 1
            if steps >= budget:
                break
    data = "".join(lines).encode("ascii")
    if cfg.compress:
        data = gzip.compress(data, compresslevel=1, mtime=0)
    stats = {"file": shard_name(index, cfg.compress), "sha256": hashlib.sha256(data).hexdigest(),
             "runs": runs, "steps": steps, "op_counts": dict(sorted(Counter(ops).items())),
             "error_counts": dict(sorted(Counter(errors).items()))}
    return data, stats


_UMASK = os.umask(0o022)
os.umask(_UMASK)


def _readable(path: Path) -> None:  # atomic writes create 0600 temp files; datasets are for sharing
    os.chmod(path, 0o666 & ~_UMASK)


def _write_shard(job) -> dict:
    out, cfg, index, budget, fp = job
    data, stats = make_shard(cfg, index, budget)
    for path, payload in ((Path(out) / stats["file"], data),
                          (Path(out) / stats_name(index), json.dumps({**stats, "fingerprint": fp}, indent=1).encode())):
        atomic_write_bytes(path, payload)
        _readable(path)
    return stats


def stats_name(i: int) -> str:
    return f"shard-{i:05d}.stats.json"


def _plan(cfg: GenerateConfig) -> list[int]:
    n = -(-cfg.count // cfg.shard_steps)
    return [min(cfg.shard_steps, cfg.count - i * cfg.shard_steps) for i in range(n)]


def _done(out: Path, i: int, cfg: GenerateConfig, fp: str) -> dict | None:
    """The stats of shard i if it is finished and intact; UserError if it belongs to other settings."""
    meta = out / stats_name(i)
    if not meta.exists():
        return None
    try:
        stats = json.loads(meta.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if stats.get("fingerprint") != fp:
        raise UserError(f"{out} holds shards made with other settings ({meta.name}); "
                        "choose another --out or delete it")
    path = out / shard_name(i, cfg.compress)
    if not path.exists() or file_sha256(path) != stats["sha256"]:
        return None
    stats.pop("fingerprint")
    return stats


def _prepare(out: Path, fp: str, settings: dict | None = None) -> dict | None:
    """Check `out` may receive this dataset; the manifest when it is already finished with these settings."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file, not a directory")
    if not out.exists():
        try:
            out.mkdir(parents=True)
        except OSError as e:
            raise UserError(f"--out {out}: cannot create directory: {e.strerror}") from None
        return None
    foreign = sorted(e.name for e in out.iterdir() if not _OURS.match(e.name))
    if foreign:
        raise UserError(f"--out {out} holds other files ({foreign[0]}, ...); give an empty or new directory")
    for e in out.iterdir():
        if e.name.endswith(".tmp"):
            e.unlink()  # left by a killed run (ours: the name pattern above)
    man = out / "manifest.json"
    if man.exists():
        try:
            manifest = json.loads(man.read_text())
        except json.JSONDecodeError:
            raise UserError(f"{man}: not valid JSON; delete it to regenerate") from None
        if manifest.get("fingerprint") != fp:
            from ..config import describe, diff
            changed = diff(manifest.get("config") or {}, settings or {})
            what = describe(changed) if changed else "the format version"
            raise UserError(f"{out} holds a finished dataset made with other settings ({what}); "
                            "choose another --out or delete it")
        return manifest
    return None


def generate(out: str | Path, cfg: GenerateConfig, workers: int | None = None, progress: bool = True) -> dict:
    """Write (or finish) the dataset of `cfg` in `out`; returns the manifest. `workers` overrides cfg.workers."""
    out = Path(out)
    _check(cfg)
    fp = fingerprint(cfg)
    finished = _prepare(out, fp, cfg.settings())
    budgets = _plan(cfg)
    stats = {i: _done(out, i, cfg, fp) for i in range(len(budgets))}
    todo = [i for i, st in stats.items() if st is None]
    if finished is not None and not todo:
        return finished
    workers = workers if workers is not None else cfg.workers
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    jobs = [(str(out), cfg, i, budgets[i], fp) for i in todo]
    from tqdm import tqdm
    done_steps = sum(st["steps"] for st in stats.values() if st)
    bar = tqdm(total=sum(budgets), initial=done_steps, unit="step", unit_scale=True, file=sys.stderr,
               disable=not progress, desc=f"traces {out.name}", dynamic_ncols=True)
    try:
        if workers == 1:
            for job in jobs:
                st = _write_shard(job)
                stats[job[2]] = st
                bar.update(st["steps"])
        else:
            import multiprocessing as mp
            ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
            with ctx.Pool(workers) as pool:
                for st in pool.imap_unordered(_write_shard, jobs):
                    stats[int(st["file"][6:11])] = st
                    bar.update(st["steps"])
    finally:
        bar.close()
    manifest = _manifest(cfg, fp, [stats[i] for i in range(len(budgets))])
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=1) + "\n")
    _readable(out / "manifest.json")
    return manifest


def _manifest(cfg: GenerateConfig, fp: str, shards: list[dict]) -> dict:
    ops, errors = Counter(), Counter()
    for st in shards:
        ops.update(st["op_counts"])
        errors.update(st["error_counts"])
    return {"format": FORMAT, "profile": cfg.profile, "seed": cfg.seed, "level": cfg.level,
            "count": cfg.count, "shard_steps": cfg.shard_steps,
            "runs": sum(st["runs"] for st in shards), "steps": sum(st["steps"] for st in shards),
            "op_counts": dict(sorted(ops.items())), "error_counts": dict(sorted(errors.items())),
            "shards": [{k: st[k] for k in ("file", "sha256", "runs", "steps")} for st in shards],
            "config": cfg.settings(), "fingerprint": fp}
