"""Run now: the ingestion on a background thread with live progress."""

from __future__ import annotations

from core.config import WorkflowConfig
from core.errors import IngestionError
from ui.jobs import RunJob
from ui.services.config import build_config, databricks_fingerprint
from ui.services.forms import missing_fields, normalized_host, normalized_om_url
from ui.services.preview import decide_preview
from ui.services.validation import field_errors
from ui.state import WizardState


def start_run(state: WizardState, *, dry_run: bool) -> RunJob:
    """Start the ingestion in the background with the chosen sink; returns the job the page polls.

    Args:
        state: the session's wizard state; the job is stored in ``state.run``.
        dry_run: True to write nothing (the report says what would be written).

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
    except Exception as err:  # noqa: BLE001 -- a bug must still reach the page as a sentence
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
