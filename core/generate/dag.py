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

Two engines. ``core`` runs this project's ``Workflow`` in the Airflow worker (``pip install dbx-pipeline``
there; its dependencies work with SQLAlchemy 1.4 and 2.x alike). ``openmetadata`` runs OpenMetadata's
``MetadataWorkflow`` in a ``PythonVirtualenvOperator`` that installs ``openmetadata-ingestion`` in its own
virtualenv, so it works next to Airflow 2.x too. Secrets reach that virtualenv through the environment the
worker hands to the child process, never through ``op_kwargs``, which Airflow renders into its database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from core.config.models import WorkflowConfig
from core.errors import ConfigError
from core.generate.schedule import describe_cron, resolve_schedule, validate_timezone
from core.generate.template import render_template
from core.generate.yaml_render import Dialect, dialect_for_version, secret_refs

__all__ = [
    "CONNECTION_IDS",
    "TASK_ID",
    "DagOptions",
    "openmetadata_requirements",
    "render_dag",
]

Engine = Literal["core", "openmetadata"]
SecretsFrom = Literal["env", "variable", "connection", "inline"]

#: the one task of the generated DAG
TASK_ID = "ingest_databricks_pipelines"
#: Airflow Connection per side in ``connection`` mode (``databricks_default`` is also the Databricks
#: provider's default, so an existing connection is reused); the secret is the Connection's password.
CONNECTION_IDS = {"databricks": "databricks_default", "openmetadata": "openmetadata_default"}

_DAG_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+(\.\d+)?$")
_YAML_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.ya?ml$")
_ENGINES = ("core", "openmetadata")
_SECRETS = ("env", "variable", "connection", "inline")


@dataclass
class DagOptions:
    """Everything about the generated DAG that is not the workflow itself.

    Validated on construction: a bad value raises :class:`ConfigError` with ``field="dag.<name>"`` so the
    wizard can flag the input. ``schedule`` also takes a preset name (``daily``, ``on demand``...).
    """

    dag_id: str = "databricks_pipelines_to_openmetadata"
    schedule: str | None = "0 2 * * *"
    timezone: str = "UTC"
    #: default: today in ``timezone``, written into the file as a fixed date (never ``days_ago``)
    start_date: date | None = None
    owner: str = "data-platform"
    retries: int = 2
    retry_delay_minutes: int = 5
    execution_timeout_minutes: int = 120
    email: list[str] = field(default_factory=list)
    email_on_failure: bool = False
    email_on_retry: bool = False
    tags: list[str] = field(default_factory=lambda: ["openmetadata", "databricks"])
    engine: Engine = "core"
    secrets: SecretsFrom = "env"
    #: OpenMetadata server version: the ``openmetadata-ingestion`` release the virtualenv installs
    openmetadata_version: str = "2.0.7"
    #: the workflow YAML's file name, next to the DAG file; default ``<dag_id>.yaml``
    yaml_filename: str | None = None

    def __post_init__(self) -> None:
        _check(
            "dag_id",
            isinstance(self.dag_id, str) and bool(_DAG_ID.match(self.dag_id)) and len(self.dag_id) <= 200,
            f"{self.dag_id!r} must be 1-200 letters, digits, '_', '.' or '-'",
        )
        try:
            self.schedule = resolve_schedule(self.schedule)
            self.timezone = validate_timezone(self.timezone)
        except ConfigError as err:
            raise ConfigError(err.message, field=f"dag.{err.field}", hint=err.hint) from None
        _check(
            "start_date",
            self.start_date is None
            or (isinstance(self.start_date, date) and not isinstance(self.start_date, datetime)),
            "must be a date (the DAG starts at midnight of it in its timezone)",
        )
        _check("owner", isinstance(self.owner, str) and bool(self.owner.strip()), "is empty")
        for name, low in (("retries", 0), ("retry_delay_minutes", 0), ("execution_timeout_minutes", 1)):
            value = getattr(self, name)
            ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= 100_000
            _check(name, ok, f"{value!r} must be a whole number from {low} to 100000")
        self.email = [address.strip() for address in self.email if address.strip()]
        for address in self.email:
            _check("email", bool(_EMAIL.match(address)), f"{address!r} is not an e-mail address")
        _check(
            "email",
            bool(self.email) or not (self.email_on_failure or self.email_on_retry),
            "give at least one address to send failure or retry e-mails to",
        )
        for tag in self.tags:
            ok = isinstance(tag, str) and bool(tag.strip()) and len(tag) <= 100
            _check("tags", ok, f"{tag!r}: each tag must be 1-100 characters")
        _check("engine", self.engine in _ENGINES, f"{self.engine!r} must be core or openmetadata")
        _check(
            "secrets",
            self.secrets in _SECRETS,
            f"{self.secrets!r} must be env, variable, connection or inline",
        )
        version = self.openmetadata_version
        _check(
            "openmetadata_version",
            isinstance(version, str) and bool(_VERSION.match(version)),
            f"{version!r} must be a release number such as 2.0.7",
        )
        name = self.yaml_filename
        _check(
            "yaml_filename",
            name is None or (isinstance(name, str) and bool(_YAML_NAME.match(name))),
            f"{name!r} must be a file name ending in .yaml, without folders",
        )

    @property
    def yaml_name(self) -> str:
        """The workflow YAML's file name: ``yaml_filename`` or ``<dag_id>.yaml``."""
        return self.yaml_filename or f"{self.dag_id}.yaml"

    @property
    def dag_filename(self) -> str:
        """``<dag_id>.py``."""
        return f"{self.dag_id}.py"

    def resolved_start_date(self) -> date:
        """``start_date``, or today's date in ``timezone``."""
        return self.start_date or datetime.now(ZoneInfo(self.timezone)).date()


