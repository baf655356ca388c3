"""The deployable bundle: workflow YAML + DAG + a README saying how to deploy them.

The CLI writes the two files a user copies into the dags folder (:func:`write_bundle`); the wizard offers
all three as one download (:func:`zip_bundle`). Both come from :func:`render_bundle`, so they are the
same files. The YAML carries ``${NAME}`` references except in the ``inline`` secrets mode, where it is
written readable by its owner only.
"""

from __future__ import annotations

import io
import os
import time
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from core.config import WorkflowConfig, load_workflow_config
from core.errors import ConfigError
from core.generate.dag import CONNECTION_IDS, DagOptions, openmetadata_requirements, render_dag
from core.generate.schedule import describe_cron, next_runs
from core.generate.yaml_render import Dialect, SecretMode, SecretRef, render_workflow_yaml, secret_refs

__all__ = ["README_NAME", "load_config_for_generate", "render_bundle", "write_bundle", "zip_bundle"]

README_NAME = "README.md"
_PLACEHOLDER = "__dbx_pipeline_unset_{}__"


def render_bundle(config: WorkflowConfig, options: DagOptions, *, dialect: Dialect = "2.x") -> dict[str, str]:
    """File name -> content: ``<yaml_name>``, ``<dag_id>.py`` and ``README.md``.

    Args:
        config: the validated workflow to deploy.
        options: the DAG's settings (id, schedule, engine, where its secrets come from).
        dialect: the YAML dialect of the target OpenMetadata server (``1.x`` or ``2.x``).

    Raises:
        ConfigError: from the YAML or DAG renderers (1.x dialect with OAuth, engine/version mismatch...),
            or when a ``${NAME}`` placeholder for an unset variable would end up in a file.
    """
    secrets: SecretMode = "inline" if options.secrets == "inline" else "env"
    files = {
        options.yaml_name: render_workflow_yaml(config, dialect=dialect, secrets=secrets),
        options.dag_filename: render_dag(config, options, dialect=dialect),
        README_NAME: _readme(config, options, dialect),
    }
    _refuse_placeholders(files)
    return files


def write_bundle(
    config: WorkflowConfig, options: DagOptions, out_dir: Path, *, dialect: Dialect = "2.x"
) -> list[Path]:
    """Write the YAML and the DAG into ``out_dir`` (created if missing); returns their paths.

    An inline-secrets YAML is made readable by its owner only (mode 600); the rest is 644. Each file is
    written to a temporary name and renamed, so a reader never sees half a file.

    Args:
        config: the validated workflow to deploy.
        options: the DAG's settings (see :func:`render_bundle`).
        out_dir: the directory to write into (a dags folder).
        dialect: the YAML dialect (see :func:`render_bundle`).

    Returns:
        ``[<out_dir>/<yaml_name>, <out_dir>/<dag_id>.py]``.

    Raises:
        ConfigError: from :func:`render_bundle`, or when ``out_dir`` cannot be created (field ``out``).
    """
    files = render_bundle(config, options, dialect=dialect)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"cannot create {out}: {err.strerror}", field="out") from None
    written = []
    for name in (options.yaml_name, options.dag_filename):
        path = out / name
        private = options.secrets == "inline" and name == options.yaml_name
        _write_atomically(path, files[name], 0o600 if private else 0o644)
        written.append(path)
    return written


