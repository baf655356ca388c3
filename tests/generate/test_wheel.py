"""The engine's wheel (core.generate.wheel) and the lean engine: what the bundle ships and what it pulls in.

The wheel is what the generated DAG installs into its task's virtualenv on the Airflow workers, so its
dependencies must be the engine's alone: the wizard's stack (streamlit, with pandas and pyarrow) is the
``wizard`` extra, and nothing in ``core/`` may import it.
"""

from __future__ import annotations

import ast
import email.parser
import importlib.metadata
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import core.generate.wheel as wheel_module
from core.errors import ConfigError
from core.generate.wheel import EngineWheel, engine_wheel, source_tree
from tests.paths import REPO

try:
    import tomllib
except ImportError:  # Python 3.10
    from pip._vendor import tomli as tomllib  # type: ignore[no-redef]


def _pyproject() -> dict:
    with open(REPO / "pyproject.toml", "rb") as file:
        return tomllib.load(file)


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;@]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _third_party_imports(folder: Path) -> dict[str, list[str]]:
    """Top-level module -> the files importing it, for every import in ``folder`` that is neither the
    standard library nor this project."""
    found: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("core", "ui"):
                    found.setdefault(top, []).append(str(path.relative_to(REPO)))
    return found


def test_the_base_install_is_the_engine_and_the_wizard_is_an_extra() -> None:
    project = _pyproject()["project"]
    base = {_name(requirement) for requirement in project["dependencies"]}
    extras = project["optional-dependencies"]
    assert {_name(requirement) for requirement in extras["wizard"]} == {"streamlit", "platformdirs"}
    assert not base & {"streamlit", "pandas", "pyarrow", "altair"}
    assert "dbx-pipeline[wizard]" in extras["test"]  # the suite drives the wizard too


def test_core_imports_nothing_outside_its_own_dependencies() -> None:
    """Every third-party module core/ imports comes from a base dependency or one of theirs (so the wheel's
    virtualenv has it); none comes from the wizard's stack."""
    base = _closure({_name(requirement) for requirement in _pyproject()["project"]["dependencies"]})
    providers = importlib.metadata.packages_distributions()
    imports = _third_party_imports(REPO / "core")
    assert "streamlit" not in imports, imports.get("streamlit")
    for module, files in imports.items():
        distributions = {name.lower().replace("_", "-") for name in providers.get(module, [])}
        assert distributions & base, f"{module} (from {distributions or 'nowhere'}) imported by {files[:3]}"


def _closure(names: set[str]) -> set[str]:
    """``names`` and everything they require (unconditionally), as installed here."""
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        todo += [_name(line) for line in requires if "extra ==" not in line]
    return found


def test_the_wheel_holds_the_engine_and_declares_the_lean_dependencies() -> None:
    wheel = engine_wheel()
    version = _pyproject()["project"]["version"]
    assert wheel.filename == f"dbx_pipeline-{version}-py3-none-any.whl"
    assert wheel.version == version
    archive = zipfile.ZipFile(io.BytesIO(wheel.content))
    names = archive.namelist()
    assert "core/workflow.py" in names and "core/generate/templates/dag.py.jinja" in names
    assert not [name for name in names if name.startswith("tests/") or "__pycache__" in name]
    metadata = email.parser.Parser().parsestr(archive.read(f"dbx_pipeline-{version}.dist-info/METADATA").decode())
    requires = metadata.get_all("Requires-Dist") or []
    unconditional = {_name(line) for line in requires if "extra ==" not in line}
    assert unconditional == {_name(r) for r in _pyproject()["project"]["dependencies"]}
    assert any(line.startswith("streamlit") and 'extra == "wizard"' in line for line in requires)
    entry_points = archive.read(f"dbx_pipeline-{version}.dist-info/entry_points.txt").decode()
    assert "dbx-pipeline = core.cli:main" in entry_points
    assert f"{wheel.size} bytes" in repr(wheel) and len(wheel.sha256) == 64


