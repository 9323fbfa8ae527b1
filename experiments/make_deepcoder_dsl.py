"""Make datasets/deepcoder_dsl/: DeepCoder-style programs of 5 and of 8 statements, converted to this language.

    python experiments/make_deepcoder_dsl.py                 # s5.jsonl and s8.jsonl, 60 tasks each (seed 20)
    python experiments/make_deepcoder_dsl.py --n 10 --out /tmp/dc

A DeepCoder program is a list of statements `v = F args` over immutable variables (the inputs: a list, two
lists, or a list and an int). F is one of DeepCoder's functions: HEAD LAST TAKE DROP ACCESS MINIMUM MAXIMUM
REVERSE SORT SUM, MAP f (f: +1 -1 *2 /2 *(-1) **2 *3 /3 *4 /4), FILTER p and COUNT p (p: >0 <0 even odd),
ZIPWITH g and SCANL1 g (g: + - * min max); the output is the last variable. Drawn here: each statement
picks a function whose argument types exist and its arguments among the variables (unused ones first); a
program is kept only if every input and every statement but the last is used later (no dead code).

Conversion. Each function is one op of the `deepcoder` profile (MAP (*2) -> map_double, TAKE n xs -> take,
...). A compiler keeps the symbolic stack of variables: an argument still needed later is copied to the top
(`dup`, `over`, or `rot dup` from depths 0, 1, 2), one used for the last time is moved there (nothing,
`swap`, `rot`); a program needing a deeper variable is redrawn. Examples: 5 distinct inputs (lists of
1..12 ints in -64..64, ints in 0..8 so that TAKE/DROP/ACCESS are meaningful), run by the machine; a program
is redrawn when any example fails or all outputs are equal. Tasks: output = the final top value
(`match: top`), no constants; the reference `program` is the compiled text and `note` the DeepCoder form.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dsl import get_profile, run  # noqa: E402

P = get_profile("deepcoder")
LAMBDA = {"+1": "inc", "-1": "dec", "*2": "double", "/2": "half", "*(-1)": "neg", "**2": "square", "*3": "triple",
          "/3": "third", "*4": "quadruple", "/4": "quarter"}
PRED = {">0": "pos", "<0": "neg", "even": "even", "odd": "odd"}
BIN = {"+": "add", "-": "sub", "*": "mul", "min": "min", "max": "max"}
# (DeepCoder name, our op, argument types in our op's order, output type)
FUNCS = [("HEAD", "head", ("list",), "int"), ("LAST", "last", ("list",), "int"),
         ("TAKE", "take", ("list", "int"), "list"), ("DROP", "skip", ("list", "int"), "list"),
         ("ACCESS", "access", ("list", "int"), "int"), ("MINIMUM", "minimum", ("list",), "int"),
         ("MAXIMUM", "maximum", ("list",), "int"), ("REVERSE", "reverse", ("list",), "list"),
         ("SORT", "sort", ("list",), "list"), ("SUM", "sum", ("list",), "int")]
FUNCS += [(f"MAP ({k})", f"map_{v}", ("list",), "list") for k, v in LAMBDA.items()]
FUNCS += [(f"FILTER ({k})", f"filter_{v}", ("list",), "list") for k, v in PRED.items()]
FUNCS += [(f"COUNT ({k})", f"count_{v}", ("list",), "int") for k, v in PRED.items()]
FUNCS += [(f"ZIPWITH ({k})", f"zipwith_{v}", ("list", "list"), "list") for k, v in BIN.items()]
FUNCS += [(f"SCANL1 ({k})", f"scanl1_{v}", ("list",), "list") for k, v in BIN.items()]
INPUTS = [("list",), ("list", "list"), ("list", "int"), ("int", "list")]
SEEDS = {5: 20, 8: 21}


def draw_program(rng: random.Random, n: int):
    """(input types, statements [(func index, arg variable indices)]) with no dead code, or None."""
    types = list(rng.choice(INPUTS))
    n_in = len(types)
    stmts, used = [], set()
    for _ in range(n):
        fits = [i for i, f in enumerate(FUNCS) if all(t in types for t in f[2])]
        i = rng.choice(fits)
        args = []
        for t in FUNCS[i][2]:
            cands = [v for v, tv in enumerate(types) if tv == t]
            fresh = [v for v in cands if v not in used]
            args.append(rng.choice(fresh) if fresh and rng.random() < 0.8 else rng.choice(cands))
        used.update(args)
        stmts.append((i, tuple(args)))
        types.append(FUNCS[i][3])
    if any(v not in used for v in range(len(types) - 1)):
        return None
    return types[:n_in], stmts


def compile_program(n_in: int, stmts) -> list[str] | None:
    """Stack code for the statements (None when a variable deeper than 2 is needed)."""
    stack = list(range(n_in))                       # variable ids, top last
    code = []
    uses = [a for _, args in stmts for a in args]   # remaining uses, in order
    for k, (i, args) in enumerate(stmts):
        for a in args:
            uses.remove(a)
            depth = stack[::-1].index(a)                 # of its topmost copy
            keep = a in uses
            if depth > 2:
                return None
            if keep:
                code += [["dup"], ["over"], ["rot", "dup"]][depth]
                if depth == 2:
                    stack.append(stack.pop(-3))
                stack.append(a)
            else:
                code += [[], ["swap"], ["rot"]][depth]
                stack.append(stack.pop(-1 - depth))
        if stack[len(stack) - len(args):] != list(args):
            return None
        code.append(FUNCS[i][1])
        del stack[len(stack) - len(args):]
        stack.append(n_in + k)
    return code


def sample_inputs(rng: random.Random, types) -> tuple:
    return tuple(tuple(rng.randint(-64, 64) for _ in range(rng.randint(1, 12))) if t == "list"
                 else rng.randint(0, 8) for t in types)


def deepcoder_text(types, stmts) -> str:
    names = [chr(ord("a") + k) for k in range(len(types) + len(stmts))]
    lines = [f"{names[k]} <- {'[int]' if t == 'list' else 'int'}" for k, t in enumerate(types)]
    for k, (i, args) in enumerate(stmts):
        f = FUNCS[i]
        order = args[::-1] if f[1] in ("take", "skip", "access") else args   # DeepCoder writes TAKE n xs
        lines.append(f"{names[len(types) + k]} <- {f[0]} {' '.join(names[a] for a in order)}")
    return "; ".join(lines)


def make(n_stmts: int, count: int) -> list[dict]:
    rng = random.Random(SEEDS[n_stmts])
    out, seen = [], set()
    while len(out) < count:
        got = draw_program(rng, n_stmts)
        if got is None:
            continue
        types, stmts = got
        code = compile_program(len(types), stmts)
        if code is None:
            continue
        exs, keys = [], set()
        for _ in range(20):
            s = sample_inputs(rng, types)
            if repr(s) in keys:
                continue
            keys.add(repr(s))
            r = run(code, s, (), P)
            if not r.ok or not r.stack:
                break
            exs.append({"input": [list(v) if type(v) is tuple else v for v in s],
                        "output": [list(r.stack[-1]) if type(r.stack[-1]) is tuple else r.stack[-1]]})
            if len(exs) == 5:
                break
        if len(exs) < 5 or len({json.dumps(e["output"]) for e in exs}) == 1 or " ".join(code) in seen:
            continue
        seen.add(" ".join(code))
        out.append({"name": f"dc-s{n_stmts}-{len(out):03d}", "examples": exs, "profile": "deepcoder",
                    "program": " ".join(code), "note": deepcoder_text(types, stmts)})
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--out", default=str(ROOT / "datasets/deepcoder_dsl"))
    args = ap.parse_args(argv)
    from dsl.tasks import parse_tasks
    from synth.search import verify
    for n in (5, 8):
        tasks = make(n, args.n)
        text = "".join(json.dumps(d) + "\n" for d in tasks)
        for t in parse_tasks(text, f"s{n}"):
            assert verify(t, t.program), t.name
        path = Path(args.out) / f"s{n}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path} ({len(tasks)} tasks)", file=sys.stderr)


if __name__ == "__main__":
    main()
