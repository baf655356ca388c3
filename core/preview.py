"""Which pipelines the filters keep, with the reason, before anything is written.

One listing pass with tasks expanded (so task counts and schedules come free in the same pages); jobs
with more than 100 tasks are not completed (shown as "100+"): a preview must stay fast on 10,000 jobs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from core.config.models import WorkflowConfig
from core.filters import filter_for
from core.mapping.schedule import start_mode
from core.source import JobSource

__all__ = ["PreviewRow", "iter_preview"]


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
