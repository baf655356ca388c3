"""The only bridge between the wizard and ``core``: pages call these functions and render what they return.

Why one module: pages stay pure layout, every ``core`` call is in one place, and every error from
``core`` is caught here and turned into a sentence at a field (never a traceback on the page).

Why lazy imports: databricks-sdk takes about a second to import, and the first page must render at once.
Only ``core.config``, ``core.errors``, ``core.filters`` and ``core.filter_rules`` (pydantic and ``re``) are
imported at module level; checks, preview, the workflow, the generators and the emulators are imported
inside the functions that need them.

Secrets: values live in the state as ``SecretStr`` and are unwrapped only here, to build a config for a
connection test, a preview or a run. Generated files always carry ``${ENV}`` references (or Airflow
Variable/Connection look-ups), never the values. Clients are built per call for this session; nothing
credentialed is cached across sessions. Only the demo emulators (which hold no user secret) are shared
by the whole process.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets as _secrets
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr

from core.config import MAX_CONFIG_BYTES, WorkflowConfig, parse_workflow_config, parse_yaml_text
from core.config.hosts import (
    normalize_databricks_host,
    normalize_openmetadata_url,
    warehouse_id_from_http_path,
)
from core.errors import ConfigError, IngestionError
from core.filter_rules import OPERATORS, regex_error, regex_to_rule, rule_to_regex
from core.filters import FilterDecision, NameFilter
from ui.fields import FIELD_LABELS, field_for_yaml_path
from ui.jobs import PreviewJob, RunJob
from ui.state import CheckResult, DatabricksStep, WizardState, secret_value

__all__ = [
    "DEMO_SPEC",
    "ConfigError",
    "ExportFiles",
    "ImportResult",
    "PreviewView",
    "apply_demo",
    "build_config",
    "check_connection",
    "config_problems",
    "databricks_fingerprint",
    "decide_preview",
    "describe_schedule",
    "export_files",
    "field_errors",
    "filter_rule_errors",
    "import_workflow",
    "missing_fields",
    "normalized_host",
    "normalized_om_url",
    "reset_demo_catalogue",
    "schedule_cron",
    "start_demo",
    "start_preview",
    "start_run",
    "stop_jobs",
    "timezones",
    "upcoming_runs",
    "warehouse_id",
]

#: Placeholder used to validate a config for export when a secret has not been entered: exports carry a
#: reference, not the value, so the missing value must not block the download.
_PLACEHOLDER_SECRET = "entered-at-run-time"
#: The environment used to validate an imported YAML: every ``${VAR}`` resolves to a harmless value, so
#: importing never reads the server's own environment into the form.
_IMPORT_PLACEHOLDER = "imported-reference"
#: Salt for fingerprints of the settings a test or preview used, so a stored fingerprint cannot be used
#: to guess a secret offline.
_FINGERPRINT_SALT = _secrets.token_bytes(16)


# -- warm-up ----------------------------------------------------------------------------------------------

_WARM_LOCK = threading.Lock()
_WARMED = False
#: Long enough for the first page to reach the browser before the heavy imports compete for the CPU.
WARM_UP_DELAY_S = 2.0


def warm_up() -> None:
    """Import databricks-sdk and the engine in the background, once per process, after a short delay.

    The first page must not wait for them (about a second), but the first connection test or preview
    should not either: by the time the user clicks, they are loaded.
    """
    global _WARMED
    with _WARM_LOCK:
        if _WARMED:
            return
        _WARMED = True

    def load() -> None:
        time.sleep(WARM_UP_DELAY_S)
        import core.checks
        import core.preview
        import core.workflow  # noqa: F401

    threading.Thread(target=load, name="wizard-warm-up", daemon=True).start()


# -- small field checks ---------------------------------------------------------------------------------


def normalized_host(text: str) -> tuple[str | None, str | None]:
    """(canonical workspace URL, None) or (None, what is wrong) for what the user typed."""
    if not text.strip():
        return None, None
    try:
        return normalize_databricks_host(text), None
    except ValueError as err:
        return None, f"The host {err}"


def normalized_om_url(text: str) -> tuple[str | None, str | None]:
    """(canonical OpenMetadata API URL, None) or (None, what is wrong)."""
    if not text.strip():
        return None, None
    try:
        return normalize_openmetadata_url(text), None
    except ValueError as err:
        return None, f"The URL {err}"


def warehouse_id(http_path: str) -> tuple[str | None, str | None]:
    """(warehouse id, None) or (None, what is wrong) for an HTTP path; empty is allowed (no lineage)."""
    if not http_path.strip():
        return None, None
    try:
        return warehouse_id_from_http_path(http_path), None
    except ValueError as err:
        return None, f"The HTTP path {err}"


def _connection_args(text: str) -> tuple[dict[str, Any], str | None]:
    """The connection arguments mapping typed as YAML or JSON (``{}`` when empty)."""
    if not text.strip():
        return {}, None
    try:
        value = parse_yaml_text(text, "Connection arguments")
    except ConfigError as err:
        return {}, err.message
    if not isinstance(value, dict):
        return {}, "Connection arguments must be a mapping, e.g. `http_path: /sql/1.0/warehouses/abc`"
    return value, None


def filter_rule_errors(state: WizardState) -> dict[int, str]:
    """Rule id -> what is wrong with that rule (an empty value, a regex that does not compile)."""
    errors: dict[int, str] = {}
    for rule in state.filters.rules:
        if not rule.value.strip():
            errors[rule.id] = "Enter a value, or remove this rule (an empty rule is ignored)."
            continue
        message = regex_error(rule_to_regex(rule.operator, rule.value))  # type: ignore[arg-type]
        if message:
            errors[rule.id] = message[:1].upper() + message[1:] + "."
    return errors


def field_errors(state: WizardState) -> dict[str, str]:
    """Field id -> the one message to show at that field, for every value that is filled in but wrong.

    Empty required fields are not errors here (see :func:`missing_fields`): a fresh form is not shouted at.
    """
    errors: dict[str, str] = {}
    dbx = state.databricks
    _, errors["dbx_host"] = normalized_host(dbx.host)
    _, errors["dbx_http_path"] = warehouse_id(dbx.http_path)
    _, errors["dbx_conn_args"] = _connection_args(dbx.connection_args)
    if dbx.service_name and "::" in dbx.service_name:
        errors["dbx_service_name"] = "The service name must not contain '::'."
    if state.sink.kind == "openmetadata":
        _, errors["om_host"] = normalized_om_url(state.sink.om_host)
    if any(filter_rule_errors(state).values()):
        errors["filter_rules"] = "A filter rule needs fixing (see the rule)."
    errors.update(_schedule_errors(state))
    errors = {key: value for key, value in errors.items() if value}
    # Anything the full model still rejects (an imported YAML can hold more than the form checks).
    for key, message in config_problems(state).items():
        errors.setdefault(key, message)
    return errors


def missing_fields(state: WizardState) -> dict[str, list[str]]:
    """Step key -> field ids that are required and still empty."""
    dbx = state.databricks
    missing: dict[str, list[str]] = {"databricks": [], "sink": []}
    if not dbx.host.strip():
        missing["databricks"].append("dbx_host")
    if not dbx.service_name.strip():
        missing["databricks"].append("dbx_service_name")
    if dbx.auth == "pat" and dbx.token is None:
        missing["databricks"].append("dbx_token")
    if dbx.auth == "oauth":
        missing["databricks"] += [f for f, v in (("dbx_client_id", dbx.client_id),) if not v.strip()]
        if dbx.client_secret is None:
            missing["databricks"].append("dbx_client_secret")
    if dbx.auth == "azure":
        for field_id, value in (
            ("dbx_azure_client_id", dbx.azure_client_id),
            ("dbx_azure_tenant_id", dbx.azure_tenant_id),
        ):
            if not value.strip():
                missing["databricks"].append(field_id)
        if dbx.azure_client_secret is None:
            missing["databricks"].append("dbx_azure_client_secret")
    sink = state.sink
    if sink.kind == "openmetadata":
        if not sink.om_host.strip():
            missing["sink"].append("om_host")
        if sink.jwt is None:
            missing["sink"].append("om_jwt")
    elif not sink.filename.strip():
        missing["sink"].append("sink_filename")
    return {step: fields for step, fields in missing.items() if fields}


# -- state -> workflow config -----------------------------------------------------------------------------


def _auth_block(dbx: DatabricksStep, placeholder: str | None) -> dict[str, Any]:
    def secret(value: SecretStr | None) -> str:
        return secret_value(value) or (placeholder or "")

    if dbx.auth == "oauth":
        return {"clientId": dbx.client_id.strip(), "clientSecret": secret(dbx.client_secret)}
    if dbx.auth == "azure":
        return {
            "azureClientId": dbx.azure_client_id.strip(),
            "azureClientSecret": secret(dbx.azure_client_secret),
            "azureTenantId": dbx.azure_tenant_id.strip(),
        }
    return {"token": secret(dbx.token)}


def _filter_pattern(state: WizardState, *, valid_only: bool = False) -> dict[str, list[str]] | None:
    """``pipelineFilterPattern`` from the rules; empty rules are skipped, and with ``valid_only`` so are
    rules whose regex does not compile (the live preview keeps working while one rule is being fixed)."""
    broken = filter_rule_errors(state) if valid_only else {}
    pattern: dict[str, list[str]] = {"includes": [], "excludes": []}
    for rule in state.filters.rules:
        if rule.value.strip() and rule.id not in broken:
            pattern[f"{rule.kind}s"].append(rule_to_regex(rule.operator, rule.value))  # type: ignore[arg-type]
    return pattern if pattern["includes"] or pattern["excludes"] else None


def workflow_dict(
    state: WizardState, *, purpose: str = "run", placeholder: str | None = None
) -> dict[str, Any]:
    """The workflow YAML as a dict, with the secret values from the state (never shown, never exported).

    Args:
        purpose: ``"run"`` (the chosen sink), or ``"databricks"`` (a console sink, so the Databricks side
            can be tested and previewed before the sink is set up).
        placeholder: value for secrets not entered yet (exports), or None to leave them empty.
    """
    dbx, options, sink = state.databricks, state.options, state.sink
    args, _ = _connection_args(dbx.connection_args)
    connection: dict[str, Any] = {
        "type": "DatabricksPipeline",
        "hostPort": dbx.host.strip(),
        "authType": _auth_block(dbx, placeholder),
        "connectionTimeout": dbx.timeout_s,
    }
    if dbx.http_path.strip():
        connection["httpPath"] = dbx.http_path.strip()
    if args:
        connection["connectionArguments"] = args
    source_options: dict[str, Any] = {
        "type": "PipelineMetadata",
        "includeLineage": options.include_lineage,
        "includeTags": options.include_tags,
        "includeOwners": options.include_owners,
        "markDeletedPipelines": options.mark_deleted,
        "statusLookbackDays": options.lookback_days,
        "overrideMetadata": options.override_metadata,
    }
    if options.db_service_names:
        source_options["lineageInformation"] = {"dbServiceNames": list(options.db_service_names)}
    pattern = _filter_pattern(state)
    if pattern:
        source_options["pipelineFilterPattern"] = pattern
    workflow: dict[str, Any] = {
        "source": {
            "type": "databrickspipeline",
            "serviceName": dbx.service_name.strip(),
            "serviceConnection": {"config": connection},
            "sourceConfig": {"config": source_options},
        },
        "sink": {"type": "console", "config": {}},
        "workflowConfig": {"loggerLevel": "INFO"},
    }
    if purpose == "databricks":
        return workflow
    if sink.kind == "file":
        workflow["sink"] = {"type": "file", "config": {"filename": sink.filename.strip()}}
        return workflow
    workflow["sink"] = {"type": "metadata-rest", "config": {}}
    server: dict[str, Any] = {
        "hostPort": sink.om_host.strip(),
        "authProvider": "openmetadata",
        "securityConfig": {"jwtToken": secret_value(sink.jwt) or (placeholder or "")},
        "verifySSL": sink.verify_ssl,
    }
    if sink.verify_ssl == "validate" and sink.ca_certificate.strip():
        server["sslConfig"] = {"caCertificate": sink.ca_certificate.strip()}
    workflow["workflowConfig"]["openMetadataServerConfig"] = server
    return workflow


def build_config(state: WizardState, *, purpose: str = "run", for_export: bool = False) -> WorkflowConfig:
    """The validated config for a test, a preview, a run (real secrets) or an export (placeholders).

    Raises:
        ConfigError: with ``problems`` naming the YAML paths (see :func:`config_problems`).
    """
    data = workflow_dict(state, purpose=purpose, placeholder=_PLACEHOLDER_SECRET if for_export else None)
    return parse_workflow_config(data, environ={})


def config_problems(state: WizardState) -> dict[str, str]:
    """Field id -> message for what the full config model rejects in filled-in values.

    Secrets not entered yet are filled with placeholders, so only wrong values show up, not missing ones.
    """
    if not state.databricks.host.strip() or not state.databricks.service_name.strip():
        return {}
    try:
        build_config(state, for_export=True)
    except ConfigError as err:
        return _problems_by_field(err)
    return {}


def _problems_by_field(err: ConfigError) -> dict[str, str]:
    found: dict[str, str] = {}
    for path, message in err.problems:
        field_id = field_for_yaml_path(path) or "general"
        text = message[:1].upper() + message[1:]
        found.setdefault(field_id, text if text.endswith(".") else text + ".")
    return found


# -- fingerprints ------------------------------------------------------------------------------------------


def _fingerprint(*values: object) -> str:
    digest = hashlib.sha256(_FINGERPRINT_SALT)
    for value in values:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        digest.update(repr(value).encode())
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


def databricks_fingerprint(state: WizardState) -> str:
    """Changes whenever a Databricks connection setting changes (a preview or test is then stale)."""
    dbx = state.databricks
    return _fingerprint(
        dbx.host, dbx.auth, dbx.token, dbx.client_id, dbx.client_secret, dbx.azure_client_id,
        dbx.azure_client_secret, dbx.azure_tenant_id, dbx.http_path, dbx.timeout_s, dbx.connection_args,
    )  # fmt: skip


def sink_fingerprint(state: WizardState) -> str:
    """Changes whenever a sink setting changes."""
    sink = state.sink
    return _fingerprint(
        sink.kind, sink.om_host, sink.jwt, sink.verify_ssl, sink.ca_certificate, sink.filename
    )


# -- connection tests -------------------------------------------------------------------------------------

_VERSION = re.compile(r"OpenMetadata (?P<version>\d+\.\d+(?:\.\d+)?\S*);")


def check_connection(state: WizardState, side: str, timeout_s: float) -> CheckResult:
    """Run the step-by-step test of ``side`` ("databricks" or "sink"), store and return it.

    A config that cannot even be built (a wrong field) becomes a single failed step naming the field,
    so the page renders the same list whatever went wrong.
    """
    from core.checks import CheckStep, check_databricks, check_openmetadata

    fingerprint = databricks_fingerprint(state) if side == "databricks" else sink_fingerprint(state)
    try:
        if side == "databricks":
            steps = check_databricks(build_config(state, purpose="databricks"), timeout_s)
        elif state.sink.kind == "file":
            steps = [_check_file_sink(state.sink.filename, CheckStep)]
        else:
            steps = check_openmetadata(_sink_check_config(state), timeout_s)
    except ConfigError as err:
        steps = [
            CheckStep(
                "Databricks" if side == "databricks" else "OpenMetadata",
                "Settings complete",
                ok=False,
                error=err.message,
                hint=err.hint or "Fix the field, then test again",
                field=err.field,
            )
        ]
    result = CheckResult(steps=steps, fingerprint=fingerprint, timeout_s=timeout_s, finished_at=time.time())
    state.checks[side] = result
    if side == "sink":
        state.om_version = next(
            (m.group("version") for s in steps if s.ok and (m := _VERSION.search(s.detail or ""))), None
        )
    return result


def _sink_check_config(state: WizardState) -> WorkflowConfig:
    """A config for testing the sink alone: the Databricks side may not be filled in yet (step 5 can be
    tested before step 1), so its missing or wrong values are replaced by placeholders never contacted."""
    data = workflow_dict(state, placeholder=_PLACEHOLDER_SECRET)
    source = data["source"]
    source["serviceName"] = source["serviceName"] or "databricks_pipelines"
    connection = source["serviceConnection"]["config"]
    if normalized_host(connection["hostPort"])[0] is None:
        connection["hostPort"] = "https://placeholder.cloud.databricks.com"
    for key in ("httpPath", "connectionArguments"):
        connection.pop(key, None)
    source["sourceConfig"]["config"].pop("pipelineFilterPattern", None)
    return parse_workflow_config(data, environ={})


def _check_file_sink(filename: str, step_type: Any) -> Any:
    """The file sink's only precondition: its folder exists and is writable."""
    started = time.perf_counter()
    path = Path(filename.strip() or "pipelines.jsonl").expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    step = step_type("File", "Folder writable")
    if not folder.is_dir():
        step.ok, step.error = False, f"the folder {folder} does not exist"
        step.hint, step.field = "Create it or choose another path", "sink.config.filename"
    elif not os.access(folder, os.W_OK):
        step.ok, step.error = False, f"the folder {folder} is not writable"
        step.hint, step.field = "Choose a folder this user may write to", "sink.config.filename"
    else:
        step.ok, step.detail = True, f"{path.resolve()} can be written"
    step.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return step


