"""The deployable bundle: workflow YAML + DAG + the engine's wheel + a README saying how to deploy them.

The CLI writes the files a user copies into the dags folder (:func:`write_bundle`); the wizard offers
them all as one download (:func:`zip_bundle`). Each takes one parsed workflow, or one per Databricks
workspace: the DAG then maps its task over their YAML files (:mod:`core.generate.workspaces`). Both come from :func:`render_bundle` (the text files) and
:func:`core.generate.wheel.engine_wheel` (the wheel the ``core`` engine's DAG installs in its task's
virtualenv), so they are the same files. The YAML carries ``${NAME}`` references except in the ``inline``
secrets mode, where it is written readable by its owner only.
"""

from __future__ import annotations

import io
import os
import time
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Literal

from core.config import WorkflowConfig, load_workflow_config
from core.errors import ConfigError
from core.generate.dag import (
    DEFAULT_WHEEL_NAME,
    DagOptions,
    openmetadata_requirements,
    pip_options,
    render_dag,
    reports_runs,
    service_asset_uri,
    workspace_values,
)
from core.generate.schedule import describe_cron, next_runs
from core.generate.template import render_template
from core.generate.wheel import EngineWheel, engine_wheel
from core.generate.workspaces import Workspace, plan_workspaces
from core.generate.yaml_render import Dialect, render_workflow_yaml

__all__ = [
    "README_NAME",
    "bundle_wheel",
    "load_config_for_generate",
    "render_bundle",
    "write_bundle",
    "zip_bundle",
]

README_NAME = "README.md"
_PLACEHOLDER = "__dbx_pipeline_unset_{}__"


def bundle_wheel(options: DagOptions) -> EngineWheel | None:
    """The engine's wheel the bundle carries: the ``core`` engine's (built once per source, then reused).

    Args:
        options: the DAG's options (the ``openmetadata`` engine installs OpenMetadata's package instead).

    Returns:
        The wheel, or None for the ``openmetadata`` engine.

    Raises:
        ConfigError: ``field="engine"``, the wheel cannot be built (:func:`core.generate.wheel.engine_wheel`).
    """
    return engine_wheel() if options.engine == "core" else None


def render_bundle(
    configs: WorkflowConfig | Sequence[WorkflowConfig], options: DagOptions, *, dialect: Dialect = "2.x"
) -> dict[str, str]:
    """The text files of the bundle, rendered from one config (or one per workspace) and one set of options.

    The ``core`` engine's bundle also holds the engine's wheel (:func:`bundle_wheel`, written by
    :func:`write_bundle` and :func:`zip_bundle`); the DAG and the README name it.

    Args:
        configs: the workflow to deploy, or one per Databricks workspace (each its own service, all
            writing to the same OpenMetadata server: :func:`core.generate.workspaces.plan_workspaces`).
        options: the DAG's options (its ``secrets`` mode decides whether the YAML holds references).
        dialect: the YAML dialect, ``1.x`` (``token:``) or ``2.x`` (``authType:``).

    Returns:
        File name -> content: the workflow YAML (one per workspace, in order), ``<dag_id>.py`` and
        ``README.md``, in that order.

    Raises:
        ConfigError: from the YAML or DAG renderers (1.x dialect with OAuth, engine/version mismatch...),
            workflows that cannot share one DAG, a placeholder left by :func:`load_config_for_generate` in
            a non-secret field, or the engine's wheel that cannot be built (``field="engine"``).
    """
    secrets: Literal["env", "inline"] = "inline" if options.secrets == "inline" else "env"
    workspaces = plan_workspaces(configs, options)
    wheel = bundle_wheel(options)
    wheel_name = wheel.filename if wheel else DEFAULT_WHEEL_NAME
    files = {
        workspace.yaml_name: render_workflow_yaml(
            workspace.config, dialect=dialect, secrets=secrets, env_suffix=workspace.env_suffix
        )
        for workspace in workspaces
    }
    configs = [workspace.config for workspace in workspaces]
    files[options.dag_filename] = render_dag(configs, options, dialect=dialect, wheel_name=wheel_name)
    files[README_NAME] = _readme(workspaces, options, dialect, wheel)
    _refuse_placeholders(files)
    return files


