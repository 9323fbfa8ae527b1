"""Make datasets/deepcoder_dsl/: DeepCoder-style programs of 5 and of 8 statements, converted to this language.

    python experiments/make_deepcoder_dsl.py                 # s5.jsonl and s8.jsonl, 60 tasks each (seed 20, 21)
    python experiments/make_deepcoder_dsl.py --n 10 --out /tmp/dc

The programs, their compilation to stack code and their examples come from dsl/deepcoder.py (`draw_task`);
this script draws with the integer seeds 20 (5 statements) and 21 (8), drops a program whose code was drawn
before, verifies every reference program, and writes the task files (`match: top`, no constants; the
reference `program` is the compiled text and `note` the DeepCoder form).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dsl.deepcoder import draw_task  # noqa: E402

SEEDS = {5: 20, 8: 21}


def make(n_stmts: int, count: int) -> list[dict]:
    rng = random.Random(SEEDS[n_stmts])
    out, seen = [], set()
    while len(out) < count:
        t = draw_task(rng, n_stmts)
        if t is None or " ".join(t["code"]) in seen:
            continue
        seen.add(" ".join(t["code"]))
        out.append({"name": f"dc-s{n_stmts}-{len(out):03d}", "examples": t["examples"], "profile": "deepcoder",
                    "program": " ".join(t["code"]), "note": t["note"]})
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
