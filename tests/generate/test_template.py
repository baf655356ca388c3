"""The generators' templates ship with the package and render strictly."""

from __future__ import annotations

import fnmatch
import importlib.resources
from pathlib import Path

import jinja2
import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    from pip._vendor import tomli as tomllib  # type: ignore[no-redef]

from core.generate.template import TEMPLATE_PACKAGE, python_literal, python_text, render_template

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "core" / "generate" / "templates"


@pytest.mark.parametrize(
    ("name", "needle"), [("dag.py.jinja", "with DAG("), ("README.md.jinja", "# Deploying `{{ dag_id }}`")]
)
def test_the_templates_are_found_as_package_data(name: str, needle: str) -> None:
    template = importlib.resources.files(TEMPLATE_PACKAGE).joinpath("templates", name)
    assert template.is_file()
    assert needle in template.read_text(encoding="utf-8")


def test_every_template_is_covered_by_the_wheels_package_data() -> None:
    """setuptools puts a non-Python file into the wheel only when ``package-data`` names it."""
    with open(REPO / "pyproject.toml", "rb") as file:
        package_data = tomllib.load(file)["tool"]["setuptools"]["package-data"]
    patterns = package_data[TEMPLATE_PACKAGE]
    files = sorted(path.relative_to(TEMPLATES.parent).as_posix() for path in TEMPLATES.rglob("*.*"))
    assert files, "no templates found"
    uncovered = [name for name in files if not any(fnmatch.fnmatch(name, p) for p in patterns)]
    assert uncovered == []


def test_a_name_missing_from_the_context_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render_template("dag.py.jinja", engine="core")


def test_literals_are_written_as_ruff_format_writes_them() -> None:
    assert python_literal('say "hi"') == '"say \\"hi\\""'
    assert python_literal(["a", "b"]) == '["a", "b"]'
    assert (python_literal(True), python_literal(3), python_literal(None)) == ("True", "3", "None")
    assert python_text("two\nlines") == '"""two\nlines\n"""'
    assert python_text("back\\slash") == repr("back\\slash")
    assert python_text('ends with "') == repr('ends with "')
