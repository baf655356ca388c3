"""Rendering a :class:`~core.config.WorkflowConfig` back into OpenMetadata's workflow YAML.

Two dialects, because the file is read by two generations of OpenMetadata's own tooling as well as by
this engine: 1.x servers only know ``token:`` directly under ``serviceConnection.config``; 2.x servers
use ``authType:`` (personal access token, OAuth M2M or Azure service principal). The dialect is chosen
explicitly or from the server version the connection test found (:func:`dialect_for_version`).

Secrets are written as ``${ENV_VAR}`` references unless inline secrets are asked for: a generated file
is copied to DAG folders, shared and committed, and must not carry a token. Both this engine's loader and
``metadata ingest -c`` expand the references at run time. Only the values that differ from the schema
defaults are written (plus the keys every workflow needs), so the file reads like one written by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel

from core.config.models import AzureAdSetup, DatabricksOAuth, PersonalAccessToken, WorkflowConfig
from core.errors import ConfigError

__all__ = [
    "SECRET_ENV_NAMES",
    "Dialect",
    "SecretMode",
    "SecretRef",
    "dialect_for_version",
    "render_workflow_yaml",
    "required_env",
    "secret_refs",
]

Dialect = Literal["1.x", "2.x"]
SecretMode = Literal["env", "inline"]

#: YAML key of each secret -> the environment variable its ``${...}`` reference names.
SECRET_ENV_NAMES: dict[str, str] = {
    "token": "DATABRICKS_TOKEN",  # Databricks personal access token (1.x token: or 2.x authType.token)
    "clientSecret": "DATABRICKS_CLIENT_SECRET",  # OAuth M2M service principal secret
    "azureClientSecret": "AZURE_CLIENT_SECRET",  # Azure AD service principal secret
    "jwtToken": "OPENMETADATA_JWT_TOKEN",  # OpenMetadata ingestion bot JWT
}

_CONNECTION = "source.serviceConnection.config"
_SERVER = "workflowConfig.openMetadataServerConfig"
#: pipelineServiceMetadataPipeline fields that only OpenMetadata 2.x knows; a 1.x server rejects them.
_ONLY_2X = ("ownershipUpdateMode", "includePipelineObservability")
_ENV_NAME = re.compile(r"[^A-Z0-9]+")


@dataclass(frozen=True)
class SecretRef:
    """One secret of a config: where it sits in the YAML, which variable names it, what it is."""

    env: str
    path: str
    description: str
    value: str
    #: which side's Airflow Connection holds it in the DAG's ``connection`` mode
    side: Literal["databricks", "openmetadata"]
    #: the Connection field: ``password``, or ``extra.<key>`` for an extra header
    connection_field: str = "password"


def dialect_for_version(server_version: str | None) -> Dialect:
    """``1.x`` for a 0.x/1.x server, ``2.x`` otherwise (and when the version is unknown: the current line)."""
    if not server_version:
        return "2.x"
    match = re.match(r"\s*v?(\d+)\.", server_version)
    if match and int(match.group(1)) <= 1:
        return "1.x"
    return "2.x"


def secret_refs(config: WorkflowConfig, suffix: str = "") -> list[SecretRef]:
    """Every secret the config holds, in YAML order, with the variable that references it.

    Args:
        config: the validated workflow.
        suffix: appended to every variable name: one DAG that ingests several workspaces gives each its
            own names (``DATABRICKS_TOKEN_SALES``), so their secrets never mix.

    Returns:
        The secrets, Databricks' first.
    """
    refs: list[SecretRef] = []
    auth = config.source.connection.auth
    if isinstance(auth, PersonalAccessToken):
        refs.append(
            SecretRef(
                SECRET_ENV_NAMES["token"] + suffix,
                f"{_CONNECTION}.authType.token",
                "Databricks personal access token",
                auth.token.get_secret_value(),
                "databricks",
            )
        )
    elif isinstance(auth, DatabricksOAuth):
        refs.append(
            SecretRef(
                SECRET_ENV_NAMES["clientSecret"] + suffix,
                f"{_CONNECTION}.authType.clientSecret",
                f"OAuth secret of the Databricks service principal {auth.client_id}",
                auth.client_secret.get_secret_value(),
                "databricks",
            )
        )
    else:
        refs.append(
            SecretRef(
                SECRET_ENV_NAMES["azureClientSecret"] + suffix,
                f"{_CONNECTION}.authType.azureClientSecret",
                f"client secret of the Azure service principal {auth.azure_client_id}",
                auth.azure_client_secret.get_secret_value(),
                "databricks",
            )
        )
    server = config.server
    if server is not None and server.jwt is not None:
        refs.append(
            SecretRef(
                SECRET_ENV_NAMES["jwtToken"] + suffix,
                f"{_SERVER}.securityConfig.jwtToken",
                "JWT of the OpenMetadata ingestion bot (Settings > Bots > ingestion-bot)",
                server.jwt,
                "openmetadata",
            )
        )
    headers = (server.extra_headers or {}) if server is not None else {}
    for header, value in headers.items():
        refs.append(
            SecretRef(
                "OPENMETADATA_HEADER_" + _ENV_NAME.sub("_", header.upper()).strip("_") + suffix,
                f"{_SERVER}.extraHeaders.{header}",
                f"value of the {header} header sent to OpenMetadata",
                value,
                "openmetadata",
                f"extra.{header}",
            )
        )
    return refs


def required_env(config: WorkflowConfig, secrets: str = "env") -> dict[str, str]:
    """Environment variable name -> what to put in it, for the deploy README and the wizard.

    Empty for inline secrets: the file then holds the values themselves.

    Args:
        config: the workflow whose secrets (Databricks token or client secret, OpenMetadata JWT) are named.
        secrets: ``"env"`` (the YAML reads ``${NAME}``) or ``"inline"``.

    Returns:
        ``{"DATABRICKS_TOKEN": "Databricks personal access token", ...}`` in YAML order.
    """
    if secrets == "inline":
        return {}
    return {ref.env: ref.description for ref in secret_refs(config)}


def render_workflow_yaml(
    config: WorkflowConfig, *, dialect: Dialect = "2.x", secrets: SecretMode = "env", env_suffix: str = ""
) -> str:
    """The workflow YAML for ``config``, commented, in the given dialect.

    ``load_workflow_config`` on the result (with the referenced variables set) gives back ``config``.

    Args:
        config: the validated workflow.
        dialect: ``"2.x"`` (``authType:`` for the Databricks login) or ``"1.x"`` (a top-level ``token:``),
            as the target OpenMetadata server reads it.
        secrets: ``"env"`` writes ``${NAME}`` references (see :func:`required_env`); ``"inline"`` the values.
        env_suffix: appended to each referenced variable's name (:func:`secret_refs`).

    Raises:
        ConfigError: an OAuth or Azure login asked for in the 1.x dialect (1.x only has ``token:``), or an
            unknown dialect or secrets mode.
        RuntimeError: a masked secret reached the text (a new secret field this module does not handle).
    """
    if dialect not in ("1.x", "2.x"):
        raise ConfigError(f"unknown YAML dialect {dialect!r}; use 1.x or 2.x", field="dialect")
    if secrets not in ("env", "inline"):
        raise ConfigError(f"unknown secrets mode {secrets!r}; use env or inline", field="secrets")
    document = _document(config, dialect, secrets, env_suffix)
    body = yaml.safe_dump(document, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100)
    if "**********" in body:  # a SecretStr serialised by pydantic: a new secret field this module misses
        raise RuntimeError("a masked secret reached the rendered YAML; yaml_render must handle that field")
    header = _header(config, dialect, secrets, env_suffix)
    return header + _annotate(body, _comments(config, dialect, secrets))


# -- building the document --------------------------------------------------------------------------


def _document(config: WorkflowConfig, dialect: Dialect, secrets: SecretMode, suffix: str) -> dict[str, Any]:
    refs = {ref.path: ref for ref in secret_refs(config, suffix)}

    def secret(path: str) -> str:
        ref = refs[path]
        return ref.value if secrets == "inline" else "${" + ref.env + "}"

    source = config.source
    document: dict[str, Any] = {
        "source": {
            "type": source.type,
            "serviceName": source.service_name,
            "serviceConnection": {"config": _connection(config, dialect, secret)},
            "sourceConfig": {"config": _source_options(config, dialect)},
        },
        "sink": {
            "type": config.sink.type,
            "config": _dump(config.sink.config),
        },
        "workflowConfig": _workflow_settings(config, secret),
    }
    top = _dump(config, exclude={"source", "sink", "workflow_config"})
    document.update(top)
    return {key: _tidy(value) for key, value in document.items()}


def _connection(config: WorkflowConfig, dialect: Dialect, secret: Any) -> dict[str, Any]:
    connection = config.source.connection
    out: dict[str, Any] = {"type": connection.type, "hostPort": _databricks_host_port(connection.host_port)}
    auth = connection.auth
    if dialect == "1.x":
        if not isinstance(auth, PersonalAccessToken):
            kind = "OAuth M2M" if isinstance(auth, DatabricksOAuth) else "Azure AD service principal"
            raise ConfigError(
                f"OpenMetadata 1.x servers only support a personal access token (token:), not {kind}",
                field=f"{_CONNECTION}.authType",
                hint="Use a personal access token, or generate the 2.x dialect for an OpenMetadata 2.x server",
            )
        out["token"] = secret(f"{_CONNECTION}.authType.token")
    elif isinstance(auth, PersonalAccessToken):
        out["authType"] = {"token": secret(f"{_CONNECTION}.authType.token")}
    elif isinstance(auth, DatabricksOAuth):
        out["authType"] = {
            "clientId": auth.client_id,
            "clientSecret": secret(f"{_CONNECTION}.authType.clientSecret"),
        }
    else:
        assert isinstance(auth, AzureAdSetup)
        out["authType"] = {
            "azureClientId": auth.azure_client_id,
            "azureClientSecret": secret(f"{_CONNECTION}.authType.azureClientSecret"),
            "azureTenantId": auth.azure_tenant_id,
        }
    rest = _dump(connection, exclude={"type", "host_port", "token", "auth_type"})
    arguments = connection.connection_arguments
    if connection.http_path and connection.http_path in (
        arguments.get("http_path"),
        arguments.get("httpPath"),
    ):
        rest.pop("httpPath", None)  # derived from connectionArguments.http_path on load: keep the user's form
    out.update(rest)
    return out


def _source_options(config: WorkflowConfig, dialect: Dialect) -> dict[str, Any]:
    options = {"type": config.source.options.type, **_dump(config.source.options, exclude={"type"})}
    if dialect == "1.x":
        for key in _ONLY_2X:
            options.pop(key, None)
    return options


def _workflow_settings(config: WorkflowConfig, secret: Any) -> dict[str, Any]:
    settings = config.workflow_config
    out: dict[str, Any] = {}
    server = config.server
    if server is not None:
        rendered: dict[str, Any] = {"hostPort": server.host_port, "authProvider": server.auth_provider}
        if server.security_config is not None:
            rendered["securityConfig"] = {"jwtToken": secret(f"{_SERVER}.securityConfig.jwtToken")}
        rendered.update(
            _dump(server, exclude={"host_port", "auth_provider", "security_config", "extra_headers"})
        )
        if server.extra_headers:
            rendered["extraHeaders"] = {
                name: secret(f"{_SERVER}.extraHeaders.{name}") for name in server.extra_headers
            }
        out["openMetadataServerConfig"] = rendered
    out.update(_dump(settings, exclude={"open_metadata_server_config"}))
    if out.get("loggerLevel") == "WARNING":
        out["loggerLevel"] = "WARN"  # OpenMetadata's enum spells it WARN; this engine accepts both
    return out


def _dump(model: BaseModel, exclude: set[str] | None = None) -> dict[str, Any]:
    """The fields of ``model`` that differ from their defaults, by YAML key."""
    return model.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude=exclude or set())


def _tidy(value: Any) -> Any:
    """Whole-number floats as ints (``connectionTimeout: 60``, not ``60.0``); the models read both."""
    if isinstance(value, dict):
        return {key: _tidy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_tidy(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _databricks_host_port(url: str) -> str:
    """``host:443`` as OpenMetadata documents it; a plain-http address (a local server) keeps its URL.

    OpenMetadata's connector keeps only the text before the first ``:`` and prepends ``https://``, so a
    URL with ``https://`` would break it; this engine reads ``host:port`` as ``https://host:port``.
    """
    parts = urlsplit(url)
    if parts.scheme != "https":
        return url
    host = parts.hostname or ""
    return f"{f'[{host}]' if ':' in host else host}:{parts.port or 443}"


# -- comments ---------------------------------------------------------------------------------------


def _header(config: WorkflowConfig, dialect: Dialect, secrets: SecretMode, suffix: str) -> str:
    credentials = "token:" if dialect == "1.x" else "authType:"
    lines = [
        "# OpenMetadata ingestion workflow: Databricks jobs and Lakeflow/DLT pipelines into OpenMetadata.",
        f"# Dialect: OpenMetadata {dialect} servers (Databricks credentials under {credentials}).",
        "# Run it with `dbx-pipeline ingest -c <this file>` (or OpenMetadata's `metadata ingest -c`).",
        "# Every option not written here has the default of OpenMetadata's JSON schema.",
    ]
    if secrets == "inline":
        lines += [
            "#",
            "# WARNING: this file contains secrets in clear text (generated with inline secrets).",
            "# Do not commit it or share it; prefer secrets from environment variables.",
        ]
    else:
        names = ", ".join(ref.env for ref in secret_refs(config, suffix))
        lines += [
            "#",
            "# No secret is stored here: each ${NAME} is read from the environment when the workflow runs.",
            f"# Set before running: {names}.",
        ]
    return "\n".join(lines) + "\n\n"


def _comments(config: WorkflowConfig, dialect: Dialect, secrets: SecretMode) -> dict[str, str]:
    credentials = "token" if dialect == "1.x" else "authType"
    where = "written inline" if secrets == "inline" else "read from the environment at run time"
    return {
        "source": "Where the pipelines come from: a Databricks workspace",
        "source.serviceName": "Name of the pipeline service in OpenMetadata (created if missing)",
        f"{_CONNECTION}.hostPort": "Databricks workspace address",
        f"{_CONNECTION}.{credentials}": f"Databricks credentials ({where})",
        f"{_CONNECTION}.httpPath": "SQL warehouse used to read Unity Catalog lineage (system tables)",
        f"{_CONNECTION}.connectionArguments": "http_path: SQL warehouse used to read Unity Catalog lineage",
        "source.sourceConfig": "What to ingest",
        "sink": "Where the pipelines go",
        "workflowConfig.openMetadataServerConfig": "The OpenMetadata server",
        f"{_SERVER}.securityConfig": f"JWT of the ingestion bot, Settings > Bots ({where})",
    }


_KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[^\s#'\"-][^:]*|'[^']*'|\"[^\"]*\"):(?: |$)")


def _annotate(body: str, comments: dict[str, str]) -> str:
    """Put ``# comment`` lines above the keys whose dotted path is in ``comments`` (PyYAML drops comments)."""
    out: list[str] = []
    stack: list[tuple[int, str]] = []
    for line in body.splitlines():
        match = _KEY_LINE.match(line)
        if match:
            indent = len(match.group("indent"))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, match.group("key").strip("'\"")))
            path = ".".join(key for _, key in stack)
            if indent == 0 and out:
                out.append("")  # a blank line between source, sink and workflowConfig
            if path in comments:
                out.append(f"{match.group('indent')}# {comments.pop(path)}")
        out.append(line)
    return "\n".join(out) + "\n"
