"""Building a run's source from its config: the client, its timeouts, the lineage reader, the preflight check.

Every caller that reads a workspace (the ingestion, ``preview``, ``bench --preview``, ``test-connection``,
the wizard's preview) builds it here, so they share one rule for timeouts and one preflight check. What
differed between them is a parameter of :func:`create_source`, each documented there. The sink's factory
is :func:`core.sinks.create_sink`.

databricks-sdk (about a second to import) is imported only when a source is built, never by importing
this module.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.config.models import WorkflowConfig
from core.http_policy import PREFLIGHT_MAX_S, lineage_wait_budget_s

if TYPE_CHECKING:
    from core.databricks.lineage import LineageReader
    from core.databricks.source import DatabricksSource
    from core.databricks.system_tables import SystemTableStatuses

__all__ = [
    "HOST_FIELD",
    "SERVER_FIELD",
    "SOURCE_CONNECTIONS",
    "Sources",
    "create_source",
    "create_statuses",
    "preflight",
]

logger = logging.getLogger(__name__)

HOST_FIELD = "source.serviceConnection.config.hostPort"
STATUS_SOURCE_FIELD = "workflowConfig.config.statusSource"
SYSTEM_TABLES_HINT = (
    "Grant USE and SELECT on system.lakeflow (job_run_timeline, job_task_run_timeline) to the principal, "
    "and have an account admin enable the schema"
)
SERVER_FIELD = "workflowConfig.openMetadataServerConfig.hostPort"
#: the longest a TCP connect of the preflight check waits, whatever the timeouts (seconds)
#: connections kept open to the workspace when no worker count is given (a listing and its prefetch)
SOURCE_CONNECTIONS = 16


@dataclass(frozen=True)
class Sources:
    """What a run reads from: jobs and runs, and lineage when it is wanted and possible.

    ``source`` implements :class:`core.source.JobSource` and ``lineage`` :class:`core.source.LineageSource`
    (None: no lineage). Both share one ``WorkspaceClient`` (``source.client``).
    """

    source: DatabricksSource
    lineage: LineageReader | None = None


def preflight(
    config: WorkflowConfig, *, source: bool = True, sink: bool = True, timeout_s: float | None = None
) -> list[str]:
    """Fail in seconds, with the field to fix, when a server cannot even be reached.

    Without this, databricks-sdk's constructor retries an unreachable host for its whole retry budget.

    Args:
        config: the validated workflow config.
        source: check the workspace's ``hostPort``.
        sink: check OpenMetadata's ``hostPort`` when the sink is ``metadata-rest`` (the file and console
            sinks never contact it, so a server section left in their YAML is not checked).
        timeout_s: the caller's timeout; each connect waits ``min(10, timeout_s)`` seconds, and
            ``min(10, connectionTimeout)`` when None.

    Returns:
        What each check found, in order (``adb-1.azuredatabricks.net:443 accepts connections``).

    Raises:
        ConnectionCheckError: a host name that does not resolve or a port that does not accept
            connections; ``field`` names the setting.
    """
    from core.checks import check_tcp

    wait = min(PREFLIGHT_MAX_S, _timeout(config, timeout_s))
    checked = []
    if source:
        checked.append(check_tcp(config.source.connection.base_url, wait, HOST_FIELD))
    if sink and config.server is not None and config.sink.type == "metadata-rest":
        checked.append(check_tcp(config.server.host_port, wait, SERVER_FIELD))
    return checked


def create_source(
    config: WorkflowConfig,
    *,
    timeout_s: float | None = None,
    workers: int | None = None,
    lineage: bool | None = None,
    preflight_check: bool = True,
) -> Sources:
    """The workspace of ``config`` as a job source (and a lineage reader), ready to read.

    Args:
        config: the validated workflow config (``source.serviceConnection.config``).
        timeout_s: seconds for each request and for its retries together, and for the lineage query to
            finish. None (the ingestion, ``preview``): the client's defaults, derived from
            ``connectionTimeout`` (:func:`core.databricks.client.build_workspace_client`), and a lineage
            budget of ``max(60, 5 x connectionTimeout)``. A number: ``test-connection --timeout``, or the
            wizard's preview (``min(connectionTimeout, 30)``: a page must not hang).
        workers: the run's parallel pipelines; ``2 x workers`` connections (at least 4) are kept open.
            None: :data:`SOURCE_CONNECTIONS` (a listing does not need more).
        lineage: None: a lineage reader when the config asks for lineage (``includeLineage``) and
            ``httpPath`` names a SQL warehouse; True: whenever ``httpPath`` names a warehouse (the
            connection test checks it); False: never (previews).
        preflight_check: first run :func:`preflight` on the workspace host. False when the caller
            already did (the ingestion checks both servers before building anything; the connection
            test shows it as a step of its own).

    Returns:
        The :class:`Sources`; nothing has been sent to the workspace yet except what resolving the
        credentials needs (an OAuth token exchange).

    Raises:
        ConnectionCheckError: the preflight check failed.
        SourceError: the SDK refused the settings while resolving the credentials (``SourceAuthError``
            for refused OAuth client credentials).
    """
    from core.databricks.client import build_workspace_client
    from core.databricks.lineage import LineageReader
    from core.databricks.source import DatabricksSource

    connection = config.source.connection
    if preflight_check:
        preflight(config, sink=False, timeout_s=timeout_s)
    client = build_workspace_client(
        connection,
        retry_timeout_seconds=timeout_s,
        http_timeout_seconds=timeout_s,
        pool_size=max(4, workers * 2) if workers else SOURCE_CONNECTIONS,
    )
    wanted = config.source.options.include_lineage if lineage is None else lineage
    reader = None
    if wanted and connection.warehouse_id:
        reader = LineageReader(
            client,
            connection.warehouse_id,
            lookback_days=connection.lineage_look_back_days,
            wait_budget_s=timeout_s
            if timeout_s is not None
            else lineage_wait_budget_s(_timeout(config, None)),
        )
    return Sources(DatabricksSource(client), reader)


def _timeout(config: WorkflowConfig, timeout_s: float | None) -> float:
    """The caller's timeout, else ``connectionTimeout`` (seconds)."""
    return float(config.source.connection.connection_timeout) if timeout_s is None else timeout_s


