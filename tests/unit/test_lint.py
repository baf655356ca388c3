"""``ruff check`` on the whole checkout is part of the test suite (CI runs only the README's test command)."""

from __future__ import annotations

import subprocess
import sys

from tests.paths import REPO


def test_ruff_check_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"`ruff check .` exited {result.returncode}:\n{result.stdout}{result.stderr}"
