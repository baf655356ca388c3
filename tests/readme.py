"""The README's two set-up commands, read from the README itself (so tests break when it drifts)."""

from __future__ import annotations

import re

from tests.paths import REPO

SECTION = "## Set up on a fresh machine"


def readme_commands() -> tuple[str, str]:
    """``(wizard, tests)``: the two ```bash blocks of the README's set-up section, one line each."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert SECTION in text, f"README.md has no {SECTION!r} section"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]
    assert len(blocks) == 2, f"the set-up section should hold exactly two commands, found {blocks}"
    for block in blocks:
        assert "\n" not in block, f"a set-up command should be one line: {block!r}"
    wizard, tests = blocks
    assert "streamlit run " in wizard, wizard
    assert wizard.count(" && ") == 2 and tests.count(" && ") == 2, blocks
    return wizard, tests


def ci_command() -> str:
    """The command ``.ci/run`` runs (its last line)."""
    lines = (REPO / ".ci" / "run").read_text().strip().splitlines()
    return lines[-1].strip()
