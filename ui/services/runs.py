"""Run now: the ingestion on a background thread owned by the server process, its history and its log.

A run is registered under its ingestion's key (:func:`run_key`) in the process-wide :data:`RUNS`, not in the
browser session: a reload or a second tab with the same ingestion id reattaches to it (:func:`attach_run`)
and may stop it; a second run of the same ingestion is refused while one goes (:class:`RunInProgress`).
A run is recorded into the run history (:func:`set_history`; in memory unless the wizard's database store
is plugged in) when it starts, at its checkpoints while it goes (:func:`_checkpoint`: the counts, the
per-pipeline outcomes and the redacted log so far, at each phase change and at most every
:data:`CHECKPOINT_EVERY_S`), and when it ends (finished, failed, stopped or not started), which replaces the
last checkpoint. A server killed outright leaves the last checkpoint, which the history shows as stopped
with its server (:func:`_orphaned`).
"""

from __future__ import annotations

import concurrent.futures.thread  # noqa: F401 -- imported first so its exit hook runs after ours (see below)
import contextlib
import logging
import threading
import time
from typing import Any

from core.config import WorkflowConfig
from core.errors import IngestionError
from ui.history import RunHistory, RunOutcome, RunRecord
from ui.jobs import RunJob, RunRegistry
from ui.services.config import (
    _filter_pattern,
    _fingerprint,
    build_config,
    databricks_fingerprint,
    sink_fingerprint,
    sink_path,
)
from ui.services.forms import missing_fields, normalized_host, normalized_om_url
from ui.services.preview import decide_preview, preview_stopped
from ui.services.validation import field_errors
from ui.services.warmup import load_engine
from ui.state import WizardState

logger = logging.getLogger(__name__)

#: the process's runs, by ingestion key (module-level: it outlives every browser session)
RUNS = RunRegistry()
#: None: the wizard's database (``ui.store.run_history``: SQLite, or memory when it cannot be used)
_HISTORY: list[RunHistory | None] = [None]

#: the setting groups a run result depends on, as named on the page ("the filters changed since")
SETTING_GROUPS = ("Databricks connection", "filters", "options", "sink")
_CHECK_LABELS = {"databricks": "Databricks", "sink": "sink"}


class RunInProgress(Exception):
    """Run now was refused: a run of the same ingestion is going (:attr:`job`)."""

    def __init__(self, job: RunJob, message: str) -> None:
        """The refusal.

        Args:
            job: the live run.
            message: one sentence for the page.
        """
        super().__init__(message)
        self.job = job


def set_history(history: RunHistory) -> None:
    """Record finished runs into ``history`` from now on (the wizard's database store, or a test's)."""
    _HISTORY[0] = history


def get_history() -> RunHistory:
    """Where runs are recorded: the one :func:`set_history` gave, else the wizard's database."""
    chosen = _HISTORY[0]
    if chosen is not None:
        return chosen
    from ui.store import run_history

    return run_history()


def run_key(state: WizardState) -> str:
    """The key runs of this ingestion are registered under: its id, or this session's while unsaved."""
    return state.ingestion_id or f"session:{state.session_id}"


def settings_fingerprints(state: WizardState) -> dict[str, str]:
    """Setting group (:data:`SETTING_GROUPS`) -> fingerprint of what a run reads from it."""
    options = state.options
    switches = (
        options.include_lineage, options.include_tags, options.include_owners, options.mark_deleted,
        options.lookback_days, tuple(options.db_service_names), options.override_metadata,
    )  # fmt: skip
    return {
        "Databricks connection": _fingerprint(
            databricks_fingerprint(state), state.databricks.service_name.strip()
        ),
        "filters": _fingerprint(repr(_filter_pattern(state))),
        "options": _fingerprint(*switches),
        "sink": sink_fingerprint(state),
    }


def stale_settings(settings: dict[str, str], state: WizardState) -> list[str]:
    """The setting groups that changed since ``settings`` were taken (a run result is then stale)."""
    fresh = settings_fingerprints(state)
    return [group for group in SETTING_GROUPS if group in settings and settings[group] != fresh[group]]