# -- preview ------------------------------------------------------------------------------------------------


def start_preview(state: WizardState) -> PreviewJob[Any, Any] | None:
    """Start listing the workspace in the background (unless a listing of these settings exists).

    Returns the job, or None when the Databricks settings are not complete yet.
    """
    fingerprint = databricks_fingerprint(state)
    current = state.preview
    if isinstance(current, PreviewJob) and current.fingerprint == fingerprint:
        return current
    if current is not None:
        current.stop()
    try:
        config = build_config(state, purpose="databricks")
    except ConfigError:
        return None
    # The listing ignores the filters (they are applied at render time), so rules can change freely.
    unfiltered = config.model_copy(deep=True)
    unfiltered.source.source_config.config.pipeline_filter_pattern = None
    unfiltered.source.service_connection.config.pipeline_filter_pattern = None
    job: PreviewJob[Any, Any] = PreviewJob(fingerprint)
    job.start(lambda j: _list_workspace(unfiltered, j))
    state.preview = job
    return job


def stop_preview(state: WizardState) -> None:
    """Stop the listing; the rows listed so far stay (and say they are incomplete)."""
    if isinstance(state.preview, PreviewJob):
        state.preview.stop()


def preview_stopped(state: WizardState) -> bool:
    """True when the current listing was stopped before it finished."""
    return isinstance(state.preview, PreviewJob) and state.preview.stop_requested


