"""Wizard state to a validated workflow config, and fingerprints that tell when a listing is stale."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from core.config import WorkflowConfig, parse_workflow_config
from core.errors import ConfigError
from core.filter_rules import rule_to_regex
from ui.fields import field_for_yaml_path
from ui.services._shared import _FINGERPRINT_SALT, _PLACEHOLDER_SECRET
from ui.services.forms import (
    _connection_args,
    filter_rule_errors,
)
from ui.state import DatabricksStep, WizardState, secret_value
from ui.store.db import data_dir


def _auth_block(dbx: DatabricksStep, placeholder: str | None) -> dict[str, Any]:
    def secret(value: SecretStr | None) -> str:
        return secret_value(value) or (placeholder or "")

    if dbx.auth == "oauth":
        return {"clientId": dbx.client_id.strip(), "clientSecret": secret(dbx.client_secret)}
    if dbx.auth == "azure":
        return {
            "azureClientId": dbx.azure_client_id.strip(),
            "azureClientSecret": secret(dbx.azure_client_secret),
            "azureTenantId": dbx.azure_tenant_id.strip(),
        }
    return {"token": secret(dbx.token)}


def _filter_pattern(state: WizardState, *, valid_only: bool = False) -> dict[str, list[str]] | None:
    """``pipelineFilterPattern`` from the rules, or None when there is none.

    Empty rules are skipped, and with ``valid_only`` so are rules whose regex does not compile (the live
    preview keeps working while one rule is being fixed).
    """
    broken = filter_rule_errors(state) if valid_only else {}
    pattern: dict[str, list[str]] = {"includes": [], "excludes": []}
    for rule in state.filters.rules:
        if rule.value.strip() and rule.id not in broken:
            pattern[f"{rule.kind}s"].append(rule_to_regex(rule.operator, rule.value))
    return pattern if pattern["includes"] or pattern["excludes"] else None


def workflow_dict(
    state: WizardState, *, purpose: str = "run", placeholder: str | None = None
) -> dict[str, Any]:
    """The workflow YAML as a dict, with the secret values from the state (never shown, never exported).

    Args:
        state: the session's wizard state; secrets are read from it, never written back.
        purpose: ``"run"`` (the chosen sink), or ``"databricks"`` (a console sink, so the Databricks side
            can be tested and previewed before the sink is set up).
        placeholder: value for secrets not entered yet (exports), or None to leave them empty.
    """
    dbx, options, sink = state.databricks, state.options, state.sink
    args, _ = _connection_args(dbx.connection_args)
    connection: dict[str, Any] = {
        "type": "DatabricksPipeline",
        "hostPort": dbx.host.strip(),
        "authType": _auth_block(dbx, placeholder),
        "connectionTimeout": dbx.timeout_s,
    }
    if dbx.http_path.strip():
        connection["httpPath"] = dbx.http_path.strip()
    if args:
        connection["connectionArguments"] = args
    source_options: dict[str, Any] = {
        "type": "PipelineMetadata",
        "includeLineage": options.include_lineage,
        "includeTags": options.include_tags,
        "includeOwners": options.include_owners,
        "markDeletedPipelines": options.mark_deleted,
        "statusLookbackDays": options.lookback_days,
        "overrideMetadata": options.override_metadata,
    }
    if options.db_service_names:
        source_options["lineageInformation"] = {"dbServiceNames": list(options.db_service_names)}
    pattern = _filter_pattern(state)
    if pattern:
        source_options["pipelineFilterPattern"] = pattern
    workflow: dict[str, Any] = {
        "source": {
            "type": "databrickspipeline",
            "serviceName": dbx.service_name.strip(),
            "serviceConnection": {"config": connection},
            "sourceConfig": {"config": source_options},
        },
        "sink": {"type": "console", "config": {}},
        "workflowConfig": {"loggerLevel": "INFO"},
    }
    if purpose == "databricks":
        return workflow
    if sink.kind == "file":
        workflow["sink"] = {"type": "file", "config": {"filename": sink.filename.strip()}}
        return workflow
    workflow["sink"] = {"type": "metadata-rest", "config": {}}
    server: dict[str, Any] = {
        "hostPort": sink.om_host.strip(),
        "authProvider": "openmetadata",
        "securityConfig": {"jwtToken": secret_value(sink.jwt) or (placeholder or "")},
        "verifySSL": sink.verify_ssl,
    }
    if sink.verify_ssl == "validate" and sink.ca_certificate.strip():
        server["sslConfig"] = {"caCertificate": sink.ca_certificate.strip()}
    workflow["workflowConfig"]["openMetadataServerConfig"] = server
    return workflow


#: The environment variable naming the wizard's data directory (saved ingestions, file-sink exports).
def sink_path(filename: str, *, create: bool = False) -> Path:
    """Where the wizard's own runs and checks write the file sink: a relative name lands in ``exports/``.

    The wizard's server may run from any directory, so a relative name is resolved under
    :func:`data_dir` (``<data dir>/exports/<name>``), never the server's working directory. The exported
    YAML keeps the name as typed: the DAG runs on another machine, relative to its own directory.

    Args:
        filename: the name typed on the sink step (``~`` is expanded).
        create: create the ``exports`` folder when the name is relative (before a run writes there).
    """
    typed = Path(filename.strip() or "pipelines.jsonl").expanduser()
    if typed.is_absolute():
        return typed
    target = (data_dir() / "exports" / typed).resolve()
    if create:
        target.parent.mkdir(parents=True, exist_ok=True)
    return target


def build_config(state: WizardState, *, purpose: str = "run", for_export: bool = False) -> WorkflowConfig:
    """The validated config for a test, a preview, a run (real secrets) or an export (placeholders).

    Args:
        state: the session's wizard state.
        purpose: ``"run"`` (the chosen sink) or ``"databricks"`` (a console sink; see :func:`workflow_dict`).
        for_export: put a placeholder where a secret has not been entered (the files never hold secrets),
            and keep a file sink's name as typed (else it is :func:`sink_path`'s absolute path).

    Raises:
        ConfigError: with ``problems`` naming the YAML paths (see :func:`config_problems`).
    """
    data = workflow_dict(state, purpose=purpose, placeholder=_PLACEHOLDER_SECRET if for_export else None)
    if data["sink"]["type"] == "file" and not for_export:  # the wizard's own run: under its data directory
        data["sink"]["config"]["filename"] = str(sink_path(state.sink.filename, create=True))
    return parse_workflow_config(data, environ={})


def config_problems(state: WizardState) -> dict[str, str]:
    """Field id -> message for what the full config model rejects in filled-in values.

    Secrets not entered yet are filled with placeholders, so only wrong values show up, not missing ones.
    """
    if not state.databricks.host.strip() or not state.databricks.service_name.strip():
        return {}
    try:
        build_config(state, for_export=True)
    except ConfigError as err:
        return _problems_by_field(err)
    return {}


def _problems_by_field(err: ConfigError) -> dict[str, str]:
    found: dict[str, str] = {}
    for path, message in err.problems:
        field_id = field_for_yaml_path(path) or "general"
        text = message[:1].upper() + message[1:]
        found.setdefault(field_id, text if text.endswith(".") else text + ".")
    return found


def _fingerprint(*values: object) -> str:
    digest = hashlib.sha256(_FINGERPRINT_SALT)
    for value in values:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        digest.update(repr(value).encode())
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


#: The settings each side's connection test reads: they make its fingerprint (a secret by its value, salted
#: per process) and the basis a kept test is compared on after a restart (a secret by where it came from).
TESTED_SETTINGS: dict[str, tuple[str, ...]] = {
    "databricks": (
        "host", "auth", "token", "client_id", "client_secret", "azure_client_id", "azure_client_secret",
        "azure_tenant_id", "http_path", "timeout_s", "connection_args",
    ),
    "sink": ("kind", "om_host", "jwt", "verify_ssl", "ca_certificate", "filename"),
}  # fmt: skip


def tested_settings(state: WizardState, side: str) -> dict[str, object]:
    """Name -> value of the settings ``side``'s connection test reads (secrets as :class:`SecretStr`)."""
    holder = state.databricks if side == "databricks" else state.sink
    return {name: getattr(holder, name) for name in TESTED_SETTINGS[side]}


def setting_fingerprints(state: WizardState, side: str) -> dict[str, str]:
    """Name -> salted fingerprint of each setting ``side``'s test reads (a secret by its value; memory only)."""
    return {name: _fingerprint(value) for name, value in tested_settings(state, side).items()}


def databricks_fingerprint(state: WizardState) -> str:
    """Changes whenever a Databricks connection setting changes (a preview or test is then stale)."""
    return _fingerprint(*tested_settings(state, "databricks").values())


def sink_fingerprint(state: WizardState) -> str:
    """Changes whenever a sink setting changes."""
    return _fingerprint(*tested_settings(state, "sink").values())
