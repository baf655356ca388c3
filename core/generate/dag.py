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

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from core.config.models import WorkflowConfig
from core.errors import ConfigError
from core.generate.schedule import describe_cron, resolve_schedule, validate_timezone
from core.generate.yaml_render import Dialect, SecretRef, dialect_for_version, secret_refs

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
    """The DAG file's source.

    Raises:
        ConfigError: the ``openmetadata`` engine with a YAML dialect its package version does not read,
            or with a Databricks address OpenMetadata's connector cannot reach.
    """
    if options.engine == "openmetadata":
        _check_openmetadata_engine(config, options, dialect)
    refs = [] if options.secrets == "inline" else secret_refs(config)
    parts = [
        _module_docstring(options),
        _IMPORTS_OPENMETADATA if options.engine == "openmetadata" else _IMPORTS_CORE,
        _constants(options, refs),
        _RESOLVE_SECRETS,
        _TASK_OPENMETADATA if options.engine == "openmetadata" else _TASK_CORE,
        _dag_block(config, options, refs),
    ]
    head = parts[0] + "\n\n" + parts[1].strip("\n")
    return "\n\n\n".join([head] + [part.strip("\n") for part in parts[2:]]) + "\n"


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


# -- the pieces of the file -------------------------------------------------------------------------


def _module_docstring(options: DagOptions) -> str:
    if options.engine == "core":
        engine = "It runs dbx-pipeline's engine in the Airflow worker (pip install dbx-pipeline there)."
    else:
        engine = "It runs OpenMetadata's MetadataWorkflow in a virtualenv that the task creates."
    return f'''"""Databricks jobs and pipelines into OpenMetadata: the {options.dag_id} DAG.

Generated by dbx-pipeline; loads unchanged on Apache Airflow 2.7+ and 3.x. Copy this file and
{options.yaml_name} into the dags folder.
{engine}
No secret is stored in this file: the DAG's documentation in the Airflow UI says where they come from.
"""'''


_IMPORTS_CORE = """
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pendulum

try:  # Airflow 3.x
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.x
    from airflow import DAG
try:  # Airflow 3.x (and 2.x with the standard provider installed)
    from airflow.providers.standard.operators.python import PythonOperator
except ImportError:  # Airflow 2.7-2.9
    from airflow.operators.python import PythonOperator
"""

_IMPORTS_OPENMETADATA = """
from __future__ import annotations

import inspect
import os
import tempfile
from datetime import timedelta
from pathlib import Path

import pendulum

try:  # Airflow 3.x
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.x
    from airflow import DAG
try:  # Airflow 3.x (and 2.x with the standard provider installed)
    from airflow.providers.standard.operators.python import PythonVirtualenvOperator
except ImportError:  # Airflow 2.7-2.9
    from airflow.operators.python import PythonVirtualenvOperator
"""