def attach_run(state: WizardState) -> RunJob | None:
    """The live or last run of this ingestion (started by any session), also put into ``state.run``."""
    job = RUNS.get(run_key(state))
    state.run = job
    return job


def expected_total(state: WizardState) -> int | None:
    """The preview's kept count, only when the preview listed the current connection to the end.

    A preview stopped early, still listing, failed, or made for other connection settings says nothing
    about this run: None then (the progress shows the engine's live counts instead).
    """
    preview = state.preview
    if preview is None or preview.fingerprint != databricks_fingerprint(state) or preview_stopped(state):
        return None
    view = decide_preview(state, limit=0)
    if view.listing or view.error or not view.total:
        return None
    return view.kept


def busy_message(job: RunJob, state: WizardState) -> str:
    """One sentence saying who runs this ingestion since when."""
    # a reload is a new session too: the page that started the run may be this very tab, reloaded
    who = (
        "this browser session"
        if job.owner == state.session_id
        else "another tab (or this one before a reload)"
    )
    mode = "A dry run" if job.dry_run else "A run"
    started = time.strftime("%H:%M:%S UTC", time.gmtime(job.started_wall))
    from ui.components import ago

    since = ago(job.started_wall)
    return f"{mode} of this ingestion is going, started at {started} ({since}) from {who}: wait for it or stop it."


def start_run(state: WizardState, *, dry_run: bool) -> RunJob:
    """Start the ingestion in the background with the chosen sink; returns the job the page polls.

    Args:
        state: the session's wizard state; the job is registered under :func:`run_key` and put in
            ``state.run``.
        dry_run: True to write nothing (the report says what would be written).

    Raises:
        ConfigError: when the settings are incomplete or wrong (nothing is started).
        RunInProgress: when a run of this ingestion is going (from any session).
    """
    config = build_config(state)
    job = RunJob(
        databricks_fingerprint(state),
        dry_run=dry_run,
        expected=expected_total(state),
        key=run_key(state),
        owner=state.session_id,
        settings=settings_fingerprints(state),
    )
    live = RUNS.claim(job.key, job)
    if live is not None:
        state.run = live
        raise RunInProgress(live, busy_message(live, state))
    target = run_target(state)
    _record_start(job)
    job.start(
        lambda j: _run_workflow(config, j, target),
        checkpoint=lambda: _checkpoint(job, target),
        every_s=CHECKPOINT_EVERY_S,
    )
    state.run = job
    return job


def stop_run(state: WizardState) -> bool:
    """Stop this ingestion's live run, whichever session started it; False when none is going."""
    job = RUNS.get(run_key(state))
    if job is None or job.done:
        return False
    job.stop()
    return True


def run_target(state: WizardState) -> dict[str, str]:
    """Where a run of these settings writes: ``{"kind": "openmetadata"|"file", "location": ...}``."""
    if state.sink.kind == "file":
        return {"kind": "file", "location": str(sink_path(state.sink.filename))}
    url, _ = normalized_om_url(state.sink.om_host)
    return {"kind": "openmetadata", "location": url or state.sink.om_host.strip()}


def writes_to_demo_catalogue(state: WizardState) -> bool:
    """Whether a run writes to the bundled demo OpenMetadata (only then may the page offer to reset it)."""
    if not state.demo or state.sink.kind == "file":
        return False
    from ui.services.demo import start_demo

    demo_url, _ = normalized_om_url(f"{start_demo()['openmetadata'].url}/api")
    url, _ = normalized_om_url(state.sink.om_host)
    return url is not None and url == demo_url


def _run_workflow(config: WorkflowConfig, job: RunJob, target: dict[str, str]) -> None:
    from core.secrets import redact

    try:
        load_engine()  # first, or a run clicked during the warm-up can deadlock on databricks-sdk's imports
        from core.workflow import Workflow

        workflow = Workflow(config, dry_run=job.dry_run, on_event=job.on_event)
        job.live_report = lambda: workflow.live_report
        job.set_stopper(workflow.stop)
        job.report = workflow.execute()
    except IngestionError as err:
        job.error = err.one_line()
    except Exception as err:  # noqa: BLE001 -- a bug must still reach the page as a sentence
        job.error = redact(f"the run failed: {type(err).__name__}: {err}")
    finally:
        _finish(job, target)


