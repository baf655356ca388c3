"""The engine is imported by one thread at a time in the wizard (ui/services/warmup.py ``load_engine``).

Two threads importing databricks-sdk at once can raise ``_DeadlockError`` (its ``errors`` package imports
itself back); CI saw a run clicked during the warm-up fail that way. These tests pin the two halves of the fix:
``load_engine`` makes a second thread wait for the first instead of importing alongside it, and every lazy
import of the engine in the wizard is preceded by it, with :data:`ENGINE_MODULES` naming every module that
brings the SDK in (checked in a fresh interpreter, where nothing is imported yet).
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import importlib.util
import subprocess
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from ui.services import warmup

ROOT = Path(__file__).resolve().parents[2]


def _lazy_imports(path: Path) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef, int, str]]:
    """(function, line, module) of every import inside a function of ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                yield func, node.lineno, node.module
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield func, node.lineno, alias.name


def _first_load_engine_call(func: ast.FunctionDef | ast.AsyncFunctionDef) -> int | None:
    lines = [
        node.lineno
        for node in ast.walk(func)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "load_engine"
    ]
    return min(lines) if lines else None


def _is_engine(module: str) -> bool:
    return module in warmup.ENGINE_MODULES or module == "databricks" or module.startswith("databricks.")


def test_every_lazy_import_of_the_engine_in_the_wizard_comes_after_load_engine() -> None:
    unguarded = []
    for path in sorted((ROOT / "ui").rglob("*.py")):
        if path.name == "warmup.py":
            continue
        for func, line, module in _lazy_imports(path):
            if not _is_engine(module):
                continue
            first = _first_load_engine_call(func)
            if first is None or first > line:
                unguarded.append(f"{path.relative_to(ROOT)}:{line} {func.name}() imports {module}")
    assert not unguarded, "call load_engine() before importing the engine:\n" + "\n".join(unguarded)


#: the command line's own modules: never imported by the wizard
CLI_ONLY = ("core/cli", "core/bench", "core/launcher")


def _light_modules() -> list[str]:
    """Modules imported lazily by the wizard or by the engine at run time that are not in ENGINE_MODULES."""
    paths = sorted((ROOT / "ui").rglob("*.py"))
    paths += [
        path
        for path in sorted((ROOT / "core").rglob("*.py"))
        if not str(path.relative_to(ROOT)).startswith(CLI_ONLY)
    ]
    modules = {module for path in paths for _f, _l, module in _lazy_imports(path)}
    # and every module of the wizard itself (not its page scripts): imported by the script thread
    modules |= {
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / "ui").rglob("*.py")
        if "app_pages" not in path.parts and path.name != "streamlit_app.py"
    }
    return sorted(
        module
        for module in modules
        if not _is_engine(module)
        and module.split(".")[0] in {"core", "ui"}
        and not module.replace(".", "/").startswith(CLI_ONLY)
    )


def test_engine_modules_names_every_lazily_imported_module_that_brings_databricks_sdk_in() -> None:
    light = _light_modules()
    assert "core.secrets" in light  # the scan sees the wizard's lazy imports
    script = (
        "import importlib, sys\n"
        f"for name in {light!r}:\n"
        "    before = 'databricks.sdk' in sys.modules\n"
        "    importlib.import_module(name)\n"
        "    if not before and 'databricks.sdk' in sys.modules:\n"
        "        print(name)\n"
        "        break\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    ).stdout.strip()
    assert not found, f"{found} imports databricks-sdk: add it to ENGINE_MODULES (ui/services/warmup.py)"


def test_every_engine_module_exists_and_the_list_imports_the_sdk_first() -> None:
    assert warmup.ENGINE_MODULES[0] == "databricks.sdk"
    for name in warmup.ENGINE_MODULES:
        assert importlib.util.find_spec(name) is not None, name


class _SlowModule(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """A module whose import waits until released, and counts how often it was executed."""

    NAME = "dbx_pipeline_test_slow_engine_module"

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.executions = 0

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        return importlib.machinery.ModuleSpec(fullname, self) if fullname == self.NAME else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        self.executions += 1
        self.entered.set()
        assert self.release.wait(60), "the test never released the import"


@pytest.fixture
def slow_module(monkeypatch: pytest.MonkeyPatch) -> Iterator[_SlowModule]:
    finder = _SlowModule()
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    monkeypatch.setattr(warmup, "ENGINE_MODULES", (finder.NAME,))
    monkeypatch.setattr(warmup, "_LOADED", threading.Event())
    yield finder
    finder.release.set()
    sys.modules.pop(finder.NAME, None)


def test_a_second_thread_waits_for_the_first_import_instead_of_importing_alongside(
    slow_module: _SlowModule,
) -> None:
    first_done, second_done = threading.Event(), threading.Event()
    first = threading.Thread(target=lambda: (warmup.load_engine(), first_done.set()))
    first.start()
    assert slow_module.entered.wait(30)  # the first thread is inside the import now
    second = threading.Thread(target=lambda: (warmup.load_engine(), second_done.set()))
    second.start()
    second.join(0.5)
    assert not second_done.is_set(), "the second thread returned while the first was still importing"
    slow_module.release.set()
    first.join(30)
    second.join(30)
    assert first_done.is_set() and second_done.is_set()
    assert slow_module.executions == 1
    warmup.load_engine()  # loaded: returns at once, imports nothing again
    assert slow_module.executions == 1


def test_a_failed_import_is_tried_again_on_the_next_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warmup, "ENGINE_MODULES", ("dbx_pipeline_no_such_module",))
    monkeypatch.setattr(warmup, "_LOADED", threading.Event())
    for _ in range(2):
        with pytest.raises(ImportError):
            warmup.load_engine()
    assert not warmup._LOADED.is_set()
