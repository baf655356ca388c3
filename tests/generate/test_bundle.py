"""The bundle: the same files for the CLI and the wizard (the core engine's with its wheel), a deploy README,
no secrets unless inline."""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import yaml

from core.config import WorkflowConfig, parse_workflow_config
from core.errors import ConfigError
from core.generate.bundle import (
    README_NAME,
    load_config_for_generate,
    render_bundle,
    write_bundle,
    zip_bundle,
)
from core.generate.dag import DagOptions, render_dag
from core.generate.wheel import engine_wheel
from core.generate.yaml_render import render_workflow_yaml

MODES = ("env", "variable", "connection", "inline")


def test_bundle_holds_yaml_dag_and_readme_from_the_renderers(rich: Callable[..., WorkflowConfig]) -> None:
    config = rich("pat")
    options = DagOptions(dag_id="dbx_prod", start_date=date(2026, 1, 5))
    files = render_bundle(config, options)
    assert list(files) == ["dbx_prod.yaml", "dbx_prod.py", README_NAME]
    assert files["dbx_prod.yaml"] == render_workflow_yaml(config, dialect="2.x", secrets="env")
    assert files["dbx_prod.py"] == render_dag(config, options)


@pytest.mark.parametrize("engine", ["core", "openmetadata"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("auth", ["pat", "oauth", "azure"])
def test_no_secret_in_any_file_unless_inline(
    rich: Callable[..., WorkflowConfig], secret_values: tuple[str, ...], engine: str, mode: str, auth: str
) -> None:
    config = rich(auth, extra_headers=True)
    options = DagOptions(engine=engine, secrets=mode)
    files = render_bundle(config, options)
    archive = zipfile.ZipFile(io.BytesIO(zip_bundle(config, options)))
    wheel = [engine_wheel().filename] if engine == "core" else []
    assert sorted(archive.namelist()) == sorted([*files, *wheel])
    for name in wheel:  # built from the sources alone
        content = archive.read(name)
        assert content == engine_wheel().content
        assert not [secret for secret in secret_values if secret.encode() in content]
    used = {
        "pat": ("dapi",),
        "oauth": ("dose",),
        "azure": ("Az8Q",),
    }[auth]
    for name, content in files.items():
        assert archive.read(name).decode() == content
        holds_secrets = mode == "inline" and name == options.yaml_name
        for secret in secret_values:
            in_config = secret.startswith(used) or secret.startswith(("eyJ", "proxy"))
            if holds_secrets and in_config:
                assert secret in content, (name, secret)
            else:
                assert secret not in content, (name, secret)


def test_readme_says_how_to_deploy_each_mode(rich: Callable[..., WorkflowConfig]) -> None:
    config = rich("pat")
    readme = {
        mode: render_bundle(config, DagOptions(dag_id="dbx", secrets=mode))[README_NAME] for mode in MODES
    }
    wheel = engine_wheel()
    for text in readme.values():
        assert "# Deploying `dbx` to Apache Airflow" in text
        assert f'cp dbx.py dbx.yaml {wheel.filename} "$AIRFLOW_HOME/dags/"' in text
        assert f"- `{wheel.filename}` ({round(wheel.size / 1024)} KB): the engine" in text
        assert "## 1. Nothing to install" in text
        assert "pip install" not in text.split("## 2.")[0].replace(
            'pip install "apache-airflow[virtualenv]"', ""
        )
        assert "airflow dags test dbx" in text
    assert "| `DATABRICKS_TOKEN` | Databricks personal access token |" in readme["env"]
    assert "airflow variables set OPENMETADATA_JWT_TOKEN" in readme["variable"]
    assert (
        "airflow connections add databricks_default --conn-type generic --conn-password"
        in readme["connection"]
    )
    assert "airflow connections add openmetadata_default" in readme["connection"]
    assert "**The workflow YAML contains the secrets in clear text**" in readme["inline"]


def test_readme_for_the_openmetadata_engine_and_schedules(rich: Callable[..., WorkflowConfig]) -> None:
    options = DagOptions(engine="openmetadata", schedule="0 3 * * *", timezone="Europe/Berlin")
    readme = render_bundle(rich("pat"), options)[README_NAME]
    assert "`openmetadata-ingestion[databricks]==2.0.7.*`" in readme
    assert 'pip install "apache-airflow[virtualenv]"' in readme
    assert ".whl" not in readme and "## 1. Nothing to install for the engine" in readme
    assert (
        'cp dbx.py dbx.yaml "$AIRFLOW_HOME/dags/"'
        in render_bundle(rich("pat"), DagOptions(dag_id="dbx", engine="openmetadata"))[README_NAME]
    )
    assert "Schedule `0 3 * * *`: At 03:00 AM, every day (Europe/Berlin). Next runs:" in readme
    assert readme.count(" 03:00 CE") == 5  # CET or CEST
    on_demand = render_bundle(rich("pat"), DagOptions(schedule=None))[README_NAME]
    assert "On demand: runs only when triggered (no schedule)" in on_demand


def test_write_bundle_writes_the_bundle_and_protects_inline_secrets(
    rich: Callable[..., WorkflowConfig], tmp_path: Path
) -> None:
    config = rich("pat")
    out = tmp_path / "new" / "dags"
    paths = write_bundle(config, DagOptions(dag_id="dbx"), out)
    wheel = engine_wheel()
    assert paths == [out / "dbx.yaml", out / "dbx.py", out / "dbx.README.md", out / wheel.filename]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["dbx.py", "dbx.yaml", "dbx.README.md", wheel.filename]
    )
    assert "dbx.py" in (out / "dbx.README.md").read_text()  # the deploy steps, named after the DAG
    assert (out / wheel.filename).read_bytes() == wheel.content
    assert stat.S_IMODE((out / wheel.filename).stat().st_mode) == 0o644
    assert stat.S_IMODE((out / "dbx.yaml").stat().st_mode) == 0o644
    write_bundle(config, DagOptions(dag_id="dbx", secrets="inline"), out)
    assert stat.S_IMODE((out / "dbx.yaml").stat().st_mode) == 0o600
    assert stat.S_IMODE((out / "dbx.py").stat().st_mode) == 0o644
    archive = zipfile.ZipFile(io.BytesIO(zip_bundle(config, DagOptions(dag_id="dbx", secrets="inline"))))
    assert (archive.getinfo("dbx.yaml").external_attr >> 16) & 0o777 == 0o600


def test_the_openmetadata_engine_bundle_has_no_wheel(
    rich: Callable[..., WorkflowConfig], tmp_path: Path
) -> None:
    paths = write_bundle(rich("pat"), DagOptions(dag_id="dbx", engine="openmetadata"), tmp_path)
    assert [path.name for path in paths] == ["dbx.yaml", "dbx.py", "dbx.README.md"]


def test_write_bundle_into_a_file_path_is_a_config_error(
    rich: Callable[..., WorkflowConfig], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError) as caught:
        write_bundle(rich("pat"), DagOptions(), blocker / "out")
    assert caught.value.field == "out"


def test_generating_needs_no_secret_unless_inline(
    tmp_path: Path, rich_raw: Callable[..., dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = rich_raw("pat")
    raw["source"]["serviceConnection"]["config"]["authType"] = {"token": "${MY_DBX_TOKEN}"}
    raw["workflowConfig"]["openMetadataServerConfig"]["securityConfig"] = {"jwtToken": "${MY_JWT}"}
    path = tmp_path / "workflow.yaml"
    path.write_text(yaml.safe_dump(raw))
    monkeypatch.delenv("MY_DBX_TOKEN", raising=False)
    monkeypatch.delenv("MY_JWT", raising=False)
    config = load_config_for_generate(path, secrets="variable")
    files = render_bundle(config, DagOptions(secrets="variable"))
    assert "__dbx_pipeline_unset_" not in "".join(files.values())
    with pytest.raises(ConfigError, match="MY_DBX_TOKEN is not set"):
        load_config_for_generate(path, secrets="inline")


def test_an_unset_variable_in_a_non_secret_field_is_refused(
    tmp_path: Path, rich_raw: Callable[..., dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = rich_raw("pat")
    raw["source"]["serviceName"] = "${SERVICE_NAME}"
    path = tmp_path / "workflow.yaml"
    path.write_text(yaml.safe_dump(raw))
    monkeypatch.delenv("SERVICE_NAME", raising=False)
    config = load_config_for_generate(path, secrets="env")
    with pytest.raises(ConfigError, match="environment variable SERVICE_NAME is not set") as caught:
        render_bundle(config, DagOptions())
    assert "__dbx_pipeline_unset_" not in caught.value.one_line()
    monkeypatch.setenv("SERVICE_NAME", "from_env")
    files = render_bundle(load_config_for_generate(path, secrets="env"), DagOptions())
    assert "serviceName: from_env" in files[DagOptions().yaml_name]


def test_bundle_of_the_docs_example(docs_example: Path) -> None:
    config = load_config_for_generate(docs_example, secrets="env")
    files = render_bundle(config, DagOptions(dag_id="docs"), dialect="1.x")
    document = yaml.safe_load(files["docs.yaml"])
    assert document["source"]["serviceConnection"]["config"]["token"] == "${DATABRICKS_TOKEN}"
    reloaded = parse_workflow_config(
        document, {"DATABRICKS_TOKEN": "<databricks token>", "OPENMETADATA_JWT_TOKEN": "{bot_jwt_token}"}
    )
    assert reloaded.source.connection.http_path == "/sql/1.0/warehouses/abc123"
