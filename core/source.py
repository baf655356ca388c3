"""What the engine reads from: the :class:`JobSource` and :class:`LineageSource` protocols and their items.

The engine (:mod:`core.engine`) is typed to these protocols, not to a client, so any source of jobs and
runs plugs in: the Databricks REST APIs (:class:`core.databricks.source.DatabricksSource`, built by
:func:`core.factory.create_source`), Databricks system tables, or an in-memory fake in a test. This module
imports nothing heavy (no databricks-sdk): importing the engine must not cost the SDK's second.

Contract of every implementation:

- listings are generators, page by page: nothing holds the whole workspace;
- one item that cannot be read costs that item only: the listing yields it as a :class:`JobSummary` with
  ``problem`` set, a run listing skips it and describes it in ``problems``;
- every error raised is a :mod:`core.errors` class, never a client library's own; which class means what
  is in each method's ``Raises:``, and what the run then does is :data:`core.errors.FAILURE_POLICY`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable

from core.databricks.records import JobRecord, RunRecord
from core.errors import DecodeError

__all__ = [
    "JobSource",
    "JobSummary",
    "LineageEdge",
    "LineageSource",
    "RestStatuses",
    "StatusSource",
    "StoredStatus",
]


@dataclass(frozen=True)
class JobSummary:
    """A job (or DLT pipeline) as the listing returned it.

    ``complete`` is False when the job has more than 100 tasks (complete it with ``get_job``).
    ``problem`` is set when the item could not be decoded: ``record`` then holds only what could be
    read (its id, and its name when there is one) and the item must be reported, not written.
    """

    record: JobRecord
    complete: bool
    problem: DecodeError | None = None


@dataclass(frozen=True)
class LineageEdge:
    """A table-to-table edge observed for one job or DLT pipeline.

    ``entity_id`` is the job id or DLT pipeline id (``JobRecord.id``); tables are ``catalog.schema.table``.
    """

    entity_id: str
    source_table: str
    target_table: str


@runtime_checkable
class JobSource(Protocol):
    """Jobs, DLT pipelines and their runs, plus the workspace links the mapping writes.

    Times are epoch milliseconds (UTC), as Databricks reports them. Ids are text (a job id ``"123"``, a
    DLT pipeline id ``"8f3c..."``). The error classes are those of :mod:`core.errors`:
    ``SourceAuthError`` (credentials refused, 401/403), ``SourceUnavailableError`` (the server kept failing
    after retries: 429, 5xx, timeouts, resets, unreadable bodies), ``SourceError`` (anything else the
    server said no to), ``DecodeError`` (one item's JSON cannot be mapped).

    Sources of the shapes: the Jobs API 2.2 (``jobs/list``, ``jobs/get``, ``jobs/runs/list``:
    https://docs.databricks.com/api/workspace/jobs) and the Pipelines API 2.0 (``GET /api/2.0/pipelines``,
    ``.../updates``: https://docs.databricks.com/api/workspace/pipelines); records are decoded by
    :mod:`core.databricks.decode`.
    """

    def iter_job_summaries(self, *, with_tasks: bool = True) -> Iterator[JobSummary]:
        """Every job in the workspace, in listing order.

        Args:
            with_tasks: list with the jobs' tasks (first 100 per job; ``complete`` says whether that was
                all). False lists names only (a preview that needs only the filter's decision).

        Yields:
            One :class:`JobSummary` per job; an undecodable job with ``problem`` set.

        Raises:
            SourceError: (any subclass) a page failed; the listing is incomplete and the caller must not
                treat a missing job as deleted.
        """
        ...

    def get_job(self, job_id: str) -> JobRecord | None:
        """The whole job with all its tasks (a summary had ``complete=False``).

        Returns:
            The job, or None when it was deleted since it was listed.

        Raises:
            DecodeError: the job's JSON cannot be mapped (costs this job only).
            SourceError: (any subclass) the server failed.
        """
        ...

    def iter_runs(self, job_id: str, since_ms: int, problems: list[str] | None = None) -> Iterator[RunRecord]:
        """Runs of one job that started at or after ``since_ms``, newest first, active ones included.

        Args:
            job_id: the job.
            since_ms: the earliest start time wanted (epoch ms).
            problems: receives one sentence per run that could not be decoded (and was skipped).

        Raises:
            SourceError: (any subclass) the server failed; raised while iterating.
        """
        ...

    def iter_dlt_pipelines(self) -> Iterator[JobSummary]:
        """Every Lakeflow Declarative (DLT) pipeline, as a ``kind="dlt"`` record with no tasks.

        Raises:
            SourceError: (any subclass) a page failed; the listing is incomplete.
        """
        ...

    def iter_dlt_updates(
        self, pipeline_id: str, since_ms: int, problems: list[str] | None = None
    ) -> Iterator[RunRecord]:
        """Updates of one DLT pipeline created at or after ``since_ms`` (epoch ms), newest first.

        Each record's ``url`` links to the update. ``problems`` as in :meth:`iter_runs`.

        Raises:
            SourceError: (any subclass) the server failed; raised while iterating.
        """
        ...

    def job_url(self, job_id: str) -> str:
        """Link to a job in the workspace UI (``sourceUrl`` of its pipeline)."""
        ...

    def task_url(self, job_id: str, task_key: str) -> str:
        """Link to one task of a job in the workspace UI (``sourceUrl`` of the task)."""
        ...

    def dlt_url(self, pipeline_id: str) -> str:
        """Link to a DLT pipeline in the workspace UI."""
        ...


@runtime_checkable
class LineageSource(Protocol):
    """Table-to-table lineage observed for jobs and DLT pipelines.

    Source: Unity Catalog's ``system.access.table_lineage`` (``entity_type`` JOB or PIPELINE,
    ``entity_id``; https://docs.databricks.com/en/admin/system-tables/lineage.html).
    """

    def edges(self, entity_ids: Iterable[str], today: date | None = None) -> Iterator[LineageEdge]:
        """Distinct edges of ``entity_ids`` (job or DLT pipeline ids) within the source's lookback window.

        Args:
            entity_ids: the ids whose edges are wanted; an id that is not a plain id is ignored.
            today: the end of the window (default: today's date).

        Raises:
            SourceError: (any subclass) the query failed; the run reports it and ends lineage there.
        """
        ...


@dataclass(frozen=True)
class StoredStatus:
    """What a status source may know of a pipeline's latest status in OpenMetadata (see ``StatusSource.runs``).

    Times are epoch milliseconds: ``timestamp_ms`` is the status's ``timestamp`` (its run's start),
    ``end_ms`` its ``endTime`` (None when the server's schema has none, before 1.13), ``final`` whether it
    had finished when stored (any ``executionStatus`` but Pending).
    """

    timestamp_ms: int
    end_ms: int | None
    final: bool


@runtime_checkable
class StatusSource(Protocol):
    """Where the engine gets each pipeline's runs: the REST path job by job, or the system tables in batches.

    :meth:`stream` wraps the kept pipelines on their way to the workers (an implementation that reads
    in batches reads a batch's runs there, ahead of the workers); :meth:`runs` is asked per pipeline
    on a worker. Implementations: :class:`RestStatuses` (today's path) and
    :class:`core.databricks.system_tables.SystemTableStatuses`.
    """

    def stream(
        self,
        summaries: Iterator[JobSummary],
        since_ms: int,
        now_ms: int,
        stop: threading.Event | None = None,
    ) -> Iterator[JobSummary]:
        """The kept pipelines, in listing order, unchanged; ``since_ms``..``now_ms`` is the status window.

        ``stop`` is the run's stop event: a source that reads ahead stops reading and waiting once it is set.

        Raises:
            SourceError: (any subclass) the listing failed; what ``summaries`` raised passes through.
            RunInterrupted: ``stop`` was set while the source was reading ahead.
        """
        ...

    def runs(
        self, job: JobRecord, since_ms: int, problems: list[str], stored: StoredStatus | None = None
    ) -> Iterator[RunRecord]:
        """Runs (or DLT updates) of ``job`` started at or after ``since_ms``, newest first.

        ``stored`` is the pipeline's latest status in OpenMetadata (None: unknown, or statuses are all
        sent again). A run that started and ended before its timestamp is already stored in its final
        state (:func:`core.mapping.status.already_stored`), and so is the run at that timestamp when the
        stored status is final and ends when the run does; neither will be sent, so a source may give
        them from what it has at hand, marked ``detail_omitted``, without detail that would cost a
        request (the system tables source does: a rerun pays no ``runs/get`` for runs it already wrote).

        Raises:
            SourceError: (any subclass) the server failed; costs this pipeline.
        """
        ...

    def warnings(self) -> list[str]:
        """Sentences the run reports once (a source that fell back to REST says so here)."""
        ...


class RestStatuses:
    """The :class:`StatusSource` of a :class:`JobSource`: ``iter_runs`` / ``iter_dlt_updates`` per pipeline."""

    def __init__(self, source: JobSource) -> None:
        """Ask ``source`` for each pipeline's runs."""
        self.source = source

    def stream(
        self,
        summaries: Iterator[JobSummary],
        since_ms: int,
        now_ms: int,
        stop: threading.Event | None = None,
    ) -> Iterator[JobSummary]:
        """``summaries`` as they are (nothing to read ahead, so nothing to stop)."""
        return summaries

    def runs(
        self, job: JobRecord, since_ms: int, problems: list[str], stored: StoredStatus | None = None
    ) -> Iterator[RunRecord]:
        """The job's runs (``iter_runs``), or the DLT pipeline's updates (``iter_dlt_updates``).

        ``stored`` changes nothing here: a job's first ``runs/list`` page already holds its newest 25
        runs, and a run still going at the stored timestamp may sit on any later page.
        """
        if job.kind == "dlt":
            return self.source.iter_dlt_updates(job.id, since_ms, problems)
        return self.source.iter_runs(job.id, since_ms, problems)

    def warnings(self) -> list[str]:
        """None: the REST path has nothing to report beyond each pipeline's own warnings."""
        return []
