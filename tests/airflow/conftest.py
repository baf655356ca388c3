"""Real Apache Airflow (3.x and 2.10) and openmetadata-ingestion, each in its own cached virtualenv.

The generated DAG has to prove itself on the Airflow lines users run, and neither can share this test
environment: Airflow 2.10 needs SQLAlchemy < 2, openmetadata-ingestion 2.0.7 needs SQLAlchemy 2.0 and Airflow
3.3 brings SQLAlchemy 2.1. So each gets a virtualenv under ``${DBX_PIPELINE_CACHE:-~/.cache/dbx-pipeline}/venvs``,
installed from one wheelhouse beside it (``wheelhouse/``: a wheel is downloaded once for all three) with
one pip cache (``pip/``):

- built once, then reused: a marker file is written only after a successful install and holds a digest of
  what was asked for (Python version, requirements, constraints), so a changed pin rebuilds it;
- a file lock per virtualenv, so parallel test runs wait for each other instead of installing twice;
- a failed install fails the test with the tail of pip's output (a broken Airflow install is a broken
  proof, never a skip); only openmetadata-ingestion may skip, since the issue asks for that proof "where
  it can be installed".

The Airflow virtualenvs hold Airflow alone: neither this project nor its dependencies, as on a user's
workers. The generated DAG runs the engine in a virtualenv of its own, installed from the wheel of the
bundle; the engine's dependencies are downloaded into the wheelhouse (:func:`ensure_engine_wheelhouse`) so
the tests can point the DAG's offline option (``DagOptions.wheelhouse``) at it and not depend on PyPI.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    from pip._vendor import tomli as tomllib  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
#: read now, before the suite's autouse fixture points HOME at a temp dir
REAL_HOME = Path.home()
CACHE_ROOT = Path(os.environ.get("DBX_PIPELINE_CACHE") or REAL_HOME / ".cache" / "dbx-pipeline")
CACHE = CACHE_ROOT / "venvs"
#: one wheelhouse for the three virtualenvs here: each downloads only the wheels the others did not. pip's
#: own cache cannot do that behind a server that sends no caching headers (this machine's PyPI proxy).
WHEELHOUSE = CACHE_ROOT / "wheelhouse"
#: one pip cache for every pip the suite runs (here, and the openmetadata engine's task virtualenv that
#: Airflow builds): it keeps built wheels, and downloads wherever the index allows caching (PyPI does)
PIP_CACHE = CACHE_ROOT / "pip"
MARKER = ".dbx-pipeline-ready"
INSTALL_TIMEOUT_S = 780

AIRFLOW3 = "apache-airflow-core==3.3.2"
AIRFLOW2 = "apache-airflow[virtualenv]==2.10.5"  # PythonVirtualenvOperator needs virtualenv on 2.x
OPENMETADATA = "openmetadata-ingestion[databricks]==2.0.7.0"


def project_dependencies() -> list[str]:
    """``[project] dependencies`` of this checkout (what ``pip install dbx-pipeline`` would bring)."""
    with open(REPO / "pyproject.toml", "rb") as file:
        return list(tomllib.load(file)["project"]["dependencies"])


@dataclass(frozen=True)
class VenvSpec:
    """What a cached virtualenv holds."""

    name: str
    requirements: tuple[str, ...]
    constraints: tuple[str, ...] = ()
    #: True: an install failure skips (the proof applies "where it can be installed"); False: fails
    optional: bool = False
    #: the folder under :data:`CACHE` (default: ``name``)
    folder: str = ""

    @property
    def directory(self) -> str:
        return self.folder or self.name

    def digest(self) -> str:
        text = json.dumps([sys.version_info[:2], self.requirements, self.constraints])
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Venv:
    """A ready virtualenv; ``install_seconds`` is None when it was reused from the cache."""

    spec: VenvSpec
    root: Path
    install_seconds: float | None

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def bin(self, name: str) -> Path:
        return self.root / "bin" / name

    def size_mb(self) -> int:
        total = sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file() and not p.is_symlink())
        return total // 2**20


def specs() -> dict[str, VenvSpec]:
    # Airflow alone (the "-bare" folders: a checkout from before the bundle, whose Airflow venvs also held
    # this project's dependencies, keeps its own folders instead of rebuilding these back and forth).
    return {
        "airflow3": VenvSpec("airflow3", (AIRFLOW3, "pendulum"), folder="airflow3-bare"),
        "airflow2": VenvSpec("airflow2", (AIRFLOW2,), folder="airflow2-bare"),
        "omingestion": VenvSpec(
            "omingestion", (OPENMETADATA,), constraints=("dbt-core<1.12",), optional=True
        ),
    }


class VenvInstallError(RuntimeError):
    """pip failed; the message ends with the tail of its output."""


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def pip_environment() -> dict[str, str]:
    """The caller's environment with the real HOME and the suite's one pip cache (:data:`PIP_CACHE`), so
    downloads are shared between the virtualenvs and between runs (the autouse fixture points HOME at a
    fresh temp dir for every test, which would give pip an empty cache each time)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["HOME"] = str(REAL_HOME)
    env["PIP_CACHE_DIR"] = str(PIP_CACHE)
    env.pop("PIP_NO_CACHE_DIR", None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def ensure_venv(spec: VenvSpec) -> Venv:
    """The virtualenv for ``spec``, built on first use (under a lock) and reused while its marker matches."""
    root = CACHE / spec.directory
    marker = root / MARKER
    with _locked(CACHE / f"{spec.directory}.lock"):
        if marker.is_file() and marker.read_text() == spec.digest() and _runs(root / "bin" / "python"):
            return Venv(spec, root, None)
        shutil.rmtree(root, ignore_errors=True)
        started = time.perf_counter()
        _run_install([sys.executable, "-m", "venv", str(root)], spec)
        pip = [str(root / "bin" / "python"), "-m", "pip"]
        options = ["--progress-bar", "off", "--find-links", str(WHEELHOUSE)]
        if spec.constraints:
            constraints = root / "constraints.txt"
            constraints.write_text("\n".join(spec.constraints) + "\n")
            options += ["-c", str(constraints)]
        with _locked(CACHE_ROOT / "wheelhouse.lock"):
            # Resolve against the indexes as usual, but fetch only the wheels the wheelhouse lacks (pip skips
            # a file already in --wheel-dir), then install offline from exactly those wheels.
            _run_install([*pip, "wheel", "--wheel-dir", str(WHEELHOUSE), *options, *spec.requirements], spec)
            _run_install([*pip, "install", "--no-index", *options, *spec.requirements], spec)
        marker.write_text(spec.digest())  # only now: an interrupted install is never reused
        return Venv(spec, root, time.perf_counter() - started)


def ensure_engine_wheelhouse() -> Path:
    """:data:`WHEELHOUSE` with a wheel of every dependency of the engine (``[project] dependencies``), for
    this Python: what the generated DAG's task virtualenv installs offline (``--no-index --find-links``).

    Downloaded once (a marker holds the digest of what was asked for), under the wheelhouse's lock.
    """
    requirements = project_dependencies()
    digest = hashlib.sha256(json.dumps([sys.version_info[:2], requirements]).encode()).hexdigest()
    marker = WHEELHOUSE / f".engine-dependencies-{digest[:16]}"
    with _locked(CACHE_ROOT / "wheelhouse.lock"):
        if not marker.is_file():
            spec = VenvSpec("engine-wheelhouse", tuple(requirements))
            command = [sys.executable, "-m", "pip", "wheel", "--progress-bar", "off"]
            _run_install([*command, "--wheel-dir", str(WHEELHOUSE), "--find-links", str(WHEELHOUSE), *requirements], spec)
            marker.write_text("\n".join(requirements) + "\n")
    return WHEELHOUSE


def _runs(python: Path) -> bool:
    """A cached virtualenv whose interpreter vanished (a Python upgrade) is rebuilt, not reused."""
    try:
        result = subprocess.run([str(python), "-c", "pass"], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def _run_install(command: list[str], spec: VenvSpec) -> None:
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=pip_environment(),
            timeout=INSTALL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        tail = (err.stdout or b"")[-3000:] if isinstance(err.stdout, bytes) else (err.stdout or "")[-3000:]
        raise VenvInstallError(f"{spec.name}: install timed out after {INSTALL_TIMEOUT_S}s\n{tail}") from None
    if result.returncode != 0:
        output = (result.stdout + result.stderr).splitlines()
        tail = "\n".join(line for line in output if "is ignored: it is neither a file" not in line)[-4000:]
        raise VenvInstallError(f"{spec.name}: `{' '.join(command[-3:])}` exited {result.returncode}\n{tail}")


# -- timings, reported at the end of the run ----------------------------------------------------------


@dataclass
class Timings:
    """What the airflow tests measured; printed in the terminal summary."""

    lines: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.lines.append(text)


TIMINGS = Timings()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TIMINGS.lines:
        terminalreporter.section("dbx-pipeline: Airflow and openmetadata-ingestion measurements")
        for line in TIMINGS.lines:
            terminalreporter.line(line)


_VENVS: dict[str, Venv | BaseException] = {}


def get_venv(name: str) -> Venv:
    """The named virtualenv, built once per test session; install errors fail (or skip, if optional)."""
    spec = specs()[name]
    if name not in _VENVS:
        try:
            venv = ensure_venv(spec)
        except VenvInstallError as err:
            _VENVS[name] = err
        else:
            _VENVS[name] = venv
            if venv.install_seconds is None:
                TIMINGS.add(f"venv {name}: reused from {venv.root}")
            else:
                TIMINGS.add(f"venv {name}: installed in {venv.install_seconds:.0f} s, {venv.size_mb()} MB")
    result = _VENVS[name]
    if isinstance(result, BaseException):
        if spec.optional:
            pytest.skip(f"{name} could not be installed here: {str(result)[-1500:]}")
        pytest.fail(str(result), pytrace=False)
    return result


@pytest.fixture(scope="session")
def venv_for() -> Any:
    """``venv_for("airflow3" | "airflow2" | "omingestion")`` -> the ready :class:`Venv`."""
    return get_venv


@pytest.fixture(scope="session")
def engine_wheelhouse() -> Path:
    """The wheelhouse holding the engine's dependencies (see :func:`ensure_engine_wheelhouse`)."""
    try:
        return ensure_engine_wheelhouse()
    except VenvInstallError as err:
        pytest.fail(str(err), pytrace=False)


@pytest.fixture(scope="session")
def timings() -> Timings:
    """Where tests record what they measured (printed at the end of the run)."""
    return TIMINGS


@pytest.fixture(scope="session")
def airflow_env() -> Any:
    """``airflow_env(home, dags, **extra)`` -> environment for the ``airflow`` CLI (see below)."""
    return airflow_environment


@pytest.fixture(scope="session")
def task_tmp() -> Path:
    """TMPDIR for Airflow tasks that build virtualenvs: the generated DAG keeps openmetadata-ingestion's
    virtualenv under the temp dir (Airflow's venv_cache_path), so a persistent one is built once per machine."""
    path = CACHE.parent / "task-tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def engine_task_tmp(tmp_path: Path) -> Iterator[Path]:
    """TMPDIR for a core-engine DAG's task: its cached virtualenv (~95 MB, keyed by the wheel's path and
    sha256, so a new one for every test) is removed with the test, instead of piling up in :func:`task_tmp`."""
    path = tmp_path / "task-tmp"
    path.mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def probes() -> Path:
    """The folder of the scripts run by the virtualenvs' pythons."""
    return HERE


def airflow_environment(home: Path, dags: Path, **extra: str) -> dict[str, str]:
    """A clean environment for the ``airflow`` CLI: its own home and SQLite database, no examples, nothing
    of the caller's Databricks settings, and no PYTHONPATH: this project is not importable there (the
    generated DAG installs the engine from the bundle's wheel into its task's own virtualenv)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "DATABRICKS_", "OPENMETADATA_", "AZURE_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        HOME=str(home),
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        PIP_CACHE_DIR=str(PIP_CACHE),  # the openmetadata engine's task virtualenv reuses the suite's wheels
    )
    env.update(extra)
    return env