def _record_start(job: RunJob) -> None:
    """Keep a ``running`` record from the start: a run the server dies during still shows in the history."""
    record = RunRecord(
        run_id=job.run_id,
        ingestion_id=job.key,
        started_at=job.started_wall,
        mode="dry-run" if job.dry_run else "run",
    )
    try:
        get_history().record(record)
    except Exception as err:  # noqa: BLE001 -- as in _finish: the run goes on without its history line
        logger.warning("the run history could not be written (%s)", type(err).__name__)


#: the least time between two checkpoints of a run's progress (a phase change checkpoints at once)
CHECKPOINT_EVERY_S = 5.0


def _checkpoint(job: RunJob, target: dict[str, str]) -> None:
    """Save the run's progress so far as its ``running`` record: counts, per-pipeline outcomes, log.

    Called on the run's checkpoint thread (:class:`ui.jobs.Checkpoints`), which logs a failure once; the
    end record (:func:`_finish`) replaces it.
    """
    live = job.live_report()
    report: dict[str, Any] | None = None
    if live is not None:
        report = live.as_dict()
        if not report.get("target"):
            report["target"] = target
    record = RunRecord(
        run_id=job.run_id,
        ingestion_id=job.key,
        started_at=job.started_wall,
        mode="dry-run" if job.dry_run else "run",
        counts=run_counts(report),
        report=report,
        log=job.log.text(),
        checkpoint_at=time.time(),
    )
    get_history().record(record)


#: what a ``running`` record no live run of this process owns says (its server stopped mid-run)
ORPHANED = "the wizard's server stopped during this run; a rerun picks up where it left off"
#: the same for a dry run: it wrote nothing, so there is nothing to pick up
ORPHANED_DRY = "the wizard's server stopped during this dry run; a new dry run reads every pipeline again"


def orphaned_message(checkpoint_at: float | None, *, dry: bool = False) -> str:
    """Why a run its server stopped ended, and how old its numbers are (None: it saved no progress)."""
    if checkpoint_at is None:
        return ORPHANED_DRY if dry else ORPHANED
    from ui.components import at_time  # the wizard's one UTC stamp (imported late: it imports Streamlit)

    then = "a new dry run reads every pipeline again" if dry else "a rerun picks up where it left off"
    return (
        f"the wizard's server stopped during this {'dry ' * dry}run; its numbers, pipelines and log are as "
        f"of the last checkpoint at {at_time(checkpoint_at)}, and {then}"
    )


def _orphaned(record: RunRecord) -> RunRecord:
    """``record`` as the history shows it: a ``running`` one no live run owns ended with its server.

    It keeps what its last checkpoint saved, and ends then (the last moment the run was known to go); its
    log says where it stops.
    """
    if record.outcome != "running":
        return record
    if any(job.run_id == record.run_id for job in RUNS.live()):
        return record
    checkpoint = record.checkpoint_at
    log = record.log
    if log and checkpoint is not None:
        from ui.components import at_time

        log += f"(the log ends at the last checkpoint, {at_time(checkpoint)}: the server stopped after it)\n"
    return RunRecord(
        **{
            **record.__dict__,
            "outcome": "stopped",
            "finished_at": checkpoint,
            "error": record.error or orphaned_message(checkpoint, dry=record.mode == "dry-run"),
            "log": log,
        }
    )


#: how long a server that is shutting down waits for its runs to stop and record themselves
SHUTDOWN_WAIT_S = 8.0


