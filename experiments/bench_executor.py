"""The gradient search's executors side by side: ms per relaxed optimiser step, steps per 10 s, held-out exact match.

    python experiments/bench_executor.py                       # evaluator vs the shipped student; writes
                                                               #   experiments/results/executor.md
    python experiments/bench_executor.py --student runs/executor_small/executor.pt --steps 50 --no-heldout
    python experiments/bench_executor.py --loop 1,5,8 --loop-variants --extra "student (float32)=runs/executor_small/executor.pt"

One relaxed optimiser step, as the gradient search takes it (synth.search.gradient, latent term only), on one
thread: R = 8 restarts x L = 8 slots x E = 5 examples of a hard-suite task with one free constant: softmax of
the logits theta (R, L, V) and of the free constant's phi (R, 1, n_int), encode every example (the free
constant as a q-mixture), roll the relaxed program through the executor (synth.search.latent.Executor: the
same code for both), the decoder cross-entropy to the outputs, backward to theta and phi, an Adam step. CPU time
(time.process_time) and wall time are both printed: the development machine is shared, so wall time is
inflated by other jobs; CPU time is the fairer figure. The student has no attention (so no
nn.TransformerEncoder baseline is needed). Held-out exact match: datasets/heldout/small_runs.jsonl scored by
synth.executor.evaluate.score (eval-evaluator's reading, judging and summary, for both). `--loop 1,5,8` also runs
the real gradient_search for 10 CPU s on those tasks of the hard suite with each executor and counts its
optimiser steps (rollout calls; the sampling on the real machine, decodes and sweeps share those 10 s);
`--loop-variants` adds the student under lighter grounded sampling.
"""
from __future__ import annotations

import argparse
import json
import shlex
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent


def _space(task_line: str, slots: int):
    from dsl import get_profile
    from dsl.tasks import parse_tasks
    from synth.search.gradient import GradientConfig
    from synth.search.space import TaskSpace
    task = parse_tasks(task_line)[0]
    cfg = GradientConfig()
    return task, TaskSpace(task, get_profile("small"), 1, cfg.literals, slots)


