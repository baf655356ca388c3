"""Every problem of the current wizard state, by field: the form's own checks plus the full model's."""

from __future__ import annotations

from ui.services.config import config_problems
from ui.services.forms import (
    _connection_args,
    broken_rules,
    normalized_host,
    normalized_om_url,
    warehouse_id,
)
from ui.services.schedule import _schedule_errors, openmetadata_release
from ui.state import WizardState


def field_errors(state: WizardState) -> dict[str, str]:
    """Field id -> the one message to show at that field, for every value that is filled in but wrong.

    Empty required fields are not errors here (see :func:`missing_fields`): a fresh form is not shouted at.
    """
    found: dict[str, str | None] = {}
    dbx = state.databricks
    _, found["dbx_host"] = normalized_host(dbx.host)
    _, found["dbx_http_path"] = warehouse_id(dbx.http_path)
    _, found["dbx_conn_args"] = _connection_args(dbx.connection_args)
    if dbx.service_name and "::" in dbx.service_name:
        found["dbx_service_name"] = "The service name must not contain '::'."
    if state.sink.kind == "openmetadata":
        _, found["om_host"] = normalized_om_url(state.sink.om_host)
    if broken_rules(state):
        found["filter_rules"] = "A filter rule needs fixing (see the rule)."
    found.update(_schedule_errors(state))
    found.update(_engine_conflicts(state))
    found.update(_refused_secrets(state))
    errors = {key: value for key, value in found.items() if value}
    # Anything the full model still rejects (an imported YAML can hold more than the form checks).
    for key, message in config_problems(state).items():
        errors.setdefault(key, message)
    return errors


#: secret field id -> (step, attribute) of its value in the wizard state
_SECRET_PATHS = {
    "dbx_token": ("databricks", "token"),
    "dbx_client_secret": ("databricks", "client_secret"),
    "dbx_azure_client_secret": ("databricks", "azure_client_secret"),
    "om_jwt": ("sink", "jwt"),
}


def _refused_secrets(state: WizardState) -> dict[str, str]:
    """The imported placeholders (``<databricks token>``...) refused at their field, until a value is entered."""
    refused: dict[str, str] = {}
    for field_id, message in state.secret_problems.items():
        step, attr = _SECRET_PATHS.get(field_id, ("", ""))
        if step and getattr(getattr(state, step), attr) is None:
            refused[field_id] = message
    return refused


def _engine_conflicts(state: WizardState) -> dict[str, str]:
    """What the "openmetadata" engine cannot do with the other settings, at the engine's fields.

    The generator refuses these when the files are made (``core.generate.dag``); here they show on the
    schedule step as soon as both settings are set, not first at Review.
    """
    if state.schedule.engine != "openmetadata":
        return {}
    from urllib.parse import urlsplit

    conflicts: dict[str, str] = {}
    host, _ = normalized_host(state.databricks.host)
    if host:
        url = urlsplit(host)
        if url.scheme != "https" or (url.port or 443) != 443:
            conflicts["dag_engine"] = (
                f"OpenMetadata's own connector always connects to https://<host>:443 and cannot reach "
                f"{host} (step 1's host). Choose this engine (dbx-pipeline), or a workspace address on "
                "https port 443."
            )
    from core.generate.options import is_openmetadata_release
    from core.generate.yaml_render import dialect_for_version

    release = openmetadata_release(state)
    if is_openmetadata_release(release):
        dialect = state.dialect or dialect_for_version(state.om_version)
        package = dialect_for_version(release)
        if package != dialect:
            conflicts["dag_om_version"] = (
                f"openmetadata-ingestion {release} reads the {package} YAML dialect, but the YAML is written "
                f"in {dialect} (for the OpenMetadata server found). Give your server's version here."
            )
    return conflicts
