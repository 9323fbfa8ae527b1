"""How fast `synth run --file` answers run records, against a naive interpreter of the same language.

    python experiments/bench_run.py                       # 40,000 records, best of 3; prints a Markdown table
    python experiments/bench_run.py --records 5000 --repeats 1
    python experiments/bench_run.py --naive RUNS.jsonl    # the yardstick alone: answer a runs file on stdout

The records (docs/language.md §7, without `result`) are made deterministically from --seed: runs sampled by
`dsl.sampler` for both profiles (some fail at run time, some end in an ill-typed item), some with literals,
some in non-canonical text (extra spaces, tabs, comments), and some that do not parse (unknown op, op outside
the profile, out-of-range literal, unterminated string or list). Both sides run as a fresh process on the same
file with stdout to a file: `python -m synth run --file F` and `python experiments/bench_run.py --naive F`.
Their answers must agree record for record (a syntax error's message is compared by kind only).

The naive interpreter below (NAIVE SECTION) is the yardstick the issue describes: a plain, obviously-correct
Python reading of docs/language.md, written without care for speed, sharing no code with `dsl/`.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------- NAIVE SECTION (the yardstick)
PROFILES = {
    "small": dict(lo=-64, hi=63, max_len=6, max_depth=8, max_program=16, ops=set(
        "dup drop swap over rot c0 c1 c2 add sub mul div mod min max neg abs inc dec double half square "
        "eq lt gt not select len reverse concat head last to_str sum sort map_inc map_double map_neg "
        "filter_pos filter_even".split())),
    "deepcoder": dict(lo=-256, hi=255, max_len=20, max_depth=16, max_program=32, ops=set(
        "dup drop swap over rot c0 c1 c2 c3 add sub mul div mod min max neg abs inc dec double half square "
        "eq lt gt not and or select len reverse concat head last take skip access to_str to_int sum minimum "
        "maximum sort map_inc map_dec map_double map_half map_neg map_square map_triple map_third "
        "map_quadruple map_quarter filter_pos filter_neg filter_even filter_odd count_pos count_neg "
        "count_even count_odd zipwith_add zipwith_sub zipwith_mul zipwith_min zipwith_max scanl1_add "
        "scanl1_sub scanl1_mul scanl1_min scanl1_max".split())),
}


class Stop(Exception):
    pass


def naive_value_ok(v, p):
    if isinstance(v, bool):
        return True
    if isinstance(v, int):
        return p["lo"] <= v <= p["hi"]
    if isinstance(v, str):
        return len(v) <= p["max_len"] and all(32 <= ord(c) <= 126 for c in v)
    if isinstance(v, list):
        return len(v) <= p["max_len"] and all(type(x) is int and p["lo"] <= x <= p["hi"] for x in v)
    return False


def naive_tokens(text, p):
    """The items of `text` as ("op", name) or ("lit", value); raises Stop on a syntax error."""
    items, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\f\r\n":
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c == '"':
            j, s = i + 1, ""
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\':
                    s += text[j + 1]
                    j += 2
                elif text[j] in "\\\n":
                    raise Stop("bad string")
                else:
                    s += text[j]
                    j += 1
            if j >= n or (j + 1 < n and text[j + 1] not in " \t\f\r\n\v#"):
                raise Stop("bad string end")
            items.append(("lit", s))
            i = j + 1
        elif c == "[":
            j, xs = i + 1, []
            while True:
                while j < n and text[j] in " \t\f\r\n":
                    j += 1
                if j < n and text[j] == "#":
                    while j < n and text[j] != "\n":
                        j += 1
                    continue
                if j >= n:
                    raise Stop("unterminated list")
                if text[j] == "]":
                    if j + 1 < n and text[j + 1] not in " \t\f\r\n\v#":
                        raise Stop("bad list end")
                    break
                m = re.match(r"-?[0-9]+(?=[\s#\]]|$)", text[j:])
                if not m:
                    raise Stop("bad list element")
                xs.append(int(m.group()))
                j += len(m.group())
            items.append(("lit", xs))
            i = j + 1
        else:
            m = re.match(r"[^\s#]+", text[i:])
            word = m.group()
            if re.fullmatch(r"-?[0-9]+", word):
                items.append(("lit", int(word)))
            elif word == "true" or word == "false":
                items.append(("lit", word == "true"))
            elif re.fullmatch(r"[a-z][a-z0-9_]*", word) and word in p["ops"]:
                items.append(("op", word))
            else:
                raise Stop("unknown word " + word)
            i += len(word)
    for kind, v in items:
        if kind == "lit" and not naive_value_ok(v, p):
            raise Stop("literal out of range")
    return items


def kind(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, str):
        return "str"
    return "list"


def toward_zero(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def naive_op(name, stack, consts, p):
    """Apply op `name` to `stack` in place; raises Stop(kind) on an error."""
    if name in ("c0", "c1", "c2", "c3"):
        k = int(name[1])
        if k >= len(consts):
            raise Stop("missing_constant")
        stack.append(consts[k])
        return
    arity = {"dup": 1, "drop": 1, "swap": 2, "over": 2, "rot": 3, "select": 3}.get(name)
    if arity is None:
        binary = ("add sub mul div mod min max eq lt gt and or concat take skip access "
                  "zipwith_add zipwith_sub zipwith_mul zipwith_min zipwith_max").split()
        arity = 2 if name in binary else 1
    if len(stack) < arity:
        raise Stop("underflow")
    args = stack[len(stack) - arity:]
    types = [kind(a) for a in args]

    def need(*want):
        for w, t in zip(want, types):
            if w == "seq" and t not in ("str", "list"):
                raise Stop("type")
            if w not in ("seq", "any") and w != t:
                raise Stop("type")

    if name == "dup":
        out = [args[0], args[0]]
    elif name == "drop":
        out = []
    elif name == "swap":
        out = [args[1], args[0]]
    elif name == "over":
        out = [args[0], args[1], args[0]]
    elif name == "rot":
        out = [args[1], args[2], args[0]]
    elif name in ("add", "sub", "mul", "div", "mod", "min", "max", "lt", "gt"):
        need("int", "int")
        a, b = args
        if name in ("div", "mod") and b == 0:
            raise Stop("div_zero")
        out = [{"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: a // b,
                "mod": lambda: a % b, "min": lambda: min(a, b), "max": lambda: max(a, b),
                "lt": lambda: a < b, "gt": lambda: a > b}[name]()]
    elif name in ("neg", "abs", "inc", "dec", "double", "half", "square", "to_str"):
        need("int")
        a = args[0]
        out = [{"neg": -a, "abs": abs(a), "inc": a + 1, "dec": a - 1, "double": 2 * a, "half": a // 2,
                "square": a * a, "to_str": str(a)}[name]]
    elif name == "eq":
        if types[0] != types[1]:
            raise Stop("type")
        out = [args[0] == args[1]]
    elif name == "not":
        need("bool")
        out = [not args[0]]
    elif name in ("and", "or"):
        need("bool", "bool")
        out = [(args[0] and args[1]) if name == "and" else (args[0] or args[1])]
    elif name == "select":
        need("bool", "any", "any")
        out = [args[1] if args[0] else args[2]]
    elif name in ("len", "reverse", "head", "last"):
        need("seq")
        s = args[0]
        if name in ("head", "last") and len(s) == 0:
            raise Stop("index")
        out = [{"len": lambda: len(s), "reverse": lambda: s[::-1], "head": lambda: s[0],
                "last": lambda: s[-1]}[name]()]
    elif name == "concat":
        need("seq", "seq")
        if types[0] != types[1]:
            raise Stop("type")
        out = [args[0] + args[1]]
    elif name in ("take", "skip"):
        need("seq", "int")
        s, k = args
        k = max(0, min(k, len(s)))
        out = [s[:k] if name == "take" else s[k:]]
    elif name == "access":
        need("list", "int")
        xs, k = args
        if k < 0 or k >= len(xs):
            raise Stop("index")
        out = [xs[k]]
    elif name == "to_int":
        need("str")
        s = args[0]
        digits = s[1:] if s.startswith("-") else s
        if digits == "" or any(ch not in "0123456789" for ch in digits):
            raise Stop("type")
        out = [int(s)]
    elif name.startswith("zipwith_"):
        need("list", "list")
        f = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
             "min": min, "max": max}[name[8:]]
        out = [[f(x, y) for x, y in zip(args[0], args[1])]]
    else:
        need("list")
        xs = args[0]
        if name in ("minimum", "maximum") and not xs:
            raise Stop("index")
        if name.startswith("scanl1_"):
            f = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
                 "min": min, "max": max}[name[7:]]
            ys = []
            for x in xs:
                ys.append(x if not ys else f(ys[-1], x))
            out = [ys]
        else:
            table = {"sum": lambda: sum(xs), "minimum": lambda: min(xs), "maximum": lambda: max(xs),
                     "sort": lambda: sorted(xs), "map_inc": lambda: [x + 1 for x in xs],
                     "map_dec": lambda: [x - 1 for x in xs], "map_double": lambda: [2 * x for x in xs],
                     "map_half": lambda: [toward_zero(x, 2) for x in xs], "map_neg": lambda: [-x for x in xs],
                     "map_square": lambda: [x * x for x in xs], "map_triple": lambda: [3 * x for x in xs],
                     "map_third": lambda: [toward_zero(x, 3) for x in xs],
                     "map_quadruple": lambda: [4 * x for x in xs],
                     "map_quarter": lambda: [toward_zero(x, 4) for x in xs],
                     "filter_pos": lambda: [x for x in xs if x > 0], "filter_neg": lambda: [x for x in xs if x < 0],
                     "filter_even": lambda: [x for x in xs if x % 2 == 0],
                     "filter_odd": lambda: [x for x in xs if x % 2 != 0],
                     "count_pos": lambda: len([x for x in xs if x > 0]),
                     "count_neg": lambda: len([x for x in xs if x < 0]),
                     "count_even": lambda: len([x for x in xs if x % 2 == 0]),
                     "count_odd": lambda: len([x for x in xs if x % 2 != 0])}
            out = [table[name]()]
    for v in out:
        if not naive_value_ok(v, p):
            raise Stop("overflow")
    del stack[len(stack) - arity:]
    stack.extend(out)


def naive_answer(rec):
    p = PROFILES[rec.get("profile", "small")]
    stack, consts = list(rec.get("input", [])), list(rec.get("constants", []))
    for v in stack + consts:
        if not naive_value_ok(v, p):
            raise SystemExit(f"bad value {v!r}")
    try:
        items = naive_tokens(rec["program"], p)
    except Stop as e:
        return {"ok": False, "error": "syntax", "message": str(e)}
    if len(items) > p["max_program"]:
        return {"ok": False, "error": "too_long", "at": p["max_program"]}
    for i, (what, v) in enumerate(items):
        try:
            if what == "lit":
                stack.append(v)
            else:
                naive_op(v, stack, consts, p)
            if len(stack) > p["max_depth"]:
                raise Stop("overflow")
        except Stop as e:
            return {"ok": False, "error": str(e), "at": i}
    return {"ok": True, "stack": stack}


def naive_main(path):
    with open(path) as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                print(json.dumps({**rec, "result": naive_answer(rec)}))
# ---------------------------------------------------------------- END OF NAIVE SECTION


def make_records(n: int, seed: int) -> list[dict]:
    """n run records without `result`: sampled runs (canonical text), some rewritten or broken."""
    sys.path.insert(0, str(ROOT))
    from dsl.sampler import sample_run
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        prof = "small" if rng.random() < 0.6 else "deepcoder"
        rec = sample_run(rng, prof, literal_p=0.05, bad_step_p=0.1)
        rec.pop("result")
        u = rng.random()
        words = rec["program"].split(" ")
        if u < 0.01:     # non-canonical text that still parses
            rec["program"] = rng.choice(["  ", "\t", " # note\n"]).join(words) + rng.choice(["", " ", "\n"])
        elif u < 0.02:   # does not parse
            bad = rng.choice(["frob", "Dup", "1x", '"open', "[1 2", "999", "access" if prof == "small" else "[1 ]]"])
            words.insert(rng.randrange(len(words) + 1), bad)
            rec["program"] = " ".join(words)
        elif u < 0.025:  # longer than the profile allows
            rec["program"] = " ".join(words * (40 // len(words) + 1))
        out.append(rec)
    return out


def _time(cmd: list[str], src: Path, dst: Path, env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `cmd src > dst`."""
    with open(dst, "w") as f:
        r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        subprocess.run(cmd + [str(src)], stdout=f, env=env, check=True, cwd=ROOT)
        t1, r1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    return t1 - t0, (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)


