"""What the README-commands test measured, printed at the end of the run (and kept in test-artifacts/)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.paths import REPO

ARTIFACT = REPO / "test-artifacts" / "readme-commands.json"
TIMINGS: dict[str, Any] = {}


def _record(name: str, value: float | str, unit: str = "s") -> None:
    TIMINGS[f"{name} ({unit})" if isinstance(value, float) else name] = (
        round(value, 1) if isinstance(value, float) else value
    )
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(TIMINGS, indent=2) + "\n")


@pytest.fixture(scope="session")
def measured() -> Any:
    """``measured(name, value, unit="s")`` (a float with its unit, or a text): printed at the end of the run."""
    return _record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TIMINGS:
        terminalreporter.section("dbx-pipeline: the README's commands on Debian's python3")
        for name, value in TIMINGS.items():
            terminalreporter.line(f"{name}: {value}")
