"""Make the task suites in datasets/: deterministic (same files on every run), checked by the real machine.

    python experiments/make_suites.py            # writes datasets/public/{small,deepcoder}.jsonl, datasets/examples/*

Each suite = hand-written tasks (a reference program, input types and value ranges; outputs computed by the
machine) + tasks sampled by `dsl.sampler.sample_task` from random reference programs of lengths 1..8.
A sampled program is rejected when two of its prefixes leave the same stacks on every example (a useless
segment, so the reference length would overstate the task), when a proper prefix already solves the task,
or when its task name repeats. Some sampled
tasks have given constants (the sampler's choice), some hide one int constant as `free_constants: 1`
(its reference value is in the task's `note`). Every task has 5 examples and its reference `program`.
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dsl import get_profile, parse, run, to_json  # noqa: E402
from dsl import redundancy  # noqa: E402
from dsl.sampler import sample_task  # noqa: E402
from dsl.tasks import Task, load_tasks, parse_tasks  # noqa: E402
from synth.search import verify  # noqa: E402

N_EXAMPLES = 5
# name, program, input types ("int[a,b]" for a range; "list[a,b]/n" a list of up to n ints; "str/n";
# "nelist[a,b]/n" a non-empty list; "str/n", "nestr/n"), extra task fields ("ref": the reference values of
# free constants, written to the task's note; "inputs": the input stacks, instead of random ones)
HAND_SMALL = [
    ("affine", "c0 mul c1 add", ["int[-8,8]"], {"constants": [7, 3]}),
    ("linear-given", "c0 mul c1 sub", ["int[-9,9]"], {"constants": [3, 5]}),
    ("square-plus-37", "dup mul c0 add", ["int[-4,4]"], {"free_constants": 1, "ref": [37]}),
    ("times-9-minus-2", "c0 mul c1 add", ["int[-6,6]"], {"free_constants": 2, "ref": [9, -2]}),
    ("double-plus-one", "double inc", ["int[-20,20]"], {}),
    ("abs-diff", "sub abs", ["int[-20,20]", "int[-20,20]"], {}),
    ("max3", "max max", ["int[-30,30]"] * 3, {"inputs": [[1, 9, 3], [7, 2, 5], [-4, -8, -1], [0, 6, 6], [12, -3, 4]]}),
    ("average-floor", "add half", ["int[-30,30]", "int[-30,30]"], {}),
    ("clamp-0-10", "0 max 10 min", ["int[-20,30]"], {}),
    ("is-even", "2 mod 0 eq", ["int[-30,30]"], {}),
    ("greater-or-equal", "lt not", ["int[-9,9]", "int[-9,9]"], {}),
    ("swap-sub", "swap sub", ["int[-20,20]", "int[-20,20]"], {}),
    ("cube", "dup dup mul mul", ["int[-3,3]"], {}),
    ("sum-of-squares", "square swap square add", ["int[-5,5]", "int[-5,5]"], {}),
    ("difference-of-squares", "over over add rot rot sub mul", ["int[-5,5]", "int[-5,5]"], {}),
    ("swap-exact", "swap", ["int[-9,9]", "str/3"], {"match": "exact"}),
    ("keep-bigger-exact", "max", ["int[-9,9]", "int[-9,9]"], {"match": "exact"}),
    ("reverse-string", "reverse", ["str/6"], {}),
    ("palindrome", "dup reverse eq", ["str/4"], {}),
    ("string-length", "len", ["str/6"], {}),
    ("first-char", "head", ["nestr/6"], {}),
    ("last-char-twice", "last dup concat", ["nestr/6"], {}),
    ("mirror", "dup reverse concat", ["str/3"], {}),
    ("digit-count", "to_str len", ["int[-64,63]"], {}),
    ("number-twice", "to_str dup concat", ["int[-9,63]"], {}),
    ("list-sum", "sum", ["list[-10,10]/6"], {}),
    ("list-max", "sort last", ["nelist[-30,30]/6"], {}),
    ("list-min", "sort head", ["nelist[-30,30]/6"], {}),
    ("count-positive", "filter_pos len", ["list[-9,9]/6"], {}),
    ("sum-of-evens", "filter_even sum", ["list[-9,9]/6"], {}),
    ("head-plus-last", "dup head swap last add", ["nelist[-20,20]/6"], {}),
    ("mean-floor", "dup sum swap len div", ["nelist[-9,9]/6"], {}),
]
HAND_DEEPCODER = [
    ("dc-double-sum", "map_double sum", ["list[-20,20]/10"], {}),
    ("dc-count-odd", "count_odd", ["list[-20,20]/10"], {}),
    ("dc-sort-desc", "sort reverse", ["list[-50,50]/10"], {}),
    ("dc-running-sum-last", "scanl1_add last", ["nelist[-20,20]/10"], {}),
    ("dc-dot-product", "zipwith_mul sum", ["list[-5,5]/8", "list[-5,5]/8"], {}),
    ("dc-sum-of-squares", "map_square sum", ["list[-5,5]/8"], {}),
    ("dc-sum-negatives-abs", "filter_neg map_neg sum", ["list[-20,20]/10"], {}),
    ("dc-three-smallest-sum", "sort 3 take sum", ["list[-20,20]/10"], {}),
    ("dc-range", "dup maximum swap minimum sub", ["nelist[-50,50]/10"], {}),
    ("dc-kth", "access", ["nelist[-50,50]/10", "int[0,0]"], {}),
    ("dc-max-prefix", "scanl1_max", ["list[-50,50]/10"], {}),
    ("dc-pairwise-min-sum", "zipwith_min sum", ["list[-20,20]/8", "list[-20,20]/8"], {}),
    ("dc-thirds-even-count", "map_third count_even", ["list[-60,60]/10"], {}),
    ("dc-drop-first-sum", "1 skip sum", ["list[-20,20]/10"], {}),
    ("dc-affine-map", "map_triple map_inc", ["list[-40,40]/10"], {}),
]


def _value(rng: random.Random, spec: str):
    kind, _, n = spec.partition("/")
    if kind.startswith(("int", "list", "nelist")):
        name, rng_txt = kind.split("[")
        lo, hi = map(int, rng_txt.rstrip("]").split(","))
        if name == "int":
            return rng.randint(lo, hi)
        m = rng.randint(1 if name == "nelist" else 0, int(n))
        return tuple(rng.randint(lo, hi) for _ in range(m))
    m = rng.randint(1 if kind == "nestr" else 0, int(n))
    return "".join(rng.choice("abcdefgh") for _ in range(m))


def hand_tasks(rows, profile: str, seed: int) -> list[dict]:
    p = get_profile(profile)
    out = []
    for name, prog, types, extra in rows:
        rng = random.Random(f"{seed}:{name}")
        code = parse(prog, p).code
        extra = dict(extra)
        ref = extra.pop("ref", None)
        if ref is not None:
            extra["note"] = f"reference constants {json.dumps(ref)}"
        consts = extra.get("constants", []) + (ref or [])
        fixed = extra.pop("inputs", None)
        exs, seen = [], set()
        for j in range(500):
            stack = fixed[j] if fixed else [_value(rng, t) for t in types]
            if "kth" in name:       # an index that fits the list
                stack[1] = rng.randrange(len(stack[0]))
            r = run(code, stack, consts, p)
            if r.ok and repr(stack) not in seen:
                seen.add(repr(stack))
                outv = list(r.stack) if extra.get("match") == "exact" else [r.stack[-1]]
                exs.append({"input": [to_json(v) for v in stack], "output": [to_json(v) for v in outv]})
            if len(exs) == N_EXAMPLES:
                break
        assert len(exs) == N_EXAMPLES, name
        d = {"name": f"hand-{name}", "examples": exs, **extra, "program": prog}
        if profile != "small":
            d["profile"] = profile
        out.append(d)
    return out


def redundant(task: Task) -> bool:
    """Do two prefixes of the reference program leave the same stacks on every example, or does a proper
    prefix already solve the task?"""
    p = get_profile(task.profile)
    consts = list(task.constants) or task.extra.get("constants", [])
    code = parse(task.program, p).code
    return redundancy.redundant(code, [ex.input for ex in task.examples], consts, p,
                                lambda prefix: verify(task, prefix, consts))


def sampled_tasks(profile: str, per_length: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out, names = [], set()
    for length in range(1, 9):
        k = tries = 0
        while k < per_length:
            tries += 1
            assert tries < 50 * per_length, f"cannot sample {per_length} tasks of length {length}"
            free = k % 4 == 3 and length >= 2   # every fourth task hides one int constant
            match = "exact" if k % 8 == 5 else "top"
            try:
                t = sample_task(rng, profile, length=length, n_examples=N_EXAMPLES, match=match,
                                free_constants=free, n_consts=1 if free else None)
            except ValueError:
                continue
            if t.name in names or redundant(t):
                continue
            names.add(t.name)
            d = t.to_json()
            d["name"] = f"{profile}-L{length}-{k:02d}"
            if free:
                d["note"] = f"reference constants {json.dumps(t.extra['constants'])}"
            out.append(d)
            k += 1
    return out


def check(tasks: list[dict], source: str) -> None:
    """Every reference program solves its task on the machine (with its reference constants)."""
    for t, d in zip(parse_tasks("\n".join(json.dumps(x) for x in tasks) + "\n" * 2, source), tasks):
        consts = list(t.constants) + (json.loads(d["note"].split("constants ")[1]) if t.free_constants else [])
        assert verify(t, t.program, consts), (source, t.name)


def write_jsonl(path: Path, tasks: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(t) + "\n" for t in tasks))
    print(f"wrote {path} ({len(tasks)} tasks)")


def main() -> None:
    small = hand_tasks(HAND_SMALL, "small", 1) + sampled_tasks("small", 16, 1)
    deep = hand_tasks(HAND_DEEPCODER, "deepcoder", 2) + sampled_tasks("deepcoder", 12, 2)
    check(small, "small")
    check(deep, "deepcoder")
    write_jsonl(ROOT / "datasets/public/small.jsonl", small)
    write_jsonl(ROOT / "datasets/public/deepcoder.jsonl", deep)
    write_examples(ROOT / "datasets/examples")


def write_examples(folder: Path) -> None:
    """Small files for the README, one per form of docs §5."""
    by = {t["name"]: t for t in hand_tasks(HAND_SMALL, "small", 1)}

    def plain(name, new):
        d = dict(by[f"hand-{name}"])
        d["name"] = new
        return d
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "affine.json").write_text(json.dumps(plain("affine", "affine"), indent=1) + "\n")
    (folder / "square_plus_const.json").write_text(
        json.dumps(plain("square-plus-37", "square-plus-const"), indent=1) + "\n")
    (folder / "lists.json").write_text(json.dumps([plain(n, n) for n in ("list-sum", "list-max", "count-positive",
                                                                         "head-plus-last")], indent=1) + "\n")
    (folder / "strings.json").write_text(json.dumps({"tasks": [plain(n, n) for n in (
        "reverse-string", "palindrome", "mirror", "number-twice")]}, indent=1) + "\n")
    write_jsonl(folder / "mixed.jsonl", [plain(n, n) for n in ("abs-diff", "max3", "clamp-0-10", "is-even",
                                                               "swap-exact", "sum-of-evens")])
    for f in sorted(folder.iterdir()):
        load_tasks(f)  # every file loads


if __name__ == "__main__":
    main()
