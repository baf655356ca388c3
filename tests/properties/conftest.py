"""Property tests: print and record how many generated examples ran (see ``harness.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.properties.harness import COUNTS

ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "hypothesis-examples.json"


def _summary() -> dict[str, Any]:
    return {
        "total_examples": sum(entry["examples"] for entry in COUNTS.values()),
        "total_calls": sum(entry["calls"] for entry in COUNTS.values()),
        "tests": dict(sorted(COUNTS.items())),
    }


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not COUNTS:
        return
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(_summary(), indent=2) + "\n")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not COUNTS:
        return
    summary = _summary()
    terminalreporter.section("hypothesis examples")
    for name, entry in summary["tests"].items():
        terminalreporter.write_line(f"{entry['examples']:6d}  {name}")
    terminalreporter.write_line(f"{summary['total_examples']:6d}  total (written to {ARTIFACT})")
