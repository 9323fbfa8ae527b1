"""The generated tables of docs/language.md: the op table from `dsl.ops`, the profile table from `dsl.profiles`.

    python -m dsl.doc                          # print both tables (Markdown)
    python -m dsl.doc --write docs/language.md # rewrite the marked sections of the doc in place
    python -m dsl.doc --check docs/language.md # exit 1 when the doc's tables differ from the code's

The doc marks each generated section with a pair of HTML comments:
`<!-- generated: ops -->` ... `<!-- end generated: ops -->` (and the same with `profiles`). Everything
between them is replaced; everything outside is hand-written. The one-line meanings of the ops live here in
MEANING, and every op of the table must have one (a new op without it fails `tests/test_docs.py`).
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .ops import OPS
from .profiles import (CONST_OPS, CONV_OPS, INT_OPS, LIST_OPS, LOGIC_OPS, PROFILES, SEQ_OPS, STACK_OPS)

GROUPS = (("stack", STACK_OPS), ("constant", CONST_OPS), ("integer", INT_OPS), ("logic", LOGIC_OPS),
          ("sequence", SEQ_OPS), ("conversion", CONV_OPS), ("list", LIST_OPS))

MEANING = {
    "dup": "copy the top", "drop": "discard the top", "swap": "exchange the top two",
    "over": "copy the second onto the top", "rot": "bring the third to the top",
    "c0": "push constant 0", "c1": "push constant 1", "c2": "push constant 2", "c3": "push constant 3",
    "add": "a + b", "sub": "a - b", "mul": "a * b", "div": "a // b, floored; `div_zero` when b = 0",
    "mod": "a % b, sign of b; `div_zero` when b = 0", "min": "smaller of a, b", "max": "larger of a, b",
    "neg": "-a", "abs": "|a|", "inc": "a + 1", "dec": "a - 1", "double": "2 * a", "half": "a // 2, floored",
    "square": "a * a",
    "eq": "a equals b (both of one type, else `type`)", "lt": "a < b", "gt": "a > b", "not": "logical not",
    "and": "logical and", "or": "logical or", "select": "a if the flag is true, else b",
    "len": "length", "reverse": "reversed", "concat": "s followed by t (same type)",
    "head": "first element (`index` when empty)", "last": "last element (`index` when empty)",
    "take": "first n elements, n clamped to 0..len", "skip": "all but the first n, n clamped to 0..len",
    "access": "element n (`index` unless 0 <= n < len)",
    "to_str": "decimal text", "to_int": "decimal text with optional leading `-` to int, else `type`",
    "sum": "sum of the elements", "minimum": "smallest element (`index` when empty)",
    "maximum": "largest element (`index` when empty)", "sort": "ascending order",
    "map_inc": "x + 1 each", "map_dec": "x - 1 each", "map_double": "2x each",
    "map_half": "x / 2 each, toward zero", "map_neg": "-x each", "map_square": "x * x each",
    "map_triple": "3x each", "map_third": "x / 3 each, toward zero", "map_quadruple": "4x each",
    "map_quarter": "x / 4 each, toward zero",
    "filter_pos": "keep x > 0", "filter_neg": "keep x < 0", "filter_even": "keep even x",
    "filter_odd": "keep odd x", "count_pos": "how many x > 0", "count_neg": "how many x < 0",
    "count_even": "how many even x", "count_odd": "how many odd x",
    "zipwith_add": "xs[i] + ys[i], shorter length", "zipwith_sub": "xs[i] - ys[i], shorter length",
    "zipwith_mul": "xs[i] * ys[i], shorter length", "zipwith_min": "min(xs[i], ys[i]), shorter length",
    "zipwith_max": "max(xs[i], ys[i]), shorter length",
    "scanl1_add": "running sum", "scanl1_sub": "running difference", "scanl1_mul": "running product",
    "scanl1_min": "running minimum", "scanl1_max": "running maximum",
}


def _signature(name: str) -> str:
    op = OPS[name]
    if op.fn is None:  # a constant: pushes whatever value c<K> holds
        return f"`( -- {name} )`"
    return f"`{op.signature}`"


def ops_table() -> str:
    missing = sorted(set(OPS) - set(MEANING))
    if missing:
        raise KeyError(f"dsl/doc.py MEANING has no entry for op(s): {', '.join(missing)}")
    rows = ["| op | group | signature | result | overflow checked | profiles |", "|---|---|---|---|---|---|"]
    for group, names in GROUPS:
        for name in names:
            op = OPS[name]
            rows.append(f"| `{name}` | {group} | {_signature(name)} | {MEANING[name]} | "
                        f"{'yes' if op.checked else 'no'} | {', '.join(op.profiles)} |")
    return "\n".join(rows)


def profiles_table() -> str:
    rows = ["| profile | ints | `max_len` | `max_depth` | `max_program` | ops |", "|---|---|---|---|---|---|"]
    for p in PROFILES.values():
        rows.append(f"| `{p.name}` | {p.int_min}..{p.int_max} | {p.max_len} | {p.max_depth} | {p.max_program} "
                    f"| {len(p.ops)} |")
    return "\n".join(rows)


TABLES = {"ops": ops_table, "profiles": profiles_table}
_SECTION = re.compile(r"(<!-- generated: (\w+) -->\n)(.*?)(<!-- end generated: \2 -->)", re.S)


def render(doc: str) -> str:
    """`doc` with every marked section replaced by its table, as the code says now."""
    def fill(m: re.Match) -> str:
        if m.group(2) not in TABLES:
            raise KeyError(f"unknown generated section {m.group(2)!r}; known: {', '.join(TABLES)}")
        return f"{m.group(1)}{TABLES[m.group(2)]()}\n{m.group(4)}"
    return _SECTION.sub(fill, doc)


def sections(doc: str) -> list[str]:
    return [m.group(2) for m in _SECTION.finditer(doc)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dsl.doc", description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--write", metavar="DOC", help="rewrite the marked sections of DOC in place")
    g.add_argument("--check", metavar="DOC", help="exit 1 when DOC's marked sections differ from the code")
    args = ap.parse_args(argv)
    if not (args.write or args.check):
        print("## Ops\n\n" + ops_table() + "\n\n## Profiles\n\n" + profiles_table())
        return 0
    path = Path(args.write or args.check)
    doc = path.read_text(encoding="utf-8")
    new = render(doc)
    if args.check:
        if new != doc:
            print(f"{path}: generated tables are out of date; run python -m dsl.doc --write {path}",
                  file=sys.stderr)
            return 1
        return 0
    if new != doc:
        path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
