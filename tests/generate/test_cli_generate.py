"""``dbx-pipeline generate``: files, deploy hint, one-line errors; the YAML it writes runs with ``ingest``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.cli import main
from core.emulators.databricks import DatabricksEmulator
from core.emulators.openmetadata import DEFAULT_JWT, OpenMetadataEmulator
from core.emulators.workspace import Workspace
from core.generate.wheel import engine_wheel


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_writes_three_files_and_says_how_to_deploy(
    capsys: pytest.CaptureFixture[str], docs_example: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    code, out, err = cli(capsys, "generate", "-c", str(docs_example), "--out", str(out_dir))
    assert (code, err) == (0, "")
    name = "databricks_pipelines_to_openmetadata"
    wheel = engine_wheel().filename
    readme = f"{name}.README.md"
    assert sorted(p.name for p in out_dir.iterdir()) == sorted([f"{name}.py", f"{name}.yaml", readme, wheel])
    lines = out.splitlines()
    assert lines[:4] == [
        f"wrote {out_dir / (name + '.yaml')}",
        f"wrote {out_dir / (name + '.py')}",
        f"wrote {out_dir / readme}",
        f"wrote {out_dir / wheel}",
    ]
    hint = lines[4:]
    assert len(hint) == 3
    assert hint[0].startswith("Deploy: cp ") and hint[0].endswith(f"{wheel} $AIRFLOW_HOME/dags/")
    assert "nothing to install: the task installs the engine's wheel" in hint[1]
    assert "environment variables" in hint[1]
    assert readme not in hint[0]  # the deploy steps are read, not copied
    assert (
        hint[2]
        == f"Check: airflow dags reserialize && airflow dags list-import-errors && airflow dags test {name}"
    )
    dag = (out_dir / f"{name}.py").read_text()
    assert 'schedule="0 2 * * *",' in dag and 'tz="UTC"' in dag  # defaults: daily preset, UTC


def test_generate_honours_every_option(
    capsys: pytest.CaptureFixture[str], docs_example: Path, tmp_path: Path
) -> None:
    code, out, err = cli(
        capsys,
        "generate", "-c", str(docs_example), "--out", str(tmp_path),
        "--engine", "openmetadata", "--schedule", "15 5 * * 1-5", "--timezone", "asia/tokyo",
        "--dag-id", "om.docs-dag", "--secrets", "connection", "--dialect", "2.x",
        "--openmetadata-version", "2.0.7.0",
    )  # fmt: skip
    assert (code, err) == (0, ""), err
    dag = (tmp_path / "om.docs-dag.py").read_text()
    assert 'DAG_ID = "om.docs-dag"' in dag
    assert 'schedule="15 5 * * 1-5",' in dag
    assert 'tz="Asia/Tokyo"' in dag
    assert 'SECRETS_FROM = "connection"' in dag
    assert '"openmetadata-ingestion[databricks]==2.0.7.0"' in dag
    document = yaml.safe_load((tmp_path / "om.docs-dag.yaml").read_text())
    assert document["source"]["serviceConnection"]["config"]["authType"] == {"token": "${DATABRICKS_TOKEN}"}
    assert "the task installs openmetadata-ingestion in its own virtualenv" in out
    assert "Airflow Connections" in out

    code, _, err = cli(capsys, "generate", "-c", str(docs_example), "--out", str(tmp_path), "--schedule", "none",
                       "--dag-id", "manual", "--dialect", "1.x")  # fmt: skip
    assert code == 0, err
    assert "schedule=None," in (tmp_path / "manual.py").read_text()
    assert "token: ${DATABRICKS_TOKEN}" in (tmp_path / "manual.yaml").read_text()

    code, out, err = cli(capsys, "generate", "-c", str(docs_example), "--out", str(tmp_path / "ext"),
                         "--dag-id", "ext", "--python", "/opt/engine/bin/python")  # fmt: skip
    assert code == 0, err
    assert 'PYTHON = "/opt/engine/bin/python"' in (tmp_path / "ext" / "ext.py").read_text()
    assert f"install {engine_wheel().filename} for /opt/engine/bin/python on the workers" in out

    code, out, err = cli(capsys, "generate", "-c", str(docs_example), "--out", str(tmp_path / "offline"),
                         "--dag-id", "offline", "--wheelhouse", "/srv/wheels")  # fmt: skip
    assert code == 0, err
    assert (
        'PIP_OPTIONS = ["--no-index", "--find-links", "/srv/wheels"]'
        in (tmp_path / "offline" / "offline.py").read_text()
    )
    assert "REPORT_RUNS = True" in (tmp_path / "offline" / "offline.py").read_text()  # the default

    code, out, err = cli(capsys, "generate", "-c", str(docs_example), "--out", str(tmp_path / "quiet"),
                         "--dag-id", "quiet", "--no-report-runs")  # fmt: skip
    assert code == 0, err
    assert "REPORT_RUNS = False" in (tmp_path / "quiet" / "quiet.py").read_text()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--schedule", "61 * * * *"], "dag.schedule: minute field '61' is out of range 0-59."),
        (
            ["--timezone", "Europe/Berln"],
            "dag.timezone: unknown timezone 'Europe/Berln'. Did you mean 'Europe/Berlin'?",
        ),
        (["--dag-id", "bad id"], "dag.dag_id: 'bad id' must be 1-200 letters"),
        (["--engine", "openmetadata", "--openmetadata-version", "1.9.1"], "reads the 1.x YAML dialect"),
        (["--openmetadata-version", "latest"], "dag.openmetadata_version"),
        (["--engine", "docker"], "invalid choice: 'docker'"),
        (["--python", "python3"], "dag.python: 'python3' must be the absolute path of a Python interpreter"),
        (
            ["--engine", "openmetadata", "--python", "/usr/bin/python3"],
            "dag.python: applies to the core engine",
        ),
        (["--python", "/usr/bin/python3", "--wheelhouse", "/srv/w"], "dag.wheelhouse: is for the task's own"),
        (["--wheelhouse", "wheels"], "dag.wheelhouse: 'wheels' must be an absolute folder path"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], docs_example: Path, tmp_path: Path, args: list[str], needle: str
) -> None:
    code, _, err = cli_or_exit(capsys, "generate", "-c", str(docs_example), "--out", str(tmp_path), *args)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err
    assert needle in lines[0], lines[0]
    assert not list(tmp_path.iterdir())  # nothing half-written


def cli_or_exit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        return cli(capsys, *args)
    except SystemExit as stop:  # argparse's own usage errors
        out, err = capsys.readouterr()
        return int(stop.code or 0), out, err


def test_1x_dialect_with_oauth_is_one_line(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    rich_raw: Callable[..., dict],
    secret_values: tuple[str, ...],
) -> None:
    path = tmp_path / "oauth.yaml"
    path.write_text(yaml.safe_dump(rich_raw("oauth")))
    code, _, err = cli(capsys, "generate", "-c", str(path), "--out", str(tmp_path / "o"), "--dialect", "1.x")
    assert code == 2
    assert err.strip() == (
        "dbx-pipeline: source.serviceConnection.config.authType: OpenMetadata 1.x servers only support a "
        "personal access token (token:), not OAuth M2M. Use a personal access token, or generate the 2.x "
        "dialect for an OpenMetadata 2.x server."
    )
    for secret in secret_values:
        assert secret not in err


@pytest.mark.parametrize("dialect", ["1.x", "2.x"])
def test_generated_yaml_is_accepted_by_ingest(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    workspace: Workspace,
    databricks: DatabricksEmulator,
    openmetadata: OpenMetadataEmulator,
    config: dict[str, Any],
    yaml_file: Callable[..., Path],
    dialect: str,
) -> None:
    source = yaml_file(config)
    code, out, err = cli(capsys, "generate", "-c", str(source), "--out", str(tmp_path / "dags"),
                         "--dialect", dialect, "--dag-id", "emulated")  # fmt: skip
    assert code == 0, err
    generated = tmp_path / "dags" / "emulated.yaml"
    text = generated.read_text()
    for secret in (databricks.token, DEFAULT_JWT):
        assert secret not in text and secret not in (tmp_path / "dags" / "emulated.py").read_text()
        assert secret not in out
    key = "token" if dialect == "1.x" else "authType"
    assert key in yaml.safe_load(text)["source"]["serviceConnection"]["config"]

    monkeypatch.setenv("DATABRICKS_TOKEN", databricks.token)
    monkeypatch.setenv("OPENMETADATA_JWT_TOKEN", DEFAULT_JWT)
    code, out, err = cli(capsys, "ingest", "-c", str(generated))
    assert code == 0, out + err
    live = [p for p in openmetadata.pipelines.values() if not p.get("deleted")]
    assert len(live) == workspace.job_count + len(workspace.pipeline_ids())

    monkeypatch.delenv("OPENMETADATA_JWT_TOKEN")
    code, _, err = cli(capsys, "ingest", "-c", str(generated))
    assert code == 2
    assert "OPENMETADATA_JWT_TOKEN is not set" in err
