"""Held-out exact match of any executor with the Evaluator API (the evaluator, the student), scored one way.

    from synth.executor.evaluate import score
    rep = score(load_student(), "datasets/heldout/small_runs.jsonl")   # the eval-evaluator report:
    rep["per_length"]["1"], rep["per_length"]["4"], rep["one_op"]["add"]  # {"records", "exact_match", "per_op",
                                                                         #   "per_length", "one_op", "counts", "skipped"}

Records are read and validated as `synth eval-evaluator` reads them (synth.commands.run._load), each program
runs in latent space and is decoded once (Evaluator.run_programs), and a prediction is judged and summarised
by the same functions as eval-evaluator's (`same_state`, `summarize`), so the evaluator's and the student's
numbers are comparable by construction.
"""
from __future__ import annotations

from ..commands.eval_evaluator import same_state, summarize


def load_runs(traces: str, profile: str, n_consts: int, records: list | None = None
              ) -> tuple[list, list, list, list, int]:
    """(codes, inputs, constants, results, skipped) of a docs §7 runs file; bad records are UserErrors.
    `records`: the file's (line, record) pairs when the caller has read them already (synth.io.read_jsonl)."""
    from dsl import DslSyntaxError, parse, run

    from ..commands.run import _load
    from ..errors import UserError
    from ..io import read_jsonl
    if records is None:
        try:
            records = list(read_jsonl(traces))
        except OSError as e:
            raise UserError(f"{traces}: cannot read: {e.strerror}") from None
    codes, inputs, consts, results, skipped = [], [], [], [], 0
    for n, rec in records:
        where = f"{traces}: line {n}"
        prog, p, stack, cs = _load(rec, where)
        if p.name != profile:
            raise UserError(f"{where}: profile {p.name!r} differs from the checkpoint's {profile!r}")
        try:
            code = parse(prog, p).code
        except DslSyntaxError:
            skipped += 1
            continue
        result = rec.get("result")
        if result is not None and not (isinstance(result, dict) and isinstance(result.get("ok"), bool) and
                                       isinstance(result.get("stack", []), list)):
            raise UserError(f"{where}, field 'result': must be an object with a boolean 'ok' (and a 'stack' array)")
        result = result or run(code, stack, cs, p).to_json()
        if result.get("error") == "syntax":
            skipped += 1
            continue
        if len(cs) > n_consts:
            raise UserError(f"{where}: {len(cs)} constants; the {p.name} profile has {n_consts}")
        codes.append(code), inputs.append(stack), consts.append(cs), results.append(result)
    if not codes:
        raise UserError(f"{traces}: no records to evaluate")
    return codes, inputs, consts, results, skipped


def score(ev, traces: str, batch_size: int = 512, records: list | None = None) -> dict:
    """eval-evaluator's report for `ev` (an Evaluator over the evaluator or the student) on a runs file
    (`records`: as load_runs)."""
    codes, inputs, consts, results, skipped = load_runs(traces, ev.profile.name, ev.tok.n_consts, records)
    preds = ev.run_programs(codes, inputs, consts, batch_size=batch_size)
    report = summarize(codes, [same_state(pr, r) for pr, r in zip(preds, results)])
    report["skipped"] = skipped
    return report


def codec_score(ev, traces: str, batch_size: int = 512) -> float:
    """Share of the runs file's INPUT stacks that survive encode -> decode exactly (no step): a bound on what
    any program's exact match can reach, since every slot of the final stack must decode."""
    from dsl.values import to_json
    codes, inputs, consts, _, _ = load_runs(traces, ev.profile.name, ev.tok.n_consts)
    preds = ev.run_programs([()] * len(codes), inputs, consts, batch_size=batch_size)
    hits = [same_state(pr, {"ok": True, "stack": [to_json(v) for v in s]}) for pr, s in zip(preds, inputs)]
    return round(sum(hits) / len(hits), 4)