def restart_preview(state: WizardState) -> PreviewJob[Any, Any] | None:
    """List the workspace again (jobs may have changed since)."""
    stop_preview(state)
    state.preview = None
    return start_preview(state)


def _list_workspace(config: WorkflowConfig, job: PreviewJob[Any, Any]) -> None:
    from core.checks import check_tcp
    from core.databricks.client import build_workspace_client
    from core.databricks.source import DatabricksSource
    from core.preview import iter_preview
    from core.secrets import redact

    connection = config.source.connection
    budget = min(float(connection.connection_timeout), 30.0)
    try:
        check_tcp(connection.base_url, min(budget, 10.0), "source.serviceConnection.config.hostPort")
        client = build_workspace_client(connection, retry_timeout_seconds=budget, http_timeout_seconds=budget)
        for row in iter_preview(config, DatabricksSource(client)):
            if job.stop_requested:
                return
            job.add(row)
    except IngestionError as err:
        job.error = err.one_line()
    except Exception as err:  # an unexpected failure is still a message, never a traceback
        job.error = redact(f"listing failed: {type(err).__name__}: {err}")


@dataclass(frozen=True)
class PreviewView:
    """What the preview table shows at one moment."""

    rows: list[dict[str, Any]]
    kept: int
    total: int
    listing: bool
    error: str | None
    elapsed_s: float
    first_row_s: float | None


