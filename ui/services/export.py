"""The YAML, the DAG and the zip the review step offers for download."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.errors import ConfigError
from ui.fields import FIELD_LABELS, field_for_yaml_path
from ui.services.config import build_config
from ui.services.forms import missing_fields
from ui.services.schedule import _sentence, dag_options
from ui.services.validation import field_errors
from ui.state import WizardState

if TYPE_CHECKING:  # core.generate is imported when a page asks for an export, not with the wizard
    from core.generate.yaml_render import Dialect


@dataclass(frozen=True)
class ExportFiles:
    """Everything the review step shows and serves: file name -> text, plus the zip of all of them."""

    files: dict[str, str]
    yaml_name: str
    dag_name: str
    readme_name: str | None
    #: (where the DAG looks the secret up, what it is): names only, never values
    secret_sources: list[tuple[str, str]]
    secrets_mode: str
    dialect: Dialect
    zip_name: str
    zip_bytes: bytes = field(repr=False)


def current_dialect(state: WizardState) -> Dialect:
    """The YAML dialect: the user's choice, else the one the tested server's version calls for."""
    from core.generate.yaml_render import dialect_for_version

    return state.dialect or dialect_for_version(state.om_version)


def export_files(state: WizardState) -> ExportFiles:
    """Render the workflow YAML, the DAG and the deploy README: exactly what the downloads serve.

    Secrets are always references (``${ENV}``, resolved by the DAG from the environment, Airflow
    Variables or Connections); a secret not entered yet does not block the export, since its value is
    never written.

    Raises:
        ConfigError: a wrong field (its ``field`` maps to the wizard with :func:`field_for_yaml_path`).
    """
    from core.generate.bundle import README_NAME, render_bundle, zip_bundle
    from core.generate.dag import CONNECTION_IDS
    from core.generate.yaml_render import secret_refs

    config = build_config(state, for_export=True)
    dialect = current_dialect(state)
    options = dag_options(state)
    if options.secrets == "inline":  # never offered by the wizard: files must not carry secret values
        raise ConfigError("the wizard does not write secret values into files", field="dag.secrets")
    files = render_bundle(config, options, dialect=dialect)
    sources = []
    for ref in secret_refs(config):
        if options.secrets == "connection":
            where = f"{CONNECTION_IDS[ref.side]} ({ref.connection_field})"
        else:
            where = ref.env
        sources.append((where, ref.description))
    return ExportFiles(
        files=files,
        yaml_name=options.yaml_name,
        dag_name=options.dag_filename,
        readme_name=README_NAME if README_NAME in files else None,
        secret_sources=sources,
        secrets_mode=options.secrets,
        dialect=dialect,
        zip_name=f"{options.dag_id}.zip",
        zip_bytes=zip_bundle(config, options, dialect=dialect),
    )


_SECRET_FIELDS = frozenset({"dbx_token", "dbx_client_secret", "dbx_azure_client_secret", "om_jwt"})


def export_problems(state: WizardState) -> dict[str, str]:
    """Field id -> message for everything that blocks generating the files.

    Secrets not entered are not problems: the files only reference them.
    """
    problems = dict(field_errors(state))
    for fields in missing_fields(state).values():
        for field_id in fields:
            if field_id not in _SECRET_FIELDS:
                problems.setdefault(field_id, "Required.")
    if problems:
        return problems
    try:
        export_files(state)
    except ConfigError as err:
        field_id = field_for_yaml_path(err.field) or "general"
        problems[field_id] = _sentence(err, f"The {FIELD_LABELS.get(field_id, 'value').lower()}")
    return problems