def write_bundle(
    configs: WorkflowConfig | Sequence[WorkflowConfig],
    options: DagOptions,
    out_dir: Path,
    *,
    dialect: Dialect = "2.x",
) -> list[Path]:
    """Write the YAML (one per workspace), the DAG and the engine's wheel into ``out_dir`` (created if missing).

    An inline-secrets YAML is made readable by its owner only (mode 600); each file is replaced atomically.
    The deploy README is written as ``<dag_id>.README.md``, so that copying the folder into a dags folder
    never replaces a ``README.md`` of the user's (Airflow parses no ``.md`` file).

    Args:
        configs: the workflow to deploy, or one per workspace.
        options: the DAG's options.
        out_dir: the folder to write into.
        dialect: the YAML dialect.

    Returns:
        The paths written: the YAMLs', the DAG's, the README's, then (``core`` engine) the wheel's.

    Raises:
        ConfigError: as :func:`render_bundle`, or ``field="out"`` when the folder or a file cannot be written.
    """
    files = render_bundle(configs, options, dialect=dialect)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"cannot create {out}: {err.strerror}", field="out") from None
    written = []
    for name, content in files.items():
        path = out / (readme_filename(options) if name == README_NAME else name)
        _write_atomically(path, content.encode("utf-8"), 0o600 if _private(name, options) else 0o644)
        written.append(path)
    wheel = bundle_wheel(options)
    if wheel is not None:
        _write_atomically(out / wheel.filename, wheel.content, 0o644)
        written.append(out / wheel.filename)
    return written


def readme_filename(options: DagOptions) -> str:
    """Where ``generate`` writes the deploy README: ``<dag_id>.README.md``, next to the DAG."""
    return f"{options.dag_id}.{README_NAME}"


def zip_bundle(
    configs: WorkflowConfig | Sequence[WorkflowConfig], options: DagOptions, *, dialect: Dialect = "2.x"
) -> bytes:
    """The bundle as a zip archive (the wizard's download): the text files, then the engine's wheel.

    Args:
        configs: the workflow to deploy, or one per workspace.
        options: the DAG's options.
        dialect: the YAML dialect.

    Returns:
        The zip file's bytes; members carry mode 644, an inline-secrets YAML 600.

    Raises:
        ConfigError: as :func:`render_bundle`.
    """
    files: dict[str, str | bytes] = dict(render_bundle(configs, options, dialect=dialect))
    wheel = bundle_wheel(options)
    if wheel is not None:
        files[wheel.filename] = wheel.content
    buffer = io.BytesIO()
    stamp = time.localtime()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = (0o600 if _private(name, options) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def _private(name: str, options: DagOptions) -> bool:
    """An inline-secrets workflow YAML is readable by its owner only."""
    return options.secrets == "inline" and name.endswith((".yaml", ".yml"))


def load_config_for_generate(path: str | os.PathLike[str], *, secrets: str) -> WorkflowConfig:
    """Load a workflow YAML to generate from, without needing its secrets unless they go inline.

    Files that hold only ``${NAME}`` references need no secret to be produced, so an unset variable is
    replaced by a placeholder here; :func:`render_bundle` refuses any output that still contains one (the
    variable was used in a non-secret field, whose value the files do need).

    Args:
        path: the workflow YAML file.
        secrets: the secrets mode the files are generated for (``inline`` needs every variable set).

    Returns:
        The validated config.

    Raises:
        ConfigError: as :func:`core.config.load_workflow_config`.
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


def _write_atomically(path: Path, content: bytes, mode: int) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as file:
            file.write(content)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as err:
        temporary.unlink(missing_ok=True)
        raise ConfigError(f"cannot write {path}: {err.strerror}", field="out") from None


# -- README ----------------------------------------------------------------------------------------


def _readme(
    workspaces: list[Workspace], options: DagOptions, dialect: Dialect, wheel: EngineWheel | None
) -> str:
    """The deploy README, rendered from ``core/generate/templates/README.md.jinja``."""
    config = workspaces[0].config
    return render_template(
        "README.md.jinja",
        dag_id=options.dag_id,
        dag_filename=options.dag_filename,
        yaml_name=workspaces[0].yaml_name,
        workspaces=[workspace_values(workspace, options) for workspace in workspaces],
        report_runs=reports_runs(config, options),
        dialect=dialect,
        engine=options.engine,
        wheel_name=wheel.filename if wheel else None,
        wheel_kb=round(wheel.size / 1024) if wheel else None,
        python=options.python,
        wheelhouse=options.wheelhouse,
        pip_options=pip_options(options),
        deadline_minutes=options.deadline_minutes,
        email=options.email,
        asset_uri=service_asset_uri(config),
        requirements=openmetadata_requirements(options.openmetadata_version),
        secrets=options.secrets,
        refs=workspaces[0].refs(options.secrets),
        connection_ids=workspaces[0].connection_ids,
        schedule=options.schedule,
        schedule_description=describe_cron(options.schedule),
        timezone=options.timezone,
        next_runs=next_runs(options.schedule, options.timezone) if options.schedule else [],
    )
