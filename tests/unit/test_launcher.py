"""``dbx-pipeline wizard``: the command it runs, the settings it passes, and what it says without Streamlit.

The last test starts the real wizard on a free port from a directory outside the checkout and asks
Streamlit's health endpoint (``slow``: Streamlit takes a few seconds to start).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from core import cli, launcher
from core.launcher import DEFAULT_HOST, STREAMLIT_SETTINGS, WIZARD_EXTRA_HINT, wizard_argv, wizard_env
from tests.paths import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the TOML parser pip vendors (tomllib is tomli, adopted in 3.11)
    from pip._vendor import tomli as tomllib


def _flags(argv: list[str]) -> dict[str, str]:
    """``--section.option value`` pairs after the script path."""
    rest = argv[argv.index("run") + 2 :]
    assert len(rest) % 2 == 0 and all(key.startswith("--") for key in rest[::2]), rest
    return {key[2:]: value for key, value in zip(rest[::2], rest[1::2], strict=True)}


def test_the_repositorys_streamlit_config_holds_exactly_the_launchers_settings() -> None:
    parsed = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    flat = {
        f"{section}.{key}": value for section, options in parsed.items() for key, value in options.items()
    }
    assert flat == STREAMLIT_SETTINGS


def test_the_default_command_serves_the_installed_app_on_this_machine_only() -> None:
    argv = wizard_argv()
    assert argv[:4] == [sys.executable, "-m", "streamlit", "run"]
    app = Path(argv[4])
    assert app.is_absolute() and app == REPO / "ui" / "streamlit_app.py" and app.is_file()
    flags = _flags(argv)
    assert flags == {key: str(value).lower() if isinstance(value, bool) else str(value)
                     for key, value in STREAMLIT_SETTINGS.items()}  # fmt: skip
    assert flags["server.address"] == DEFAULT_HOST == "127.0.0.1"
    assert flags["server.enableXsrfProtection"] == "true" and "server.port" not in flags


def test_host_and_port_are_passed_on() -> None:
    flags = _flags(wizard_argv("10.1.2.3", 8600, python="/opt/py/bin/python"))
    assert flags["server.address"] == flags["browser.serverAddress"] == "10.1.2.3"
    assert flags["server.port"] == "8600"
    every_interface = _flags(wizard_argv("0.0.0.0"))
    assert every_interface["server.address"] == "0.0.0.0" and "browser.serverAddress" not in every_interface


def test_the_child_finds_this_package_first_from_any_directory() -> None:
    env = wizard_env({"PYTHONPATH": f"/elsewhere{os.pathsep}{REPO}", "HOME": "/h"})
    assert env["PYTHONPATH"].split(os.pathsep) == [str(REPO), "/elsewhere"] and env["HOME"] == "/h"
    assert wizard_env({})["PYTHONPATH"] == str(REPO)


def test_the_cli_launches_with_its_options(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, int | None]] = []
    monkeypatch.setattr(launcher, "launch", lambda host, port: calls.append((host, port)) or 0)
    assert cli.main(["wizard"]) == 0 and cli.main(["wizard", "--port", "8600", "--host", "0.0.0.0"]) == 0
    assert calls == [("127.0.0.1", None), ("0.0.0.0", 8600)]


@pytest.mark.parametrize("port", ["0", "65536", "http", "-1"])
def test_a_bad_port_is_one_line_and_exit_2(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        cli.main(["wizard", "--port", port])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--port" in err and "1 to 65535" in err


def test_without_streamlit_one_line_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(launcher, "streamlit_installed", lambda: False)
    assert cli.main(["wizard"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == f"dbx-pipeline: {WIZARD_EXTRA_HINT}\n"
    assert 'pip install "dbx-pipeline[wizard]"' in captured.err


@pytest.mark.parametrize(("host", "warned"), [("127.0.0.1", False), ("localhost", False), ("::1", False),
                                             ("0.0.0.0", True), ("10.1.2.3", True), ("wizard.example", True)])  # fmt: skip
def test_listening_beyond_this_machine_is_said_once_on_stderr(
    host: str, warned: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    execs: list[list[str]] = []
    monkeypatch.setattr(launcher, "streamlit_installed", lambda: True)
    monkeypatch.setattr(launcher.os, "execve", lambda path, argv, env: execs.append(argv))
    launcher.launch(host, 8600)
    err = capsys.readouterr().err
    assert len(execs) == 1 and _flags(execs[0])["server.address"] == host
    assert (
        err
        == f"dbx-pipeline: the wizard handles credentials and now listens on {host}: {launcher.EXPOSED_HINT}\n"
    ) is warned
    assert err == "" or warned


def test_wizard_help_imports_no_streamlit() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "core.cli", "wizard", "--help"],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and "--host" in result.stdout
    modules = [line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if "|" in line]
    assert "argparse" in modules
    assert [name for name in modules if name.startswith(("streamlit", "core.launcher", "databricks"))] == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_wizard_starts_from_any_directory_and_answers_its_health_check(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "wizard", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        answer = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.3)
        assert answer is not None and answer.status_code == 200 and answer.text == "ok", process.poll()
        with pytest.raises(requests.ConnectionError):  # bound to 127.0.0.1 only
            requests.get(f"http://{_outside_address()}:{port}/_stcore/health", timeout=2)
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert f"127.0.0.1:{port}" in output


def _outside_address() -> str:
    """An address of this machine other than loopback (the one a route to the outside would use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent by a UDP connect
            address = str(probe.getsockname()[0])
        except OSError:
            pytest.skip("this machine has no address outside loopback")
    if address.startswith("127."):
        pytest.skip("this machine has no address outside loopback")
    return address


def test_a_port_in_use_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    monkeypatch.setattr(launcher, "streamlit_installed", lambda: True)
    monkeypatch.setattr(launcher.os, "execve", lambda *_: pytest.fail("must not start Streamlit"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert launcher.launch("127.0.0.1", port) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--port" in err and f"port {port}" in err and "in use" in err
