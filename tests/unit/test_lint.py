"""``ruff check`` on the whole checkout is part of the test suite (CI runs only the README's test command).

Every ``# noqa`` says why, after its codes: ``# noqa: CODE[, CODE] -- reason`` (ruff reads the codes and
ignores the rest; PGH004 already refuses a bare ``# noqa``, RUF100 one that suppresses nothing).
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from tests.paths import REPO

#: The directories that hold the project's Python (ruff checks the same files).
_SOURCES = ("core", "ui", "tests")
#: ``noqa`` anywhere in a comment, including ruff's and flake8's file-level form (``ruff:`` before it).
_NOQA = re.compile(r"#\s*(?:ruff:\s*|flake8:\s*)?noqa\b", re.IGNORECASE)
#: What a ``noqa`` must look like: codes, then `` -- `` and a reason.
_REASONED = re.compile(r"#\s*noqa:\s*[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*\s+--\s+\S")


def test_ruff_check_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        f"`ruff check .` exited {result.returncode}:\n{result.stdout}{result.stderr}"
    )


def unreasoned_noqa(source: str) -> list[tuple[int, str]]:
    """(line, comment) of every ``# noqa`` comment in ``source`` that gives no reason after its codes.

    Only comments count (``tokenize``): a ``noqa`` inside a string (a DAG template) is text, not a directive.
    """
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        for match in _NOQA.finditer(token.string):
            if not _REASONED.match(token.string, match.start()):
                found.append((token.start[0], token.string))
                break
    return found


@pytest.mark.parametrize(
    ("comment", "offends"),
    [
        ("x = 1  # noqa: BLE001 -- a bug must cost one pipeline", False),
        ("x = 1  # noqa: F401, E402 -- imported for its side effect", False),
        ("x = 1  # type: ignore[attr-defined]  # noqa: B009 -- the SDK sets it at run time", False),
        ("x = 1  # noqa", True),
        ("x = 1  # noqa: BLE001", True),
        ("x = 1  # noqa: BLE001 - one dash is not the separator", True),
        ("x = 1  # noqa: BLE001 --", True),
        ("# ruff: noqa: E501", True),
        ('x = "# noqa"  # a string, not a comment', False),
    ],
)
def test_the_noqa_format(comment: str, offends: bool) -> None:
    assert bool(unreasoned_noqa(comment + "\n")) is offends


def test_every_noqa_gives_its_reason() -> None:
    offenders = []
    for directory in _SOURCES:
        for path in sorted((REPO / directory).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if "noqa" not in text.lower():
                continue  # most files: tokenizing every file would cost the fast tier a second
            for line, comment in unreasoned_noqa(text):
                offenders.append(f"{path.relative_to(REPO)}:{line}: {comment}")
    assert not offenders, "a `# noqa` needs its reason: `# noqa: CODE -- why`:\n" + "\n".join(offenders)


def test_the_scan_sees_the_checkout() -> None:
    scanned = [path for directory in _SOURCES for path in (REPO / directory).rglob("*.py")]
    assert Path(REPO / "core" / "prefetch.py") in scanned
    assert sum("# noqa: BLE001 -- " in path.read_text(encoding="utf-8") for path in scanned) >= 1
