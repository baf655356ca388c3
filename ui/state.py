"""The wizard's whole state: one :class:`WizardState` under one session key.

Why one dataclass and not widget keys: Streamlit deletes a widget's state when the widget is not rendered
(every page switch, streamlit#11115), so values typed on step 1 would be gone on step 3. Widgets here are
only views: each page seeds its widget keys from this state and copies what the user changes back into it.

Why secrets are :class:`pydantic.SecretStr`: ``repr(st.session_state)`` (a debug dump, an error report)
shows ``SecretStr('**********')``, never the value. A stored secret is only ever read on the server, to
build the clients; it is never rendered back into a widget, so it never travels to the browser again.

Nothing here imports ``core``: ``ui/services/`` is the one bridge, so this module stays instant to
import and easy to test.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import streamlit as st
from pydantic import SecretStr

if TYPE_CHECKING:  # types only: at run time this module still imports nothing of core
    from core.filter_rules import Operator
    from core.generate.yaml_render import Dialect

__all__ = [
    "STATE_KEY",
    "CheckResult",
    "DatabricksStep",
    "ExtraWorkspace",
    "FilterRuleState",
    "FiltersStep",
    "OptionsStep",
    "ScheduleStep",
    "SinkStep",
    "WizardState",
    "get_state",
    "reset_state",
    "secret_value",
]

STATE_KEY = "wizard"

AuthKind = Literal["pat", "oauth", "azure"]
SinkKind = Literal["openmetadata", "file"]


def secret_value(secret: SecretStr | None) -> str:
    """The plain value of an optional secret ("" when unset); for building clients only."""
    return secret.get_secret_value() if secret is not None else ""


@dataclass
class DatabricksStep:
    """Step 1: the workspace connection (``source.serviceConnection.config``) and the service name."""

    host: str = ""
    auth: AuthKind = "pat"
    token: SecretStr | None = None
    client_id: str = ""
    client_secret: SecretStr | None = None
    azure_client_id: str = ""
    azure_client_secret: SecretStr | None = None
    azure_tenant_id: str = ""
    http_path: str = ""
    timeout_s: int = 120
    connection_args: str = ""
    service_name: str = "databricks_pipelines"


@dataclass
class FilterRuleState:
    """One include or exclude rule; ``id`` keeps its widgets stable when another rule is removed."""

    id: int
    kind: Literal["include", "exclude"]
    operator: Operator = "starts"
    value: str = ""


@dataclass
class FiltersStep:
    """Step 3: ``pipelineFilterPattern`` as friendly rules."""

    rules: list[FilterRuleState] = field(default_factory=list)
    next_id: int = 1

    def add(
        self, kind: Literal["include", "exclude"], operator: Operator = "starts", value: str = ""
    ) -> None:
        """Append a rule with a fresh id.

        Args:
            kind: include or exclude.
            operator: a key of :data:`core.filter_rules.OPERATORS`.
            value: the text the rule applies to.
        """
        self.rules.append(FilterRuleState(self.next_id, kind, operator, value))
        self.next_id += 1


@dataclass
class OptionsStep:
    """Step 4: ``sourceConfig.config`` switches (OpenMetadata's defaults)."""

    include_lineage: bool = True
    include_tags: bool = True
    include_owners: bool = True
    mark_deleted: bool = True
    lookback_days: int = 1
    db_service_names: list[str] = field(default_factory=list)
    override_metadata: bool = False


@dataclass
class SinkStep:
    """Step 5: where the entities go."""

    kind: SinkKind = "openmetadata"
    om_host: str = "http://localhost:8585/api"
    jwt: SecretStr | None = None
    verify_ssl: str = "no-ssl"
    ca_certificate: str = ""
    filename: str = "pipelines.jsonl"


@dataclass
class ScheduleStep:
    """Step 6: when Airflow runs it, and how the DAG is written."""

    preset: str = "daily"
    custom_cron: str = "0 2 * * *"
    timezone: str = "UTC"
    dag_id: str = "databricks_pipelines_to_openmetadata"
    owner: str = "data-platform"
    retries: int = 2
    retry_delay_minutes: int = 5
    execution_timeout_minutes: int = 120
    email: str = ""
    email_on_failure: bool = False
    tags: str = "openmetadata, databricks"
    engine: str = "core"
    secrets: str = "env"
    start_date: date = field(default_factory=date.today)
    #: the openmetadata-ingestion release for the "openmetadata" engine ("" = the tested server's)
    openmetadata_version: str = ""
    #: the preset "Custom cron" was chosen from (its cron was the starting point; "Back to" restores it)
    custom_from: str = ""


@dataclass
class CheckResult:
    """The last connection test of one side, and which settings it tested (to tell when it is stale)."""

    steps: list[Any]
    fingerprint: str
    timeout_s: float
    finished_at: float
    #: why it is stale when that is not a changed setting (a test kept from before a restart); "" otherwise
    stale_reason: str = ""
    #: each tested setting's salted fingerprint when it ran (memory only): names the one that changed since
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no step failed."""
        return bool(self.steps) and all(step.ok is not False for step in self.steps)


@dataclass
class ExtraWorkspace:
    """One more Databricks workspace in the same DAG (the review step's "Add another workspace").

    It has its own connection, service and (optionally) filters; the OpenMetadata server, the sink, the
    options and the schedule are the main workspace's. Its secrets are ``SecretStr`` like the main ones, and
    the files reference them under its own names (``${DATABRICKS_TOKEN_<SERVICE>}``).
    """

    id: int
    databricks: DatabricksStep = field(default_factory=lambda: DatabricksStep(service_name=""))
    #: its own include/exclude rules, or None to use the main workspace's
    filters: FiltersStep | None = None
    #: its last connection test (Databricks side only)
    check: CheckResult | None = None


@dataclass
class WizardState:
    """Everything the user entered or the wizard found, for one browser session."""

    demo: bool = False
    databricks: DatabricksStep = field(default_factory=DatabricksStep)
    filters: FiltersStep = field(default_factory=FiltersStep)
    options: OptionsStep = field(default_factory=OptionsStep)
    sink: SinkStep = field(default_factory=SinkStep)
    schedule: ScheduleStep = field(default_factory=ScheduleStep)
    checks: dict[str, CheckResult] = field(default_factory=dict)
    om_version: str | None = None
    dialect: Dialect | None = None
    imported_from: str | None = None
    import_notes: list[str] = field(default_factory=list)
    dry_run: bool = False
    #: step 2's per-step timeout of the connection tests, in seconds (saved with the ingestion)
    test_timeout_s: int = 20
    #: step keys the user has opened (the stepper marks a step with defaults as done once seen)
    visited: set[str] = field(default_factory=set)
    #: more workspaces ingested by the same DAG, by id (in the order they were added)
    workspaces: dict[int, ExtraWorkspace] = field(default_factory=dict)
    next_workspace_id: int = 2
    #: background jobs (ui.services.PreviewJob / RunJob); not part of a readable dump
    preview: Any = field(default=None, repr=False)
    run: Any = field(default=None, repr=False)
    #: the saved ingestion this session edits (``?ingestion=`` in the URL); None until something changes
    ingestion_id: str | None = None
    #: its name as the user gave it ("" = named after its service and host, see ui.services.saved)
    ingestion_name: str = ""
    #: secret path (``"databricks.token"``) -> the environment variable it is read from on this server
    secret_env: dict[str, str] = field(default_factory=dict)
    #: secret paths that were set before the server restarted and must be entered again (never saved)
    secrets_to_reenter: list[str] = field(default_factory=list)
    #: this browser session's id: the run key while the ingestion has no id, and who started a run
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    #: secret field id -> why the imported value was refused (a docs placeholder); shown until it is entered
    secret_problems: dict[str, str] = field(default_factory=dict)
    #: task graphs and latest runs read for the preview (ui.services.task_graph), per settings fingerprint
    task_graphs: dict[str, Any] = field(default_factory=dict, repr=False)


def get_state() -> WizardState:
    """This session's state, created on first use."""
    state = st.session_state.get(STATE_KEY)
    if not isinstance(state, WizardState):
        state = WizardState()
        st.session_state[STATE_KEY] = state
    return state


def reset_state() -> WizardState:
    """A fresh state (background jobs of the old one are stopped by the caller)."""
    state = WizardState()
    st.session_state[STATE_KEY] = state
    return state
