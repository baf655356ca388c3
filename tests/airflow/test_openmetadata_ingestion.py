"""The official ``openmetadata-ingestion`` 2.0.7 package reads what the generators write.

It lives in its own cached virtualenv (it needs SQLAlchemy 2.0, which neither this environment nor Airflow
2.x can share) and these tests skip, with pip's reason, only where it cannot be installed.
"""

from __future__ import annotations

import ast
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.config import load_workflow_config, parse_workflow_config
from core.emulators.openmetadata import DEFAULT_JWT, OpenMetadataEmulator
from core.generate.bundle import write_bundle
from core.generate.dag import DagOptions
from core.generate.yaml_render import render_workflow_yaml

pytestmark = [pytest.mark.airflow, pytest.mark.timeout(900)]

DATA = Path(__file__).resolve().parents[1] / "data"
DUMMY_SECRETS = {
    "DATABRICKS_TOKEN": "dapi0123456789abcdef0123456789abcdef",
    "DATABRICKS_CLIENT_SECRET": "dose0123456789abcdef",
    "AZURE_CLIENT_SECRET": "azure-secret-value",
    "OPENMETADATA_JWT_TOKEN": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2ln",
}
AUTHS = {
    "pat": {"token": "dapi-secret-token-value"},
    "oauth": {"clientId": "sp-client-id", "clientSecret": "oauth-secret-value"},
    "azure": {"azureClientId": "app-id", "azureClientSecret": "azure-secret", "azureTenantId": "tenant-id"},
}