def stop_runs_at_shutdown(wait_s: float = SHUTDOWN_WAIT_S) -> None:
    """Stop every live run and let each record itself as stopped by the server (SIGTERM, Ctrl-C).

    Registered with ``threading._register_atexit``: Python calls those hooks, last registered first,
    before it joins threads and before ``concurrent.futures`` refuses new work (its own hook, registered
    when this module imported it, runs after this one). Streamlit's SIGTERM/SIGINT handler stops its
    server and lets the main thread end, which is when these hooks run. A run that does not stop within
    ``wait_s`` keeps its ``running`` record, which the history shows as stopped with its server.
    """
    live = RUNS.live()
    for job in live:
        job.stop(ORPHANED_DRY if job.dry_run else ORPHANED)
    deadline = time.monotonic() + wait_s
    for job in live:
        job.wait(max(0.0, deadline - time.monotonic()))


def _register_shutdown_hook() -> None:
    register = getattr(threading, "_register_atexit", None)  # CPython's, since 3.9
    if register is None:
        return
    with contextlib.suppress(RuntimeError):  # imported while the interpreter shuts down: nothing to stop
        register(stop_runs_at_shutdown)


_register_shutdown_hook()


def _finish(job: RunJob, target: dict[str, str]) -> None:
    """Write the report into the log, build the record and keep it in the history (before ``done``)."""
    job.end_checkpoints()  # none may replace the end record
    report: dict[str, Any] | None = None
    if job.report is not None:
        report = job.report.as_dict()
        report.setdefault("target", target)
        job.log.write("report:\n" + job.report.render())
    if job.error:
        job.log.write(f"ERROR {job.error}")
    elif job.stop_reason:
        job.log.write(f"stopped: {job.stop_reason}")
    outcome = run_outcome(report, error=job.error, stopped=job.stop_requested)
    job.log.write(f"ended: {outcome}")
    record = RunRecord(
        run_id=job.run_id,
        ingestion_id=job.key,
        started_at=job.started_wall,
        finished_at=time.time(),
        mode="dry-run" if job.dry_run else "run",
        outcome=outcome,
        counts=run_counts(report),
        report=report,
        error=job.error or job.stop_reason,
        log=job.log.text(),
    )
    job.record = record
    try:
        get_history().record(record)
    except Exception as err:  # noqa: BLE001 -- a history that cannot be written must not lose the result on the page
        logger.warning("the run history could not be written (%s)", type(err).__name__)


def run_outcome(report: dict[str, Any] | None, *, error: str | None, stopped: bool) -> RunOutcome:
    """ok, failed, stopped or error, from a finished run's report (None: it could not start)."""
    if report is None:
        return "error"
    if stopped or (report.get("interrupted") and not report.get("fatal")):
        return "stopped"
    if report.get("fatal") or error:
        return "error"
    return "failed" if report.get("failures") else "ok"


#: pipeline outcome (the report's ``pipelines[].outcome``) -> count key of a run record
_OUTCOME_COUNTS = {
    "created": "created",
    "updated": "updated",
    "unchanged": "unchanged",
    "deleted": "deleted",
    "failed": "failed",
    "would-create": "wouldCreate",
    "would-change": "wouldChange",
    "would-delete": "wouldDelete",
}


def run_counts(report: dict[str, Any] | None) -> dict[str, int]:
    """The headline numbers of a report (the run history's columns); {} for a run that did not start.

    The report's totals count every write; the per-pipeline list may hold fewer rows (it keeps the first
    50,000, and reports of older versions left out what a stopped run wrote). So each outcome's count is
    the larger of its total and its rows: a shorter list never hides what was written.
    """
    if report is None:
        return {}
    counts = {
        "listed": int(report.get("listed", 0)),
        "kept": int(report.get("kept", 0)),
        "created": int(report.get("created", 0)),
        "updated": int(report.get("updated", 0)),
        "unchanged": int(report.get("unchanged", 0)),
        "deleted": int(report.get("deleted", 0)),
        "written": int(report.get("written", 0)),
        "failed": len(report.get("failures") or []),
        "wouldCreate": int(report.get("wouldCreate", 0)),
        "wouldChange": int(report.get("wouldUpdate", 0)),
        "wouldDelete": int(report.get("wouldDelete") or 0),
        "statuses": int(report.get("statuses", 0)),
        "lineageEdges": int(report.get("lineageEdges", 0)),
    }
    rows: dict[str, int] = dict.fromkeys(_OUTCOME_COUNTS.values(), 0)
    for row in report.get("pipelines") or []:
        outcome_key = _OUTCOME_COUNTS.get(str(row.get("outcome")))
        if outcome_key:
            rows[outcome_key] += 1
    for key, listed in rows.items():
        counts[key] = max(counts[key], listed)
    return counts