def system_table_statuses(
    config: WorkflowConfig, sources: Sources, *, timeout_s: float | None = None
) -> SystemTableStatuses:
    """The system-table status source of ``sources``' workspace (nothing is sent but the workspace id).

    Raises:
        ConfigError: ``httpPath`` names no SQL warehouse (the field is ``httpPath``).
        SourceError: (any subclass) the workspace id could not be read.
    """
    from core.databricks.errors import source_errors
    from core.databricks.statements import HTTP_PATH_FIELD, StatementRunner
    from core.databricks.system_tables import SystemTableStatuses
    from core.errors import ConfigError, SourceError

    connection = config.source.connection
    if not connection.warehouse_id:
        raise ConfigError(
            "names no SQL warehouse, which statusSource systemTables needs",
            field=HTTP_PATH_FIELD,
            hint="Set httpPath to a SQL warehouse path (/sql/1.0/warehouses/<id>), or statusSource: rest",
        )
    client = sources.source.client
    with source_errors("reading the workspace id"):
        try:
            workspace_id = str(client.get_workspace_id())
        except (KeyError, TypeError, ValueError):  # no X-Databricks-Org-Id header on the answer
            raise SourceError(
                "the workspace did not say its id (no X-Databricks-Org-Id header on SCIM Me), which scopes "
                "the system tables",
                hint="Use statusSource: rest",
            ) from None
    runner = StatementRunner(
        client,
        connection.warehouse_id,
        what="the system.lakeflow query",
        hint=SYSTEM_TABLES_HINT,
        wait_budget_s=timeout_s if timeout_s is not None else lineage_wait_budget_s(_timeout(config, None)),
    )
    return SystemTableStatuses(sources.source, runner, workspace_id)


def create_statuses(
    config: WorkflowConfig, sources: Sources
) -> tuple[SystemTableStatuses | None, str | None]:
    """Where the run reads statuses, from ``workflowConfig.config.statusSource``.

    ``rest``: None (the engine reads each job's runs over REST). ``systemTables``: the system tables,
    probed first. ``auto``: the system tables when a SQL warehouse is configured and both timeline
    tables are readable, else REST with a warning naming what is missing.

    Returns:
        The system-table source (or None for REST), and the warning to report (or None).

    Raises:
        ConfigError: ``systemTables`` without a SQL warehouse.
        SourceError: ``systemTables`` and the tables cannot be read (the error says why).
    """
    from core.errors import ConfigError, SourceError

    mode = config.workflow_config.status_source
    if mode == "rest" or config.source.options.status_lookback_days <= 0:
        return None, None
    try:
        statuses = system_table_statuses(config, sources)
        statuses.probe()
    except (ConfigError, SourceError) as err:
        if mode == "systemTables":
            raise
        if isinstance(err, ConfigError):  # nothing was set up for SQL: REST, as before, quietly
            logger.info("statusSource auto: no SQL warehouse in httpPath; run statuses are read over REST")
            return None, None
        return (
            None,
            f"statusSource auto: system tables not used ({err.one_line()}); run statuses are read over REST",
        )
    return statuses, None
