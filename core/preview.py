"""Which pipelines the filters keep, with the reason, before anything is written.

One listing pass with tasks expanded (so task counts and schedules come free in the same pages); jobs
with more than 100 tasks are not completed (shown as "100+"): a preview must stay fast on 10,000 jobs.
A job's whole task graph (:func:`task_graph`) and its latest run's task states (:func:`latest_run`) are
read on demand, one job at a time, when the user selects it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from core.config.models import WorkflowConfig
from core.filters import filter_for
from core.mapping.schedule import start_mode
from core.mapping.status import execution_status
from core.source import JobSource

__all__ = ["GraphTask", "LatestRun", "PreviewRow", "TaskGraph", "iter_preview", "latest_run", "task_graph"]


@dataclass(frozen=True)
class PreviewRow:
    """One listed pipeline and the filter's decision on it."""

    id: str
    name: str
    kind: str
    kept: bool
    reason: str
    tasks: int
    tasks_truncated: bool
    schedule: str | None
    url: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (``preview --json``)."""
        return asdict(self)


def iter_preview(
    config: WorkflowConfig, source: JobSource, *, with_tasks: bool = True
) -> Iterator[PreviewRow]:
    """Stream a :class:`PreviewRow` per job, then per DLT pipeline.

    ``with_tasks=False`` lists names only (no task arrays in the pages): the same number of calls but
    much smaller pages to transfer and parse, for when only the filter decision matters.

    Args:
        config: the workflow; its ``pipelineFilterPattern`` decides what is kept.
        source: the Databricks workspace to list.
        with_tasks: list each job's tasks too (the row's ``tasks`` count).

    Yields:
        One row per job or DLT pipeline, in listing order; an unreadable one is kept=False with the reason.

    Raises:
        SourceError: when the listing itself fails (raised by ``source`` as the rows are consumed).
    """
    name_filter = filter_for(config)
    listing = itertools.chain(source.iter_job_summaries(with_tasks=with_tasks), source.iter_dlt_pipelines())
    for summary in listing:
        job = summary.record
        decision = name_filter.decide(job.name)
        reason = decision.reason
        if summary.problem is not None and decision.kept:
            reason = f"cannot be read: {summary.problem.one_line()}"
        mode = start_mode(job.schedule, job.trigger, job.triggers)
        yield PreviewRow(
            id=job.id,
            name=job.name,
            kind=job.kind,
            kept=decision.kept and summary.problem is None,
            reason=reason,
            tasks=len(job.tasks),
            tasks_truncated=not summary.complete,
            schedule=mode[0] if mode else None,
            url=source.dlt_url(job.id) if job.kind == "dlt" else source.job_url(job.id),
        )


@dataclass(frozen=True)
class GraphTask:
    """One task of a job's graph: its key, its kind and the tasks it waits for."""

    key: str
    #: the SDK's task field without ``_task``: ``notebook``, ``python_wheel``, ``for_each``... (``unknown``)
    kind: str
    depends_on: tuple[str, ...]


@dataclass(frozen=True)
class TaskGraph:
    """A job's whole task graph (every task, not the listing's first 100)."""

    job_id: str
    name: str
    tasks: tuple[GraphTask, ...]


@dataclass(frozen=True)
class LatestRun:
    """The newest run of a job and each task's outcome in it (OpenMetadata's four words)."""

    run_id: str
    start_ms: int
    url: str | None
    #: task key -> ``Successful``, ``Failed``, ``Pending`` (queued or running) or ``Skipped``
    task_states: dict[str, str]


def _short_kind(kind: str) -> str:
    return kind.removesuffix("_task") or "unknown"


def task_graph(source: JobSource, job_id: str) -> TaskGraph | None:
    """The job's tasks with their kind and ``depends_on``, read whole (``jobs/get``, all pages merged).

    Args:
        source: the Databricks workspace.
        job_id: the job's id as listed.

    Returns:
        The graph, or None when the job no longer exists.

    Raises:
        SourceError: Databricks failed; DecodeError: the job's JSON cannot be mapped.
    """
    job = source.get_job(job_id)
    if job is None:
        return None
    tasks = tuple(GraphTask(task.key, _short_kind(task.kind), tuple(task.depends_on)) for task in job.tasks)
    return TaskGraph(job_id=job.id, name=job.name, tasks=tasks)


def latest_run(source: JobSource, job_id: str) -> LatestRun | None:
    """The job's newest run (active ones included) with each task's state, or None when it never ran.

    Raises:
        SourceError: Databricks failed.
    """
    run = next(source.iter_runs(job_id, 0), None)
    if run is None:
        return None
    states: dict[str, str] = {
        task.key: execution_status(task.life_cycle_state, task.result_state)[0] for task in run.tasks
    }
    return LatestRun(run_id=run.run_id, start_ms=run.start_ms, url=run.url, task_states=states)
