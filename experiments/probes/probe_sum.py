"""Can the list path learn `sum` when trained on nothing else? A focused probe on the shipped evaluator.

    python experiments/probes/probe_sum.py [--steps 400] [--arms alu t_last]

Each arm trains ONE part of a copy of the shipped evaluator (all else frozen) on one-step `sum` transitions
(`--data uniform`: lists of 1..6 ints, half uniform over the range as in the held-out file, half from -20..20;
`--data generator`: the training generator with only `sum` drawn; concrete level; Adam, lr 1e-3, batch 128):
  alu     the existing ALU (reads T's output and the operand slot latents)
  t_last  the last transition layer of T
then measures `sum` one-op exact match on the held-out records and on fresh lists of 2 ints from -30..30 (sum in
range). (The `fold` arm, a fresh ElemFold, was removed with ElemFold: experiments/results/removed.md; it runs
at commit 260c6ed, whose results are in experiments/results/probe_sum.md.)
Prints a markdown table and writes it to experiments/results/probe_sum.md (probe_sum_generator.md).
"""
from __future__ import annotations

import argparse
import json
import random
from dataclasses import replace
from pathlib import Path

import torch

from dsl.machine import run
from dsl.values import from_json
from synth.data.dataset import GenConfig, Rollout, RolloutGenerator, collate
from synth.data.tokenizer import State
from synth.evaluator.api import PRETRAINED, Evaluator, load_evaluator
from synth.evaluator.model import LatentMachine, state_loss
from synth.evaluator.train import warm_start

ROOT = Path(__file__).resolve().parents[2]
ARMS = ("alu", "t_last")


def machine(base: LatentMachine, arm: str) -> LatentMachine:
    """A copy of `base` in which only the arm's part trains."""
    cfg = replace(base.cfg)
    m = LatentMachine(cfg, base.profile.name)
    warm_start(m, str(PRETRAINED))
    part = {"alu": "alu.", "t_last": f"trans.blocks.{cfg.trans_layers - 1}."}[arm]
    for name, p in m.named_parameters():
        p.requires_grad_(name.startswith(part))
    if not any(p.requires_grad for p in m.parameters()):
        raise SystemExit(f"arm {arm}: no parameter starts with {part!r}")
    return m


def accuracy(m: LatentMachine, inputs: list, consts: list) -> float:
    """`sum` one-op exact match of the model in latent space against the interpreter, on the given stacks."""
    with torch.no_grad():
        out = Evaluator(m.eval()).run_programs([("sum",)] * len(inputs), inputs, consts)
    m.train()
    truth = [run(("sum",), s, c) for s, c in zip(inputs, consts)]
    return sum(o.stack == t.stack and o.error == t.error for o, t in zip(out, truth)) / len(inputs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--data", default="uniform", choices=["uniform", "generator"],
                    help="uniform: lists of uniform ints (as held out); generator: the training generator's sums")
    ap.add_argument("--arms", nargs="+", default=list(ARMS), choices=ARMS)
    ap.add_argument("--out", help="default experiments/results/probe_sum.md (probe_sum_generator.md for --data generator)")
    a = ap.parse_args()
    out = a.out or ROOT / "experiments" / "results" / ("probe_sum.md" if a.data == "uniform" else "probe_sum_generator.md")
    torch.set_num_threads(1)
    base = load_evaluator().model
    val = lambda v: from_json(v, base.profile)                                       # noqa: E731
    recs = [json.loads(x) for x in open(ROOT / "datasets" / "heldout" / "small_runs.jsonl")]
    recs = [r for r in recs if r["program"] == "sum"]
    held = ([tuple(map(val, r["input"])) for r in recs], [tuple(map(val, r.get("constants", []))) for r in recs])
    rng = random.Random(0)
    pairs = [(tuple(rng.randint(-30, 30) for _ in range(2)),) for _ in range(600)]
    lo, hi = base.profile.int_min, base.profile.int_max
    pairs = [s for s in pairs if lo <= sum(s[0]) <= hi][:400]
    pairs = (pairs, [()] * len(pairs))
    rows = [("shipped (no training)", accuracy(base, *held), accuracy(base, *pairs))]
    gen = RolloutGenerator("small", GenConfig(steps=1, literal_p=0.0))
    only_sum = {o: float(o == "sum") for o in gen.ops}                            # weights default to 1: zero the rest

    def uniform_sums(r: random.Random, n: int) -> list:
        """n one-step `sum` rollouts on lists of 1..6 ints, half uniform over the range, half from -20..20."""
        out = []
        for _ in range(n):
            a, b = (lo, hi) if r.random() < 0.5 else (-20, 20)
            lst = tuple(r.randint(a, b) for _ in range(r.randint(1, 6)))
            res = run(("sum",), (lst,))
            out.append(Rollout((), [State((), (lst,)), State((), res.stack, res.error)], ["sum"]))
        return out

    draw = (lambda r: [gen.rollout(r, only_sum) for _ in range(128)]) if a.data == "generator" \
        else (lambda r: uniform_sums(r, 128))
    for arm in a.arms:
        torch.manual_seed(0)
        m = machine(base, arm)
        opt = torch.optim.Adam([p for p in m.parameters() if p.requires_grad], lr=1e-3)
        drng = random.Random(1)
        for step in range(a.steps):
            b = collate(draw(drng), m.tok, gen.op_index)
            f, st = b["feats"], b["status"]
            z = m.transition(m.encode(f[:, 0], st[:, 0]), b["ops"][:, 0], b["lit"][:, 0])
            loss, ok = state_loss(m.decoder, z, f[:, 1], st[:, 1])
            opt.zero_grad()
            loss.mean().backward()
            opt.step()
            if step % 100 == 0:
                print(f"{arm} step {step}: loss {loss.mean().item():.3f} acc {ok.float().mean().item():.3f}", flush=True)
        rows.append((f"{arm} ({a.steps} steps)", accuracy(m, *held), accuracy(m, *pairs)))
    text = "\n".join([f"| arm: trained on `sum` only ({a.data} lists) | held-out `sum` (one op) | 2 ints from -30..30 |",
                      "|---|---|---|"] + [f"| {n} | {h:.3f} | {p:.3f} |" for n, h, p in rows])
    print(text)
    Path(out).write_text(text + "\n")


if __name__ == "__main__":
    main()