def _same(a: dict, b: dict) -> bool:
    ra, rb = a["result"], b["result"]
    if ra.get("error") == "syntax" or rb.get("error") == "syntax":
        return ra.get("error") == rb.get("error")
    return {**a, "result": None} == {**b, "result": None} and ra == rb


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=40000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3, help="best of this many timings each")
    ap.add_argument("--naive", metavar="RUNS", help="answer RUNS with the naive interpreter and exit")
    args = ap.parse_args(argv)
    if args.naive:
        naive_main(args.naive)
        return 0
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    recs = make_records(args.records, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        src, out_s, out_n = Path(tmp) / "runs.jsonl", Path(tmp) / "synth.jsonl", Path(tmp) / "naive.jsonl"
        src.write_text("".join(json.dumps(r) + "\n" for r in recs))
        synth_cmd = [sys.executable, "-m", "synth", "run", "--file"]
        naive_cmd = [sys.executable, str(Path(__file__).resolve()), "--naive"]
        t_s, t_n = [], []
        for _ in range(args.repeats):   # interleaved, so a load change on the machine hits both
            t_n.append(_time(naive_cmd, src, out_n, env))
            t_s.append(_time(synth_cmd, src, out_s, env))
        a = [json.loads(x) for x in out_s.read_text().splitlines()]
        b = [json.loads(x) for x in out_n.read_text().splitlines()]
    assert len(a) == len(b) == len(recs), (len(a), len(b), len(recs))
    diff = [i for i, (x, y) in enumerate(zip(a, b)) if not _same(x, y)]
    if diff:
        i = diff[0]
        print(f"answers differ on {len(diff)} records; first: {json.dumps(recs[i])}\n synth {a[i]['result']}\n"
              f" naive {b[i]['result']}", file=sys.stderr)
        return 1
    kinds: dict = {}
    for r in a:
        k = "ok" if r["result"]["ok"] else r["result"]["error"]
        kinds[k] = kinds.get(k, 0) + 1
    n = len(recs)
    ws, wn = min(t[0] for t in t_s), min(t[0] for t in t_n)
    cs, cn = min(t[1] for t in t_s), min(t[1] for t in t_n)
    print(f"# `synth run --file` against a naive interpreter\n\n"
          f"`python experiments/bench_run.py --records {n} --seed {args.seed} --repeats {args.repeats}`: "
          f"{n} records, {sum(r.get('profile') == 'small' for r in recs)} small / "
          f"{sum(r.get('profile') == 'deepcoder' for r in recs)} deepcoder; answers: "
          + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))
          + ".\nEach side is a fresh process that reads the file and writes its answers to a file (start-up "
          f"included), timed {args.repeats} times, interleaved; the best time counts. Wall time is what a user "
          "waits; CPU time (user + system) is steadier on a shared machine. Both gave the same answer on every "
          "record.\n\n"
          "| interpreter | wall s | records/s (wall) | CPU s | records/s (CPU) |\n|---|---|---|---|---|\n"
          f"| naive (this script, `--naive`) | {wn:.2f} | {n / wn:,.0f} | {cn:.2f} | {n / cn:,.0f} |\n"
          f"| `python -m synth run --file` | {ws:.2f} | {n / ws:,.0f} | {cs:.2f} | {n / cs:,.0f} |\n\n"
          f"synth / naive: **{wn / ws:.2f}x** by wall time, **{cn / cs:.2f}x** by CPU time.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
