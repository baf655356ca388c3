"""An Airflow DAG file that loads unchanged on Airflow 2.7+ and 3.x.

OpenMetadata's documented DAG uses ``days_ago`` and ``schedule_interval``, both removed in Airflow 3, and
its ``openmetadata-ingestion`` package needs SQLAlchemy 2, which Airflow 2.x cannot share. The file made
here avoids all of that:

- ``DAG`` and the Python operators are imported with fallbacks (``airflow.sdk`` and the standard provider
  on 3.x, the classic modules on 2.7-2.9); ``schedule=`` (2.4+), a fixed timezone-aware ``start_date``
  (``pendulum`` ships with both lines) and ``catchup=False`` written out, since 3.0 changed both defaults;
- nothing heavy is imported at module level, so parsing takes milliseconds and works on a scheduler that
  has neither this engine nor ``openmetadata-ingestion`` installed;
- secrets are looked up when the task runs (environment, an Airflow Variable or an Airflow Connection) and
  never written into the file; Airflow is told to mask them in task logs.

Two engines, each in a Python of its own, so nothing is installed into the Airflow environment and no name
there can collide with the engine's. ``core`` runs this project's ``Workflow`` in a
``PythonVirtualenvOperator`` that installs the engine's wheel, shipped next to the DAG file
(:mod:`core.generate.wheel`), or in an ``ExternalPythonOperator`` when the user names an interpreter that
has it (``DagOptions.python``). ``openmetadata`` runs OpenMetadata's ``MetadataWorkflow`` in a
``PythonVirtualenvOperator`` that installs ``openmetadata-ingestion``, so it works next to Airflow 2.x too.
``DagOptions.wheelhouse`` makes either virtualenv install offline (``--no-index --find-links``). Secrets
reach the task's Python through the environment the worker hands to the child process, never through
``op_kwargs``, which Airflow renders into its database.

The whole file is one template, ``core/generate/templates/dag.py.jinja``: open it to see what is written.
:func:`render_dag` only checks the engine's constraints and gathers the template's values;
:class:`~core.generate.options.DagOptions` (re-exported here) holds and validates the user's choices.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from core.config.models import WorkflowConfig
from core.errors import ConfigError
from core.generate.options import DagOptions
from core.generate.schedule import describe_cron
from core.generate.template import render_template
from core.generate.workspaces import CONNECTION_IDS, Workspace, plan_workspaces
from core.generate.yaml_render import Dialect, dialect_for_version
from core.openmetadata.ingestion_pipeline import RUN_ID_NAMESPACE, AirflowConfig

__all__ = [
    "CONNECTION_IDS",
    "DEFAULT_WHEEL_NAME",
    "TASK_ID",
    "DagOptions",
    "airflow_config",
    "openmetadata_requirements",
    "pip_options",
    "render_dag",
    "reports_runs",
    "service_asset_uri",
    "workspace_values",
]

#: the engine's wheel file when none is given (the bundle passes the one it built, same name)
DEFAULT_WHEEL_NAME = "dbx_pipeline-0.1.0-py3-none-any.whl"
#: the one task of the generated DAG
TASK_ID = "ingest_databricks_pipelines"


def openmetadata_requirements(version: str) -> list[str]:
    """What the ``openmetadata`` engine's virtualenv installs.

    The package must match the server's release; a three-part server version (``2.0.7``) accepts any
    packaging build of it (``2.0.7.*``), so a fixed build is picked up. ``dbt-core<1.12`` because a newer
    dbt-core (pulled in by ``collate-data-diff``) downloads from a host outside PyPI while installing.

    Args:
        version: the OpenMetadata server's release, ``2.0.7`` or a build ``2.0.7.0``.

    Returns:
        pip requirement strings: the package with its pin, then the dbt-core cap.
    """
    pin = f"=={version}.*" if version.count(".") == 2 else f"=={version}"
    return [f"openmetadata-ingestion[databricks]{pin}", "dbt-core<1.12"]


def pip_options(options: DagOptions) -> list[str]:
    """The pip options of the task's virtualenv: offline from ``options.wheelhouse`` when one is given.

    Args:
        options: the DAG's options.

    Returns:
        ``["--no-index", "--find-links", <wheelhouse>]``, or an empty list (the package index).
    """
    return ["--no-index", "--find-links", options.wheelhouse] if options.wheelhouse else []


def airflow_config(options: DagOptions) -> AirflowConfig:
    """The DAG's settings as the ingestion pipeline's ``airflowConfig`` shows them in OpenMetadata.

    The fields of ``ingestionPipeline.json#/definitions/airflowConfig`` (1.13) that the generated DAG sets:
    its cron schedule (none when on demand), timezone, start (midnight of the start date in that
    timezone, ISO 8601), retries and their delay, one active run, no catch-up and the task's timeout (both
    delays in seconds).

    Args:
        options: the DAG's options.

    Returns:
        The ``airflowConfig`` object, passed to :func:`core.ingestion_run.run_ingestion` by the DAG's task.
    """
    start = datetime.combine(options.resolved_start_date(), time(), ZoneInfo(options.timezone))
    config = AirflowConfig(
        pipelineTimezone=options.timezone,
        startDate=start.isoformat(),
        retries=options.retries,
        retryDelay=options.retry_delay_minutes * 60,
        maxActiveRuns=1,
        pipelineCatchup=False,
        workflowTimeout=options.execution_timeout_minutes * 60,
    )
    if options.schedule:
        config["scheduleInterval"] = options.schedule
    return config


def service_asset_uri(config: WorkflowConfig) -> str | None:
    """The URI of the Airflow asset (dataset on 2.x) a successful run updates: the pipeline service.

    ``openmetadata://<server host[:port]>/<service name>``, the name percent-encoded (asset URIs are ASCII).
    A scheme without an Airflow normaliser is kept as written, on 3.x and 2.x alike.

    Args:
        config: the workflow (its OpenMetadata server and service name).

    Returns:
        The URI, or None when the workflow writes to a file or the console instead of a server.
    """
    if config.server is None or config.sink.type != "metadata-rest":
        return None
    host = urlsplit(config.server.host_port).netloc.lower()
    return f"openmetadata://{host}/{quote(config.source.service_name, safe='')}"


def render_dag(
    configs: WorkflowConfig | Sequence[WorkflowConfig],
    options: DagOptions,
    *,
    dialect: Dialect = "2.x",
    wheel_name: str = DEFAULT_WHEEL_NAME,
) -> str:
    """The DAG file's source, rendered from ``core/generate/templates/dag.py.jinja``.

    One workflow gives a DAG of one task; several (one per Databricks workspace, each its own service:
    :mod:`core.generate.workspaces`) give one task mapped over their YAML files.

    Args:
        configs: the workflow the DAG runs, or one per workspace (their addresses and secrets' names go
            into the DAG's documentation).
        options: everything else about the DAG.
        dialect: the YAML dialect of the workflow files written next to the DAG.
        wheel_name: the file name of the engine's wheel, next to the DAG (the ``core`` engine installs it);
            :func:`core.generate.bundle.render_bundle` passes the one it built.

    Returns:
        The Python source of ``<dag_id>.py``.

    Raises:
        ConfigError: the ``openmetadata`` engine with a YAML dialect its package version does not read,
            or with a Databricks address OpenMetadata's connector cannot reach; workflows that cannot
            share one DAG (:func:`core.generate.workspaces.plan_workspaces`).
    """
    workspaces = plan_workspaces(configs, options)
    config = workspaces[0].config
    if options.engine == "openmetadata":
        _check_openmetadata_engine(config, options, dialect)
    refs = [ref for workspace in workspaces for ref in workspace.refs(options.secrets)]
    places = {
        f"`{workspace.connection_ids[ref.side]}` ({ref.connection_field})"
        for workspace in workspaces
        for ref in workspace.refs(options.secrets)
    }
    server = config.server
    operator = "ExternalPythonOperator" if options.python else "PythonVirtualenvOperator"
    return render_template(
        "dag.py.jinja",
        # the DAG
        dag_id=options.dag_id,
        yaml_name=options.yaml_name,
        yaml_filename=options.yaml_filename,
        engine=options.engine,
        operator=operator,
        task_id=TASK_ID,
        requirements=openmetadata_requirements(options.openmetadata_version),
        python=options.python,
        wheel_name=wheel_name,
        asset_uri=service_asset_uri(config),
        deadline_minutes=options.deadline_minutes,
        report_runs=reports_runs(config, options),
        airflow_config=_sorted(airflow_config(options)),
        run_id_namespace=str(RUN_ID_NAMESPACE),
        pip_options=pip_options(options),
        schedule=options.schedule,
        schedule_description=describe_cron(options.schedule),
        timezone=options.timezone,
        start=options.resolved_start_date(),
        owner=options.owner,
        retries=options.retries,
        retry_delay_minutes=options.retry_delay_minutes,
        execution_timeout_minutes=options.execution_timeout_minutes,
        email=options.email,
        email_on_failure=options.email_on_failure,
        email_on_retry=options.email_on_retry,
        tags=options.tags,
        # many workspaces: one mapped task each
        mapped=len(workspaces) > 1,
        workspaces=[workspace_values(workspace, options) for workspace in workspaces],
        # secrets
        secrets=options.secrets,
        refs=refs,
        connection_ids=workspaces[0].connection_ids,
        secret_names=", ".join(f"`{ref.env}`" for ref in refs),
        connection_places=", ".join(sorted(places)),
        # the documentation shown in Airflow's UI
        host_port=config.source.connection.host_port,
        server_host_port=server.host_port if server else None,
        sink_type=config.sink.type,
        service_name=config.source.service_name,
    )


def workspace_values(workspace: Workspace, options: DagOptions) -> dict[str, Any]:
    """What the DAG and README templates show of one workspace of a DAG.

    Args:
        workspace: the workspace.
        options: the DAG's options (the secrets mode).

    Returns:
        ``yaml_name``, ``service_name``, ``host_port`` (Databricks), ``refs`` (its secrets), its
        ``connection_ids`` and ``asset_uri``.
    """
    return {
        "yaml_name": workspace.yaml_name,
        "service_name": workspace.service_name,
        "host_port": workspace.config.source.connection.host_port,
        "refs": workspace.refs(options.secrets),
        "connection_ids": workspace.connection_ids,
        "asset_uri": service_asset_uri(workspace.config),
    }


def reports_runs(config: WorkflowConfig, options: DagOptions) -> bool:
    """Whether the DAG's task reports its runs: the core engine does when asked to, with a server to tell.

    Args:
        config: the workflow (one of the DAG's: they all write to the same place).
        options: the DAG's options.

    Returns:
        ``options.report_runs`` for the core engine writing to an OpenMetadata server, else False.
    """
    return options.report_runs and options.engine == "core" and service_asset_uri(config) is not None


def _sorted(mapping: AirflowConfig) -> dict[str, Any]:
    return dict(sorted(mapping.items()))


def _check_openmetadata_engine(config: WorkflowConfig, options: DagOptions, dialect: Dialect) -> None:
    package_dialect = dialect_for_version(options.openmetadata_version)
    if package_dialect != dialect:
        raise ConfigError(
            f"openmetadata-ingestion {options.openmetadata_version} reads the {package_dialect} YAML dialect, "
            f"not {dialect}",
            field="dag.openmetadata_version",
            hint=f"Generate with dialect {package_dialect}, or give the version of your OpenMetadata server",
        )
    url = urlsplit(config.source.connection.host_port)
    if url.scheme != "https" or (url.port or 443) != 443:
        raise ConfigError(
            f"OpenMetadata's own connector always connects to https://<host>:443 and cannot reach "
            f"{config.source.connection.host_port}",
            field="source.serviceConnection.config.hostPort",
            hint="Use the core engine for this workspace address",
        )
