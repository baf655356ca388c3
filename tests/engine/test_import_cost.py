"""What importing costs: ``dbx-pipeline --help`` and the engine's modules must not import databricks-sdk.

``import databricks.sdk`` alone takes about a second (its package imports every service module), and the
emulators pull in the HTTP server and workspace generators. Each check runs in a fresh interpreter, so
nothing this test process imported counts. The wizard's first page has the same check
(``tests/wizard/test_pages.py::test_first_page_imports_neither_the_sdk_nor_the_emulators``).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.paths import REPO

HEAVY = ("databricks", "core.emulators")


def _imported_by(args: list[str]) -> list[str]:
    """Modules a fresh ``python -X importtime <args>`` imported (from its stderr)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return [
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    ]


@pytest.mark.parametrize("command", [["--help"], ["ingest", "--help"], ["preview", "--help"]])
def test_cli_help_imports_neither_the_sdk_nor_the_emulators(command: list[str]) -> None:
    modules = _imported_by(["-m", "core.cli", *command])
    assert "argparse" in modules  # the parse worked: importtime lines were read
    assert [name for name in modules if name.startswith(HEAVY)] == []
    assert (
        "core.config" not in modules
    )  # nor pydantic's models: only a command that reads a config needs them


def test_the_engine_the_workflow_and_the_factories_import_no_sdk_until_a_source_is_built() -> None:
    engine = "core.engine, core.workflow, core.preview, core.checks, core.factory, core.source"
    modules = _imported_by(["-c", f"import {engine}"])
    assert "core.workflow" in modules
    assert [name for name in modules if name.startswith(HEAVY)] == []