def workflow(auth: dict[str, str], om_url: str = "https://openmetadata.example.com/api") -> dict[str, Any]:
    return {
        "source": {
            "type": "databrickspipeline",
            "serviceName": "prod_databricks",
            "serviceConnection": {
                "config": {
                    "type": "DatabricksPipeline",
                    "hostPort": "adb-1234567890123456.7.azuredatabricks.net",
                    "authType": auth,
                    "httpPath": "/sql/1.0/warehouses/a1b2c3d4e5f6",
                    "connectionTimeout": 30,
                    "pipelineFilterPattern": {"includes": ["^etl-.*$"]},
                }
            },
            "sourceConfig": {
                "config": {
                    "type": "PipelineMetadata",
                    "statusLookbackDays": 3,
                    "lineageInformation": {"dbServiceNames": ["unity_catalog"]},
                }
            },
        },
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {
            "loggerLevel": "DEBUG",
            "openMetadataServerConfig": {
                "hostPort": om_url,
                "authProvider": "openmetadata",
                "securityConfig": {"jwtToken": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2ln"},
            },
        },
    }


def validate_with_official_model(venv: Any, probes: Path, files: list[Path], out: Path) -> dict[str, Any]:
    result = subprocess.run(
        [str(venv.python), str(probes / "probe_omconfig.py"), str(out), *map(str, files)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(out.parent), **DUMMY_SECRETS},
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(out.read_text())


def test_official_workflow_model_accepts_the_2x_yaml_and_rejects_1x(
    tmp_path: Path, venv_for: Callable[[str], Any], probes: Path, timings: Any
) -> None:
    venv = venv_for("omingestion")
    files: dict[str, Path] = {}
    for name, auth in AUTHS.items():
        files[f"2.x-{name}"] = tmp_path / f"2x-{name}.yaml"
        files[f"2.x-{name}"].write_text(
            render_workflow_yaml(parse_workflow_config(workflow(auth)), dialect="2.x")
        )
    with_status_source = workflow(AUTHS["pat"])  # the engine's own keys live in workflowConfig.config
    with_status_source["workflowConfig"]["config"] = {"workers": 8, "statusSource": "systemTables"}
    files["2.x-status-source"] = tmp_path / "2x-status-source.yaml"
    files["2.x-status-source"].write_text(
        render_workflow_yaml(parse_workflow_config(with_status_source), dialect="2.x")
    )
    assert "statusSource: systemTables" in files["2.x-status-source"].read_text()
    docs = load_workflow_config(DATA / "om_docs_example.yaml")
    files["2.x-docs-example"] = tmp_path / "2x-docs.yaml"
    files["2.x-docs-example"].write_text(render_workflow_yaml(docs, dialect="2.x"))
    files["1.x-docs-example"] = tmp_path / "1x-docs.yaml"
    files["1.x-docs-example"].write_text(render_workflow_yaml(docs, dialect="1.x"))

    started = time.perf_counter()
    report = validate_with_official_model(venv, probes, list(files.values()), tmp_path / "report.json")
    timings.add(f"omingestion: OpenMetadataWorkflowConfig validated {len(files)} files in "
                f"{time.perf_counter() - started:.1f} s")  # fmt: skip

    expected_auth = {"pat": "PersonalAccessToken", "oauth": "DatabricksOauth", "azure": "AzureAdSetup"}
    for name in AUTHS:
        entry = report[str(files[f"2.x-{name}"])]
        assert entry["ok"], entry.get("error")
        assert entry["connection"] == "DatabricksPipelineConnection"
        assert entry["auth"] == expected_auth[name]
    assert report[str(files["2.x-status-source"])]["ok"], report[str(files["2.x-status-source"])].get("error")
    docs_entry = report[str(files["2.x-docs-example"])]
    assert docs_entry["ok"], docs_entry.get("error")
    assert docs_entry["host_port"] == "localhost:443"  # the form OpenMetadata's connector expects
    # The 1.x form (token:) is what OpenMetadata 2.x no longer reads: the reason the dialect exists.
    one = report[str(files["1.x-docs-example"])]
    assert not one["ok"]
    assert "authType\n  Field required" in one["connection_error"]
    assert "token\n  Extra inputs are not permitted" in one["connection_error"]


def extract_callable(dag_source: str, name: str) -> str:
    """The function's source, as PythonVirtualenvOperator copies it into the virtualenv."""
    tree = ast.parse(dag_source)
    function = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == name)
    segment = ast.get_source_segment(dag_source, function)
    assert segment is not None
    return segment


def test_openmetadata_engine_callable_runs_in_the_official_package(
    tmp_path: Path,
    venv_for: Callable[[str], Any],
    openmetadata: OpenMetadataEmulator,
    timings: Any,
) -> None:
    """The DAG's virtualenv callable, alone in the package's environment with secrets only in its
    environment, gets as far as OpenMetadata's workflow talking to the server with the bot's JWT."""
    venv = venv_for("omingestion")
    config = workflow({"token": "dapi-unused-0123456789"}, om_url=f"{openmetadata.url}/api")
    config["source"]["serviceConnection"]["config"]["hostPort"] = "127.0.0.1:443"  # nothing listens there
    paths = write_bundle(
        parse_workflow_config(config), DagOptions(dag_id="om_engine", engine="openmetadata"), tmp_path
    )
    workflow_yaml, dag_file = paths[:2]  # then the deploy README
    assert "${OPENMETADATA_JWT_TOKEN}" in workflow_yaml.read_text()
    script = tmp_path / "script.py"
    script.write_text(
        extract_callable(dag_file.read_text(), "ingest_with_openmetadata")
        + f"\n\n\ningest_with_openmetadata({str(workflow_yaml)!r})\n"
    )
    started = time.perf_counter()
    result = subprocess.run(
        [str(venv.python), str(script)],
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "DATABRICKS_TOKEN": "dapi-unused-0123456789",
            "OPENMETADATA_JWT_TOKEN": DEFAULT_JWT,
        },
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    timings.add(
        f"omingestion: MetadataWorkflow.create from the DAG's callable {time.perf_counter() - started:.1f} s"
    )
    assert "OpenMetadata client running with Server version [2.0.7]" in output, output[-4000:]
    assert "validation error" not in output.lower(), output[-4000:]
    authenticated = [
        (method, path, status)
        for method, path, status in openmetadata.received
        if not path.endswith("/system/version")
    ]
    assert authenticated, openmetadata.received
    assert all(status not in (401, 403) for _, _, status in authenticated), authenticated


def test_the_docs_example_yaml_itself_fails_the_2x_model(
    tmp_path: Path, venv_for: Callable[[str], Any], probes: Path
) -> None:
    """The original documentation's YAML (token:) no longer loads in openmetadata-ingestion 2.x: users
    need the 2.x rendering the generator writes."""
    venv = venv_for("omingestion")
    original = tmp_path / "docs.yaml"
    original.write_text((DATA / "om_docs_example.yaml").read_text())
    report = validate_with_official_model(venv, probes, [original], tmp_path / "report.json")
    assert not report[str(original)]["ok"]
    assert "authType\n  Field required" in report[str(original)]["connection_error"]
    fixed = tmp_path / "docs-2x.yaml"
    fixed.write_text(render_workflow_yaml(load_workflow_config(original), dialect="2.x"))
    fixed_report = validate_with_official_model(venv, probes, [fixed], tmp_path / "report2.json")
    assert fixed_report[str(fixed)]["ok"], fixed_report
    assert yaml.safe_load(fixed.read_text())["source"]["serviceConnection"]["config"]["authType"] == {
        "token": "${DATABRICKS_TOKEN}"
    }


def test_bench_runs_the_official_connector_on_the_same_emulators(venv_for: Callable[[str], Any]) -> None:
    """``bench --official PYTHON``: OpenMetadata's own MetadataWorkflow, unpatched but for the Databricks
    client's base URLs, ingests the generated workspace into the emulator; the row counts its calls."""
    from core.bench import BenchSpec, format_table, run_bench_runs

    venv = venv_for("omingestion")
    spec = BenchSpec(jobs=6, tasks=2, runs=2, latency_ms=0, workers=4, lineage=False)
    engine, official = run_bench_runs(spec, rerun=False, official=str(venv.python))
    assert official.run == "official" and official.wall_s > 0
    # every job became a pipeline, with the connector's own calls: jobs/list pages, one runs/list per job
    assert official.report["created"] == spec.jobs == engine.report["created"]
    assert official.databricks_calls >= spec.jobs and official.openmetadata_calls > spec.jobs
    row = format_table([engine, official]).splitlines()[-1].split()
    assert row[0] == "official" and row[5] == "1" and "6/-/0" in row


def test_bench_official_says_in_one_line_when_the_interpreter_lacks_the_package(tmp_path: Path) -> None:
    from core.bench_official import official_config, run_official
    from core.errors import ConfigError

    config = official_config(
        {
            "source": {
                "serviceConnection": {"config": {"hostPort": "http://127.0.0.1:9"}},
                "sourceConfig": {"config": {"includeLineage": True}},
            },
            "workflowConfig": {"config": {"statusSource": "auto"}},
            "sink": {"type": "file"},
        }
    )
    assert config["source"]["serviceConnection"]["config"]["hostPort"] == "127.0.0.1:9"
    assert config["source"]["sourceConfig"]["config"]["includeLineage"] is False
    assert "config" not in config["workflowConfig"] and config["sink"]["type"] == "metadata-rest"
    with pytest.raises(ConfigError) as caught:
        run_official("/usr/bin/python3", "http://127.0.0.1:9", config)
    assert "--official" in caught.value.one_line() and "openmetadata-ingestion" in caught.value.one_line()
