"""The YAML, the DAG and the zip the review step offers for download."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.config import WorkflowConfig
from core.errors import ConfigError
from ui.fields import FIELD_LABELS, field_for_yaml_path
from ui.services.config import build_config
from ui.services.forms import missing_fields
from ui.services.schedule import _sentence, dag_options
from ui.services.validation import field_errors
from ui.services.workspaces import extra_configs
from ui.state import WizardState

if TYPE_CHECKING:  # core.generate is imported when a page asks for an export, not with the wizard
    from core.generate.yaml_render import Dialect


@dataclass(frozen=True)
class ExportFiles:
    """Everything the review step shows and serves: file name -> text, plus the zip of all of them."""

    files: dict[str, str]
    #: the main workspace's workflow YAML
    yaml_name: str
    #: every workflow YAML, one per workspace, the main one first
    yaml_names: list[str]
    dag_name: str
    readme_name: str | None
    #: (where the DAG looks the secret up, what it is), per workspace in order: names only, never values
    secret_sources: list[tuple[str, str]]
    secrets_mode: str
    dialect: Dialect
    zip_name: str
    zip_bytes: bytes = field(repr=False)


def current_dialect(state: WizardState) -> Dialect:
    """The YAML dialect: the user's choice, else the one the tested server's version calls for."""
    from core.generate.yaml_render import dialect_for_version

    return state.dialect or dialect_for_version(state.om_version)


def export_files(state: WizardState, *, workspaces: bool = True) -> ExportFiles:
    """Render the workflow YAMLs, the DAG and the deploy README: exactly what the downloads serve.

    With extra workspaces (:mod:`ui.services.workspaces`) the bundle holds one YAML per workspace and a DAG
    mapped over them (:func:`core.generate.bundle.render_bundle`'s list form); without, it is the
    one-workspace bundle, the same bytes as before workspaces could be added.

    Secrets are always references (``${ENV}``, resolved by the DAG from the environment, Airflow
    Variables or Connections; each workspace under its own names); a secret not entered yet does not
    block the export, since its value is never written.

    Args:
        state: the session's wizard state.
        workspaces: include the extra workspaces (False: the main workspace's bundle alone, to tell the
            main workspace's problems from theirs).

    Raises:
        ConfigError: a wrong field (its ``field`` maps to the wizard with :func:`field_for_yaml_path`); for
            an extra workspace, :func:`ui.services.workspaces.workspace_problems` says which one.
    """
    from core.generate.bundle import README_NAME, render_bundle, zip_bundle
    from core.generate.workspaces import plan_workspaces

    main = build_config(state, for_export=True)
    extras = extra_configs(state) if workspaces else []
    configs: WorkflowConfig | list[WorkflowConfig] = [main, *extras] if extras else main
    dialect = current_dialect(state)
    options = dag_options(state)
    if options.secrets == "inline":  # never offered by the wizard: files must not carry secret values
        raise ConfigError("the wizard does not write secret values into files", field="dag.secrets")
    files = render_bundle(configs, options, dialect=dialect)
    planned = plan_workspaces(configs, options)
    sources = []
    for workspace in planned:
        for ref in workspace.refs(options.secrets):
            if options.secrets == "connection":
                where = f"{workspace.connection_ids[ref.side]} ({ref.connection_field})"
            else:
                where = ref.env
            what = f"{ref.description} ({workspace.service_name})" if extras else ref.description
            sources.append((where, what))
    return ExportFiles(
        files=files,
        yaml_name=planned[0].yaml_name,
        yaml_names=[workspace.yaml_name for workspace in planned],
        dag_name=options.dag_filename,
        readme_name=README_NAME if README_NAME in files else None,
        secret_sources=sources,
        secrets_mode=options.secrets,
        dialect=dialect,
        zip_name=f"{options.dag_id}.zip",
        zip_bytes=zip_bundle(configs, options, dialect=dialect),
    )


_SECRET_FIELDS = frozenset({"dbx_token", "dbx_client_secret", "dbx_azure_client_secret", "om_jwt"})


def export_problems(state: WizardState) -> dict[str, str]:
    """Field id -> message for everything that blocks generating the files.

    Secrets not entered (or refused placeholders from an import) are not problems: the files only
    reference them. The extra workspaces' problems are :func:`ui.services.workspaces.workspace_problems`,
    shown at each workspace.
    """
    problems = {key: value for key, value in field_errors(state).items() if key not in _SECRET_FIELDS}
    for fields in missing_fields(state).values():
        for field_id in fields:
            if field_id not in _SECRET_FIELDS:
                problems.setdefault(field_id, "Required.")
    if problems:
        return problems
    try:
        export_files(state, workspaces=False)
    except ConfigError as err:
        field_id = field_for_yaml_path(err.field) or "general"
        problems[field_id] = _sentence(err, f"The {FIELD_LABELS.get(field_id, 'value').lower()}")
    return problems