def test_the_wheel_is_reproducible_and_built_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The same sources give the same bytes (SOURCE_DATE_EPOCH), and a second call builds nothing."""
    first = engine_wheel()
    monkeypatch.setattr(wheel_module, "_build", lambda *_: pytest.fail("built twice"))
    assert engine_wheel() is first
    # a fresh process finds it in the disk cache
    monkeypatch.setenv("DBX_PIPELINE_CACHE", str(tmp_path))
    monkeypatch.setattr(wheel_module, "_BUILT", {})
    digest = wheel_module._source_digest(REPO)
    wheel_module._store(digest, first)
    assert engine_wheel() == first


@pytest.mark.slow  # two real builds, ~3 s each (pip fetches the build backend into an isolated env)
def test_two_builds_of_the_same_sources_are_byte_identical_and_leave_the_checkout_alone() -> None:
    root = source_tree()
    assert root == REPO
    before = sorted(path.name for path in REPO.iterdir())
    first = wheel_module._build(root, "a" * 64)
    second = wheel_module._build(root, "b" * 64)
    assert first.content == second.content
    assert sorted(path.name for path in REPO.iterdir()) == before  # no build/, no *.egg-info


def test_without_a_source_tree_generating_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wheel_module, "source_tree", lambda: None)
    monkeypatch.setattr(wheel_module, "_installed_wheel", lambda: None)
    with pytest.raises(ConfigError) as caught:
        engine_wheel()
    assert caught.value.field == "engine"
    assert "neither from its source tree nor from an installed distribution" in caught.value.message
    assert "pip install ." in (caught.value.hint or "")


@pytest.mark.slow  # a real pip build (~3 s)
def test_a_failing_build_is_one_config_error_with_pips_output(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "core").mkdir()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "dbx-pipeline"\nversion = "not a version"\n')
    monkeypatch.setattr(wheel_module, "source_tree", lambda: tmp_path)
    monkeypatch.setattr(wheel_module, "_BUILT", {})
    monkeypatch.setenv("DBX_PIPELINE_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ConfigError) as caught:
        engine_wheel()
    assert caught.value.field == "engine"
    assert caught.value.message.startswith("pip could not build the engine's wheel (exit 1)")


def test_engine_wheel_value() -> None:
    wheel = EngineWheel("dbx_pipeline-1.2.3-py3-none-any.whl", b"abc")
    assert (wheel.size, wheel.version) == (3, "1.2.3")
    assert wheel.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.slow  # a virtualenv and two pip installs (~10 s)
def test_an_installed_engine_rebuilds_the_same_wheel_from_its_own_files(tmp_path: Path) -> None:
    """Installed from the wheel (not editable), with no source tree: generate still ships the engine, put
    back together from the installed files; it holds the same files and installs like the original."""
    original = engine_wheel()
    (tmp_path / original.filename).write_bytes(original.content)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet"]
    subprocess.run([*pip, str(tmp_path / original.filename)], check=True, timeout=300)
    script = (
        "import sys; from core.generate.wheel import engine_wheel, source_tree; assert source_tree() is None; "
        "w = engine_wheel(); open(sys.argv[1] + '/' + w.filename, 'wb').write(w.content)"
    )
    out = tmp_path / "rebuilt"
    out.mkdir()
    subprocess.run([str(venv / "bin" / "python"), "-c", script, str(out)], check=True, timeout=300, cwd=tmp_path)
    rebuilt = out / original.filename
    assert rebuilt.is_file()
    first, second = zipfile.ZipFile(io.BytesIO(original.content)), zipfile.ZipFile(rebuilt)
    assert sorted(first.namelist()) == sorted(second.namelist())
    for name in first.namelist():
        if not name.endswith("/RECORD"):
            assert first.read(name) == second.read(name), name
    # a valid wheel: pip installs it (and the RECORD it wrote lists every file with its hash)
    again = tmp_path / "venv2"
    subprocess.run([sys.executable, "-m", "venv", str(again)], check=True, timeout=300)
    installed = subprocess.run(
        [str(again / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(rebuilt)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr
