"""DeepCoder-style programs, compiled to this language (the `deepcoder` profile). No torch.

    from dsl.deepcoder import draw_task
    rng = random.Random(20)
    t = draw_task(rng, 5)      # None, or {"types", "stmts", "code", "examples", "note"} of 5 statements

A DeepCoder program is a list of statements `v <- F args` over immutable variables: the inputs (a list,
two lists, or a list and an int) and one new variable per statement; the output is the last one. F is one of
DeepCoder's functions: HEAD LAST TAKE DROP ACCESS MINIMUM MAXIMUM REVERSE SORT SUM, MAP f (f: +1 -1 *2 /2
*(-1) **2 *3 /3 *4 /4), FILTER p and COUNT p (p: >0 <0 even odd), ZIPWITH g and SCANL1 g (g: + - * min max).
`draw_program` picks, per statement, a function whose argument types exist and its arguments among the
variables (unused ones first, 80%); a program is kept only when every input and every statement but the
last is used later (no dead code).

Compilation: each function is one op of the profile (MAP (*2) -> map_double, DROP -> skip, ...). The
compiler keeps the symbolic stack of variables: an argument still needed later is copied to the top (`dup`,
`over`, `rot dup` from depth 0, 1, 2), one used for the last time is moved there (nothing, `swap`, `rot`);
a program that needs a deeper variable is refused (None).

Examples: distinct inputs (lists of 1..12 ints in -64..64, ints in 0..8 so that TAKE/DROP/ACCESS mean
something) run by the machine; a draw is refused when a run fails or every output is equal. The public
suites datasets/deepcoder_dsl/s{5,8}.jsonl are `draw_task` with the integer seeds 20 and 21
(experiments/make_deepcoder_dsl.py); the guide's training stream uses its own string seeds.
"""
from __future__ import annotations

import json
import random

from .machine import run
from .profiles import get_profile

LAMBDA = {"+1": "inc", "-1": "dec", "*2": "double", "/2": "half", "*(-1)": "neg", "**2": "square", "*3": "triple",
          "/3": "third", "*4": "quadruple", "/4": "quarter"}
PRED = {">0": "pos", "<0": "neg", "even": "even", "odd": "odd"}
BIN = {"+": "add", "-": "sub", "*": "mul", "min": "min", "max": "max"}
# (DeepCoder name, our op, argument types in our op's order, result type)
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
PROFILE = get_profile("deepcoder")


def draw_program(rng: random.Random, n: int):
    """(input types, statements [(function index, argument variable indices)]) without dead code, or None."""
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
    """Stack code of the statements (None when a variable deeper than the third slot is needed)."""
    stack = list(range(n_in))                       # variable ids, top last
    code = []
    uses = [a for _, args in stmts for a in args]   # the uses still to come, in order
    for k, (i, args) in enumerate(stmts):
        for a in args:
            uses.remove(a)
            depth = stack[::-1].index(a)            # of its topmost copy
            if depth > 2:
                return None
            if a in uses:                           # needed later: copy it to the top
                code += [["dup"], ["over"], ["rot", "dup"]][depth]
                if depth == 2:
                    stack.append(stack.pop(-3))
                stack.append(a)
            else:                                   # last use: move it to the top
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
    """The program in DeepCoder's notation, e.g. `a <- [int]; b <- SORT a`."""
    names = [chr(ord("a") + k) for k in range(len(types) + len(stmts))]
    lines = [f"{names[k]} <- {'[int]' if t == 'list' else 'int'}" for k, t in enumerate(types)]
    for k, (i, args) in enumerate(stmts):
        f = FUNCS[i]
        order = args[::-1] if f[1] in ("take", "skip", "access") else args   # DeepCoder writes TAKE n xs
        lines.append(f"{names[len(types) + k]} <- {f[0]} {' '.join(names[a] for a in order)}")
    return "; ".join(lines)


def draw_task(rng: random.Random, n_stmts: int, n_examples: int = 5, tries: int = 20) -> dict | None:
    """One program of n_stmts statements with n_examples distinct example inputs (at most `tries` drawn),
    or None when the draw is refused. Examples are JSON-ready ({"input": [...], "output": [top]})."""
    got = draw_program(rng, n_stmts)
    if got is None:
        return None
    types, stmts = got
    code = compile_program(len(types), stmts)
    if code is None:
        return None
    exs, keys = [], set()
    for _ in range(tries):
        s = sample_inputs(rng, types)
        if repr(s) in keys:
            continue
        keys.add(repr(s))
        r = run(code, s, (), PROFILE)
        if not r.ok or not r.stack:
            break
        exs.append({"input": [list(v) if type(v) is tuple else v for v in s],
                    "output": [list(r.stack[-1]) if type(r.stack[-1]) is tuple else r.stack[-1]]})
        if len(exs) == n_examples:
            break
    if len(exs) < n_examples or len({json.dumps(e["output"]) for e in exs}) == 1:
        return None
    return {"types": types, "stmts": stmts, "code": code, "examples": exs, "note": deepcoder_text(types, stmts)}
