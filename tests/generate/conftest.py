"""Configs with every kind of secret, for the generator tests.

The secret values look like the real things (a ``dapi`` token, a JWT), so a test that finds none of them
in a generated file is checking the strings a leak would really contain.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from core.config import WorkflowConfig, parse_workflow_config

DATA = Path(__file__).resolve().parents[1] / "data"

PAT = "dapi0f1e2d3c4b5a69788796a5b4c3d2e1f0-2"
CLIENT_SECRET = "dose0123456789abcdef0123456789abcdef"
AZURE_SECRET = "Az8Q~secretValue.with-Chars_0123456789"
JWT = "eyJraWQiOiJHYjM4OWEtOWY3Ni1nZGpzLWE5MmotMDI0MmJrOTQzNTYiLCJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpbmdlc3Rpb24tYm90In0.c2lnbmF0dXJlLXZhbHVlLWZvci10ZXN0cw"
HEADER_SECRET = "proxy-shared-secret-42"
SECRETS = (PAT, CLIENT_SECRET, AZURE_SECRET, JWT, HEADER_SECRET)

AUTHS: dict[str, dict[str, str]] = {
    "pat": {"token": PAT},
    "oauth": {"clientId": "6d1e3c2b-sp-client", "clientSecret": CLIENT_SECRET},
    "azure": {
        "azureClientId": "1c2d3e4f-azure-app",
        "azureClientSecret": AZURE_SECRET,
        "azureTenantId": "9f8e7d6c-tenant",
    },
}


def rich_dict(auth: str = "pat", *, extra_headers: bool = False) -> dict[str, Any]:
    """A 2.x workflow with many non-default values (what a round trip must keep)."""
    server: dict[str, Any] = {
        "hostPort": "https://openmetadata.example.com/api",
        "authProvider": "openmetadata",
        "securityConfig": {"jwtToken": JWT},
        "verifySSL": "validate",
        "limitRecords": 500,
    }
    if extra_headers:
        server["extraHeaders"] = {"X-Proxy-Auth": HEADER_SECRET}
    return {
        "source": {
            "type": "databrickspipeline",
            "serviceName": "prod_databricks",
            "serviceConnection": {
                "config": {
                    "type": "DatabricksPipeline",
                    "hostPort": "adb-1234567890123456.7.azuredatabricks.net",
                    "authType": copy.deepcopy(AUTHS[auth]),
                    "httpPath": "/sql/1.0/warehouses/a1b2c3d4e5f6",
                    "connectionTimeout": 60,
                    "lineageLookBackDays": 30,
                    "pipelineFilterPattern": {"includes": ["^etl-.*$"], "excludes": [".*_tmp$"]},
                }
            },
            "sourceConfig": {
                "config": {
                    "type": "PipelineMetadata",
                    "includeTags": False,
                    "markDeletedPipelines": False,
                    "statusLookbackDays": 7,
                    "lineageInformation": {"dbServiceNames": ["unity_catalog", "hive"]},
                    "pipelineFilterPattern": {"includes": ["prod", "etl"], "excludes": ["(?i).*test.*"]},
                }
            },
        },
        "sink": {"type": "metadata-rest", "config": {"bulkSinkBatchSize": 50}},
        "workflowConfig": {
            "loggerLevel": "DEBUG",
            "successThreshold": 80,
            "raiseOnError": False,
            "openMetadataServerConfig": server,
            "config": {"workers": 4},
        },
    }


def semantic(config: WorkflowConfig) -> dict[str, Any]:
    """What a config means, secrets revealed: the 1.x ``token`` and 2.x ``authType`` forms compare equal."""
    dump = config.model_dump(mode="python")
    connection = dump["source"]["service_connection"]["config"]
    connection.pop("token")
    connection["auth_type"] = config.source.connection.auth.model_dump(mode="python")
    return _reveal(dump)


def _reveal(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_reveal(item) for item in value]
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value


@pytest.fixture
def rich() -> Callable[..., WorkflowConfig]:
    """``rich(auth="pat"|"oauth"|"azure", extra_headers=False)`` -> a parsed config."""
    return lambda auth="pat", extra_headers=False: parse_workflow_config(
        rich_dict(auth, extra_headers=extra_headers)
    )


@pytest.fixture
def rich_raw() -> Callable[..., dict[str, Any]]:
    """The raw mapping behind :func:`rich` (to change before parsing)."""
    return rich_dict


@pytest.fixture
def semantic_of() -> Callable[[WorkflowConfig], dict[str, Any]]:
    return semantic


@pytest.fixture
def secret_values() -> tuple[str, ...]:
    return SECRETS


@pytest.fixture
def secret_environ() -> dict[str, str]:
    """The variables a rendered file references, set to the config's own secrets."""
    return {
        "DATABRICKS_TOKEN": PAT,
        "DATABRICKS_CLIENT_SECRET": CLIENT_SECRET,
        "AZURE_CLIENT_SECRET": AZURE_SECRET,
        "OPENMETADATA_JWT_TOKEN": JWT,
        "OPENMETADATA_HEADER_X_PROXY_AUTH": HEADER_SECRET,
    }


@pytest.fixture
def docs_example() -> Path:
    """OpenMetadata's documented example workflow (1.x: ``token:``, ``connectionArguments.http_path``)."""
    return DATA / "om_docs_example.yaml"
