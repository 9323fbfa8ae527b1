"""Look inside a trained model: attention entropy/support per head, head ablations.

    from synth.evaluator import load_evaluator
    from synth.inspect import load_runs, per_op_programs, attention_report, ablation_report
    model = load_evaluator("synth/pretrained/evaluator_small.pt").model
    runs = load_runs("datasets/heldout/small_runs.jsonl", model.profile)
    print(attention_report(model, runs.steps(model.tok, limit=512), "out/")["text"])
    print(ablation_report(model, lambda: per_op_programs(model, runs), "out/")["text"])
    entropy_bits(attn), support(attn), probe(model, {"encoder": AttnIntervention(...)}), ablations(...)

The same from the command line: `synth inspect attention|ablate --checkpoint PATH --traces RUNS --out DIR`.
"""
from .ablate import KINDS, Row, ablations, head_means
from .entropy import SupportTable, entropy_bits, slot_names, support, support_table
from .heldout import Runs, Steps, load_runs, per_op_programs, per_op_steps, same_state
from .hooks import Recording, find_transformers, probe
from .report import ablation_report, attention_report, record_support

__all__ = ["entropy_bits", "support", "support_table", "SupportTable", "slot_names",
           "probe", "find_transformers", "Recording", "ablations", "head_means", "Row", "KINDS",
           "Runs", "Steps", "load_runs", "per_op_programs", "per_op_steps", "same_state",
           "attention_report", "ablation_report", "record_support"]