def _name_filter(state: WizardState) -> NameFilter:
    from core.config.models import FilterPattern

    pattern = _filter_pattern(state, valid_only=True)
    return NameFilter.from_pattern(FilterPattern(**pattern)) if pattern else NameFilter()


def decide_preview(state: WizardState, search: str = "", show: str = "all", limit: int = 5000) -> PreviewView:
    """Apply the current rules to the rows listed so far, and select what the table shows.

    ``show`` is ``all``, ``kept`` or ``filtered``; ``search`` matches name or id, case-insensitively.
    At most ``limit`` rows are returned (counts are always over all rows).
    """
    job = state.preview
    if not isinstance(job, PreviewJob):
        return PreviewView([], 0, 0, False, None, 0.0, None)
    name_filter = _name_filter(state)
    key = repr(_filter_pattern(state, valid_only=True))

    def decide(row: Any) -> tuple[Any, FilterDecision]:
        return row, name_filter.decide(row.name)

    decided = job.decided(key, decide)
    kept = sum(1 for _, decision in decided if decision.kept)
    needle = search.strip().lower()
    rows: list[dict[str, Any]] = []
    for row, decision in decided:
        if show == "kept" and not decision.kept:
            continue
        if show == "filtered" and decision.kept:
            continue
        if needle and needle not in row.name.lower() and needle not in row.id.lower():
            continue
        if len(rows) < limit:
            rows.append(
                {
                    "ingest": decision.kept,
                    "name": row.name,
                    "id": row.id,
                    "why": decision.reason,
                    "kind": row.kind,
                    "tasks": f"{row.tasks}+" if row.tasks_truncated else str(row.tasks),
                    "schedule": row.schedule or "none",
                    "link": row.url,
                }
            )
    return PreviewView(
        rows=rows,
        kept=kept,
        total=len(decided),
        listing=not job.done,
        error=job.error,
        elapsed_s=job.elapsed_s,
        first_row_s=job.first_row_s,
    )