def _check(name: str, ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message, field=f"dag.{name}")


def openmetadata_requirements(version: str) -> list[str]:
    """What the ``openmetadata`` engine's virtualenv installs.

    The package must match the server's release; a three-part server version (``2.0.7``) accepts any
    packaging build of it (``2.0.7.*``), so a fixed build is picked up. ``dbt-core<1.12`` because a newer
    dbt-core (pulled in by ``collate-data-diff``) downloads from a host outside PyPI while installing.
    """
    pin = f"=={version}.*" if version.count(".") == 2 else f"=={version}"
    return [f"openmetadata-ingestion[databricks]{pin}", "dbt-core<1.12"]


def render_dag(config: WorkflowConfig, options: DagOptions, *, dialect: Dialect = "2.x") -> str:
    """The DAG file's source, rendered from ``core/generate/templates/dag.py.jinja``.

    Args:
        config: the workflow the DAG runs (its addresses and secrets go into the DAG's documentation).
        options: everything else about the DAG.
        dialect: the YAML dialect of the workflow file written next to the DAG.

    Returns:
        The Python source of ``<dag_id>.py``.

    Raises:
        ConfigError: the ``openmetadata`` engine with a YAML dialect its package version does not read,
            or with a Databricks address OpenMetadata's connector cannot reach.
    """
    if options.engine == "openmetadata":
        _check_openmetadata_engine(config, options, dialect)
    refs = [] if options.secrets == "inline" else secret_refs(config)
    server = config.server
    operator = "PythonOperator" if options.engine == "core" else "PythonVirtualenvOperator"
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
        # secrets
        secrets=options.secrets,
        refs=refs,
        connection_ids=CONNECTION_IDS,
        secret_names=", ".join(f"`{ref.env}`" for ref in refs),
        connection_places=", ".join(
            sorted({f"`{CONNECTION_IDS[ref.side]}` ({ref.connection_field})" for ref in refs})
        ),
        # the documentation shown in Airflow's UI
        host_port=config.source.connection.host_port,
        server_host_port=server.host_port if server else None,
        sink_type=config.sink.type,
        service_name=config.source.service_name,
    )


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
