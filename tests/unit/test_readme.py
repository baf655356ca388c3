"""The README's set-up commands are what CI runs, and they work without activating the virtualenv."""

from __future__ import annotations

from pathlib import Path

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


def policy_table() -> str:
    """The README's failure-policy table, rendered from ``core.errors.FAILURE_POLICY`` (rows with the same
    outcomes everywhere share a line, in the table's order)."""
    from core.errors import FAILURE_POLICY, Place

    heads = {
        Place.SETUP: "setup",
        Place.LISTING: "listing",
        Place.PIPELINE: "one pipeline",
        Place.LINEAGE: "lineage query",
        Place.EDGE: "one lineage edge",
        Place.CLEANUP: "cleanup listing",
        Place.DELETE: "one delete",
    }
    groups: dict[tuple[object, ...], list[str]] = {}
    for cls, row in FAILURE_POLICY.items():
        key = (*(row.at(place).value for place in Place), row.retried)
        name = "a bug (any other exception)" if cls is Exception else f"`{cls.__name__}`"
        groups.setdefault(key, []).append(name)
    lines = [
        "| error | " + " | ".join(heads[place] for place in Place) + " | retried first |",
        "|---" * (len(Place) + 2) + "|",
    ]
    for key, names in groups.items():
        *outcomes, retried = key
        lines.append(
            f"| {', '.join(names)} | " + " | ".join(map(str, outcomes)) + f" | {'yes' if retried else 'no'} |"
        )
    return "\n".join(lines)


def test_the_failure_table_is_the_engines_own() -> None:
    from tests.paths import REPO

    table = policy_table()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert table in readme, "README's failure table is out of date; paste this:\n" + table


def _layout_block() -> str:
    from tests.paths import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1]
    return section.split("```", 2)[1]


def _rooms(root: Path) -> list[str]:
    """The names the layout must show for ``root``: its packages and modules, and their subpackages."""
    names = []
    for path in sorted(root.iterdir()):
        if path.name.startswith(("_", ".")):
            continue
        if path.suffix == ".py":
            names.append(path.name)
        elif (path / "__init__.py").exists():
            names.append(path.name)
            names.extend(child.name for child in sorted(path.iterdir()) if (child / "__init__.py").exists())
    return names


def test_the_layout_names_every_package_module_and_test_folder() -> None:
    """Every package and top-level module of core/ and ui/, their subpackages and every test folder are
    named in the README's layout (by their names in the tree), so the map cannot fall behind."""
    from tests.paths import REPO

    named = {token.rstrip("/") for line in _layout_block().splitlines() for token in line.split()}
    wanted = [*_rooms(REPO / "core"), *_rooms(REPO / "ui")]
    wanted += [
        path.name for path in sorted((REPO / "tests").iterdir()) if path.is_dir() and path.name[0] not in "_."
    ]
    missing = [name for name in wanted if name not in named]
    assert not missing, f"README's layout does not name: {missing}"
