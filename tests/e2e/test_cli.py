"""The ``dbx-pipeline`` command against the emulators: exit codes, one-line errors, no secrets."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from typing import Any

import pytest

from core.cli import main
from core.emulators.databricks import DatabricksEmulator
from core.emulators.openmetadata import DEFAULT_JWT, EXPIRED_JWT, OpenMetadataEmulator
from core.emulators.workspace import Workspace, WorkspaceSpec


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, *needles: str, secrets: tuple[str, ...] = ()) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]
    for secret in secrets:
        assert secret not in err


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ingest_prints_the_report_and_exits_0(capsys: Any, config: dict, yaml_file: Any) -> None:
    code, out, _ = cli(capsys, "ingest", "-c", str(yaml_file(config)))
    assert code == 0, out
    assert "Created" in out and "Failures              0" in out


def test_ingest_json_report(capsys: Any, config: dict, yaml_file: Any) -> None:
    code, out, _ = cli(capsys, "ingest", "-c", str(yaml_file(config)), "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["created"] == report["kept"] > 0


def test_wrong_databricks_token_exits_2_naming_the_field(
    capsys: Any, config_for: Any, databricks: Any, openmetadata: Any, yaml_file: Any
) -> None:
    config = config_for(
        databricks, openmetadata, connection={"authType": {"token": "dapi-wrong-token-123456"}}
    )
    code, out, err = cli(capsys, "ingest", "-c", str(yaml_file(config)))
    assert code == 2, out + err
    assert "authType" in out and "refused" in out
    assert "dapi-wrong-token-123456" not in out + err


def test_wrong_jwt_exits_2(capsys: Any, config: dict, yaml_file: Any) -> None:
    config["workflowConfig"]["openMetadataServerConfig"]["securityConfig"]["jwtToken"] = EXPIRED_JWT
    code, out, err = cli(capsys, "ingest", "-c", str(yaml_file(config)))
    assert code == 2
    assert "jwtToken" in out and "Expired token" in out
    assert EXPIRED_JWT not in out + err


def test_unreachable_databricks_exits_2_quickly(capsys: Any, config: dict, yaml_file: Any) -> None:
    config["source"]["serviceConnection"]["config"]["hostPort"] = f"http://127.0.0.1:{free_port()}"
    code, _, err = cli(capsys, "ingest", "-c", str(yaml_file(config)))
    assert code == 2
    assert_one_line_error(err, "hostPort", "cannot connect")


@pytest.mark.parametrize(
    ("mutate", "needles"),
    [
        (
            lambda c: c["source"]["serviceConnection"]["config"].update(hostport="x"),
            ("hostport", "did you mean 'hostPort'"),
        ),
        (
            lambda c: c["source"]["sourceConfig"]["config"].update(
                pipelineFilterPattern={"includes": ["(etl"]}
            ),
            ("includes[0]", "(etl"),
        ),
        (
            lambda c: c["workflowConfig"]["openMetadataServerConfig"].update(
                hostPort="http://localhost:8585"
            ),
            ("hostPort", "/api"),
        ),
        (
            lambda c: c["source"]["serviceConnection"]["config"].update(hostPort="ftp://x"),
            ("hostPort", "https://"),
        ),
        (
            lambda c: c["source"]["sourceConfig"]["config"].update(statusLookbackDays=-1),
            ("statusLookbackDays",),
        ),
    ],
    ids=["unknown-key", "invalid-regex", "om-url-without-api", "bad-scheme", "negative-lookback"],
)
def test_bad_config_exits_2_with_one_line(
    capsys: Any, config: dict, yaml_file: Any, mutate: Any, needles: tuple
) -> None:
    mutate(config)
    code, _, err = cli(capsys, "ingest", "-c", str(yaml_file(config)))
    assert code == 2
    assert_one_line_error(err, *needles, secrets=(DEFAULT_JWT,))


def test_yaml_syntax_error_names_the_line(capsys: Any, tmp_path: Any) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("source:\n  type: databrickspipeline\n  serviceName: [unclosed\n")
    code, _, err = cli(capsys, "ingest", "-c", str(path))
    assert code == 2
    assert_one_line_error(err, "line")


def test_missing_file_and_bad_arguments_exit_2(capsys: Any) -> None:
    code, _, err = cli(capsys, "ingest", "-c", "/nonexistent/workflow.yaml")
    assert code == 2
    assert_one_line_error(err, "does not exist")
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest"])
    assert exit_info.value.code == 2


def test_test_connection_passes_every_step(capsys: Any, config: dict, yaml_file: Any) -> None:
    code, out, _ = cli(capsys, "test-connection", "-c", str(yaml_file(config)))
    assert code == 0, out
    for step in (
        "Host reachable",
        "Credentials accepted",
        "Jobs listable",
        "SQL warehouse reachable",
        "Server reachable",
        "Version",
        "JWT accepted",
        "Bot may write",
    ):
        assert "[PASS]" in out and step in out
    assert "2.0.7" in out


def test_test_connection_bad_token_fails_and_skips_the_rest(
    capsys: Any, config_for: Any, databricks: Any, openmetadata: Any, yaml_file: Any
) -> None:
    config = config_for(databricks, openmetadata, connection={"authType": {"token": "dapi-bad-000000"}})
    code, out, _ = cli(capsys, "test-connection", "-c", str(yaml_file(config)), "--json")
    steps = {step["name"]: step for step in json.loads(out)}
    assert code == 2
    assert steps["Host reachable"]["ok"] is True
    assert steps["Credentials accepted"]["ok"] is False and steps["Credentials accepted"]["hint"]
    assert steps["Jobs listable"]["ok"] is None
    assert "dapi-bad-000000" not in out


def test_preview_lists_every_job_with_its_decision(
    capsys: Any, config: dict, yaml_file: Any, workspace: Workspace
) -> None:
    config["source"]["sourceConfig"]["config"]["pipelineFilterPattern"] = {"includes": ["etl"]}
    code, out, _ = cli(capsys, "preview", "-c", str(yaml_file(config)), "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert len(rows) == workspace.job_count + len(workspace.pipeline_ids())
    kept = [r for r in rows if r["kept"]]
    assert kept and all(r["name"].lower().startswith("etl") for r in kept)
    assert all(r["reason"] == "no include matched" for r in rows if not r["kept"])
    assert any(r["tasks_truncated"] for r in rows)  # the 120+ task job shows as "100+"


def test_console_script_is_installed(tmp_path: Any) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "preview", "-c", str(tmp_path / "none.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_500_job_workspace_ingests_completely_and_rerun_changes_nothing(
    capsys: Any, tmp_path: Any, config_for: Any
) -> None:
    workspace = Workspace(WorkspaceSpec(jobs=500, tasks=3, runs=5, pipelines=5, big_jobs=2, seed=11))
    with DatabricksEmulator(workspace) as databricks, OpenMetadataEmulator() as openmetadata:
        openmetadata.seed_from_workspace(workspace)
        path = tmp_path / "big.yaml"
        import yaml

        path.write_text(yaml.safe_dump(config_for(databricks, openmetadata)))
        code, out, _ = cli(capsys, "ingest", "-c", str(path), "--json")
        first = json.loads(out)
        assert code == 0 and first["created"] == 505 and first["failures"] == []
        snapshot = openmetadata.snapshot()
        pipelines = [p for p in openmetadata.pipelines.values() if not p.get("deleted")]
        assert sum(len(p["tasks"]) for p in pipelines) == sum(
            len(workspace.job(i)["settings"]["tasks"]) for i in range(500)
        )
        code, out, _ = cli(capsys, "ingest", "-c", str(path), "--json")
        second = json.loads(out)
        assert code == 0 and second["unchanged"] == 505 and second["created"] == second["updated"] == 0
        assert openmetadata.snapshot() == snapshot
