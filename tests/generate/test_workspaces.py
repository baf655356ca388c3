"""Many workspaces in one DAG: one YAML, one service, one set of secret names and one mapped task each."""

from __future__ import annotations

import ast
import io
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.cli import main
from core.config import WorkflowConfig, load_workflow_config, parse_workflow_config
from core.errors import ConfigError
from core.generate.bundle import render_bundle, write_bundle, zip_bundle
from core.generate.dag import DagOptions, render_dag
from core.generate.wheel import engine_wheel
from core.generate.workspaces import plan_workspaces

from .conftest import JWT, PAT


@pytest.fixture
def fleet(rich_raw: Callable[..., dict[str, Any]]) -> Callable[..., list[WorkflowConfig]]:
    """``fleet(*services, auth="pat")``: one config per service, each its own workspace address."""

    def make(*services: str, auth: str = "pat", extra_headers: bool = False) -> list[WorkflowConfig]:
        configs = []
        for index, service in enumerate(services):
            raw = rich_raw(auth, extra_headers=extra_headers)
            raw["source"]["serviceName"] = service
            raw["source"]["serviceConnection"]["config"]["hostPort"] = (
                f"https://dbc-{index}.cloud.databricks.com"
            )
            configs.append(parse_workflow_config(raw))
        return configs

    return make


def test_one_workflow_keeps_the_names_of_a_one_workspace_dag(
    fleet: Callable[..., list[WorkflowConfig]],
) -> None:
    (only,) = plan_workspaces(fleet("prod"), DagOptions(dag_id="d", yaml_filename="w.yaml"))
    assert (only.yaml_name, only.env_suffix) == ("w.yaml", "")
    assert dict(only.connection_ids) == {
        "databricks": "databricks_default",
        "openmetadata": "openmetadata_default",
    }
    assert render_bundle(fleet("prod")[0], DagOptions()) == render_bundle(fleet("prod"), DagOptions())


def test_each_workspace_gets_its_own_yaml_and_secret_names(
    fleet: Callable[..., list[WorkflowConfig]],
) -> None:
    workspaces = plan_workspaces(fleet("prod", "Sales.EU", "hr-1"), DagOptions(dag_id="fleet"))
    assert [w.yaml_name for w in workspaces] == ["fleet.prod.yaml", "fleet.Sales_EU.yaml", "fleet.hr_1.yaml"]
    assert [[ref.env for ref in w.refs("env")] for w in workspaces] == [
        ["DATABRICKS_TOKEN_PROD", "OPENMETADATA_JWT_TOKEN_PROD"],
        ["DATABRICKS_TOKEN_SALES_EU", "OPENMETADATA_JWT_TOKEN_SALES_EU"],
        ["DATABRICKS_TOKEN_HR_1", "OPENMETADATA_JWT_TOKEN_HR_1"],
    ]
    assert dict(workspaces[1].connection_ids) == {
        "databricks": "databricks_sales_eu",
        "openmetadata": "openmetadata_sales_eu",
    }
    assert workspaces[1].refs("inline") == []


@pytest.mark.parametrize(
    ("change", "options", "field", "needle"),
    [
        ("same-service", {}, "source.serviceName", "two workflows ingest into the service 'prod'"),
        ("same-names", {}, "source.serviceName", "give the same file and secret names"),
        (
            "other-server",
            {},
            "workflowConfig.openMetadataServerConfig.hostPort",
            "must write to the same place",
        ),
        ("file-sink", {}, "workflowConfig.openMetadataServerConfig.hostPort", "the file sink"),
        ("", {"engine": "openmetadata"}, "dag.engine", "needs the core engine"),
        ("", {"yaml_filename": "w.yaml"}, "dag.yaml_filename", "one-workspace DAG"),
    ],
)
def test_workflows_that_cannot_share_a_dag_are_refused(
    rich_raw: Callable[..., dict[str, Any]], change: str, options: dict[str, Any], field: str, needle: str
) -> None:
    first, second = rich_raw("pat"), rich_raw("pat")
    first["source"]["serviceName"], second["source"]["serviceName"] = "prod", "other"
    if change == "same-service":
        second["source"]["serviceName"] = "prod"
    elif change == "same-names":
        second["source"]["serviceName"] = "PROD"
    elif change == "other-server":
        second["workflowConfig"]["openMetadataServerConfig"]["hostPort"] = "https://om2.example.com/api"
    elif change == "file-sink":
        second["sink"] = {"type": "file", "config": {"filename": "out.jsonl"}}
        del second["workflowConfig"]["openMetadataServerConfig"]
    with pytest.raises(ConfigError) as caught:
        render_bundle([parse_workflow_config(first), parse_workflow_config(second)], DagOptions(**options))
    assert caught.value.field == field
    assert needle in caught.value.message
    with pytest.raises(ConfigError, match="no workflow"):
        plan_workspaces([], DagOptions())


