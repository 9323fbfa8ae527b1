"""Shared fixtures: the language's edge cases (tests/data/edge_cases.jsonl), the repository root, the tiny evaluator config.

The tests mirror the packages: tests/dsl/test_<module>.py, tests/synth/<package>/test_<module>.py. Exhaustive,
DDP and end-to-end tests carry the `slow` marker (`python -m pytest -m "not slow"` skips them).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EDGE_CASES = Path(__file__).resolve().parent / "data" / "edge_cases.jsonl"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def spec_cases() -> list[dict]:
    """The run records of docs/language.md §7 that the machine must answer as recorded."""
    return read_jsonl(EDGE_CASES)


def tiny_evaluator(**kw):
    """The tiny evaluator preset (synth/conf/evaluator/tiny.yaml) as an EvaluatorConfig, with `kw` replaced."""
    import dataclasses
    from synth.config import compose
    from synth.evaluator.train import TrainEvaluatorConfig
    return dataclasses.replace(compose("train_evaluator", ["evaluator=tiny"], TrainEvaluatorConfig).model, **kw)


@pytest.fixture
def root() -> Path:
    return ROOT