# -- run now ------------------------------------------------------------------------------------------------


def start_run(state: WizardState, *, dry_run: bool) -> RunJob:
    """Start the ingestion in the background with the chosen sink; returns the job the page polls.

    Raises:
        ConfigError: when the settings are incomplete or wrong (nothing is started).
    """
    config = build_config(state)
    expected = None
    view = decide_preview(state, limit=0)
    if view.total and not view.listing and not view.error:
        expected = view.kept
    if isinstance(state.run, RunJob) and not state.run.done:
        state.run.stop()
    job = RunJob(databricks_fingerprint(state), dry_run=dry_run, expected=expected)
    job.start(lambda j: _run_workflow(config, j))
    state.run = job
    return job


def _run_workflow(config: WorkflowConfig, job: RunJob) -> None:
    from core.secrets import redact
    from core.workflow import Workflow

    try:
        workflow = Workflow(config, dry_run=job.dry_run, on_event=job.on_event)
        job.set_stopper(workflow.stop)
        job.report = workflow.execute()
    except IngestionError as err:
        job.error = err.one_line()
    except Exception as err:  # a bug must still reach the page as a sentence
        job.error = redact(f"the run failed: {type(err).__name__}: {err}")


def run_problems(state: WizardState) -> dict[str, str]:
    """Field id -> message for everything that blocks a run (here the secrets are needed too)."""
    problems = dict(field_errors(state))
    for fields in missing_fields(state).values():
        for field_id in fields:
            problems.setdefault(field_id, "Required.")
    return problems


