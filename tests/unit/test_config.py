"""Workflow YAML loading: OpenMetadata's own files load unchanged, every mistake is one precise line.

Tables: ``VALID_CONFIGS`` (changes to a minimal valid config -> values expected on the loaded model) and
``INVALID_CONFIGS`` (changes -> the exact dotted field and a key phrase of the message). Raw inputs that
never become a mapping (YAML syntax, binary, size, files) are in ``INVALID_INPUTS``.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.config import (
    MAX_CONFIG_BYTES,
    AzureAdSetup,
    DatabricksOAuth,
    PersonalAccessToken,
    WorkflowConfig,
    load_workflow_config,
    parse_workflow_config,
    parse_yaml_text,
)
from core.errors import ConfigError
from core.secrets import MASK, redact
from tests.paths import schema_root

DATA = Path(__file__).resolve().parents[1] / "data"
DOCS_EXAMPLE = DATA / "om_docs_example.yaml"
SCHEMA_ROOT = schema_root()

C = "source.serviceConnection.config"
S = "source.sourceConfig.config"
O = "workflowConfig.openMetadataServerConfig"  # noqa: E741 -- mirrors C and S

#: marks a key to delete in :func:`make`
DROP = object()

TOKEN = "dapi0123456789abcdef0123456789abcdef"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpbmdlc3Rpb24tYm90In0.c2lnbmF0dXJl"


def _base() -> dict[str, Any]:
    """A minimal valid OpenMetadata 2.x workflow config."""
    return {
        "source": {
            "type": "databrickspipeline",
            "serviceName": "dbx_prod",
            "serviceConnection": {
                "config": {
                    "type": "DatabricksPipeline",
                    "hostPort": "adb-1234567890123456.7.azuredatabricks.net",
                    "authType": {"token": TOKEN},
                }
            },
            "sourceConfig": {"config": {"type": "PipelineMetadata"}},
        },
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {
            "openMetadataServerConfig": {
                "hostPort": "http://localhost:8585/api",
                "authProvider": "openmetadata",
                "securityConfig": {"jwtToken": JWT},
            }
        },
    }


def make(changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """``_base()`` with each ``dotted.path: value`` set (``DROP`` deletes the key)."""
    data = _base()
    for path, value in (changes or {}).items():
        node = data
        *parents, last = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        if value is DROP:
            node.pop(last, None)
        else:
            node[last] = copy.deepcopy(value)
    return data


def attr(obj: Any, dotted: str) -> Any:
    """Follow a dotted attribute path on the loaded model (properties included)."""
    for name in dotted.split("."):
        obj = getattr(obj, name)
    return obj


def assert_one_line(err: ConfigError) -> str:
    line = err.one_line()
    assert "\n" not in line and "\r" not in line, line
    assert line == line.strip() and line.endswith((".", "?", "!"))
    if err.field:
        assert line.startswith(f"{err.field}: "), line
    return line


# -- the original OpenMetadata documentation example ------------------------------------------------


def test_om_docs_example_loads_unchanged() -> None:
    text = DOCS_EXAMPLE.read_text()
    # the fixture keeps the documentation's literal placeholders (only http_path is made realistic)
    for literal in ("token: <databricks token>", 'jwtToken: "{bot_jwt_token}"', "hostPort: localhost:443"):
        assert literal in text
    config = load_workflow_config(DOCS_EXAMPLE)

    assert isinstance(config, WorkflowConfig)
    assert config.source.type == "databrickspipeline"
    assert config.source.service_name == "local_databricks_pipeline"
    connection = config.source.connection
    assert connection.type == "DatabricksPipeline"
    # localhost:443 -> https on the default port
    assert connection.host_port == "https://localhost"
    assert connection.base_url == "https://localhost"
    # the classic top-level token becomes the resolved PAT auth
    assert connection.token is not None
    assert connection.token.get_secret_value() == "<databricks token>"
    assert isinstance(connection.auth, PersonalAccessToken)
    assert connection.auth.token.get_secret_value() == "<databricks token>"
    assert connection.auth_kind == "pat"
    assert connection.connection_timeout == 120
    # connectionArguments.http_path fills http_path
    assert connection.connection_arguments == {"http_path": "/sql/1.0/warehouses/abc123"}
    assert connection.http_path == "/sql/1.0/warehouses/abc123"
    assert connection.warehouse_id == "abc123"
    assert config.source.options.type == "PipelineMetadata"
    assert config.source.options.pipeline_filter_pattern is None
    assert config.sink.type == "metadata-rest"
    server = config.server
    assert server is not None
    assert server.host_port == "http://localhost:8585/api"
    assert server.auth_provider == "openmetadata"
    # "{bot_jwt_token}" has no "$", so it is a literal value, not an environment reference
    assert server.jwt == "{bot_jwt_token}"


def test_om_docs_placeholder_http_path_is_one_line_error_naming_the_field(tmp_path: Path) -> None:
    text = DOCS_EXAMPLE.read_text().replace(
        "http_path: /sql/1.0/warehouses/abc123", "http_path: <http path of databricks cluster>"
    )
    assert "<http path of databricks cluster>" in text
    path = tmp_path / "docs_literal.yaml"
    path.write_text(text)

    with pytest.raises(ConfigError) as info:
        load_workflow_config(path)

    err = info.value
    line = assert_one_line(err)
    assert err.field == C
    assert "connectionArguments.http_path" in line
    assert "/sql/1.0/warehouses/<warehouse-id>" in line


# -- valid configs ----------------------------------------------------------------------------------

VALID_CONFIGS = [
    pytest.param(
        {}, {"source.connection.auth_kind": "pat", "source.connection.http_path": None}, id="minimal-2x"
    ),
    pytest.param(
        {},
        {"source.connection.auth.token.get_secret_value": TOKEN, "source.connection.token": None},
        id="2x-authType-token",
    ),
    pytest.param(
        {f"{C}.authType": DROP, f"{C}.token": TOKEN},
        {"source.connection.auth_kind": "pat", "source.connection.auth.token.get_secret_value": TOKEN},
        id="1x-top-level-token",
    ),
    pytest.param(
        {f"{C}.token": TOKEN},
        {"source.connection.auth_kind": "pat", "source.connection.auth.token.get_secret_value": TOKEN},
        id="token-and-same-authType-token",
    ),
    pytest.param(
        {f"{C}.authType": {"clientId": "sp-app-id", "clientSecret": "oauth-secret-value"}},
        {
            "source.connection.auth_kind": "oauth-m2m",
            "source.connection.auth.client_id": "sp-app-id",
            "source.connection.auth.client_secret.get_secret_value": "oauth-secret-value",
        },
        id="oauth-m2m",
    ),
    pytest.param(
        {
            f"{C}.authType": {
                "azureClientId": "azure-app-id",
                "azureClientSecret": "azure-secret-value",
                "azureTenantId": "tenant-1",
            }
        },
        {
            "source.connection.auth_kind": "azure-client-secret",
            "source.connection.auth.azure_client_id": "azure-app-id",
            "source.connection.auth.azure_tenant_id": "tenant-1",
            "source.connection.auth.azure_client_secret.get_secret_value": "azure-secret-value",
        },
        id="azure-service-principal",
    ),
    pytest.param(
        {f"{C}.httpPath": "/sql/1.0/warehouses/abc123"},
        {
            "source.connection.http_path": "/sql/1.0/warehouses/abc123",
            "source.connection.warehouse_id": "abc123",
        },
        id="httpPath",
    ),
    pytest.param(
        {f"{C}.httpPath": "  sql/1.0/endpoints/ep42/ "},
        {"source.connection.http_path": "sql/1.0/endpoints/ep42/", "source.connection.warehouse_id": "ep42"},
        id="httpPath-legacy-endpoints-no-leading-slash",
    ),
    pytest.param(
        {f"{C}.connectionArguments": {"http_path": "/sql/1.0/warehouses/legacy1"}},
        {
            "source.connection.http_path": "/sql/1.0/warehouses/legacy1",
            "source.connection.warehouse_id": "legacy1",
        },
        id="connectionArguments.http_path",
    ),
    pytest.param(
        {f"{C}.connectionArguments": {"httpPath": "/sql/1.0/warehouses/legacy2"}},
        {"source.connection.warehouse_id": "legacy2"},
        id="connectionArguments.httpPath",
    ),
    pytest.param(
        {
            f"{C}.httpPath": "/sql/1.0/warehouses/direct",
            f"{C}.connectionArguments": {"http_path": "/sql/1.0/warehouses/legacy"},
        },
        {"source.connection.warehouse_id": "direct"},
        id="httpPath-wins-over-connectionArguments",
    ),
    pytest.param({f"{C}.httpPath": ""}, {"source.connection.http_path": None}, id="empty-httpPath-is-none"),
    # hostPort forms (hosts.normalize_databricks_host)
    pytest.param(
        {f"{C}.hostPort": "myws.cloud.databricks.com"},
        {"source.connection.host_port": "https://myws.cloud.databricks.com"},
        id="host",
    ),
    pytest.param(
        {f"{C}.hostPort": "myws.cloud.databricks.com:443"},
        {"source.connection.host_port": "https://myws.cloud.databricks.com"},
        id="host-default-port",
    ),
    pytest.param(
        {f"{C}.hostPort": "myws.cloud.databricks.com:8443"},
        {"source.connection.host_port": "https://myws.cloud.databricks.com:8443"},
        id="host-port",
    ),
    pytest.param(
        {f"{C}.hostPort": "https://myws.cloud.databricks.com"},
        {"source.connection.host_port": "https://myws.cloud.databricks.com"},
        id="https-host",
    ),
    pytest.param(
        {f"{C}.hostPort": "HTTPS://MyWS.Cloud.Databricks.com/"},
        {"source.connection.host_port": "https://myws.cloud.databricks.com"},
        id="https-host-uppercase-trailing-slash",
    ),
    pytest.param(
        {f"{C}.hostPort": "http://127.0.0.1:8080"},
        {"source.connection.host_port": "http://127.0.0.1:8080"},
        id="http-ip-port",
    ),
    pytest.param(
        {f"{C}.hostPort": "http://localhost:80"},
        {"source.connection.host_port": "http://localhost"},
        id="http-default-port",
    ),
    pytest.param(
        {f"{C}.hostPort": "https://adb-1.2.azuredatabricks.net/?o=123#job/5"},
        {"source.connection.host_port": "https://adb-1.2.azuredatabricks.net"},
        id="browser-url",
    ),
    pytest.param(
        {f"{C}.hostPort": "https://adb-1.2.azuredatabricks.net?o=123#job/5/run/9"},
        {"source.connection.host_port": "https://adb-1.2.azuredatabricks.net"},
        id="browser-url-no-slash",
    ),
    pytest.param(
        {f"{C}.hostPort": "  myws.cloud.databricks.com  "},
        {"source.connection.host_port": "https://myws.cloud.databricks.com"},
        id="host-with-spaces",
    ),
    pytest.param(
        {f"{C}.hostPort": "[::1]:8080"}, {"source.connection.host_port": "https://[::1]:8080"}, id="ipv6"
    ),
    # OpenMetadata hostPort forms (hosts.normalize_openmetadata_url)
    pytest.param(
        {f"{O}.hostPort": "http://localhost:8585/api/"},
        {"server.host_port": "http://localhost:8585/api"},
        id="om-api-slash",
    ),
    pytest.param(
        {f"{O}.hostPort": "http://localhost:8585/api/v1"},
        {"server.host_port": "http://localhost:8585/api"},
        id="om-api-v1",
    ),
    pytest.param(
        {f"{O}.hostPort": "http://localhost:8585/api/v1/"},
        {"server.host_port": "http://localhost:8585/api"},
        id="om-api-v1-slash",
    ),
    pytest.param(
        {f"{O}.hostPort": "localhost:8585/api"},
        {"server.host_port": "http://localhost:8585/api"},
        id="om-no-scheme-is-http",
    ),
    pytest.param(
        {f"{O}.hostPort": "https://om.example.com:443/api"},
        {"server.host_port": "https://om.example.com/api"},
        id="om-https-default-port",
    ),
    pytest.param(
        {f"{O}.hostPort": "https://om.example.com/openmetadata/api/v1"},
        {"server.host_port": "https://om.example.com/openmetadata/api"},
        id="om-behind-prefix",
    ),
    # other accepted spellings and options
    pytest.param(
        {"source.type": "DatabricksPipeline"},
        {"source.type": "databrickspipeline"},
        id="source-type-any-case",
    ),
    pytest.param(
        {"workflowConfig.loggerLevel": "debug"},
        {"workflow_config.logger_level": "DEBUG"},
        id="logger-level-lowercase",
    ),
    pytest.param(
        {"sink": {"type": "file", "config": {"filename": "out.jsonl"}}, "workflowConfig": DROP},
        {"sink.type": "file", "sink.config.filename": "out.jsonl", "server": None},
        id="file-sink-needs-no-server",
    ),
    pytest.param(
        {"sink": {"type": "console"}, "workflowConfig": DROP},
        {"sink.type": "console", "server": None},
        id="console-sink",
    ),
    pytest.param(
        {
            "sink.config": {
                "bulk_sink_batch_size": 10,
                "enable_async_pipeline": True,
                "async_pipeline_workers": 2,
            }
        },
        {
            "sink.config.bulk_sink_batch_size": 10,
            "sink.config.enable_async_pipeline": True,
            "sink.config.async_pipeline_workers": 2,
        },
        id="metadata-rest-sink-options-snake-case",
    ),
    pytest.param(
        {f"{S}.ownershipUpdateMode": "append", f"{S}.includePipelineObservability": True},
        {
            "source.options.ownership_update_mode": "append",
            "source.options.include_pipeline_observability": True,
        },
        id="newer-2x-sourceConfig-keys",
    ),
    pytest.param(
        {f"{O}.verifySSL": "ignore"},
        {"server.verify_ssl": "ignore", "server.verify": False},
        id="om-verify-ssl-ignore",
    ),
    pytest.param(
        {f"{O}.authProvider": "basic", f"{O}.securityConfig": DROP},
        {"server.auth_provider": "basic", "server.jwt": None},
        id="om-non-jwt-provider-needs-no-securityConfig",
    ),
    pytest.param(
        {f"{S}.pipelineFilterPattern": {"includes": ["^etl-.*$"], "excludes": ["tmp"]}},
        {
            "source.options.pipeline_filter_pattern.includes": ["^etl-.*$"],
            "source.options.pipeline_filter_pattern.excludes": ["tmp"],
        },
        id="filter-pattern",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), VALID_CONFIGS)
def test_valid_configs(changes: dict[str, Any], expected: dict[str, Any]) -> None:
    config = parse_workflow_config(make(changes))
    for path, value in expected.items():
        got = attr(config, path)
        got = got() if callable(got) else got
        assert got == value, path


@pytest.mark.parametrize(
    ("auth", "model"),
    [
        ({"token": TOKEN}, PersonalAccessToken),
        ({"clientId": "app", "clientSecret": "oauth-secret-value"}, DatabricksOAuth),
        (
            {"azureClientId": "a", "azureClientSecret": "azure-secret-value", "azureTenantId": "t"},
            AzureAdSetup,
        ),
    ],
    ids=["pat", "oauth", "azure"],
)
def test_auth_type_is_chosen_by_its_keys(auth: dict[str, str], model: type) -> None:
    connection = parse_workflow_config(make({f"{C}.authType": auth})).source.connection
    assert type(connection.auth_type) is model
    assert type(connection.auth) is model


SCHEMA_DEFAULTS = {
    # databricksPipelineConnection.json
    f"{C}.connectionTimeout": ("source.connection.connection_timeout", 120),
    f"{C}.lineageLookBackDays": ("source.connection.lineage_look_back_days", 90),
    # pipelineServiceMetadataPipeline.json
    f"{S}.includeLineage": ("source.options.include_lineage", True),
    f"{S}.includeOwners": ("source.options.include_owners", True),
    f"{S}.includeTags": ("source.options.include_tags", True),
    f"{S}.markDeletedPipelines": ("source.options.mark_deleted_pipelines", True),
    f"{S}.statusLookbackDays": ("source.options.status_lookback_days", 1),
    f"{S}.overrideMetadata": ("source.options.override_metadata", False),
    f"{S}.overrideLineage": ("source.options.override_lineage", False),
    f"{S}.includeUnDeployedPipelines": ("source.options.include_un_deployed_pipelines", True),
}


def test_schema_defaults_when_omitted() -> None:
    config = parse_workflow_config(make())
    for key, (path, default) in SCHEMA_DEFAULTS.items():
        value = attr(config, path)
        if isinstance(default, bool):
            assert value is default, key
        else:
            assert value == default and not isinstance(value, bool), key
    assert config.source.connection.type == "DatabricksPipeline"
    assert config.source.options.type == "PipelineMetadata"


def test_schema_defaults_accepted_explicitly() -> None:
    config = parse_workflow_config(make({key: default for key, (_path, default) in SCHEMA_DEFAULTS.items()}))
    for key, (path, default) in SCHEMA_DEFAULTS.items():
        assert attr(config, path) == default, key


def test_every_schema_field_accepted_with_non_default_value() -> None:
    changes = {
        C: {
            "type": "DatabricksPipeline",
            "hostPort": "adb-1.2.azuredatabricks.net:443",
            "token": TOKEN,
            "connectionTimeout": 30.5,
            "httpPath": "/sql/1.0/warehouses/w1",
            "connectionArguments": {"retries": 3},
            "pipelineFilterPattern": {"includes": ["a"], "excludes": ["b"]},
            "supportsMetadataExtraction": True,
            "lineageLookBackDays": 7,
        },
        S: {
            "type": "PipelineMetadata",
            "includeLineage": False,
            "includeOwners": False,
            "pipelineFilterPattern": {"includes": ["^etl"], "excludes": ["tmp$"]},
            "lineageInformation": {"dbServiceNames": ["uc"], "storageServiceNames": ["s3"]},
            "overrideLineage": True,
            "markDeletedPipelines": False,
            "includeTags": False,
            "includeUnDeployedPipelines": False,
            "statusLookbackDays": 14,
            "overrideMetadata": True,
        },
    }
    config = parse_workflow_config(make(changes))
    connection, options = config.source.connection, config.source.options
    assert connection.host_port == "https://adb-1.2.azuredatabricks.net"
    assert connection.auth.token.get_secret_value() == TOKEN
    assert connection.connection_timeout == 30.5
    assert connection.http_path == "/sql/1.0/warehouses/w1"
    assert connection.connection_arguments == {"retries": 3}
    assert connection.pipeline_filter_pattern is not None
    assert connection.pipeline_filter_pattern.includes == ["a"]
    assert connection.pipeline_filter_pattern.excludes == ["b"]
    assert connection.supports_metadata_extraction is True
    assert connection.lineage_look_back_days == 7
    assert options.include_lineage is False
    assert options.include_owners is False
    assert options.pipeline_filter_pattern is not None
    assert options.pipeline_filter_pattern.includes == ["^etl"]
    assert options.lineage_information is not None
    assert options.lineage_information.db_service_names == ["uc"]
    assert options.lineage_information.storage_service_names == ["s3"]
    assert options.override_lineage is True
    assert options.mark_deleted_pipelines is False
    assert options.include_tags is False
    assert options.include_un_deployed_pipelines is False
    assert options.status_lookback_days == 14
    assert options.override_metadata is True


def _schema(relative: str) -> dict[str, Any]:
    return json.loads((SCHEMA_ROOT / relative).read_text())


@pytest.mark.parametrize(
    ("schema_file", "prefix", "model_path"),
    [
        ("entity/services/connections/pipeline/databricksPipelineConnection.json", C, "source.connection"),
        ("metadataIngestion/pipelineServiceMetadataPipeline.json", S, "source.options"),
    ],
    ids=["connection", "sourceConfig"],
)
def test_every_property_of_the_reference_schema_is_accepted_with_its_default(
    schema_file: str, prefix: str, model_path: str
) -> None:
    properties = _schema(schema_file)["properties"]
    with_default = {name: spec["default"] for name, spec in properties.items() if "default" in spec}
    assert with_default, "the schema has defaults"
    omitted = attr(parse_workflow_config(make()), model_path)
    explicit = attr(
        parse_workflow_config(make({f"{prefix}.{k}": v for k, v in with_default.items()})), model_path
    )
    aliases = {field.alias: name for name, field in type(omitted).model_fields.items()}
    for name in properties:
        assert name in aliases, f"{schema_file}: property {name} has no model field"
    for name, default in with_default.items():
        assert getattr(omitted, aliases[name]) == default, f"{name} default when omitted"
        assert getattr(explicit, aliases[name]) == default, f"{name} when given explicitly"


# -- ${ENV_VAR} expansion ---------------------------------------------------------------------------


def test_env_expansion_uses_the_given_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBX_TOKEN", "from-process-environment")
    environ = {"DBX_HOST": "adb-42.1.azuredatabricks.net", "DBX_TOKEN": "dapi-from-mapping-1234", "DAYS": "3"}
    config = parse_workflow_config(
        make(
            {
                f"{C}.hostPort": "https://${DBX_HOST}:443",
                f"{C}.authType": {"token": "${DBX_TOKEN}"},
                f"{S}.statusLookbackDays": "${DAYS}",
            }
        ),
        environ,
    )
    assert config.source.connection.host_port == "https://adb-42.1.azuredatabricks.net"
    assert config.source.connection.auth.token.get_secret_value() == "dapi-from-mapping-1234"
    assert config.source.options.status_lookback_days == 3


def test_env_expansion_defaults_to_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNIT_TEST_DBX_TOKEN", "dapi-from-process-5678")
    config = parse_workflow_config(make({f"{C}.authType": {"token": "${UNIT_TEST_DBX_TOKEN}"}}))
    assert config.source.connection.auth.token.get_secret_value() == "dapi-from-process-5678"


def test_env_default_value_used_only_when_unset() -> None:
    changes = {
        f"{C}.httpPath": "${HTTP_PATH:-/sql/1.0/warehouses/fallback}",
        f"{S}.statusLookbackDays": "${DAYS:-7}",
    }
    unset = parse_workflow_config(make(changes), {})
    assert unset.source.connection.warehouse_id == "fallback"
    assert unset.source.options.status_lookback_days == 7
    given = parse_workflow_config(make(changes), {"HTTP_PATH": "/sql/1.0/warehouses/given", "DAYS": "2"})
    assert given.source.connection.warehouse_id == "given"
    assert given.source.options.status_lookback_days == 2


@pytest.mark.parametrize(
    ("changes", "field", "variable"),
    [
        ({f"{C}.authType": {"token": "${DBX_TOKEN}"}}, f"{C}.authType.token", "DBX_TOKEN"),
        ({f"{O}.securityConfig": {"jwtToken": "Bearer-${OM_JWT}"}}, f"{O}.securityConfig.jwtToken", "OM_JWT"),
        (
            {f"{S}.pipelineFilterPattern": {"includes": ["^etl", "${TEAM}-.*"]}},
            f"{S}.pipelineFilterPattern.includes[1]",
            "TEAM",
        ),
    ],
    ids=["token", "jwt-inside-text", "list-item"],
)
def test_unset_env_var_error_names_the_field(changes: dict[str, Any], field: str, variable: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_workflow_config(make(changes), {"OTHER": "x"})
    err = info.value
    assert err.field == field
    assert f"environment variable {variable} is not set" in err.message
    line = assert_one_line(err)
    assert f"Export {variable}" in line


def test_regexes_with_dollar_are_not_touched_by_env_expansion() -> None:
    patterns = {"includes": ["^etl-.*$", "^prod$", "$HOME", "a{2}$"], "excludes": ["^tmp_.*$"]}
    environ = {"HOME": "/root", "etl": "X", "prod": "Y"}
    config = parse_workflow_config(make({f"{S}.pipelineFilterPattern": patterns}), environ)
    assert config.source.options.pipeline_filter_pattern is not None
    assert config.source.options.pipeline_filter_pattern.includes == patterns["includes"]
    assert config.source.options.pipeline_filter_pattern.excludes == patterns["excludes"]


def test_env_expansion_in_a_yaml_file(tmp_path: Path) -> None:
    text = DOCS_EXAMPLE.read_text().replace("<databricks token>", "${DATABRICKS_TOKEN}")
    path = tmp_path / "env.yaml"
    path.write_text(text)
    config = load_workflow_config(path, {"DATABRICKS_TOKEN": "dapi-file-env-9999"})
    assert config.source.connection.auth.token.get_secret_value() == "dapi-file-env-9999"
    with pytest.raises(ConfigError) as info:
        load_workflow_config(path, {})
    assert info.value.field == f"{C}.token"


# -- invalid configs --------------------------------------------------------------------------------

INVALID_CONFIGS = [
    # unknown keys at several depths, with did-you-mean
    pytest.param(
        {"sinks": {"type": "console"}},
        "sinks",
        "unknown key 'sinks'; did you mean 'sink'?",
        id="unknown-top-sinks",
    ),
    pytest.param(
        {"source.servicename": "x"},
        "source.servicename",
        "did you mean 'serviceName'?",
        id="unknown-source-servicename",
    ),
    pytest.param(
        {f"{C}.hostPort": DROP, f"{C}.hostport": "adb-1.azuredatabricks.net"},
        f"{C}.hostport",
        "unknown key 'hostport'; did you mean 'hostPort'?",
        id="unknown-hostport",
    ),
    pytest.param(
        {f"{S}.statusLookbackDay": 3},
        f"{S}.statusLookbackDay",
        "did you mean 'statusLookbackDays'?",
        id="unknown-statusLookbackDay",
    ),
    pytest.param(
        {f"{O}.securityConfig": {"jwtTokn": JWT}},
        f"{O}.securityConfig.jwtTokn",
        "unknown key 'jwtTokn'; did you mean 'jwtToken'?",
        id="unknown-jwtTokn",
    ),
    pytest.param(
        {f"{S}.pipelineFilterPattern": {"include": ["a"]}},
        f"{S}.pipelineFilterPattern.include",
        "did you mean 'includes'?",
        id="unknown-filter-include",
    ),
    pytest.param(
        {f"{C}.authType": {"clientId": "a", "clientSecret": "oauth-secret-value", "clientSecrt": "x"}},
        f"{C}.authType.clientSecrt",
        "did you mean 'clientSecret'?",
        id="unknown-in-oauth-authType",
    ),
    pytest.param(
        {f"{S}.lineageInformation": {"dbServiceName": ["uc"]}},
        f"{S}.lineageInformation.dbServiceName",
        "did you mean 'dbServiceNames'?",
        id="unknown-lineageInformation",
    ),
    pytest.param(
        {f"{C}.zzzz": 1},
        f"{C}.zzzz",
        "valid keys here: authType, connectionArguments",
        id="unknown-no-close-match",
    ),
    # wrong types
    pytest.param(
        {f"{C}.connectionTimeout": "abc"}, f"{C}.connectionTimeout", "valid number", id="timeout-not-number"
    ),
    pytest.param(
        {f"{S}.includeLineage": "maybe"}, f"{S}.includeLineage", "valid boolean", id="bool-not-bool"
    ),
    pytest.param(
        {f"{S}.statusLookbackDays": 2.5}, f"{S}.statusLookbackDays", "valid integer", id="days-fraction"
    ),
    pytest.param({f"{C}.hostPort": 123}, f"{C}.hostPort", "valid string", id="hostPort-int"),
    pytest.param(
        {f"{S}.pipelineFilterPattern": {"includes": "^etl"}},
        f"{S}.pipelineFilterPattern.includes",
        "valid list",
        id="includes-not-list",
    ),
    pytest.param(
        {"source.serviceConnection": "text"},
        "source.serviceConnection",
        "valid dictionary",
        id="mapping-is-text",
    ),
    pytest.param(
        {f"{C}.authType": "dapiPastedStraightIntoAuthType"},
        f"{C}.authType",
        "must be a mapping",
        id="authType-not-mapping",
    ),
    pytest.param(
        {f"{C}.connectionTimeout": 0}, f"{C}.connectionTimeout", "greater than 0", id="timeout-zero"
    ),
    pytest.param(
        {"workflowConfig.loggerLevel": "LOUD"},
        "workflowConfig.loggerLevel",
        "'DEBUG', 'INFO'",
        id="logger-level",
    ),
    # missing required fields
    pytest.param({"source": DROP}, "source", "is required", id="missing-source"),
    pytest.param({"source.serviceName": DROP}, "source.serviceName", "is required", id="missing-serviceName"),
    pytest.param({f"{C}.hostPort": DROP}, f"{C}.hostPort", "is required", id="missing-hostPort"),
    pytest.param(
        {f"{C}.authType": {"clientId": "app"}},
        f"{C}.authType.clientSecret",
        "is required",
        id="oauth-missing-secret",
    ),
    pytest.param(
        {f"{C}.authType": {"azureClientId": "a", "azureClientSecret": "azure-secret-value"}},
        f"{C}.authType.azureTenantId",
        "is required",
        id="azure-missing-tenant",
    ),
    # hostPort
    pytest.param(
        {f"{C}.hostPort": "ftp://adb-1.azuredatabricks.net"},
        f"{C}.hostPort",
        "has scheme 'ftp'",
        id="ftp-scheme",
    ),
    pytest.param({f"{C}.hostPort": "host:0"}, f"{C}.hostPort", "invalid port", id="port-0"),
    pytest.param({f"{C}.hostPort": "host:99999"}, f"{C}.hostPort", "port from 1 to 65535", id="port-99999"),
    pytest.param({f"{C}.hostPort": "host:abc"}, f"{C}.hostPort", "invalid port", id="port-abc"),
    pytest.param(
        {f"{C}.hostPort": "https://adb-1.net/jobs/5?o=1"},
        f"{C}.hostPort",
        "has a path '/jobs/5'",
        id="host-with-path",
    ),
    pytest.param(
        {f"{C}.hostPort": "https://user:pass@adb-1.net"},
        f"{C}.hostPort",
        "must not contain a user name or password",
        id="userinfo",
    ),
    pytest.param({f"{C}.hostPort": "bad_host!"}, f"{C}.hostPort", "invalid host name", id="bad-host-name"),
    pytest.param({f"{C}.hostPort": "  "}, f"{C}.hostPort", "is empty", id="empty-host"),
    pytest.param(
        {f"{O}.hostPort": "http://localhost:8585"}, f"{O}.hostPort", "must end with /api", id="om-missing-api"
    ),
    pytest.param(
        {f"{O}.hostPort": "http://localhost:8585/v1"},
        f"{O}.hostPort",
        "must end with /api (OpenMetadata's API root), e.g. http://localhost:8585/api",
        id="om-v1-without-api",
    ),
    pytest.param({f"{O}.hostPort": "ftp://om/api"}, f"{O}.hostPort", "has scheme 'ftp'", id="om-ftp"),
    # httpPath
    pytest.param(
        {f"{C}.httpPath": "/foo/bar"},
        f"{C}.httpPath",
        "must look like /sql/1.0/warehouses/<warehouse-id>",
        id="httpPath-malformed",
    ),
    pytest.param(
        {f"{C}.httpPath": "sql/protocolv1/o/1234567890/0123-456789-abcdef"},
        f"{C}.httpPath",
        "points at an all-purpose cluster",
        id="httpPath-cluster",
    ),
    pytest.param(
        {f"{C}.connectionArguments": {"http_path": "sql/protocolv1/o/1/0123-456789-abc"}},
        C,
        "connectionArguments.http_path points at an all-purpose cluster",
        id="legacy-http_path-cluster",
    ),
    # ranges
    pytest.param(
        {f"{S}.statusLookbackDays": -1},
        f"{S}.statusLookbackDays",
        "greater than or equal to 0",
        id="negative-statusLookbackDays",
    ),
    pytest.param(
        {f"{C}.lineageLookBackDays": 0},
        f"{C}.lineageLookBackDays",
        "greater than or equal to 1",
        id="lineageLookBackDays-0",
    ),
    pytest.param(
        {f"{C}.lineageLookBackDays": 400},
        f"{C}.lineageLookBackDays",
        "less than or equal to 365",
        id="lineageLookBackDays-400",
    ),
    # credentials
    pytest.param(
        {f"{C}.token": "dapi-a-different-token-1"}, C, "not both", id="token-and-different-authType"
    ),
    pytest.param(
        {f"{C}.token": TOKEN, f"{C}.authType": {"clientId": "a", "clientSecret": "oauth-secret-value"}},
        C,
        "give either token (OpenMetadata 1.x) or authType (2.x)",
        id="token-and-oauth",
    ),
    pytest.param({f"{C}.authType": DROP}, C, "no credentials", id="no-credentials"),
    pytest.param({f"{C}.authType": {"token": ""}}, f"{C}.authType.token", "at least 1", id="empty-token"),
    # sink / server
    pytest.param(
        {"sink": {"type": "file"}}, "sink", "the file sink needs config.filename", id="file-sink-no-filename"
    ),
    pytest.param(
        {"sink.type": "kafka"}, "sink.type", "'metadata-rest', 'file' or 'console'", id="unknown-sink-type"
    ),
    pytest.param(
        {"workflowConfig": DROP},
        O,
        "required for the metadata-rest sink",
        id="metadata-rest-without-server-config",
    ),
    pytest.param(
        {O: DROP, "workflowConfig.loggerLevel": "INFO"},
        O,
        "required for the metadata-rest sink",
        id="workflowConfig-without-server-config",
    ),
    pytest.param(
        {f"{O}.securityConfig": DROP},
        O,
        "authProvider openmetadata needs securityConfig.jwtToken",
        id="openmetadata-no-securityConfig",
    ),
    pytest.param(
        {f"{O}.authProvider": "magic"},
        f"{O}.authProvider",
        "input should be 'basic'",
        id="unknown-authProvider",
    ),
    # source
    pytest.param(
        {"source.type": "airflow"},
        "source.type",
        "input should be 'databrickspipeline'",
        id="wrong-source-type",
    ),
    pytest.param(
        {f"{C}.type": "Databricks"}, f"{C}.type", "'DatabricksPipeline'", id="wrong-connection-type"
    ),
    pytest.param(
        {f"{S}.type": "DatabaseMetadata"}, f"{S}.type", "'PipelineMetadata'", id="wrong-sourceConfig-type"
    ),
    pytest.param(
        {"source.serviceName": "prod::dbx"},
        "source.serviceName",
        "without '::'",
        id="serviceName-double-colon",
    ),
    pytest.param(
        {"source.serviceName": ""}, "source.serviceName", "at least 1 character", id="serviceName-empty"
    ),
]


@pytest.mark.parametrize(("changes", "field", "phrase"), INVALID_CONFIGS)
def test_invalid_configs(changes: dict[str, Any], field: str, phrase: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_workflow_config(make(changes))
    err = info.value
    assert err.field == field
    assert phrase in err.message
    assert err.problems[0] == (field, err.message.split(" (and ")[0])
    line = assert_one_line(err)
    assert phrase in line
    # internal Python names never reach the user
    for internal in ("_auth_kind", "Tag(", "function-after", "pydantic"):
        assert internal not in line


def test_at_least_30_invalid_cases() -> None:
    assert len(INVALID_CONFIGS) >= 30


def test_typo_reported_before_the_missing_field_it_causes() -> None:
    with pytest.raises(ConfigError) as info:
        parse_workflow_config(make({f"{C}.hostPort": DROP, f"{C}.hostport": "adb-1.azuredatabricks.net"}))
    err = info.value
    assert err.problems == [
        (f"{C}.hostport", "unknown key 'hostport'; did you mean 'hostPort'?"),
        (f"{C}.hostPort", "is required"),
    ]
    assert err.message.endswith("(and 1 more problem)")


def test_all_problems_are_listed() -> None:
    with pytest.raises(ConfigError) as info:
        parse_workflow_config(
            make({f"{S}.statusLookbackDays": -5, f"{C}.lineageLookBackDays": 0, "source.serviceName": "a::b"})
        )
    fields = {field for field, _message in info.value.problems}
    assert fields == {f"{S}.statusLookbackDays", f"{C}.lineageLookBackDays", "source.serviceName"}
    assert "(and 2 more problems)" in info.value.message


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


INVALID_INPUTS: list[Any] = [
    pytest.param(lambda _tmp: parse_workflow_config({}), "source", "is required", id="empty-mapping"),
    pytest.param(lambda _tmp: parse_workflow_config(None), None, "must be a mapping", id="none"),
    pytest.param(lambda _tmp: parse_workflow_config([make()]), None, "(got list)", id="list-not-mapping"),
    pytest.param(lambda _tmp: parse_workflow_config("source: x"), None, "(got str)", id="text-not-mapping"),
    pytest.param(
        lambda _tmp: parse_yaml_text("source:\n  type: databrickspipeline\n   serviceName: x\n"),
        None,
        "not valid YAML at line 3",
        id="yaml-syntax-line",
    ),
    pytest.param(
        lambda _tmp: parse_yaml_text("source:\n  type: x\n\tserviceName: y\n"),
        None,
        "at line 3, column 1",
        id="yaml-tab",
    ),
    pytest.param(
        lambda _tmp: parse_yaml_text("source: !!python/object:os.system x\n"),
        None,
        "not valid YAML",
        id="yaml-python-tag",
    ),
    pytest.param(
        lambda _tmp: parse_yaml_text("source:\x00\x01\x02"), None, "is binary, not YAML", id="binary-text"
    ),
    pytest.param(
        lambda _tmp: parse_yaml_text("#" * (MAX_CONFIG_BYTES + 1)),
        None,
        f"a workflow file is at most {MAX_CONFIG_BYTES:,}",
        id="oversize-text",
    ),
    pytest.param(
        lambda tmp: load_workflow_config(_write(tmp, "big.yaml", b"#" * (MAX_CONFIG_BYTES + 1))),
        None,
        "is larger than",
        id="oversize-file",
    ),
    pytest.param(
        lambda tmp: load_workflow_config(_write(tmp, "image.yaml", b"\x89PNG\r\n\x1a\n\xff\xfe\x00")),
        None,
        "is not UTF-8 text",
        id="binary-file",
    ),
    pytest.param(
        lambda tmp: load_workflow_config(_write(tmp, "nul.yaml", b"source: x\x00\n")),
        None,
        "is binary, not YAML",
        id="nul-in-utf8-file",
    ),
    pytest.param(
        lambda tmp: load_workflow_config(tmp / "missing.yaml"), None, "does not exist", id="missing-file"
    ),
    pytest.param(lambda tmp: load_workflow_config(tmp), None, "is a directory", id="directory"),
    pytest.param(
        lambda tmp: load_workflow_config(_write(tmp, "empty.yaml", b"")), None, "(got empty)", id="empty-file"
    ),
    pytest.param(
        lambda tmp: load_workflow_config(_write(tmp, "list.yaml", b"- source: x\n- sink: y\n")),
        None,
        "(got list)",
        id="list-file",
    ),
    pytest.param(
        lambda tmp: load_workflow_config(_write(tmp, "bad.yaml", b"source:\n  type: [unclosed\n")),
        None,
        "is not valid YAML at line",
        id="yaml-syntax-file",
    ),
]


@pytest.mark.parametrize(("action", "field", "phrase"), INVALID_INPUTS)
def test_invalid_inputs(
    tmp_path: Path, action: Callable[[Path], Any], field: str | None, phrase: str
) -> None:
    with pytest.raises(ConfigError) as info:
        action(tmp_path)
    err = info.value
    assert err.field == field
    assert phrase in err.message
    assert phrase in assert_one_line(err)


def test_yaml_syntax_error_line_points_at_the_bad_line() -> None:
    lines = [
        "source:",
        "  type: databrickspipeline",
        "  serviceName: svc",
        "  serviceConnection: {config: {a: 1}",
    ]
    with pytest.raises(ConfigError) as info:
        parse_yaml_text("\n".join(lines) + "\nsink: x\n", "workflow.yaml")
    assert info.value.message.startswith("workflow.yaml is not valid YAML at line 5")


def test_max_config_bytes_boundary() -> None:
    assert parse_yaml_text("#" * MAX_CONFIG_BYTES) is None


# -- secrets ----------------------------------------------------------------------------------------


def _secret(label: str) -> str:
    """A unique value that looks like nothing redact() recognises by shape."""
    return f"{label}-{uuid.uuid4().hex[:12]}-value"


def _secret_configs() -> list[tuple[dict[str, Any], list[str]]]:
    pat, jwt1 = _secret("pat"), _secret("jwt")
    client, jwt2 = _secret("client"), _secret("jwt")
    azure, jwt3 = _secret("azure"), _secret("jwt")
    return [
        ({f"{C}.authType": DROP, f"{C}.token": pat, f"{O}.securityConfig": {"jwtToken": jwt1}}, [pat, jwt1]),
        (
            {
                f"{C}.authType": {"clientId": "app", "clientSecret": client},
                f"{O}.securityConfig": {"jwtToken": jwt2},
            },
            [client, jwt2],
        ),
        (
            {
                f"{C}.authType": {"azureClientId": "a", "azureClientSecret": azure, "azureTenantId": "t"},
                f"{O}.securityConfig": {"jwtToken": jwt3},
            },
            [azure, jwt3],
        ),
    ]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["pat-1x", "oauth", "azure"])
def test_loaded_config_never_shows_secrets(index: int) -> None:
    changes, secrets = _secret_configs()[index]
    text_before = " and ".join(f"value {s} here" for s in secrets)
    assert redact(text_before) == text_before  # not registered, and nothing secret-shaped
    config = parse_workflow_config(make(changes))
    outputs = {
        "repr": repr(config),
        "str": str(config),
        "json": config.model_dump_json(),
        "json-by-alias": config.model_dump_json(by_alias=True),
        "dump-json-mode": json.dumps(config.model_dump(mode="json")),
        "connection-repr": repr(config.source.connection),
        "auth-repr": repr(config.source.connection.auth),
        "server-repr": repr(config.server),
    }
    for name, output in outputs.items():
        for secret in secrets:
            assert secret not in output, name
    assert MASK in outputs["json"]
    # loading registered every secret, so redact() masks it anywhere
    redacted = redact(text_before)
    for secret in secrets:
        assert secret not in redacted
    assert redacted.count(MASK) == len(secrets)


def test_secrets_from_env_are_registered_too() -> None:
    value = _secret("env-token")
    parse_workflow_config(make({f"{C}.authType": {"token": "${T}"}}), {"T": value})
    assert redact(f"got {value}!") == f"got {MASK}!"


def _secret_error_cases() -> list[Any]:
    token, other, client, azure, jwt, password = (
        _secret(label) for label in ("tok", "other", "client", "azure", "jwt", "pw")
    )
    server = {f"{O}.securityConfig": {"jwtToken": jwt}}
    return [
        pytest.param(
            {f"{C}.authType": {"token": token}, f"{C}.hostPort": "host:0", **server},
            [token, jwt],
            id="other-field-invalid",
        ),
        pytest.param(
            {f"{C}.authType": {"tokn": token}, **server}, [token, jwt], id="secret-under-unknown-key"
        ),
        pytest.param(
            {f"{C}.authType": {"token": token}, f"{C}.token": other, **server},
            [token, other, jwt],
            id="two-tokens",
        ),
        pytest.param(
            {f"{C}.authType": {"clientId": "a", "clientSecret": client, "clientSecrt": client}},
            [client],
            id="oauth-typo",
        ),
        pytest.param(
            {f"{C}.authType": {"azureClientId": "a", "azureClientSecret": azure}, **server},
            [azure, jwt],
            id="azure-missing-tenant",
        ),
        pytest.param({f"{O}.securityConfig": {"jwtTokn": jwt}}, [jwt], id="jwt-typo"),
        pytest.param(
            {f"{O}.securityConfig": {"jwtToken": jwt}, f"{O}.hostPort": "http://om:8585"},
            [jwt],
            id="om-no-api",
        ),
        pytest.param(
            {f"{C}.authType": {"token": token}, f"{C}.hostPort": f"https://user:{password}@"},
            [token, password],
            id="password-in-empty-host",
        ),
        pytest.param(
            {f"{C}.hostPort": f"https://user:{password}@bad_host:abc"},
            [password],
            id="password-with-bad-port",
        ),
        pytest.param({f"{C}.hostPort": f"https://{password}@"}, [password], id="userinfo-only"),
        pytest.param(
            {f"{O}.hostPort": f"http://admin:{password}@"}, [password], id="om-password-in-empty-host"
        ),
        pytest.param(
            {f"{C}.authType": {"token": token}, f"{C}.connectionTimeout": token},
            [token],
            id="secret-as-wrong-type",
        ),
    ]


@pytest.mark.parametrize(("changes", "secrets"), _secret_error_cases())
def test_config_errors_never_include_secrets(changes: dict[str, Any], secrets: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        parse_workflow_config(make(changes))
    err = info.value
    texts = [str(err), err.message, err.one_line(), repr(err.problems), err.hint or "", err.field or ""]
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_yaml_syntax_error_does_not_echo_the_secret() -> None:
    secret = _secret("yaml")
    with pytest.raises(ConfigError) as info:
        parse_yaml_text(f'source:\n  token: "{secret}\\q"\n')
    assert "line 2" in info.value.message
    assert secret not in info.value.one_line()
