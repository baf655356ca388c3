"""Many Databricks workspaces in one DAG: one workflow YAML, one service and one mapped task each.

OpenMetadata needs one pipeline service per workspace, and a workflow YAML reads one workspace, so a DAG
that ingests several holds one YAML per workspace and maps its task over them (Airflow's dynamic task
mapping): the executors run the workspaces in parallel, a failing workspace fails only its own mapped
task, and each reports its runs to its own ingestion pipeline, ``<service>.<dag_id>``.

:func:`plan_workspaces` checks that the workflows fit in one DAG and names each one's files and secrets:

- every workflow names its own service, and all of them write to the same place (one OpenMetadata
  server, or the same sink): a DAG has one set of OpenMetadata settings in its documentation and README;
  workflows for different servers need one DAG each;
- each workspace's YAML is ``<dag_id>.<service>.yaml`` (the service name made a file-name part);
- each workspace's secrets get their own names, suffixed with the service (``DATABRICKS_TOKEN_SALES``, the
  Airflow Variables of the same names, the Connections ``databricks_sales`` / ``openmetadata_sales``), so
  one workspace's token never reaches another's task.

A single workflow keeps the names of a one-workspace DAG: ``DagOptions.yaml_name``, ``DATABRICKS_TOKEN``,
``databricks_default``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.config.models import WorkflowConfig
from core.errors import ConfigError
from core.generate.options import DagOptions
from core.generate.yaml_render import SecretRef, secret_refs

__all__ = ["CONNECTION_IDS", "Workspace", "as_configs", "plan_workspaces"]

#: Airflow Connection per side in ``connection`` mode (``databricks_default`` is also the Databricks
#: provider's default, so an existing connection is reused); the secret is the Connection's password.
CONNECTION_IDS: Mapping[str, str] = {
    "databricks": "databricks_default",
    "openmetadata": "openmetadata_default",
}

_NOT_IN_A_NAME = re.compile(r"[^A-Za-z0-9]+")


@dataclass(frozen=True)
class Workspace:
    """One workspace of a DAG: its workflow, the YAML file it is written to, and its secrets' names."""

    config: WorkflowConfig
    #: the workflow YAML's file name, next to the DAG file
    yaml_name: str
    #: appended to each secret's variable name (empty in a one-workspace DAG)
    env_suffix: str = ""
    #: side -> the Airflow Connection that holds its secret in ``connection`` mode
    connection_ids: Mapping[str, str] = field(default_factory=lambda: dict(CONNECTION_IDS))

    @property
    def service_name(self) -> str:
        """The pipeline service the workspace is ingested into."""
        return self.config.source.service_name

    def refs(self, secrets: str) -> list[SecretRef]:
        """The secrets the workspace's YAML references (none when they are written inline).

        Args:
            secrets: the DAG's secrets mode.

        Returns:
            :func:`core.generate.yaml_render.secret_refs` under this workspace's names.
        """
        return [] if secrets == "inline" else secret_refs(self.config, self.env_suffix)


def as_configs(configs: WorkflowConfig | Sequence[WorkflowConfig]) -> list[WorkflowConfig]:
    """One config or several, as a list.

    Args:
        configs: a parsed workflow, or a sequence of them (one per workspace).

    Returns:
        The list of configs.
    """
    return [configs] if isinstance(configs, WorkflowConfig) else list(configs)


def plan_workspaces(
    configs: WorkflowConfig | Sequence[WorkflowConfig], options: DagOptions
) -> list[Workspace]:
    """The workspaces of one DAG, in the order given (which is the order of its mapped tasks).

    Args:
        configs: one parsed workflow, or one per workspace.
        options: the DAG's options.

    Returns:
        One :class:`Workspace` per config.

    Raises:
        ConfigError: no config; for several: the ``openmetadata`` engine, ``yaml_filename``, two workflows
            with the same service (or service names that make the same file name), or workflows that
            write to different OpenMetadata servers or sinks.
    """
    items = as_configs(configs)
    if not items:
        raise ConfigError("no workflow to deploy", field="config", hint="Give at least one workflow YAML")
    if len(items) == 1:
        return [Workspace(items[0], options.yaml_name)]
    _check_many(items, options)
    workspaces = []
    for config in items:
        part = _NOT_IN_A_NAME.sub("_", config.source.service_name).strip("_") or "service"
        workspaces.append(
            Workspace(
                config,
                yaml_name=f"{options.dag_id}.{part}.yaml",
                env_suffix=f"_{part.upper()}",
                connection_ids={side: f"{side}_{part.lower()}" for side in CONNECTION_IDS},
            )
        )
    names = [workspace.yaml_name.lower() for workspace in workspaces]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise ConfigError(
                f"the services {items[names.index(name)].source.service_name!r} and "
                f"{items[index].source.service_name!r} give the same file and secret names",
                field="source.serviceName",
                hint="Name the workspaces' services so that they differ in more than punctuation or case",
            )
    return workspaces


def _check_many(items: list[WorkflowConfig], options: DagOptions) -> None:
    if options.engine != "core":
        raise ConfigError(
            "one DAG for several workspaces needs the core engine",
            field="dag.engine",
            hint="Generate one DAG per workspace for the openmetadata engine",
        )
    if options.yaml_filename is not None:
        raise ConfigError(
            "yaml_filename names the one workflow YAML of a one-workspace DAG",
            field="dag.yaml_filename",
            hint="Leave it out: each workspace's YAML is <dag_id>.<service>.yaml",
        )
    services = [config.source.service_name for config in items]
    for index, service in enumerate(services):
        if service in services[:index]:
            raise ConfigError(
                f"two workflows ingest into the service {service!r}: each workspace needs its own service",
                field="source.serviceName",
                hint="Give each workspace's workflow its own serviceName",
            )
    places = [_destination(config) for config in items]
    for index, place in enumerate(places):
        if place != places[0]:
            raise ConfigError(
                f"the workflows of one DAG must write to the same place: {services[0]!r} writes to "
                f"{places[0]}, {services[index]!r} to {place}",
                field="workflowConfig.openMetadataServerConfig.hostPort",
                hint="Generate one DAG per OpenMetadata server",
            )


def _destination(config: WorkflowConfig) -> str:
    """Where a workflow writes: the OpenMetadata server's address, or the sink's type."""
    if config.server is not None and config.sink.type == "metadata-rest":
        return f"the OpenMetadata server {config.server.host_port.rstrip('/')}"
    return f"the {config.sink.type} sink"