def zip_bundle(config: WorkflowConfig, options: DagOptions, *, dialect: Dialect = "2.x") -> bytes:
    """The three files of :func:`render_bundle` as a zip archive (the wizard's download).

    Args:
        config: the validated workflow to deploy.
        options: the DAG's settings (see :func:`render_bundle`).
        dialect: the YAML dialect (see :func:`render_bundle`).

    Returns:
        The zip's bytes; members are stamped with the local time, the YAML is mode 600 for inline secrets.

    Raises:
        ConfigError: from :func:`render_bundle`.
    """
    files = render_bundle(config, options, dialect=dialect)
    buffer = io.BytesIO()
    stamp = time.localtime()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            private = options.secrets == "inline" and name == options.yaml_name
            info.external_attr = (0o600 if private else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def load_config_for_generate(path: str | os.PathLike[str], *, secrets: str) -> WorkflowConfig:
    """Load a workflow YAML to generate from, without needing its secrets unless they go inline.

    Files that hold only ``${NAME}`` references need no secret to be produced, so an unset variable is
    replaced by a placeholder here; :func:`render_bundle` refuses any output that still contains one (the
    variable was used in a non-secret field, whose value the files do need).
    """
    if secrets == "inline":
        return load_workflow_config(path)
    return load_workflow_config(path, _PlaceholderEnviron(os.environ))


class _PlaceholderEnviron(Mapping[str, str]):
    """``os.environ`` where every unset name reads as a recognisable placeholder."""

    def __init__(self, base: Mapping[str, str]) -> None:
        self._base = base

    def __getitem__(self, key: str) -> str:
        return self._base.get(key, _PLACEHOLDER.format(key))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __iter__(self) -> Iterator[str]:
        return iter(self._base)

    def __len__(self) -> int:
        return len(self._base)


def _refuse_placeholders(files: Mapping[str, str]) -> None:
    marker = _PLACEHOLDER.split("{}")[0]
    for name, content in files.items():
        start = content.find(marker)
        if start >= 0:
            end = content.find("__", start + len(marker))
            variable = content[start + len(marker) : end]
            raise ConfigError(
                f"environment variable {variable} is not set, and {name} needs its value",
                field="config",
                hint=f"Export {variable} before generating",
            )


def _write_atomically(path: Path, content: str, mode: int) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(content)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as err:
        temporary.unlink(missing_ok=True)
        raise ConfigError(f"cannot write {path}: {err.strerror}", field="out") from None


# -- README -----------------------------------------------------------------------------------------


def _readme(config: WorkflowConfig, options: DagOptions, dialect: Dialect) -> str:
    refs = [] if options.secrets == "inline" else secret_refs(config)
    sections = [
        f"# Deploying `{options.dag_id}` to Apache Airflow\n\n"
        f"Two files, for Airflow 2.7+ and 3.x alike:\n\n"
        f"- `{options.dag_filename}`: the DAG;\n"
        f"- `{options.yaml_name}`: the ingestion workflow (OpenMetadata {dialect} dialect), read by the DAG "
        f"from its own folder.",
        _install_section(options),
        "## 2. Copy both files into the dags folder\n\n"
        "```bash\n"
        f'cp {options.dag_filename} {options.yaml_name} "$AIRFLOW_HOME/dags/"\n'
        "```\n\n"
        "Keep them side by side: the DAG finds the YAML next to itself.",
        _secrets_section(options, refs),
        _run_section(options),
    ]
    return "\n\n".join(sections) + "\n"


def _install_section(options: DagOptions) -> str:
    if options.engine == "core":
        return (
            "## 1. Install the engine in the Airflow environment\n\n"
            "On the workers (and wherever tasks run), install dbx-pipeline from its repository:\n\n"
            "```bash\n"
            "pip install /path/to/dbx-pipeline   # a checkout of this project, or its git URL\n"
            "```\n\n"
            "It works next to Airflow 2.x (SQLAlchemy 1.4) and 3.x (SQLAlchemy 2). The scheduler does not "
            "need it to parse the DAG."
        )
    requirement = openmetadata_requirements(options.openmetadata_version)
    return (
        "## 1. Nothing to install for the engine\n\n"
        f"The task installs `{requirement[0]}` (with `{requirement[1]}`) in a virtualenv of its own, so "
        "OpenMetadata's package never meets Airflow's: this is what makes it work on Airflow 2.x. The "
        "workers need to reach PyPI; the virtualenv (about 800 MB) is cached between runs on Airflow 2.8+.\n\n"
        "On Airflow 2.x, `PythonVirtualenvOperator` needs the `virtualenv` package in Airflow's environment "
        '(`pip install "apache-airflow[virtualenv]"`; the official Docker image has it). Airflow 3.x '
        "needs nothing more."
    )


def _secrets_section(options: DagOptions, refs: list[SecretRef]) -> str:
    title = "## 3. Provide the secrets\n\n"
    if options.secrets == "inline":
        return (
            title + "**The workflow YAML contains the secrets in clear text** (generated with inline "
            "secrets). Anyone who can read the dags folder can read them. Prefer `--secrets env`, "
            "`variable` or `connection`."
        )
    table = "\n".join(f"| `{ref.env}` | {ref.description} |" for ref in refs)
    if options.secrets == "env":
        return (
            title + "Set these environment variables for the Airflow workers (the processes that run tasks):"
            f"\n\n| Variable | Value |\n|---|---|\n{table}\n\n"
            "The workflow YAML references them as `${NAME}`; nothing secret is written in either file."
        )
    if options.secrets == "variable":
        commands = "\n".join(f"airflow variables set {ref.env} '<{ref.description}>'" for ref in refs)
        return (
            title + "Create these Airflow Variables (Admin > Variables, or the CLI below):"
            f"\n\n| Variable | Value |\n|---|---|\n{table}\n\n```bash\n{commands}\n```\n\n"
            "Airflow hides values whose names contain TOKEN or SECRET; an environment variable "
            "`AIRFLOW_VAR_<NAME>` or a secrets backend works too."
        )
    rows = "\n".join(
        f"| `{CONNECTION_IDS[ref.side]}` | {ref.connection_field} | {ref.description} |" for ref in refs
    )
    commands = "\n".join(
        f"airflow connections add {CONNECTION_IDS[ref.side]} --conn-type generic "
        f"--conn-password '<{ref.description}>'"
        for ref in refs
        if ref.connection_field == "password"
    )
    return (
        title + "Create these Airflow Connections (Admin > Connections, or the CLI below); the secret goes "
        f"in the field shown:\n\n| Connection id | Field | Value |\n|---|---|---|\n{rows}\n\n"
        f"```bash\n{commands}\n```\n\n"
        "`databricks_default` is also the Databricks provider's default connection: an existing one is "
        "reused. The ids can be changed at the top of the DAG file."
    )


def _run_section(options: DagOptions) -> str:
    if options.schedule:
        runs = "\n".join(
            f"- {moment:%Y-%m-%d %H:%M %Z}" for moment in next_runs(options.schedule, options.timezone)
        )
        when = (
            f"Schedule `{options.schedule}`: {describe_cron(options.schedule)} ({options.timezone}). "
            f"Next runs:\n\n{runs}"
        )
    else:
        when = f"{describe_cron(None)} (no schedule): trigger it from the UI or the CLI."
    return (
        "## 4. Check and run\n\n"
        "```bash\n"
        "airflow dags list-import-errors        # expect none\n"
        f"airflow dags test {options.dag_id}   # one run now, in the foreground\n"
        "```\n\n"
        f"{when}\n\n"
        "The DAG's documentation in the Airflow UI repeats where the secrets come from."
    )