@pytest.mark.parametrize("mode", ["env", "variable", "connection", "inline"])
def test_the_dag_maps_one_task_over_the_workspaces(
    fleet: Callable[..., list[WorkflowConfig]], mode: str
) -> None:
    source = render_dag(
        fleet("prod", "sales", auth="oauth", extra_headers=True), DagOptions(dag_id="f", secrets=mode)
    )
    tree = ast.parse(source)
    workspaces = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and node.targets[0].id == "WORKSPACES"  # type: ignore[attr-defined]
    )
    value = ast.literal_eval(workspaces)
    assert list(value) == ["f.prod.yaml", "f.sales.yaml"]
    if mode == "connection":
        assert value["f.sales.yaml"] == {
            "DATABRICKS_CLIENT_SECRET_SALES": ("databricks_sales", "password"),
            "OPENMETADATA_JWT_TOKEN_SALES": ("openmetadata_sales", "password"),
            "OPENMETADATA_HEADER_X_PROXY_AUTH_SALES": ("openmetadata_sales", "extra.X-Proxy-Auth"),
        }
    elif mode == "inline":
        assert value == {"f.prod.yaml": (), "f.sales.yaml": ()}
    else:
        assert value["f.prod.yaml"] == (
            "DATABRICKS_CLIENT_SECRET_PROD",
            "OPENMETADATA_JWT_TOKEN_PROD",
            "OPENMETADATA_HEADER_X_PROXY_AUTH_PROD",
        )
    assert "EngineInVirtualenv.partial(" in source and ").expand(" in source
    assert '"workflow_path": str(HERE / name),' in source and "for name in WORKSPACES" in source
    assert 'resolve_secrets(WORKSPACES[Path(self.op_kwargs["workflow_path"]).name])' in source
    assert "report_failed_run(context, *workspace_of(context))" in source
    assert "WORKFLOW_YAML" not in source and "SECRETS =" not in source
    assert "outlets=SERVICE_ASSETS," in source
    assert 'Asset("openmetadata://openmetadata.example.com/sales"),' in source


def test_the_yamls_reference_their_own_names_and_load_with_them(
    fleet: Callable[..., list[WorkflowConfig]], tmp_path: Path
) -> None:
    written = write_bundle(fleet("prod", "sales"), DagOptions(dag_id="f"), tmp_path)
    assert [path.name for path in written] == [
        "f.prod.yaml", "f.sales.yaml", "f.py", "f.README.md", engine_wheel().filename
    ]  # fmt: skip
    text = (tmp_path / "f.sales.yaml").read_text()
    assert "${DATABRICKS_TOKEN_SALES}" in text and "${OPENMETADATA_JWT_TOKEN_SALES}" in text
    loaded = load_workflow_config(
        tmp_path / "f.sales.yaml", {"DATABRICKS_TOKEN_SALES": PAT, "OPENMETADATA_JWT_TOKEN_SALES": JWT}
    )
    assert loaded.source.service_name == "sales"
    assert loaded.source.connection.host_port == "https://dbc-1.cloud.databricks.com"


def test_inline_yamls_are_private_in_the_folder_and_the_zip(
    fleet: Callable[..., list[WorkflowConfig]], tmp_path: Path
) -> None:
    options = DagOptions(dag_id="f", secrets="inline")
    write_bundle(fleet("prod", "sales"), options, tmp_path)
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in tmp_path.iterdir()}
    assert modes["f.prod.yaml"] == modes["f.sales.yaml"] == 0o600 and modes["f.py"] == 0o644
    with zipfile.ZipFile(io.BytesIO(zip_bundle(fleet("prod", "sales"), options))) as archive:
        members = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert members["f.sales.yaml"] == 0o600 and members["README.md"] == 0o644


def test_generate_takes_several_configs(
    capsys: pytest.CaptureFixture[str], rich_raw: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    paths = []
    for service in ("prod", "sales"):
        raw = rich_raw("pat")
        raw["source"]["serviceName"] = service
        path = tmp_path / f"{service}.yaml"
        path.write_text(yaml.safe_dump(raw))
        paths += ["-c", str(path)]
    code = main(["generate", *paths, "--out", str(tmp_path / "out"), "--dag-id", "fleet"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["fleet.prod.yaml", "fleet.sales.yaml", "fleet.py", "fleet.README.md", engine_wheel().filename]
    )
    assert "fleet.prod.yaml" in out and "fleet.sales.yaml" in out


def test_mapped_dags_pass_ruff_including_its_airflow_rules(
    fleet: Callable[..., list[WorkflowConfig]], tmp_path: Path
) -> None:
    for mode in ("env", "variable", "connection", "inline"):
        for python in (None, "/opt/dbx/bin/python"):
            options = DagOptions(dag_id=f"m_{mode}_{bool(python)}", secrets=mode, python=python)
            (tmp_path / options.dag_filename).write_text(
                render_dag(fleet("a", "b.c", extra_headers=True), options)
            )
    base = [sys.executable, "-m", "ruff"]
    rules = ["--select", "AIR,E,F,W,I,UP,B", "--ignore", "E501", "--output-format", "concise"]
    lint = subprocess.run(
        [*base, "check", "--isolated", "--preview", *rules, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatted = subprocess.run(
        [*base, "format", "--isolated", "--line-length", "110", "--check", "--diff", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_with_several_configs_an_error_names_its_file(
    capsys: pytest.CaptureFixture[str], docs_example: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("source: {}\n")
    code = main(["generate", "-c", str(docs_example), "-c", str(bad), "--out", str(tmp_path / "out")])
    _, err = capsys.readouterr()
    assert code == 2
    assert err == f"dbx-pipeline: source.type: is required (and 2 more problems) (in {bad}).\n"
    assert not (tmp_path / "out").exists()