def run_summary(state: WizardState) -> str:
    """One sentence saying what a run will read and write, and how much (from the preview)."""
    host, _ = normalized_host(state.databricks.host)
    if state.sink.kind == "file":
        target = f"the file `{state.sink.filename.strip()}`"
    else:
        url, _ = normalized_om_url(state.sink.om_host)
        target = f"OpenMetadata at `{url or state.sink.om_host}`"
    view = decide_preview(state, limit=0)
    expected = ""
    if view.total and not view.listing and not view.error:
        expected = f" The preview expects **{view.kept:,} of {view.total:,}** pipelines to be ingested."
    return f"Reads `{host or '(no host yet)'}` and writes to {target} as service `{state.databricks.service_name}`.{expected}"


def stop_jobs(state: WizardState) -> None:
    """Stop this session's background work (start over, demo off)."""
    for job in (state.preview, state.run):
        if job is not None:
            job.stop()


# -- schedule -----------------------------------------------------------------------------------------------


def schedule_cron(state: WizardState) -> str | None:
    """The DAG's cron expression, or None for on demand.

    Raises:
        ConfigError: ``field="schedule"`` for an invalid custom expression.
    """
    from core.generate.schedule import PRESETS, validate_cron

    preset = state.schedule.preset
    if preset == "custom":
        return validate_cron(state.schedule.custom_cron)
    return PRESETS.get(preset, PRESETS["daily"])


def describe_schedule(state: WizardState) -> tuple[str | None, str | None]:
    """(plain-English sentence, None) or (None, the error at the cron field)."""
    from core.generate.schedule import describe_cron

    try:
        return describe_cron(schedule_cron(state)), None
    except ConfigError as err:
        return None, _sentence(err)


def upcoming_runs(state: WizardState, count: int = 5) -> list[datetime]:
    """The next run times in the chosen timezone ([] when on demand or invalid)."""
    from core.generate.schedule import next_runs

    try:
        cron = schedule_cron(state)
        return next_runs(cron, state.schedule.timezone, count) if cron else []
    except ConfigError:
        return []


def timezones() -> list[str]:
    """Every IANA timezone name, UTC first, for the timezone picker."""
    from zoneinfo import available_timezones

    return ["UTC", *sorted(name for name in available_timezones() if name != "UTC")]


def _schedule_errors(state: WizardState) -> dict[str, str]:
    """The schedule step's field errors; the generator's own ``DagOptions`` checks are the reference."""
    errors: dict[str, str] = {}
    if state.schedule.preset == "custom":
        _, message = describe_schedule(state)
        if message:
            errors["sched_cron"] = message
    try:
        dag_options(state)
    except ConfigError as err:
        field_id = field_for_yaml_path(err.field) or "dag_id"
        errors.setdefault(field_id, _sentence(err, f"The {FIELD_LABELS.get(field_id, 'value').lower()}"))
    return errors


def _sentence(err: IngestionError, subject: str = "The expression") -> str:
    text = err.message
    if err.message.startswith(("is ", "has ")):
        text = f"{subject} {err.message}"
    text = text[:1].upper() + text[1:]
    if err.hint:
        text = f"{text.rstrip('.')}. {err.hint.rstrip('.')}."
    return text if text.endswith(".") else text + "."


# -- export -------------------------------------------------------------------------------------------------


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
    dialect: str
    zip_name: str
    zip_bytes: bytes = field(repr=False)


_RELEASE = re.compile(r"^\d+\.\d+\.\d+(\.\d+)?$")


def openmetadata_release(state: WizardState) -> str:
    """The openmetadata-ingestion release the "openmetadata" engine installs: typed, else tested, else 2.0.7."""
    typed = state.schedule.openmetadata_version.strip()
    if typed:
        return typed
    return state.om_version if state.om_version and _RELEASE.match(state.om_version) else "2.0.7"


def dag_options(state: WizardState) -> Any:
    """The generator's ``DagOptions`` from the schedule step.

    Raises:
        ConfigError: ``field="dag.<name>"`` for the first wrong value.
    """
    from core.generate.dag import DagOptions

    sched = state.schedule
    return DagOptions(
        dag_id=sched.dag_id.strip(),
        schedule=schedule_cron(state),
        timezone=sched.timezone,
        start_date=sched.start_date,
        owner=sched.owner.strip(),
        retries=int(sched.retries),
        retry_delay_minutes=int(sched.retry_delay_minutes),
        execution_timeout_minutes=int(sched.execution_timeout_minutes),
        email=[e.strip() for e in sched.email.split(",") if e.strip()],
        email_on_failure=sched.email_on_failure,
        email_on_retry=False,
        tags=[t.strip() for t in sched.tags.split(",") if t.strip()],
        engine=sched.engine,
        secrets=sched.secrets,
        openmetadata_version=openmetadata_release(state),
    )


