"""What a user sees from ``dbx-pipeline`` in a real process: the report once, one stderr line per failure,
log lines only when asked, emulators that say why they cannot start and stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from core.emulators.databricks import DatabricksEmulator
from core.emulators.openmetadata import OpenMetadataEmulator
from core.emulators.workspace import Workspace, WorkspaceSpec
from core.workflow import Workflow
from ui.services import DEMO_SPEC

REPO = Path(__file__).resolve().parents[2]


def dbx(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``dbx-pipeline`` of this checkout, in its own process (as a shell would start it)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
    )


def quiet(config: dict) -> dict:
    """The config without ``workflowConfig.loggerLevel`` (the suite's fixture sets INFO)."""
    config["workflowConfig"].pop("loggerLevel", None)
    return config


def stderr_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_a_successful_ingest_prints_the_report_once_and_nothing_on_stderr(
    config: dict, yaml_file: Any
) -> None:
    result = dbx("ingest", "-c", str(yaml_file(quiet(config))))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Service ") == 1
    assert stderr_lines(result) == []


def test_refused_credentials_give_exactly_one_stderr_line(
    config_for: Any, databricks: DatabricksEmulator, openmetadata: OpenMetadataEmulator, yaml_file: Any
) -> None:
    config = quiet(
        config_for(databricks, openmetadata, connection={"authType": {"token": "dapi-wrong-0000"}})
    )
    result = dbx("ingest", "-c", str(yaml_file(config)))
    assert result.returncode == 2
    (line,) = stderr_lines(result)
    assert line.startswith("dbx-pipeline: source.serviceConnection.config.authType: ")
    assert result.stdout.count("Service ") == 1  # the report is still printed, once


def test_log_lines_appear_only_when_asked(config: dict, yaml_file: Any) -> None:
    path = str(yaml_file(quiet(config)))
    assert not [line for line in stderr_lines(dbx("ingest", "-c", path)) if "ingestion finished" in line]
    asked = dbx("ingest", "-c", path, "--log-level", "info")
    assert asked.returncode == 0
    finished = [line for line in stderr_lines(asked) if "ingestion finished" in line]
    assert len(finished) == 1 and len(finished[0]) < 300  # one summary line, not the whole report
    config["workflowConfig"]["loggerLevel"] = "INFO"  # the YAML asking has the same effect
    from_yaml = dbx("ingest", "-c", str(yaml_file(config, "logged.yaml")))
    assert any("ingestion finished" in line for line in stderr_lines(from_yaml))


def test_test_connection_writes_each_failure_to_stderr(
    config_for: Any, databricks: DatabricksEmulator, openmetadata: OpenMetadataEmulator, yaml_file: Any
) -> None:
    config = quiet(
        config_for(databricks, openmetadata, connection={"authType": {"token": "dapi-wrong-0000"}})
    )
    result = dbx("test-connection", "-c", str(yaml_file(config)))
    assert result.returncode == 2
    assert "[FAIL] Databricks: Credentials accepted" in result.stdout
    (line,) = stderr_lines(result)
    assert line.startswith(
        "dbx-pipeline: Databricks check failed (credentials accepted): source.serviceConnection.config.authType: "
    )
    assert "dapi-wrong-0000" not in result.stdout + result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_emulator_on_a_busy_port_says_so_in_one_line_and_sigterm_stops_one(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "emulate", "databricks", "--port", str(port), "--jobs", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        assert first.stdout is not None
        banner = first.stdout.readline()  # printed once the port is bound
        assert f"127.0.0.1:{port}" in banner
        second = dbx("emulate", "databricks", "--port", str(port), timeout=60)
        assert second.returncode == 2
        (line,) = stderr_lines(second)
        assert line.startswith(f"dbx-pipeline: --port: port {port} is already in use")
        assert "Traceback" not in second.stderr
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    # the port is free again: a restart works
    with socket.socket() as sock:
        deadline = time.monotonic() + 10
        while True:
            try:
                sock.bind(("127.0.0.1", port))
                break
            except OSError:
                assert time.monotonic() < deadline, "the port was not released"
                time.sleep(0.1)


@pytest.mark.parametrize("stale", [False, True], ids=["demo", "asked-for-warnings"])
def test_the_demo_workspace_runs_without_warnings_unless_asked(stale: bool, tmp_path: Path) -> None:
    spec = {**DEMO_SPEC, "jobs": 30, "stale_task_runs": stale}
    workspace = Workspace(WorkspaceSpec(**spec))
    with DatabricksEmulator(workspace) as databricks:
        config = {
            "source": {
                "type": "databrickspipeline",
                "serviceName": "demo",
                "serviceConnection": {
                    "config": {
                        "type": "DatabricksPipeline",
                        "hostPort": databricks.url,
                        "authType": {"token": databricks.token},
                    }
                },
                "sourceConfig": {"config": {"includeLineage": False, "statusLookbackDays": 7}},
            },
            "sink": {"type": "file", "config": {"filename": str(tmp_path / "out.jsonl")}},
        }
        workflow = Workflow.create(config)
        report = workflow.execute()
    assert report.ok, report.render()
    assert (report.warning_count > 0) is stale, report.warnings


def test_a_run_that_stops_says_why_in_one_stderr_line(
    config: dict, yaml_file: Any, databricks: DatabricksEmulator
) -> None:
    from core.emulators.http import FaultKind

    databricks.inject(
        kind=FaultKind.STATUS,
        status=500,
        path="/api/2.2/jobs/list",
        times=None,
        body={"error_code": "INTERNAL_ERROR", "message": "boom"},
    )
    result = dbx("ingest", "-c", str(yaml_file(quiet(config))))
    # a server failing before anything was written is a connection problem: exit 2 (1 once writes began)
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = stderr_lines(result)
    assert line.startswith("dbx-pipeline: ") and "boom" in line
    assert result.stdout.count("Service ") == 1 and "the listing did not complete" in result.stdout


def test_a_dry_run_of_the_file_sink_writes_no_file_and_skips_the_unused_server(
    config_for: Any, databricks: DatabricksEmulator, yaml_file: Any, tmp_path: Path
) -> None:
    out = tmp_path / "never-written.jsonl"
    config = quiet(config_for(databricks, None, sink={"type": "file", "config": {"filename": str(out)}}))
    # a server section the file sink never uses, at an address nothing listens on: not preflighted
    config["workflowConfig"]["openMetadataServerConfig"] = {
        "hostPort": "http://127.0.0.1:9/api",
        "authProvider": "openmetadata",
        "securityConfig": {"jwtToken": "unused"},
    }
    result = dbx("ingest", "--dry-run", "--json", "-c", str(yaml_file(config)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert not out.exists()
    import json

    report = json.loads(result.stdout)
    assert report["dryRun"] is True and report["written"] == 0 and report["wouldCreate"] > 0


def test_a_reader_that_goes_away_is_not_an_error() -> None:
    """``dbx-pipeline preview | head -1``: the closed pipe ends the command quietly with 141."""
    script = (
        "import sys, core.cli as cli\n"
        "def flood(args):\n"
        "    while True:\n"
        "        print('row ' * 50)\n"
        "cli._COMMANDS['generate'] = flood\n"
        "sys.exit(cli.main(['generate', '-c', 'x.yaml', '--out', 'y']))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    writer = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO
    )
    assert writer.stdout is not None and writer.stderr is not None
    writer.stdout.readline()
    writer.stdout.close()  # what `head -1` does after its first line
    assert writer.wait(timeout=60) == 141
    assert writer.stderr.read() == b""
