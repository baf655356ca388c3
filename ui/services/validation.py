"""Every problem of the current wizard state, by field: the form's own checks plus the full model's."""

from __future__ import annotations

from ui.services.config import config_problems
from ui.services.forms import (
    _connection_args,
    filter_rule_errors,
    normalized_host,
    normalized_om_url,
    warehouse_id,
)
from ui.services.schedule import _schedule_errors
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
    if any(filter_rule_errors(state).values()):
        found["filter_rules"] = "A filter rule needs fixing (see the rule)."
    found.update(_schedule_errors(state))
    errors = {key: value for key, value in found.items() if value}
    # Anything the full model still rejects (an imported YAML can hold more than the form checks).
    for key, message in config_problems(state).items():
        errors.setdefault(key, message)
    return errors
