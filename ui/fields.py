"""The wizard's steps and fields, and where each YAML path is edited.

Why a registry: an error from ``core`` names a dotted YAML path (``source.serviceConnection.config.hostPort``);
the user needs it at the field they typed into, on the step where that field lives, with the label they
saw. One table maps all three, so a connection test failing on the host can say "Fix it in step 1, Host"
and link there, and the sidebar can mark the step that has a problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "AUTH_LABELS",
    "FIELD_LABELS",
    "STEPS",
    "WIDGET_PREFIXES",
    "Step",
    "field_for_yaml_path",
    "step_of_field",
]


@dataclass(frozen=True)
class Step:
    """One wizard page: its key, number, title and file (relative to ``ui/``)."""

    key: str
    number: int
    title: str
    path: str
    icon: str

    @property
    def label(self) -> str:
        """``"1. Databricks"``: what the sidebar stepper shows."""
        return f"{self.number}. {self.title}"


STEPS: tuple[Step, ...] = (
    Step("databricks", 1, "Databricks", "app_pages/databricks.py", ":material/hub:"),
    Step("test", 2, "Test connection", "app_pages/test_connection.py", ":material/lan:"),
    Step("filters", 3, "Filters & preview", "app_pages/filters.py", ":material/filter_alt:"),
    Step("options", 4, "Options", "app_pages/options.py", ":material/tune:"),
    Step("sink", 5, "Sink", "app_pages/sink.py", ":material/output:"),
    Step("schedule", 6, "Schedule & DAG", "app_pages/schedule.py", ":material/schedule:"),
    Step("review", 7, "Review & export", "app_pages/review.py", ":material/download:"),
    Step("run", 8, "Run now", "app_pages/run.py", ":material/play_circle:"),
)

#: Widget-key prefix -> step key. Every widget of the wizard has one of these prefixes, so the widgets
#: can be re-seeded from the state at once (after demo mode or an import changed it).
WIDGET_PREFIXES: dict[str, str] = {
    "dbx_": "databricks",
    "test_": "test",
    "filter_": "filters",
    "preview_": "filters",
    "opt_": "options",
    "om_": "sink",
    "sink_": "sink",
    "sched_": "schedule",
    "dag_": "schedule",
    "review_": "review",
    "run_": "run",
}

#: The Databricks authentication kinds, as the Databricks step and each extra workspace offer them.
AUTH_LABELS: dict[str, str] = {
    "pat": "Personal access token",
    "oauth": "OAuth machine-to-machine",
    "azure": "Azure service principal",
}

FIELD_LABELS: dict[str, str] = {
    "dbx_service_name": "Service name",
    "dbx_host": "Workspace host",
    "dbx_auth": "Authentication",
    "dbx_token": "Personal access token",
    "dbx_client_id": "Client ID",
    "dbx_client_secret": "Client secret",
    "dbx_azure_client_id": "Azure client ID",
    "dbx_azure_client_secret": "Azure client secret",
    "dbx_azure_tenant_id": "Azure tenant ID",
    "dbx_http_path": "SQL warehouse HTTP path",
    "dbx_timeout": "Connection timeout",
    "dbx_conn_args": "Connection arguments",
    "filter_rules": "Filter rules",
    "opt_lookback": "Status lookback days",
    "opt_db_services": "Database services for lineage",
    "om_host": "OpenMetadata URL",
    "om_jwt": "Ingestion bot JWT",
    "om_verify_ssl": "SSL verification",
    "om_ca": "CA certificate",
    "sink_filename": "Output file",
    "sched_cron": "Cron expression",
    "sched_tz": "Timezone",
    "dag_id": "DAG id",
    "dag_owner": "Owner",
    "dag_email": "Alert e-mail",
    "dag_start_date": "Start date",
    "dag_retries": "Retries",
    "dag_retry_delay": "Retry delay",
    "dag_timeout": "Execution timeout",
    "dag_tags": "Tags",
    "dag_engine": "Engine",
    "dag_secrets": "Secrets",
    "dag_om_version": "OpenMetadata version",
}

_CONNECTION = "source.serviceConnection.config"
_SERVER = "workflowConfig.openMetadataServerConfig"

#: Longest prefix wins. Values are field ids (the widget keys).
_YAML_PATHS: tuple[tuple[str, str], ...] = (
    ("source.serviceName", "dbx_service_name"),
    (f"{_CONNECTION}.hostPort", "dbx_host"),
    (f"{_CONNECTION}.token", "dbx_token"),
    (f"{_CONNECTION}.authType.token", "dbx_token"),
    (f"{_CONNECTION}.authType.clientId", "dbx_client_id"),
    (f"{_CONNECTION}.authType.clientSecret", "dbx_client_secret"),
    (f"{_CONNECTION}.authType.azureClientId", "dbx_azure_client_id"),
    (f"{_CONNECTION}.authType.azureClientSecret", "dbx_azure_client_secret"),
    (f"{_CONNECTION}.authType.azureTenantId", "dbx_azure_tenant_id"),
    (f"{_CONNECTION}.authType", "dbx_auth"),
    (f"{_CONNECTION}.httpPath", "dbx_http_path"),
    (f"{_CONNECTION}.connectionArguments", "dbx_conn_args"),
    (f"{_CONNECTION}.connectionTimeout", "dbx_timeout"),
    (f"{_CONNECTION}.pipelineFilterPattern", "filter_rules"),
    (f"{_CONNECTION}", "dbx_host"),
    ("source.sourceConfig.config.pipelineFilterPattern", "filter_rules"),
    ("source.sourceConfig.config.statusLookbackDays", "opt_lookback"),
    ("source.sourceConfig.config.lineageInformation", "opt_db_services"),
    (f"{_SERVER}.hostPort", "om_host"),
    (f"{_SERVER}.securityConfig", "om_jwt"),
    (f"{_SERVER}.verifySSL", "om_verify_ssl"),
    (f"{_SERVER}.sslConfig", "om_ca"),
    (_SERVER, "om_host"),
    ("sink.config.filename", "sink_filename"),
    ("sink", "sink_filename"),
    ("schedule", "sched_cron"),
    ("timezone", "sched_tz"),
    ("dag.schedule", "sched_cron"),
    ("dag.timezone", "sched_tz"),
    ("dag.dag_id", "dag_id"),
    ("dag.owner", "dag_owner"),
    ("dag.email", "dag_email"),
    ("dag.start_date", "dag_start_date"),
    ("dag.retries", "dag_retries"),
    ("dag.retry_delay_minutes", "dag_retry_delay"),
    ("dag.execution_timeout_minutes", "dag_timeout"),
    ("dag.tags", "dag_tags"),
    ("dag.engine", "dag_engine"),
    ("dag.secrets", "dag_secrets"),
    ("dag.openmetadata_version", "dag_om_version"),
    ("dag.yaml_filename", "dag_id"),
)

_INDEX = re.compile(r"\[\d+\]")


def field_for_yaml_path(path: str | None) -> str | None:
    """The wizard field where the YAML value at ``path`` is edited, or None when no field holds it."""
    if not path:
        return None
    plain = _INDEX.sub("", path)
    best: tuple[int, str] | None = None
    for prefix, field_id in _YAML_PATHS:
        if (plain == prefix or plain.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), field_id)
    return best[1] if best else None


def step_of_field(field_id: str) -> Step:
    """The step whose page shows ``field_id``.

    Raises:
        KeyError: when no step's widget prefix starts ``field_id``.
    """
    for prefix, step_key in WIDGET_PREFIXES.items():
        if field_id.startswith(prefix):
            return next(step for step in STEPS if step.key == step_key)
    raise KeyError(f"no step owns field {field_id!r}")
