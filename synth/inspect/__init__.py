"""Look inside a trained model: attention entropy/support per head, head ablations.

    from synth.inspect import entropy_bits, support, probe, ablations, load_evaluator, load_steps
    model = load_evaluator("synth/pretrained/evaluator.pt")
    steps = load_steps("datasets/heldout/runs.jsonl", model.tok, limit=4096)
    print(attention_report(model, steps.subset(range(512)), "out/")["text"])
    print(ablation_report(model, steps, "out/")["text"])

The same from the command line: `synth inspect attention|ablate --checkpoint PATH --traces RUNS --out DIR`.
"""
from .ablate import KINDS, Row, ablations, head_means
from .entropy import SupportTable, entropy_bits, slot_names, support, support_table
from .heldout import Steps, load_evaluator, load_steps, per_op_exact, summary
from .hooks import Recording, find_transformers, probe
from .report import ablation_report, attention_report, record_support

__all__ = ["entropy_bits", "support", "support_table", "SupportTable", "slot_names",
           "probe", "find_transformers", "Recording", "ablations", "head_means", "Row", "KINDS",
           "Steps", "load_evaluator", "load_steps", "per_op_exact", "summary",
           "attention_report", "ablation_report", "record_support"]