def run_history(state: WizardState, limit: int = 50) -> list[RunRecord]:
    """This ingestion's finished runs, newest first (without their logs)."""
    try:
        return [_orphaned(record) for record in get_history().list_runs(run_key(state), limit)]
    except Exception as err:  # noqa: BLE001 -- an unreadable history is a message, not a broken page
        logger.warning("the run history could not be read (%s)", type(err).__name__)
        return []


def run_record(run_id: str) -> RunRecord | None:
    """One finished run, whole (report and log), or None."""
    try:
        record = get_history().get(run_id)
        return None if record is None else _orphaned(record)
    except Exception as err:  # noqa: BLE001 -- as run_history
        logger.warning("the run history could not be read (%s)", type(err).__name__)
        return None


def confirm_reasons(state: WizardState) -> list[str]:
    """Why Run now should ask first: each connection test that failed, or whose settings changed since.

    A side never tested asks nothing (the run's own preflight checks both hosts before writing).
    """
    fresh = {"databricks": databricks_fingerprint(state), "sink": sink_fingerprint(state)}
    reasons: list[str] = []
    for side, label in _CHECK_LABELS.items():
        check = state.checks.get(side)
        if check is None:
            continue
        if check.fingerprint != fresh[side]:
            reasons.append(f"the {label} settings changed since the last connection test")
        elif not check.ok:
            failed = next((step for step in check.steps if step.ok is False), None)
            what = f" ({failed.name}: {failed.error})" if failed is not None and failed.error else ""
            reasons.append(f"the last {label} connection test failed{what}")
    return reasons


def run_problems(state: WizardState) -> dict[str, str]:
    """Field id -> message for everything that blocks a run (here the secrets are needed too)."""
    problems = dict(field_errors(state))
    for fields in missing_fields(state).values():
        for field_id in fields:
            problems.setdefault(field_id, "Required.")
    return problems


def run_summary(state: WizardState) -> str:
    """One sentence saying what a run will read and write, and how much (from a complete preview)."""
    host, _ = normalized_host(state.databricks.host)
    if state.sink.kind == "file":
        target = f"the file `{run_target(state)['location']}`"
    else:
        url, _ = normalized_om_url(state.sink.om_host)
        target = f"OpenMetadata at `{om_ui_address(url or state.sink.om_host)}`"
    expected = ""
    kept = expected_total(state)
    if kept is not None:
        total = decide_preview(state, limit=0).total
        expected = f" The preview expects **{kept:,} of {total:,}** pipelines to be ingested."
    writes = "would write (a dry run writes nothing)" if state.dry_run else "writes"
    return (
        f"Reads `{host or '(no host yet)'}` and {writes} to {target} as service "
        f"`{state.databricks.service_name}`.{expected}"
    )


def om_ui_address(location: str) -> str:
    """OpenMetadata's address as the wizard shows it: its API URL without the ``/api`` suffix (the UI's)."""
    url = location.strip().rstrip("/")
    return url[: -len("/api")] if url.endswith("/api") else url


def stop_jobs(state: WizardState) -> None:
    """Stop this session's background work before it leaves its settings (start over, open, demo off).

    The preview stops. A run of a saved ingestion goes on: it belongs to the server and the ingestion, and
    opening the ingestion again reattaches to it. A run of an unsaved one (keyed by this session, which is
    about to forget it) is stopped: nobody could reach it again.
    """
    if state.preview is not None:
        state.preview.stop()
    if state.run is not None and state.ingestion_id is None:
        state.run.stop()
