"""Shared fixtures: the SPEC edge cases, the repository root, the tiny evaluator config.

The tests mirror the packages: tests/dsl/test_<module>.py, tests/synth/<package>/test_<module>.py. Exhaustive,
DDP and end-to-end tests carry the `slow` marker (`python -m pytest -m "not slow"` skips them).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def spec_cases() -> list[dict]:
    path = SHARED / "spec_cases.jsonl"
    assert path.exists(), f"{path} missing: CI and developers keep shared/ beside the repository"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def tiny_evaluator(**kw):
    """The tiny evaluator preset (synth/conf/evaluator/tiny.yaml) as an EvaluatorConfig, with `kw` replaced."""
    import dataclasses
    from synth.config import compose
    from synth.evaluator.train import TrainEvaluatorConfig
    return dataclasses.replace(compose("train_evaluator", ["evaluator=tiny"], TrainEvaluatorConfig).model, **kw)


@pytest.fixture
def root() -> Path:
    return ROOT