def _lit(value: object) -> str:
    """A Python literal in the style ruff format writes (double quotes), for str, bool, int and lists."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_lit(item) for item in value) + "]"
    return repr(value)


def _constants(options: DagOptions, refs: list[SecretRef]) -> str:
    if options.yaml_filename:
        location = f"Path(__file__).absolute().parent / {_lit(options.yaml_filename)}"
    else:
        location = 'Path(__file__).absolute().with_suffix(".yaml")'
    lines = [
        f"DAG_ID = {_lit(options.dag_id)}",
        "#: the workflow YAML, next to this file: copy both into the dags folder",
        f"WORKFLOW_YAML = {location}",
        "#: where the task finds the secrets the YAML references: env, variable, connection or inline",
        f"SECRETS_FROM = {_lit(options.secrets)}",
    ]
    if options.secrets == "connection":
        lines.append("#: secret -> (Airflow Connection id, field); change the ids here if yours differ")
        entries = []
        for ref in refs:
            entries.append(f"    # {ref.description}")
            entries.append(
                f"    {_lit(ref.env)}: ({_lit(CONNECTION_IDS[ref.side])}, {_lit(ref.connection_field)}),"
            )
        lines.append("SECRETS = {\n" + "\n".join(entries) + "\n}")
    elif refs:
        what = {"env": "environment variables", "variable": "Airflow Variables"}[options.secrets]
        lines.append(f"#: secrets the YAML references as ${{NAME}}, read from {what} of these names")
        entries = []
        for ref in refs:
            entries.append(f"    # {ref.description}")
            entries.append(f"    {_lit(ref.env)},")
        lines.append("SECRETS = (\n" + "\n".join(entries) + "\n)")
    else:
        lines.append("#: none to look up: the secrets are written in the YAML itself (inline)")
        lines.append("SECRETS = ()")
    if options.engine == "openmetadata":
        lines += [
            "#: installed in the task's own virtualenv (cached between runs where Airflow supports it)",
            f"REQUIREMENTS = {_lit(openmetadata_requirements(options.openmetadata_version))}",
        ]
    return "\n".join(lines)


_RESOLVE_SECRETS = '''
def _mask(value: str) -> None:
    """Ask Airflow to hide the value in task logs (the module moved in Airflow 3)."""
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:
        try:
            from airflow.utils.log.secrets_masker import mask_secret
        except ImportError:
            return
    mask_secret(value)


def resolve_secrets() -> dict[str, str]:
    """The secrets the YAML references, looked up when the task runs (never stored in this file)."""
    found: dict[str, str] = {}
    if SECRETS_FROM == "env":
        missing = [name for name in SECRETS if not os.environ.get(name)]
        if missing:
            raise RuntimeError(f"set the environment variable(s) {', '.join(missing)} on the Airflow workers")
        found = {name: os.environ[name] for name in SECRETS}
    elif SECRETS_FROM == "variable":
        try:  # Airflow 3.x
            from airflow.sdk import Variable
        except ImportError:  # Airflow 2.x
            from airflow.models import Variable
        for name in SECRETS:
            try:
                value = Variable.get(name)  # noqa: AIR003 (resolve_secrets runs inside the task)
            except Exception as err:  # 2.x: KeyError; 3.x: the task SDK's not-found error
                raise RuntimeError(f"create the Airflow Variable {name} (Admin > Variables)") from err
            if not value:
                raise RuntimeError(f"the Airflow Variable {name} is empty")
            found[name] = value
    elif SECRETS_FROM == "connection":
        try:  # Airflow 3.x
            from airflow.sdk import BaseHook
        except ImportError:  # Airflow 2.x
            from airflow.hooks.base import BaseHook
        for name, (conn_id, field) in SECRETS.items():
            try:
                connection = BaseHook.get_connection(conn_id)
            except Exception as err:  # 2.x and 3.x: AirflowNotFoundException
                raise RuntimeError(
                    f"create the Airflow Connection {conn_id}: its {field} holds {name}"
                ) from err
            if field.startswith("extra."):
                value = connection.extra_dejson.get(field[len("extra.") :])
            else:
                value = getattr(connection, field)
            if not value:
                raise RuntimeError(f"put {name} in the {field} of the Airflow Connection {conn_id}")
            found[name] = value
    for value in found.values():
        _mask(value)
    return found

'''

_TASK_CORE = '''
def ingest() -> None:
    """Runs the ingestion with dbx-pipeline's engine, installed in the Airflow environment."""
    from core.config import load_workflow_config
    from core.workflow import Workflow

    environ = {**os.environ, **resolve_secrets()}
    workflow = Workflow.create(load_workflow_config(WORKFLOW_YAML, environ))
    try:
        workflow.execute()
        workflow.print_status()
        workflow.raise_from_status()
    finally:
        workflow.stop()
'''

_TASK_OPENMETADATA = '''
def ingest_with_openmetadata(workflow_path: str) -> None:
    """Runs inside the task's virtualenv, where only openmetadata-ingestion and its dependencies exist.

    Self-contained (Airflow copies this function's source into the virtualenv). MetadataWorkflow.create()
    does not expand ${NAME} references, so they are expanded here from the environment, which carries
    the secrets resolved by the worker.
    """
    import os
    import re

    import yaml
    from metadata.workflow.metadata import MetadataWorkflow

    reference = re.compile(r"\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\\}")

    def replace(match):
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise RuntimeError(f"environment variable {name} is not set (the workflow YAML references it)")

    def expand(value):
        if isinstance(value, dict):
            return {key: expand(item) for key, item in value.items()}
        if isinstance(value, list):
            return [expand(item) for item in value]
        return reference.sub(replace, value) if isinstance(value, str) else value

    with open(workflow_path, encoding="utf-8") as file:
        config = expand(yaml.safe_load(file))
    workflow = MetadataWorkflow.create(config)
    workflow.execute()
    workflow.raise_from_status()
    workflow.print_status()
    workflow.stop()


class VirtualenvWithSecrets(PythonVirtualenvOperator):
    """Resolves the secrets in the worker, where Airflow Variables and Connections are reachable, and
    hands them to the virtualenv through the environment its process inherits: never through op_kwargs,
    which Airflow renders into its database and UI."""

    def execute(self, context):
        os.environ.update(resolve_secrets())
        return super().execute(context)


