"""Field-level checks of the wizard's inputs: one message per field, never a traceback."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from core.config import parse_yaml_text
from core.config.hosts import (
    normalize_databricks_host,
    normalize_openmetadata_url,
    warehouse_id_from_http_path,
)
from core.errors import ConfigError
from core.filter_rules import regex_error, rule_to_regex
from ui.state import DatabricksStep, SinkStep, WizardState


def normalized_host(text: str) -> tuple[str | None, str | None]:
    """(canonical workspace URL, None) or (None, what is wrong) for what the user typed."""
    if not text.strip():
        return None, None
    try:
        return normalize_databricks_host(text), None
    except ValueError as err:
        return None, f"The host {err}"


def normalized_om_url(text: str) -> tuple[str | None, str | None]:
    """(canonical OpenMetadata API URL, None) or (None, what is wrong)."""
    if not text.strip():
        return None, None
    try:
        return normalize_openmetadata_url(text), None
    except ValueError as err:
        return None, f"The URL {err}"


def warehouse_id(http_path: str) -> tuple[str | None, str | None]:
    """(warehouse id, None) or (None, what is wrong) for an HTTP path; empty is allowed (no lineage)."""
    if not http_path.strip():
        return None, None
    try:
        return warehouse_id_from_http_path(http_path), None
    except ValueError as err:
        return None, f"The HTTP path {err}"


def _connection_args(text: str) -> tuple[dict[str, Any], str | None]:
    """The connection arguments mapping typed as YAML or JSON (``{}`` when empty)."""
    if not text.strip():
        return {}, None
    try:
        value = parse_yaml_text(text, "Connection arguments")
    except ConfigError as err:
        return {}, err.message
    if not isinstance(value, dict):
        return {}, "Connection arguments must be a mapping, e.g. `http_path: /sql/1.0/warehouses/abc`"
    return value, None


def filter_rule_errors(state: WizardState) -> dict[int, str]:
    """Rule id -> what is wrong with that rule (an empty value, a regex that does not compile)."""
    errors: dict[int, str] = {}
    for rule in state.filters.rules:
        if not rule.value.strip():
            errors[rule.id] = "Enter a value, or remove this rule (an empty rule is ignored)."
            continue
        message = regex_error(rule_to_regex(rule.operator, rule.value))
        if message:
            errors[rule.id] = message[:1].upper() + message[1:] + "."
    return errors


def broken_rules(state: WizardState) -> dict[int, str]:
    """The rules that stop an export or a run: a value whose regex does not compile.

    An empty rule is marked at the rule too (:func:`filter_rule_errors`) but stops nothing: every export
    skips it, as the rule's own message says.
    """
    filled = {rule.id for rule in state.filters.rules if rule.value.strip()}
    return {rule_id: message for rule_id, message in filter_rule_errors(state).items() if rule_id in filled}


def missing_fields(state: WizardState) -> dict[str, list[str]]:
    """Step key -> field ids that are required and still empty (steps with none are left out).

    Returns:
        ``{"databricks": [...], "sink": [...]}`` in form order, e.g. ``{"sink": ["om_jwt"]}``.
    """
    missing = {"databricks": _missing_databricks(state.databricks), "sink": _missing_sink(state.sink)}
    return {step: fields for step, fields in missing.items() if fields}


def _missing_databricks(dbx: DatabricksStep) -> list[str]:
    """The empty required fields of step 1: host, service name, and the chosen auth kind's fields."""
    texts = [("dbx_host", dbx.host), ("dbx_service_name", dbx.service_name)]
    secrets: list[tuple[str, SecretStr | None]] = []
    if dbx.auth == "pat":
        secrets = [("dbx_token", dbx.token)]
    elif dbx.auth == "oauth":
        texts.append(("dbx_client_id", dbx.client_id))
        secrets = [("dbx_client_secret", dbx.client_secret)]
    elif dbx.auth == "azure":
        texts += [("dbx_azure_client_id", dbx.azure_client_id), ("dbx_azure_tenant_id", dbx.azure_tenant_id)]
        secrets = [("dbx_azure_client_secret", dbx.azure_client_secret)]
    return [field_id for field_id, text in texts if not text.strip()] + [
        field_id for field_id, secret in secrets if secret is None
    ]


def _missing_sink(sink: SinkStep) -> list[str]:
    """The empty required fields of the sink step: server and JWT for OpenMetadata, else the file name."""
    if sink.kind != "openmetadata":
        return [] if sink.filename.strip() else ["sink_filename"]
    return [
        field_id
        for field_id, empty in (("om_host", not sink.om_host.strip()), ("om_jwt", sink.jwt is None))
        if empty
    ]
