"""The README's two set-up commands, run as a newcomer runs them: Debian's own ``/usr/bin/python3`` (from
apt, with python3-venv), a fresh ``git clone`` of this checkout's HEAD with no ``../shared`` beside it.

The commands are read out of the README, so the test breaks when the README drifts. The wizard command
runs as written, with ``--server.headless true --server.port <free port>`` appended, until the page is
served; the test command runs with ``-m "not slow"`` appended (the fast tier: the full suite would run this
test again inside itself). pip's downloads are cached in ``${DBX_PIPELINE_CACHE:-~/.cache/dbx-pipeline}/pip``,
so a rerun installs from the cache. Missing Debian Python is installed with apt when we are root; when it
cannot be, the test fails and says what to install: it never skips.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.paths import REPO
from tests.readme import readme_commands

pytestmark = pytest.mark.timeout(2400)

DEBIAN_PYTHON = Path("/usr/bin/python3")
CACHE_ROOT = Path(os.environ.get("DBX_PIPELINE_CACHE") or Path.home() / ".cache" / "dbx-pipeline")
PIP_CACHE = CACHE_ROOT / "pip"
INSTALL_TIMEOUT_S = 1200


def _tail(result: subprocess.CompletedProcess[str] | Any, limit: int = 6000) -> str:
    return f"exit {result.returncode}\n{(result.stdout or '')[-limit:]}\n{(result.stderr or '')[-limit:]}"


def _venv_works(python: Path, scratch: Path) -> bool:
    if not python.exists():
        return False
    probe = scratch / "venv-probe"
    result = subprocess.run(
        [str(python), "-m", "venv", str(probe)], capture_output=True, text=True, check=False
    )
    shutil.rmtree(probe, ignore_errors=True)
    return result.returncode == 0


@pytest.fixture(scope="module")
def debian_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Debian's ``/usr/bin/python3`` with a working ``venv``, installed with apt when missing and root."""
    scratch = tmp_path_factory.mktemp("python-probe")
    if _venv_works(DEBIAN_PYTHON, scratch):
        return DEBIAN_PYTHON
    how = "sudo apt-get install -y python3 python3-venv"
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.fail(
            f"{DEBIAN_PYTHON} with a working venv module is needed to run the README's commands as a newcomer "
            f"on Debian/Ubuntu would; install it ({how}) and run again",
            pytrace=False,
        )
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "python3", "python3-venv"]):
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
        if result.returncode != 0:
            pytest.fail(f"`{' '.join(command)}` failed:\n{_tail(result, 2000)}", pytrace=False)
    if not _venv_works(DEBIAN_PYTHON, scratch):
        pytest.fail(f"apt installed python3-venv but `{DEBIAN_PYTHON} -m venv` still fails", pytrace=False)
    return DEBIAN_PYTHON


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory, debian_python: Path) -> Iterator[Path]:
    """A fresh clone of this checkout's HEAD, with no ``shared`` folder beside it; removed afterwards
    (its .venv is ~700 MB, and pytest would keep it among its last three temp dirs)."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.fail(f"needs git and a git checkout at {REPO} to clone", pytrace=False)
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    target = tmp_path_factory.mktemp("newcomer") / "dbx-pipeline"
    for command in (
        ["git", "clone", "--quiet", "--no-checkout", str(REPO), str(target)],
        ["git", "-C", str(target), "checkout", "--quiet", "--detach", head],
    ):
        subprocess.run(command, capture_output=True, text=True, check=True, timeout=300)
    assert not (target.parent / "shared").exists()
    yield target
    shutil.rmtree(target.parent, ignore_errors=True)


def newcomer_environment(home: Path) -> dict[str, str]:
    """A plain shell whose ``python3`` is Debian's: system PATH only, no virtualenv, no ../shared override,
    nothing of the caller's Python or Databricks settings; pip's cache is the suite's."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "VIRTUAL_ENV", "DATABRICKS_", "DBX_", "PYENV", "CONDA", "PYTEST"))
    }
    env.update(
        PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        HOME=str(home),
        PIP_CACHE_DIR=str(PIP_CACHE),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    env.pop("PIP_NO_CACHE_DIR", None)
    return env


def _bash(command: str, cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _downloaded_mb(output: str) -> float:
    """What pip fetched from the network, from its ``Downloading name (size)`` lines."""
    units = {"bytes": 1e-6, "kB": 1e-3, "MB": 1.0, "GB": 1e3}
    return sum(
        float(n) * units[u] for n, u in re.findall(r"Downloading \S+ \(([\d.]+) (bytes|kB|MB|GB)\)", output)
    )


def _size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_readme_commands_use_debian_python(clone: Path, tmp_path: Path, measured: Any) -> None:
    """Both commands on Debian's python3: the wizard is served, then the fast tier passes in the clone."""
    wizard, tests = readme_commands()
    env = newcomer_environment(tmp_path / "home")
    (tmp_path / "home").mkdir()
    which = _bash("command -v python3", clone, env, 30).stdout.strip()
    assert Path(which).resolve() == DEBIAN_PYTHON.resolve(), f"python3 in the newcomer's PATH is {which}"

    # 1. The wizard command: install, then `streamlit run` serves the page at the URL it prints.
    install, _, run = wizard.rpartition(" && ")
    started = time.monotonic()
    result = _bash(install, clone, env, INSTALL_TIMEOUT_S)
    assert result.returncode == 0, f"`{install}` failed in a fresh clone on {DEBIAN_PYTHON}:\n{_tail(result)}"
    measured("wizard install", time.monotonic() - started)
    downloaded = _downloaded_mb(result.stdout + result.stderr)
    version = subprocess.run([str(clone / ".venv/bin/python"), "-c", "import sys; print(sys.base_prefix)"],
                             capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    assert version == "/usr", f".venv was not made from Debian's python3 (base prefix {version})"

    port = _free_port()
    log = tmp_path / "streamlit.log"
    started = time.monotonic()
    with log.open("w") as output:
        server = subprocess.Popen(
            ["bash", "-c", f"exec {run} --server.headless true --server.port {port}"],
            cwd=clone, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        page = b""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    if response.status == 200:
                        page = response.read()
                        break
            except OSError:
                time.sleep(0.5)
        assert page, f"`{run}` served nothing on port {port} within 120 s:\n{log.read_text()[-3000:]}"
        measured("wizard served", time.monotonic() - started)
        assert b"<html" in page.lower() or b"<!doctype html" in page.lower(), page[:500]
        printed = log.read_text()
        assert re.search(rf"http://127\.0\.0\.1:{port}\b", printed), f"no URL printed:\n{printed[-2000:]}"
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(10)

    # 2. The test command, with the fast tier only (the full suite would run this test inside itself).
    started = time.monotonic()
    result = _bash(f'{tests} -m "not slow" -p no:cacheprovider', clone, env, INSTALL_TIMEOUT_S + 900)
    measured("test command (install + fast tier)", time.monotonic() - started)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f'`{tests} -m "not slow"` failed in the clone:\n{_tail(result, 8000)}'
    summary = re.search(r"=+ (.*\d+ passed.*) in ([\d.]+)s", output)
    assert summary, output[-3000:]
    measured("fast tier inside the clone (pytest's own time)", float(summary.group(2)))
    measured("fast tier inside the clone", summary.group(1))
    downloaded += _downloaded_mb(output)
    measured("pip downloads, both commands", downloaded, "MB")
    measured(".venv size", _size_mb(clone / ".venv"), "MB")
    assert "failed" not in summary.group(1) and "error" not in summary.group(1), summary.group(0)
    skipped = re.findall(r"^SKIPPED \[\d+\] (.*)$", output, re.M)
    assert not skipped, f"the fast tier skipped tests in a clone without ../shared: {skipped}"