def time_steps(ex, sp, R: int, steps: int, repeats: int = 3, warm: int = 2) -> dict:
    """CPU and wall ms per relaxed optimiser step (module docstring): the best of `repeats` blocks of `steps`."""
    from synth.search.gradient_decode import Adam as _Adam
    E, nf = len(sp.inputs), sp.n_free
    g = torch.Generator().manual_seed(0)
    theta = (torch.randn(R, sp.L, sp.V, generator=g) * 0.3).requires_grad_(True)
    phi = (torch.randn(R, nf, len(sp.int_values), generator=g) * 0.3).requires_grad_(True)
    opt = _Adam([theta, phi], 0.2)
    plan = ex.plan(sp)

    def step():
        w, q = torch.softmax(theta, -1), torch.softmax(phi, -1)                     # (R, L, V), (R, nf, n_int)
        z0 = ex.encode(sp, R, q, 0.0, free_vals=(q.argmax(-1) + sp.p.int_min).tolist())
        zL = ex.rollout(plan, z0, w.repeat_interleave(E, 0), 0.0)                   # (R E, S|T, C)
        loss = ex.loss(sp, zL, R, 0.0).sum()
        opt.step(torch.autograd.grad(loss, [theta, phi]))

    for _ in range(warm):
        step()
    cpus, walls = [], []
    for _ in range(repeats):            # the best block of `steps` (timeit's rule: the others were disturbed)
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(steps):
            step()
        cpus.append((time.process_time() - c0) / steps)
        walls.append((time.perf_counter() - w0) / steps)
    cpu, wall = min(cpus), min(walls)
    return {"cpu_ms": round(1000 * cpu, 1), "wall_ms": round(1000 * wall, 1),
            "steps_per_10s_cpu": int(10 / cpu), "steps_per_10s_wall": int(10 / wall), "steps_timed": steps,
            "repeats": repeats, "cpu_ms_median": round(1000 * sorted(cpus)[len(cpus) // 2], 1)}


class _Counting:
    """An executor that counts rollout calls (one per optimiser step of gradient_search)."""

    def __init__(self, ex):
        self.ex, self.n = ex, 0

    def __getattr__(self, name):
        return getattr(self.ex, name)

    def rollout(self, *a, **k):
        self.n += 1
        return self.ex.rollout(*a, **k)


LIGHTER = {"samples=8 fit_per_step=4": {"samples": 8, "fit_per_step": 4},
           "latent term only": {"reinforce_weight": 0.0, "samples": 1, "fit_constants": False}}


def loop_steps(ex, lines: list[str], seconds: float, **over) -> list[dict]:
    from dsl import get_profile
    from dsl.tasks import parse_tasks
    from synth.search.gradient import GradientConfig, gradient_search
    out = []
    for line in lines:
        task = parse_tasks(line)[0]
        cex = _Counting(ex)
        res = gradient_search(task, seconds, get_profile("small"), GradientConfig(clock="cpu", **over), cex)
        out.append({"task": task.name, "steps": cex.n, "solved": res.solved})
    return out


def heldout(ev, traces: str) -> dict:
    from synth.executor.evaluate import codec_score, score
    t0 = time.perf_counter()
    rep = score(ev, traces)
    codec = codec_score(ev, traces)
    pl = rep["per_length"]
    one = rep["one_op"]
    return {"one_op": pl.get("1"), "2_op": pl.get("2"), "3_op": pl.get("3"), "4_op": pl.get("4"),
            "all": rep["exact_match"], "codec": codec, "ops_ge_0.97": f"{sum(v >= 0.97 for v in one.values())}/{len(one)}",
            "worst_ops": sorted(one, key=one.get)[:6], "worst_vals": sorted(one.values())[:6],
            "seconds": round(time.perf_counter() - t0, 1), "one_op_by_op": one}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--evaluator", default=None, help="evaluator checkpoint (default: the shipped one)")
    ap.add_argument("--student", default=None, help="student checkpoint (default: the shipped one)")
    ap.add_argument("--suite", default=str(ROOT / "datasets" / "hard" / "small.jsonl"))
    ap.add_argument("--task", type=int, default=2, help="index of the hard-suite task timed (one free constant)")
    ap.add_argument("--restarts", type=int, default=8)
    ap.add_argument("--slots", type=int, default=8)
    ap.add_argument("--steps", type=int, default=30, help="timed steps per block for the student (evaluator: steps // 10, >= 3)")
    ap.add_argument("--repeats", type=int, default=5, help="timed blocks per executor; the best is reported")
    ap.add_argument("--no-heldout", action="store_true")
    ap.add_argument("--traces", default=str(ROOT / "datasets" / "heldout" / "small_runs.jsonl"))
    ap.add_argument("--loop", default="", help="also run gradient_search on these hard tasks (indices, e.g. 1,5,8)")
    ap.add_argument("--loop-variants", action="store_true",
                    help="with --loop: also the student under lighter grounded sampling (LIGHTER configs)")
    ap.add_argument("--loop-seconds", type=float, default=10.0, help="CPU seconds per task of --loop")
    ap.add_argument("--extra", nargs="*", default=[], metavar="NAME=PATH",
                    help="more student checkpoints scored held-out only (e.g. the float32 export)")
    ap.add_argument("--out", default=str(ROOT / "experiments" / "results" / "executor.md"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    from synth.evaluator import load_evaluator
    from synth.executor import load_student, make_student_executor
    from synth.search.latent import make_executor
    lines = [ln for ln in Path(a.suite).read_text().splitlines() if ln.strip()]
    task, sp = _space(lines[a.task], a.slots)
    exs = {"evaluator": make_executor("evaluator", a.evaluator), "student": make_student_executor(a.student)}
    params = {"evaluator": sum(p.numel() for p in exs["evaluator"].m.parameters()),
              "student": sum(p.numel() for p in exs["student"].m.parameters())}
    res = {}
    for name, ex in exs.items():
        n = a.steps if name == "student" else max(3, a.steps // 10)
        res[name] = {"params": params[name], **time_steps(ex, sp, a.restarts, n, a.repeats)}
        print(json.dumps({name: res[name]}), flush=True)
    loop_lines = [lines[int(i)] for i in a.loop.split(",") if i.strip()]
    if loop_lines:
        for name, ex in exs.items():
            res[name]["loop"] = loop_steps(ex, loop_lines, a.loop_seconds)
            print(json.dumps({name: {"loop": res[name]["loop"]}}), flush=True)
        if a.loop_variants:
            for label, over in LIGHTER.items():
                res[f"student, {label}"] = {"loop": loop_steps(exs["student"], loop_lines, a.loop_seconds, **over)}
                print(json.dumps({label: res[f"student, {label}"]}), flush=True)
    if not a.no_heldout:
        evs = {"evaluator": load_evaluator(a.evaluator), "student": load_student(a.student)}
        for spec in a.extra:
            name, _, path = spec.partition("=")
            evs[name] = load_student(path)
            res[name] = {"params": sum(p.numel() for p in evs[name].model.parameters()), "checkpoint": path}
        for name, ev in evs.items():
            res[name]["heldout"] = heldout(ev, a.traces)
            print(json.dumps({name: {k: v for k, v in res[name]["heldout"].items() if k != "one_op_by_op"}}),
                  flush=True)
    meta = load_student(a.student).meta
    write_md(a, task.name, sp, res, meta)


def write_md(a, task: str, sp, res: dict, meta: dict) -> None:
    import platform
    import subprocess
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else ["?"]
    lines = ["# Executors for the gradient search: speed and held-out accuracy", "",
             f"`python experiments/bench_executor.py {shlex.join(sys_args())}`", "",
             f"Machine: {platform.processor() or platform.machine()}, 1 torch thread, load average "
             f"{' '.join(load)} at the end (a shared 2-core machine: wall times are inflated; CPU time is the "
             "fairer figure).", "",
             f"One relaxed optimiser step: {a.restarts} restarts x {a.slots} slots x {len(sp.inputs)} examples, "
             f"task `{task}` ({sp.V} items, 1 free constant): encode + {a.slots} relaxed steps + decoder loss + "
             "backward to the op logits and the constant + Adam, through synth.search.latent.Executor.", "",
             "| executor | parameters | CPU ms / step (best block) | steps per 10 s (CPU) | CPU ms (median block) "
             "| wall ms / step | steps per 10 s (wall) |",
             "|---|---|---|---|---|---|---|"]
    for name, r in res.items():
        if "cpu_ms" not in r:
            continue
        lines.append(f"| {name} | {r['params'] / 1e6:.2f}M | {r['cpu_ms']} | {r['steps_per_10s_cpu']} | "
                     f"{r['cpu_ms_median']} | {r['wall_ms']} | {r['steps_per_10s_wall']} |")
    if any("heldout" in r for r in res.values()):
        traces = Path(a.traces).relative_to(ROOT) if Path(a.traces).is_relative_to(ROOT) else a.traces
        lines += ["", f"Held-out exact match (`{traces}`, "
                  "programs rolled out in latent space and decoded once; synth.executor.evaluate.score):", "",
                  "| executor | input decoded (0 ops) | one op | 2 ops | 3 ops | 4 ops | all | ops >= 0.97 "
                  "| weakest one-op ops |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for name, r in res.items():
            h = r.get("heldout")
            if h:
                weak = ", ".join(f"`{o}` {v:.2f}" for o, v in zip(h["worst_ops"], h["worst_vals"]))
                lines.append(f"| {name} | {h['codec']:.3f} | {h['one_op']:.3f} | {h['2_op']:.3f} | {h['3_op']:.3f} | {h['4_op']:.3f} | "
                             f"{h['all']:.3f} | {h['ops_ge_0.97']} | {weak} |")
    if any("loop" in r for r in res.values()):
        lines += ["", f"Optimiser steps of the real gradient_search in {a.loop_seconds:g} CPU s per task (default "
                  "GradientConfig; sampling, decodes and sweeps share the time):", "",
                  "| executor | " + " | ".join(x["task"] for x in next(iter(res.values()))["loop"]) + " |",
                  "|---|" + "---|" * len(next(iter(res.values()))["loop"])]
        for name, r in res.items():
            if "loop" not in r:
                continue
            lines.append(f"| {name} | " + " | ".join(f"{x['steps']}{' (solved)' if x['solved'] else ''}"
                                                      for x in r["loop"]) + " |")
    lines += ["", "Student checkpoint: " + ", ".join(f"{k} `{meta.get(k)}`" for k in ("command", "commit", "data_seed")),
              f"(trained steps: {meta.get('config', {}).get('train', {}).get('steps')}, teacher {meta.get('teacher')!r}).", ""]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip()
        lines.append(f"Measured at commit {head}.")
    except OSError:
        pass
    lines += ["", "```json", json.dumps(res, indent=1), "```", ""]
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text("\n".join(lines))
    print(f"wrote {a.out}")


def sys_args() -> list[str]:
    import sys
    return sys.argv[1:]


if __name__ == "__main__":
    main()
