"""Trace data: generation and reading of trace shards (`shards`); tokenizer and datasets live beside it.

    from synth.data import GenerateConfig, generate, iter_runs, iter_steps, steps_of, verify
"""
from .shards import GenerateConfig, generate, items_of, iter_runs, iter_steps, read_manifest, steps_of, verify

__all__ = ["GenerateConfig", "generate", "items_of", "iter_runs", "iter_steps", "read_manifest", "steps_of",
           "verify"]