#: Airflow 2.8+ can keep the virtualenv between runs instead of installing ~800 MB every time
VENV_OPTIONS = (
    {"venv_cache_path": str(Path(tempfile.gettempdir()) / "openmetadata-ingestion-venvs")}
    if "venv_cache_path" in inspect.signature(PythonVirtualenvOperator.__init__).parameters
    else {}
)
'''


def _dag_block(config: WorkflowConfig, options: DagOptions, refs: list[SecretRef]) -> str:
    start = options.resolved_start_date()
    default_args = [
        ("owner", _lit(options.owner)),
        ("retries", _lit(options.retries)),
        ("retry_delay", f"timedelta(minutes={options.retry_delay_minutes})"),
        ("execution_timeout", f"timedelta(minutes={options.execution_timeout_minutes})"),
    ]
    if options.email:
        default_args += [
            ("email", _lit(options.email)),
            ("email_on_failure", _lit(options.email_on_failure)),
            ("email_on_retry", _lit(options.email_on_retry)),
        ]
    arguments = "\n".join(f"        {_lit(key)}: {value}," for key, value in default_args)
    if options.engine == "core":
        task = f"    PythonOperator(task_id={_lit(TASK_ID)}, python_callable=ingest)"
    else:
        task = f"""    VirtualenvWithSecrets(
        task_id={_lit(TASK_ID)},
        python_callable=ingest_with_openmetadata,
        op_kwargs={{"workflow_path": str(WORKFLOW_YAML)}},
        requirements=REQUIREMENTS,
        system_site_packages=False,
        expect_airflow=False,
        **VENV_OPTIONS,
    )"""
    if options.schedule:
        schedule_comment = f"  # {describe_cron(options.schedule)} ({options.timezone})"
    else:
        schedule_comment = "  # on demand: runs only when triggered"
    return f"""DOC_MD = {_python_text(_doc_md(config, options, refs))}

with DAG(
    dag_id=DAG_ID,
    description="Databricks jobs and pipelines into OpenMetadata",
    schedule={_lit(options.schedule)},{schedule_comment}
    start_date=pendulum.datetime({start.year}, {start.month}, {start.day}, tz={_lit(options.timezone)}),
    catchup=False,
    max_active_runs=1,
    default_args={{
{arguments}
    }},
    tags={_lit(options.tags)},
    doc_md=DOC_MD,
) as dag:
{task}"""


def _doc_md(config: WorkflowConfig, options: DagOptions, refs: list[SecretRef]) -> str:
    connection = config.source.connection
    server = config.server
    target = f"the OpenMetadata server `{server.host_port}`" if server else f"the `{config.sink.type}` sink"
    schedule = (
        f"`{options.schedule}`: {describe_cron(options.schedule)} ({options.timezone})"
        if options.schedule
        else describe_cron(None)
    )
    if options.engine == "core":
        engine = "dbx-pipeline (`pip install dbx-pipeline` in the Airflow environment)"
    else:
        engine = (
            f"OpenMetadata's, in a virtualenv: `{openmetadata_requirements(options.openmetadata_version)[0]}`"
        )
    lines = [
        "### Databricks pipelines into OpenMetadata",
        "",
        f"Reads the Databricks jobs and Lakeflow/DLT pipelines of `{connection.host_port}` and writes them",
        f"to {target} as the pipeline service `{config.source.service_name}`.",
        "",
        "| | |",
        "|---|---|",
        f"| Schedule | {schedule} |",
        f"| Engine | {engine} |",
        f"| Workflow YAML | `{options.yaml_name}`, next to this DAG file |",
        f"| Secrets | {_secrets_line(options, refs)} |",
        f"| Retries | {options.retries}, {options.retry_delay_minutes} min apart; "
        f"timeout {options.execution_timeout_minutes} min |",
    ]
    if options.secrets == "inline":
        lines += [
            "",
            "**WARNING: the workflow YAML next to this file contains secrets in clear text** (generated with",
            "inline secrets). Anyone who can read the dags folder can read them: regenerate it with",
            "`--secrets env`, `variable` or `connection`.",
        ]
    lines += ["", "Generated by `dbx-pipeline generate`. Trigger the DAG to run it now."]
    return "\n".join(lines)


def _secrets_line(options: DagOptions, refs: list[SecretRef]) -> str:
    names = ", ".join(f"`{ref.env}`" for ref in refs)
    if options.secrets == "env":
        return f"environment variables of the workers: {names}"
    if options.secrets == "variable":
        return f"Airflow Variables: {names}"
    if options.secrets == "connection":
        where = sorted({f"`{CONNECTION_IDS[ref.side]}` ({ref.connection_field})" for ref in refs})
        return "Airflow Connections: " + ", ".join(where)
    return "**in the workflow YAML (inline)**"


def _python_text(text: str) -> str:
    """A triple-quoted literal when that is safe (readable in the file), ``repr`` otherwise."""
    if '"""' in text or "\\" in text or text.endswith('"'):
        return repr(text)
    return f'"""{text}\n"""'
