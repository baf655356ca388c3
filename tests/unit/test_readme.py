"""The README's set-up commands are what CI runs, and they work without activating the virtualenv."""

from __future__ import annotations

from tests.readme import ci_command, readme_commands


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    assert ci_command() == readme_commands()[1]


def test_both_commands_create_and_use_the_virtualenv_without_activating_it() -> None:
    for command in readme_commands():
        create, install, run = command.split(" && ")
        assert create == "python3 -m venv .venv", command
        assert install.startswith(".venv/bin/python -m pip install -e "), command
        assert run.startswith(".venv/bin/"), command
        assert "activate" not in command and "source " not in command, command
