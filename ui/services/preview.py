"""The live filter preview: a background listing and the decisions applied to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.config import WorkflowConfig
from core.errors import ConfigError, IngestionError
from core.filters import FilterDecision, NameFilter
from core.http_policy import PREVIEW_TIMEOUT_S
from ui.jobs import PreviewJob
from ui.services.config import _filter_pattern, build_config, databricks_fingerprint
from ui.services.warmup import load_engine
from ui.state import WizardState

#: the longest the wizard's listing waits for one request and its retries (seconds): a page must not hang


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
    load_engine()
    from core.factory import create_source
    from core.preview import iter_preview
    from core.secrets import redact

    budget = min(float(config.source.connection.connection_timeout), PREVIEW_TIMEOUT_S)
    try:
        source = create_source(config, timeout_s=budget, lineage=False).source
        for row in iter_preview(config, source):
            if job.stop_requested:
                return
            job.add(row)
    except IngestionError as err:
        job.error = err.one_line()
    except Exception as err:  # noqa: BLE001 -- an unexpected failure is still a message, never a traceback
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
    #: rows that pass the search and "Show" (``rows`` holds at most ``limit`` of them)
    shown: int = 0


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
    shown = 0
    for row, decision in decided:
        if show == "kept" and not decision.kept:
            continue
        if show == "filtered" and decision.kept:
            continue
        if needle and needle not in row.name.lower() and needle not in row.id.lower():
            continue
        shown += 1
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
        shown=shown,
    )


#: What "Show" selects -> the noun of the heading.
_SHOWN_NOUNS = {"all": "pipelines", "kept": "kept pipelines", "filtered": "filtered-out pipelines"}


def shown_heading(view: PreviewView, *, search: str = "", show: str = "all") -> str:
    """The heading (markdown) when the table shows a part of the listing: ``12 of 120 kept pipelines matching 'sales'``.

    Returns:
        "" when nothing narrows the table (no search, "Show" all): the page then says how many are kept.
    """
    needle = search.strip()
    if not needle and show == "all":
        return ""
    base = {"kept": view.kept, "filtered": view.total - view.kept}.get(show, view.total)
    from ui.services.saved import md  # the search as typed: the heading is markdown

    matching = f" matching '{md(needle)}'" if needle else ""
    return f"{view.shown:,} of {base:,} {_SHOWN_NOUNS.get(show, 'pipelines')}{matching}"
