"""Run a program on the real machine (docs §2, §7).

    synth run "dup mul c0 add" --input "[3]" --constants "[1]"          -> {"ok": true, "stack": [10]}
    synth run "dup mul" --input "[3]" --trace                          -> one JSON line per step, then the result
    synth run --file runs.jsonl                                        -> each record answered, in order

A --file record is {"program", "input", "constants"?, "profile"?, "result"?}; the answer is the record with
`result` set to the machine's answer. A program that does not parse is answered with error "syntax".
The whole file is validated before anything is printed; a bad record stops with exit 2 and names its line.
"""
from __future__ import annotations

import json
import sys

HELP = "run a program on the machine, or answer a docs §7 runs file"


def add_arguments(p) -> None:
    p.add_argument("program", nargs="?", help="program text, e.g. 'dup mul c0 add'")
    p.add_argument("--input", default="[]", help="initial stack as a JSON array, bottom first (default [])")
    p.add_argument("--constants", default="[]", help="constants c0, c1, ... as a JSON array")
    p.add_argument("--profile", default="small", help="language profile: small (default) or deepcoder")
    p.add_argument("--trace", action="store_true", help="print every intermediate stack before the result")
    p.add_argument("--file", help="a JSON Lines file of run records (docs §7) to answer")


def _json_arg(text: str, flag: str):
    from dsl.values import loads

    from ..errors import UserError
    try:
        return loads(text, flag, one_line=True)
    except ValueError as e:
        raise UserError(str(e)) from None


def _load(rec: dict, where: str):
    """(program text, profile, input stack, constants) of a run record, validated."""
    from dsl import get_profile
    from dsl.values import check_program_text, clip, json_name, stack_from_json

    from ..errors import UserError
    if not isinstance(rec, dict):
        raise UserError(f"{where}: a record must be a JSON object, got {json_name(rec)}")
    unknown = set(rec) - {"program", "input", "constants", "profile", "result"}
    if unknown:
        raise UserError(f"{where}: unknown field '{clip(sorted(unknown)[0])}' "
                        "(known: program, input, constants, profile, result)")
    if not isinstance(rec.get("program"), str):
        raise UserError(f"{where}, field 'program': must be a string, got {json_name(rec.get('program'))}")
    try:
        check_program_text(rec["program"], f"{where}, field 'program'")
        prof = rec.get("profile", "small")
        try:
            p = get_profile(prof if isinstance(prof, str) else repr(prof))
        except ValueError as e:
            raise ValueError(f"{where}, field 'profile': {clip(str(e), 80)}") from None
        stack = stack_from_json(rec.get("input", []), p, f"{where}, field 'input'")
        consts = stack_from_json(rec.get("constants", []), p, f"{where}, field 'constants'")
    except ValueError as e:
        raise UserError(str(e)) from None
    if len(stack) > p.max_depth:
        raise UserError(f"{where}, field 'input': stack deeper than max_depth {p.max_depth}")
    return rec["program"], p, stack, consts


def answer(program: str, p, stack, consts) -> dict:
    from dsl import DslSyntaxError, parse, run
    try:
        prog = parse(program, p)
    except DslSyntaxError as e:
        return {"ok": False, "error": "syntax", "message": str(e)}
    return run(prog, stack, consts, p).to_json()


def main(args) -> int:
    from dsl import parse, trace
    from dsl.values import to_json

    from ..errors import UserError
    from ..io import read_jsonl
    if args.overrides:
        raise UserError(f"synth run takes no config overrides (got {args.overrides[0]!r})")
    if args.file:
        if args.program:
            raise UserError("give either a PROGRAM or --file, not both")
        from dsl.records import answer_file
        fast = answer_file(args.file)   # every record plainly valid: answered in one pass; else validate below
        if fast is not None:
            sys.stdout.write(fast)
            return 0
        records = list(read_jsonl(args.file))
        loaded = [_load(obj, f"{args.file}: line {n}") for n, obj in records]  # all validated before any print
        for (_, rec), (prog, p, stack, consts) in zip(records, loaded):
            print(json.dumps({**rec, "result": answer(prog, p, stack, consts)}))
        return 0
    if args.program is None:
        raise UserError("give a PROGRAM (e.g. synth run 'dup mul' --input '[3]') or --file RUNS.jsonl")
    rec = {"program": args.program, "input": _json_arg(args.input, "--input"),
           "constants": _json_arg(args.constants, "--constants"), "profile": args.profile}
    prog_text, p, stack, consts = _load(rec, "command line")
    prog = parse(prog_text, p)  # a syntax error here is the user's: one line, exit 2
    if args.trace:
        for s in trace(prog, stack, consts, p):
            item = s.item if isinstance(s.item, str) or s.item is None else prog.items[s.index].text
            row = {"index": s.index, "item": item, "before": [to_json(v) for v in s.before]}
            row.update({"after": [to_json(v) for v in s.after]} if s.error is None else {"error": s.error})
            print(json.dumps(row))
    print(json.dumps(answer(prog_text, p, stack, consts)))
    return 0

