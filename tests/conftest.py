"""Shared fixtures: the language's edge cases (tests/data/edge_cases.jsonl), the repository root."""
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


@pytest.fixture
def root() -> Path:
    return ROOT