def current_dialect(state: WizardState) -> str:
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


# -- import -------------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import did: an error (with its line when YAML syntax) or the notes about what was filled."""

    ok: bool
    message: str
    notes: list[str] = field(default_factory=list)


class _ReferenceEnv(Mapping[str, str]):
    """Resolves every ``${VAR}`` to a placeholder: validation must not read the server's environment."""

    def __getitem__(self, key: str) -> str:
        return _IMPORT_PLACEHOLDER

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def import_workflow(state: WizardState, data: bytes, filename: str) -> ImportResult:
    """Prefill every step from an existing workflow YAML (OpenMetadata 1.x or 2.x dialect).

    The file is size-limited, must be UTF-8 text, is parsed with the safe loader, and is validated with
    ``${VAR}`` references resolved to placeholders. Secrets written in the file are kept server-side; a
    secret given as ``${VAR}`` must be entered in the form (its value is not in the file).
    """
    if len(data) > MAX_CONFIG_BYTES:
        return ImportResult(
            False, f"{filename} is {len(data):,} bytes; a workflow file is at most {MAX_CONFIG_BYTES:,}."
        )
    if b"\x00" in data:
        return ImportResult(False, f"{filename} is a binary file, not YAML. Upload the workflow .yaml file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ImportResult(False, f"{filename} is not UTF-8 text. Upload the workflow .yaml file.")
    try:
        raw = parse_yaml_text(text, filename)
    except ConfigError as err:
        return ImportResult(False, err.one_line())
    if not isinstance(raw, dict) or not isinstance(raw.get("source"), dict):
        return ImportResult(False, f"{filename} has no 'source' section; is it a workflow YAML?")
    notes: list[str] = []
    try:
        parse_workflow_config(raw, environ=_ReferenceEnv())
    except ConfigError as err:
        for path, message in err.problems[:10]:
            notes.append(f"{path or 'the file'}: {message}")
    _apply_import(state, raw, notes)
    state.imported_from = filename
    state.import_notes = notes
    return ImportResult(True, f"Imported {filename}: every step is prefilled.", notes)


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _secret_from(value: Any, label: str, notes: list[str]) -> SecretStr | None:
    if value is None or value == "":
        return None
    text = str(value)
    if "${" in text:
        notes.append(f"{label} comes from {text} in the file: enter its value to test or run.")
        return None
    return SecretStr(text)


def _apply_import(state: WizardState, raw: dict[str, Any], notes: list[str]) -> None:
    connection = _dig(raw, "source", "serviceConnection", "config") or {}
    options = _dig(raw, "source", "sourceConfig", "config") or {}
    dbx = state.databricks
    dbx.service_name = _text(_dig(raw, "source", "serviceName")) or dbx.service_name
    dbx.host = _text(connection.get("hostPort"))
    auth = connection.get("authType") if isinstance(connection.get("authType"), dict) else {}
    if {"azureClientId", "azureClientSecret", "azureTenantId"} & set(auth):
        dbx.auth = "azure"
        dbx.azure_client_id = _text(auth.get("azureClientId"))
        dbx.azure_tenant_id = _text(auth.get("azureTenantId"))
        dbx.azure_client_secret = _secret_from(
            auth.get("azureClientSecret"), "The Azure client secret", notes
        )
    elif {"clientId", "clientSecret"} & set(auth):
        dbx.auth = "oauth"
        dbx.client_id = _text(auth.get("clientId"))
        dbx.client_secret = _secret_from(auth.get("clientSecret"), "The client secret", notes)
    else:
        dbx.auth = "pat"
        dbx.token = _secret_from(auth.get("token", connection.get("token")), "The token", notes)
    args = dict(connection.get("connectionArguments") or {})
    legacy_path = args.pop("http_path", None) or args.pop("httpPath", None)
    dbx.http_path = _text(connection.get("httpPath") or legacy_path)
    dbx.connection_args = yaml.safe_dump(args, sort_keys=False).strip() if args else ""
    if isinstance(connection.get("connectionTimeout"), (int, float)):
        dbx.timeout_s = int(connection["connectionTimeout"])

    pattern = options.get("pipelineFilterPattern") or connection.get("pipelineFilterPattern") or {}
    state.filters.rules.clear()
    for kind in ("include", "exclude"):
        for regex in pattern.get(f"{kind}s") or []:
            rule = regex_to_rule(str(regex))
            state.filters.add(kind, rule.operator, rule.value)

    opts = state.options
    for attr, key in (
        ("include_lineage", "includeLineage"),
        ("include_tags", "includeTags"),
        ("include_owners", "includeOwners"),
        ("mark_deleted", "markDeletedPipelines"),
        ("override_metadata", "overrideMetadata"),
    ):
        if isinstance(options.get(key), bool):
            setattr(opts, attr, options[key])
    if isinstance(options.get("statusLookbackDays"), int):
        opts.lookback_days = options["statusLookbackDays"]
    names = _dig(options, "lineageInformation", "dbServiceNames")
    opts.db_service_names = [str(n) for n in names] if isinstance(names, list) else []

    sink_type = _text(_dig(raw, "sink", "type")) or "metadata-rest"
    server = _dig(raw, "workflowConfig", "openMetadataServerConfig") or {}
    if sink_type == "file":
        state.sink.kind = "file"
        state.sink.filename = _text(_dig(raw, "sink", "config", "filename")) or state.sink.filename
    else:
        state.sink.kind = "openmetadata"
    if server:
        state.sink.om_host = _text(server.get("hostPort")) or state.sink.om_host
        state.sink.jwt = _secret_from(_dig(server, "securityConfig", "jwtToken"), "The JWT", notes)
        if server.get("verifySSL") in ("no-ssl", "ignore", "validate"):
            state.sink.verify_ssl = server["verifySSL"]
        state.sink.ca_certificate = _text(_dig(server, "sslConfig", "caCertificate"))
    state.checks.clear()


# -- demo mode ----------------------------------------------------------------------------------------------

#: The demo workspace: big enough to be realistic (filters, pages, DLT), small enough to run in seconds.
DEMO_SPEC = {"jobs": 120, "tasks": 4, "runs": 3, "pipelines": 3, "big_jobs": 1, "seed": 42}

_DEMO_LOCK = threading.Lock()
_DEMO: dict[str, Any] = {}


def start_demo() -> dict[str, Any]:
    """Start the bundled Databricks and OpenMetadata emulators once per process, and return them.

    Process-wide on purpose: they hold no user secret (their credentials are the published demo ones),
    and every session of the demo may share them.
    """
    with _DEMO_LOCK:
        if not _DEMO:
            from core.emulators.databricks import DatabricksEmulator
            from core.emulators.openmetadata import OpenMetadataEmulator
            from core.emulators.workspace import Workspace, WorkspaceSpec

            workspace = Workspace(WorkspaceSpec(**DEMO_SPEC))
            databricks = DatabricksEmulator(workspace).start()
            openmetadata = OpenMetadataEmulator().start()
            openmetadata.seed_from_workspace(workspace)
            _DEMO.update(workspace=workspace, databricks=databricks, openmetadata=openmetadata)
        return dict(_DEMO)


def reset_demo_catalogue() -> None:
    """Empty the demo OpenMetadata and seed it again, so a real run creates everything afresh."""
    demo = start_demo()
    with _DEMO_LOCK:
        demo["openmetadata"].reset()
        demo["openmetadata"].seed_from_workspace(demo["workspace"])


def apply_demo(state: WizardState) -> None:
    """Fill every step with the demo servers' settings (the secrets stay server-side)."""
    from core.emulators.openmetadata import DEFAULT_JWT

    demo = start_demo()
    databricks, openmetadata = demo["databricks"], demo["openmetadata"]
    fresh = WizardState(demo=True)
    dbx = fresh.databricks
    dbx.host = databricks.url
    dbx.auth = "pat"
    dbx.token = SecretStr(databricks.token)
    dbx.http_path = f"/sql/1.0/warehouses/{databricks.warehouse_id}"
    dbx.timeout_s = 30
    dbx.service_name = "demo_databricks"
    fresh.options.db_service_names = ["unity_catalog"]
    fresh.options.lookback_days = 3
    fresh.sink.om_host = f"{openmetadata.url}/api"
    fresh.sink.jwt = SecretStr(DEFAULT_JWT)
    fresh.schedule.dag_id = "demo_databricks_to_openmetadata"
    for name, value in vars(fresh).items():
        setattr(state, name, value)


def demo_names() -> list[str]:
    """Every job and DLT pipeline name in the demo workspace (tests compare the preview with these)."""
    workspace = start_demo()["workspace"]
    names = [workspace.job_name(job_id) or "" for job_id in workspace.job_ids()]
    return names + [pipeline["name"] for pipeline in workspace.pipelines()]


def rule_regex(operator: str, value: str) -> str:
    """The regex a rule writes into ``pipelineFilterPattern``."""
    return rule_to_regex(operator, value)  # type: ignore[arg-type]


def operator_labels() -> dict[str, str]:
    """Filter operator key -> label, for the rule editor."""
    return dict(OPERATORS)


def zip_members(data: bytes) -> dict[str, str]:
    """Names and texts inside a zip produced by :func:`export_files` (tests and the README check)."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}
