"""Rendering the workflow YAML in both dialects: round trips, the docs example, secrets, comments."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.config import WorkflowConfig, load_workflow_config, parse_workflow_config
from core.errors import ConfigError
from core.generate.yaml_render import (
    SECRET_ENV_NAMES,
    dialect_for_version,
    render_workflow_yaml,
    required_env,
    secret_refs,
)

CONNECTION_KEYS = ("source", "serviceConnection", "config")


def connection_of(text: str) -> dict[str, Any]:
    document = yaml.safe_load(text)
    node = document
    for key in CONNECTION_KEYS:
        node = node[key]
    return node


def test_secret_env_names_are_the_documented_ones() -> None:
    assert SECRET_ENV_NAMES == {
        "token": "DATABRICKS_TOKEN",
        "clientSecret": "DATABRICKS_CLIENT_SECRET",
        "azureClientSecret": "AZURE_CLIENT_SECRET",
        "jwtToken": "OPENMETADATA_JWT_TOKEN",
    }


@pytest.mark.parametrize(
    ("version", "dialect"),
    [("1.9.12", "1.x"), ("1.12.0", "1.x"), ("0.13.2", "1.x"), ("2.0.7", "2.x"), ("v2.1.0-SNAPSHOT", "2.x")],
)
def test_dialect_follows_the_server_version(version: str, dialect: str) -> None:
    assert dialect_for_version(version) == dialect


@pytest.mark.parametrize("version", [None, "", "unknown"])
def test_unknown_server_version_gets_the_current_dialect(version: str | None) -> None:
    assert dialect_for_version(version) == "2.x"


@pytest.mark.parametrize("auth", ["pat", "oauth", "azure"])
@pytest.mark.parametrize("extra_headers", [False, True])
def test_2x_round_trip_gives_back_the_same_config(
    rich: Callable[..., WorkflowConfig],
    semantic_of: Callable[[WorkflowConfig], dict[str, Any]],
    secret_environ: dict[str, str],
    auth: str,
    extra_headers: bool,
) -> None:
    original = rich(auth, extra_headers=extra_headers)
    text = render_workflow_yaml(original, dialect="2.x")
    reloaded = parse_workflow_config(yaml.safe_load(text), secret_environ)
    # 2.x configs use authType on both sides, so even the raw dumps are identical.
    assert reloaded.model_dump() == original.model_dump()
    assert semantic_of(reloaded) == semantic_of(original)


def test_1x_round_trip_keeps_everything_and_writes_token(
    rich: Callable[..., WorkflowConfig],
    semantic_of: Callable[[WorkflowConfig], dict[str, Any]],
    secret_environ: dict[str, str],
) -> None:
    original = rich("pat")
    text = render_workflow_yaml(original, dialect="1.x")
    connection = connection_of(text)
    assert connection["token"] == "${DATABRICKS_TOKEN}"
    assert "authType" not in connection
    reloaded = parse_workflow_config(yaml.safe_load(text), secret_environ)
    assert semantic_of(reloaded) == semantic_of(original)


def test_inline_round_trip_needs_no_environment(
    rich: Callable[..., WorkflowConfig], semantic_of: Callable[[WorkflowConfig], dict[str, Any]]
) -> None:
    original = rich("azure", extra_headers=True)
    text = render_workflow_yaml(original, secrets="inline")
    assert "${" not in text
    assert "WARNING: this file contains secrets" in text
    reloaded = parse_workflow_config(yaml.safe_load(text), environ={})
    assert semantic_of(reloaded) == semantic_of(original)


def test_docs_example_loads_renders_and_means_the_same(
    docs_example: Path,
    semantic_of: Callable[[WorkflowConfig], dict[str, Any]],
) -> None:
    original = load_workflow_config(docs_example)
    secrets = {"DATABRICKS_TOKEN": "<databricks token>", "OPENMETADATA_JWT_TOKEN": "{bot_jwt_token}"}
    raw = yaml.safe_load(docs_example.read_text())
    for dialect in ("1.x", "2.x"):
        text = render_workflow_yaml(original, dialect=dialect)
        reloaded = parse_workflow_config(yaml.safe_load(text), secrets)
        assert semantic_of(reloaded) == semantic_of(original), dialect
        rendered = yaml.safe_load(text)
        # The documented form survives: same host text, http_path kept in connectionArguments.
        connection = rendered["source"]["serviceConnection"]["config"]
        assert connection["hostPort"] == raw["source"]["serviceConnection"]["config"]["hostPort"]
        assert connection["connectionArguments"] == {"http_path": "/sql/1.0/warehouses/abc123"}
        assert "httpPath" not in connection
        assert rendered["sink"] == raw["sink"]
        server = rendered["workflowConfig"]["openMetadataServerConfig"]
        assert server["hostPort"] == "http://localhost:8585/api"
        assert server["securityConfig"] == {"jwtToken": "${OPENMETADATA_JWT_TOKEN}"}
    assert connection_of(render_workflow_yaml(original, dialect="1.x"))["token"] == "${DATABRICKS_TOKEN}"
    assert connection_of(render_workflow_yaml(original, dialect="2.x"))["authType"] == {
        "token": "${DATABRICKS_TOKEN}"
    }


@pytest.mark.parametrize(("auth", "kind"), [("oauth", "OAuth M2M"), ("azure", "Azure AD service principal")])
def test_1x_dialect_refuses_logins_other_than_a_token(
    rich: Callable[..., WorkflowConfig], auth: str, kind: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        render_workflow_yaml(rich(auth), dialect="1.x")
    assert caught.value.field == "source.serviceConnection.config.authType"
    assert "1.x servers only support a personal access token" in caught.value.message
    assert kind in caught.value.message


def test_unknown_dialect_or_secrets_mode_is_a_config_error(rich: Callable[..., WorkflowConfig]) -> None:
    with pytest.raises(ConfigError, match="dialect"):
        render_workflow_yaml(rich(), dialect="3.x")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="secrets mode"):
        render_workflow_yaml(rich(), secrets="variable")  # type: ignore[arg-type]


@pytest.mark.parametrize("auth", ["pat", "oauth", "azure"])
def test_env_mode_writes_references_and_no_secret(
    rich: Callable[..., WorkflowConfig], secret_values: tuple[str, ...], auth: str
) -> None:
    text = render_workflow_yaml(rich(auth, extra_headers=True))
    for secret in secret_values:
        assert secret not in text
    expected = {
        "pat": "DATABRICKS_TOKEN",
        "oauth": "DATABRICKS_CLIENT_SECRET",
        "azure": "AZURE_CLIENT_SECRET",
    }
    assert "${" + expected[auth] + "}" in text
    assert "${OPENMETADATA_JWT_TOKEN}" in text
    assert "${OPENMETADATA_HEADER_X_PROXY_AUTH}" in text


def test_only_non_default_values_and_the_essentials_are_written(rich_raw: Callable[..., dict]) -> None:
    minimal = rich_raw("pat")
    connection = minimal["source"]["serviceConnection"]["config"]
    for key in ("connectionTimeout", "lineageLookBackDays", "pipelineFilterPattern"):
        del connection[key]
    connection["connectionTimeout"] = 120  # the default, given explicitly: still not written
    minimal["source"]["sourceConfig"]["config"] = {"type": "PipelineMetadata", "includeLineage": True}
    minimal["sink"] = {"type": "metadata-rest", "config": {}}
    minimal["workflowConfig"] = {
        "openMetadataServerConfig": {
            "hostPort": "http://localhost:8585/api",
            "authProvider": "openmetadata",
            "securityConfig": {"jwtToken": "x" * 10},
        }
    }
    document = yaml.safe_load(render_workflow_yaml(parse_workflow_config(minimal)))
    assert document == {
        "source": {
            "type": "databrickspipeline",
            "serviceName": "prod_databricks",
            "serviceConnection": {
                "config": {
                    "type": "DatabricksPipeline",
                    "hostPort": "adb-1234567890123456.7.azuredatabricks.net:443",
                    "authType": {"token": "${DATABRICKS_TOKEN}"},
                    "httpPath": "/sql/1.0/warehouses/a1b2c3d4e5f6",
                }
            },
            "sourceConfig": {"config": {"type": "PipelineMetadata"}},
        },
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {
            "openMetadataServerConfig": {
                "hostPort": "http://localhost:8585/api",
                "authProvider": "openmetadata",
                "securityConfig": {"jwtToken": "${OPENMETADATA_JWT_TOKEN}"},
            }
        },
    }


def test_host_forms_round_trip(rich_raw: Callable[..., dict], secret_environ: dict[str, str]) -> None:
    cases = {
        "https://adb-1.azuredatabricks.net/?o=1#job/2": "adb-1.azuredatabricks.net:443",
        "dbc-1.cloud.databricks.com:8443": "dbc-1.cloud.databricks.com:8443",
        "http://127.0.0.1:8001": "http://127.0.0.1:8001",  # a local server keeps its scheme
    }
    for given, written in cases.items():
        raw = rich_raw("pat")
        raw["source"]["serviceConnection"]["config"]["hostPort"] = given
        config = parse_workflow_config(raw)
        text = render_workflow_yaml(config)
        assert connection_of(text)["hostPort"] == written
        assert parse_workflow_config(yaml.safe_load(text), secret_environ).model_dump() == config.model_dump()


def test_1x_dialect_leaves_out_fields_only_2x_knows(rich_raw: Callable[..., dict]) -> None:
    raw = rich_raw("pat")
    raw["source"]["sourceConfig"]["config"]["ownershipUpdateMode"] = "append"
    config = parse_workflow_config(raw)
    assert "ownershipUpdateMode: append" in render_workflow_yaml(config, dialect="2.x")
    assert "ownershipUpdateMode" not in render_workflow_yaml(config, dialect="1.x")


def test_warning_log_level_uses_openmetadatas_spelling(rich_raw: Callable[..., dict]) -> None:
    raw = rich_raw("pat")
    raw["workflowConfig"]["loggerLevel"] = "WARNING"
    document = yaml.safe_load(render_workflow_yaml(parse_workflow_config(raw)))
    assert document["workflowConfig"]["loggerLevel"] == "WARN"


def test_the_file_is_commented_for_a_reader(rich: Callable[..., WorkflowConfig]) -> None:
    text = render_workflow_yaml(rich("pat"), dialect="2.x")
    assert text.startswith("# OpenMetadata ingestion workflow")
    assert "# Dialect: OpenMetadata 2.x servers" in text
    assert "# Set before running: DATABRICKS_TOKEN, OPENMETADATA_JWT_TOKEN." in text
    lines = text.splitlines()
    auth_line = lines.index("      authType:")
    assert lines[auth_line - 1] == "      # Databricks credentials (read from the environment at run time)"
    jwt_line = lines.index("    securityConfig:")
    assert lines[jwt_line - 1].lstrip().startswith("# JWT of the ingestion bot")
    assert "\n\nsink:" in text or "\n\n# Where the pipelines go\nsink:" in text


def test_required_env_lists_what_to_set(rich: Callable[..., WorkflowConfig]) -> None:
    assert required_env(rich("oauth")) == {
        "DATABRICKS_CLIENT_SECRET": "OAuth secret of the Databricks service principal 6d1e3c2b-sp-client",
        "OPENMETADATA_JWT_TOKEN": "JWT of the OpenMetadata ingestion bot (Settings > Bots > ingestion-bot)",
    }
    assert list(required_env(rich("azure", extra_headers=True), "env")) == [
        "AZURE_CLIENT_SECRET",
        "OPENMETADATA_JWT_TOKEN",
        "OPENMETADATA_HEADER_X_PROXY_AUTH",
    ]
    assert required_env(rich("pat"), "inline") == {}


def test_secret_refs_know_their_connection_field(rich: Callable[..., WorkflowConfig]) -> None:
    refs = {ref.env: ref for ref in secret_refs(rich("pat", extra_headers=True))}
    assert (refs["DATABRICKS_TOKEN"].side, refs["DATABRICKS_TOKEN"].connection_field) == (
        "databricks",
        "password",
    )
    assert refs["OPENMETADATA_JWT_TOKEN"].side == "openmetadata"
    assert refs["OPENMETADATA_HEADER_X_PROXY_AUTH"].connection_field == "extra.X-Proxy-Auth"


def test_a_file_sink_without_server_renders(
    rich_raw: Callable[..., dict], secret_environ: dict[str, str]
) -> None:
    raw = rich_raw("pat")
    raw["sink"] = {"type": "file", "config": {"filename": "pipelines.jsonl"}}
    del raw["workflowConfig"]["openMetadataServerConfig"]
    config = parse_workflow_config(raw)
    text = render_workflow_yaml(config)
    assert "openMetadataServerConfig" not in text
    assert list(required_env(config)) == ["DATABRICKS_TOKEN"]
    assert parse_workflow_config(yaml.safe_load(text), secret_environ).model_dump() == config.model_dump()
