"""``mypy`` on ``core/`` and ``ui/`` is part of the test suite, with the settings in pyproject.toml.

Strict on the engine, plain checks on the emulators and the wizard ([tool.mypy] says which and why).
Slow tier (tests/tiers.py): a cold run type-checks pydantic, the SDK and Streamlit too (~20 s on 2
cores); the cache in ``.cache/mypy`` makes a rerun take about a second.
"""

from __future__ import annotations

import subprocess
import sys

from tests.paths import REPO

try:
    import tomllib
except ImportError:  # Python 3.10
    from pip._vendor import tomli as tomllib  # type: ignore[no-redef]


def test_mypy_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"`mypy` exited {result.returncode}:\n{result.stdout}{result.stderr}"


def test_mypy_is_strict_and_ignores_missing_imports_only_per_module() -> None:
    with open(REPO / "pyproject.toml", "rb") as file:
        mypy = tomllib.load(file)["tool"]["mypy"]
    assert mypy["strict"] is True
    assert sorted(mypy["files"]) == ["core", "ui"]
    assert "ignore_missing_imports" not in mypy, "name the untyped package in an override instead"
    for override in mypy["overrides"]:
        if override.get("ignore_missing_imports"):
            modules = override["module"] if isinstance(override["module"], list) else [override["module"]]
            assert not any(m.startswith(("core", "ui")) for m in modules), modules
