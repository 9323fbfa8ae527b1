"""Write the evaluator's held-out runs file (docs §7), deterministically.

    python experiments/make_heldout_evaluator.py            # -> datasets/heldout/small_runs.jsonl
    python experiments/make_heldout_evaluator.py --per-op 100 --per-length 1000 --seed 7 --out FILE
    python experiments/make_heldout_evaluator.py --small-int-p 0.35 --out /tmp/small_runs_si.jsonl   # control

The control (`--small-int-p 0.35`: as many ints from -10..10 as training draws) has the same programs and
stack shapes with ints nearer the training mixture: the gap between the two files is the int shift alone.

The input distribution differs from the evaluator's training rollouts (synth.data.dataset.RolloutGenerator):
programs come from dsl.sampler (its own op choice, banned patterns and probe rule, literal pushes 5%), ints
are drawn UNIFORMLY over the whole profile range (training draws 35% of them from -10..10 and 20% from the
range's edges), stacks are 1..5 deep below the op's arguments, strings use dsl.sampler's character mix.
Contents: for every op of the profile, `per_op` one-op records (80% with arguments that fit the op's
signature, 20% on random stacks: error kinds), then `per_length` runs of each length 2, 3, 4.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import random
from pathlib import Path

from dsl import OPS, get_profile, run
from dsl.ops import CONST_INDEX
from dsl.sampler import SamplerConfig, get_sampler, sample_run
from dsl.values import to_json

ROOT = Path(__file__).resolve().parent.parent
CFG = SamplerConfig(small_int_p=0.0, depth_min=1, depth_max=5, literal_p=0.05, bad_step_p=0.05)


def fitting_types(rng: random.Random, s, op: str) -> list[str]:
    env = {"s": "list" if rng.random() < 0.5 else "str"}
    return [t if t in ("int", "bool", "str", "list") else env["s"] if t == "s" else env.setdefault(t, s.type(rng))
            for t in OPS[op].inputs]


def one_op(rng: random.Random, s, op: str) -> dict:
    p = s.p
    ctypes = s.const_types(rng)
    consts = [s.value(rng, t) for t in ctypes]
    if rng.random() < 0.8:
        below = s.inputs(rng, s.types(rng, rng.randint(0, 2)))
        stack = below + ([] if op in CONST_INDEX else s.inputs(rng, fitting_types(rng, s, op)))
        if op == "eq" and rng.random() < 0.5:
            stack[-1] = stack[-2]
    else:
        stack = s.inputs(rng, s.types(rng, rng.randint(0, 4)))
    stack = stack[-p.max_depth:]
    return {"program": op, "input": [to_json(v) for v in stack], "constants": [to_json(v) for v in consts],
            "profile": p.name, "result": run([op], stack, consts, p).to_json()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="small")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--per-op", type=int, default=100)
    ap.add_argument("--per-length", type=int, default=1000)
    ap.add_argument("--out", default=str(ROOT / "datasets" / "heldout" / "small_runs.jsonl"))
    ap.add_argument("--small-int-p", type=float, default=0.0, help="share of ints from -10..10 (default: none)")
    a = ap.parse_args()
    p = get_profile(a.profile)
    s = get_sampler(p, dataclasses.replace(CFG, small_int_p=a.small_int_p))
    rng = random.Random(f"heldout-evaluator:{a.seed}")
    recs = [one_op(rng, s, op) for op in p.ops for _ in range(a.per_op)]
    for k in (2, 3, 4):
        recs += [sample_run(rng, p, length=k, cfg=s.cfg) for _ in range(a.per_length)]
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r) + "\n" for r in recs))
    n_err = sum(not r["result"]["ok"] for r in recs)
    print(json.dumps({"out": str(out), "records": len(recs), "errors": n_err}))


if __name__ == "__main__":
    main()
