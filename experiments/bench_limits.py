"""Does every search method keep its time limit and bounded memory whatever the task's size?

    python experiments/bench_limits.py                                   # every method, 5/100/1000/max examples
    python experiments/bench_limits.py --methods gradient,default --sizes 5,100 --time-limit 2
    python experiments/bench_limits.py --out experiments/results/limits.md

For each (method, number of examples E) it writes a task of E examples to a temporary file (inputs drawn
at random, outputs those of a fixed 9-item program that no method finds in a few seconds, so every run uses
its whole limit), runs `synth search --io FILE --method M --time-limit T` in its own process, and reports
the search's own seconds (the `seconds` of its result: what the time limit governs), the wall seconds of the
whole process (Python start, imports and model loading included) and its peak RSS. A watchdog polls
/proc every 50 ms and kills a process whose RSS passes --rss-cap (reported as `killed`), so one runaway case
cannot take the machine down; the peak is also read from getrusage(RUSAGE_CHILDREN) after it exits.
Goal (issue 19): search seconds <= T + 1 s and peak RSS <= 1.5 GB at any E up to the task-file limit
(dsl.tasks.MAX_EXAMPLES). `max` in --sizes means that limit.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROGRAM = "dup dup mul swap 3 mul sub c0 add 7 mod"   # (x*x - 3x + c0) mod 7: out of reach in seconds


def make_task(n: int, seed: int = 0) -> dict:
    from dsl import get_profile, parse, run
    p = get_profile("small")
    prog = parse(PROGRAM, p)
    rnd = random.Random(seed)
    exs = []
    for _ in range(100 * n):
        if len(exs) == n:
            break
        x = rnd.randint(-20, 20)
        r = run(prog, [x], (5,), p)
        if r.ok:
            exs.append({"input": [x], "output": list(r.stack)})
    assert len(exs) == n, PROGRAM
    return {"name": f"limits-{n}", "examples": exs, "constants": [5]}


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(method: str, path: str, time_limit: float, cap_mb: int) -> dict:
    """Wall seconds, peak RSS (MB), solved flag and exit status of one `synth search` process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "synth.cli", "search", "--io", path, "--method", method,
                             "--time-limit", str(time_limit)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak, killed = 0, False
    while proc.poll() is None:
        rss = _rss_kb(proc.pid)
        peak = max(peak, rss)
        if rss > cap_mb * 1024:
            proc.kill()
            killed = True
            break
        time.sleep(0.05)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss   # max over all children so far (KB)
    if after > before:
        peak = max(peak, after)
    solved, search_s = None, float("nan")
    for line in out.splitlines():
        if line.startswith("{"):
            res = json.loads(line)
            solved, search_s = res.get("solved"), res.get("seconds", search_s)
    last = err.strip().splitlines()[-1] if err.strip() else ""
    return {"wall": wall, "search_s": search_s, "rss_mb": peak / 1024, "killed": killed, "rc": proc.returncode, "solved": solved,
            "err": last if proc.returncode else ""}


def main() -> None:
    from dsl.tasks import MAX_EXAMPLES
    from synth.search import method_names
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="all", help="comma-separated, or all (every registered method)")
    ap.add_argument("--sizes", default="5,100,1000,max", help="numbers of examples; max = the task-file limit")
    ap.add_argument("--time-limit", type=float, default=2.0)
    ap.add_argument("--rss-cap", type=int, default=4000, help="MB: kill a run past this (default 4000)")
    ap.add_argument("--out", help="also write the table (markdown) here")
    ap.add_argument("--append", action="store_true", help="append the table to --out instead of replacing it")
    a = ap.parse_args()
    methods = method_names() if a.methods == "all" else a.methods.split(",")
    sizes = sorted({MAX_EXAMPLES if s == "max" else int(s) for s in a.sizes.split(",")})
    rows = []
    head = (f"| method | examples | search s | process wall s | peak RSS MB | search within {a.time_limit:g}+1 s | "
            f"<= 1.5 GB | note |\n|---|---|---|---|---|---|---|---|")
    print(head, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for n in sizes:
            files[n] = os.path.join(tmp, f"task{n}.json")
            Path(files[n]).write_text(json.dumps(make_task(n)))
        for m in methods:
            for n in sizes:
                r = measure(m, files[n], a.time_limit, a.rss_cap)
                note = "killed (RSS cap)" if r["killed"] else (f"exit {r['rc']}: {r['err'][:60]}" if r["rc"] else
                                                              ("solved" if r["solved"] else ""))
                ok_t = r["search_s"] <= a.time_limit + 1 and not r["killed"]
                row = (f"| {m} | {n} | {r['search_s']:.2f} | {r['wall']:.2f} | {r['rss_mb']:.0f} | "
                       f"{'yes' if ok_t else 'NO'} | "
                       f"{'yes' if r['rss_mb'] <= 1536 and not r['killed'] else 'NO'} | {note} |")
                print(row, flush=True)
                rows.append(row)
    if a.out:
        cmd = "python experiments/bench_limits.py " + " ".join(sys.argv[1:])
        text = (("" if a.append else "# Time limit and memory by task size\n\n") + f"`{cmd}` (2-core CPU machine, shared; process wall "
                f"includes Python start-up, imports and model loading; task: {PROGRAM!r} on random inputs, unsolvable in the limit)\n\n"
                + head + "\n" + "\n".join(rows) + "\n")
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        old = Path(a.out).read_text() + "\n" if a.append and Path(a.out).exists() else ""
        Path(a.out).write_text(old + text)


if __name__ == "__main__":
    main()
