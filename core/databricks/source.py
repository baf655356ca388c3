"""Reading jobs, DLT pipelines and runs from a workspace through ``databricks-sdk``.

Everything is a generator so a 20,000-job workspace streams page by page. Listing goes through the SDK's
generated ``JobsAPI.list`` rather than the ``JobsExt`` mixin: the mixin fetches the remaining tasks of
every job with more than 100 tasks *inside* the listing generator, so one job deleted between list and
get would kill the whole listing. Here the listing yields summaries, and completing a big job is a
separate per-job call that can fail for that job alone (and run in parallel with other work).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, NotFound, ResourceDoesNotExist
from databricks.sdk.service.jobs import BaseJob, BaseRun, Job, RunTask, Task
from databricks.sdk.service.pipelines import UpdateInfo

from core.databricks.errors import source_errors
from core.databricks.records import JobRecord, RunRecord, ScheduleRecord, TaskRecord, TaskRunRecord
from core.databricks.retry import call, pages
from core.errors import SourceError
from core.prefetch import prefetch

__all__ = ["TASK_KINDS", "DatabricksSource", "JobSummary"]

JOBS_PAGE_SIZE = 100  # the API maximum
RUNS_PAGE_SIZE = 25  # the API maximum
PIPELINES_PAGE_SIZE = 100  # the API maximum
UPDATES_PAGE_SIZE = 100

#: Task kinds, in the order Databricks documents them; the first one set on a task is its taskType.
TASK_KINDS = (
    "notebook_task",
    "spark_python_task",
    "pipeline_task",
    "sql_task",
    "dbt_task",
    "python_wheel_task",
    "spark_jar_task",
    "spark_submit_task",
    "run_job_task",
    "condition_task",
    "for_each_task",
    "dashboard_task",
    "power_bi_task",
    "clean_rooms_notebook_task",
    "dbt_cloud_task",
    "dbt_platform_task",
    "alert_task",
    "gen_ai_compute_task",
)


@dataclass(frozen=True)
class JobSummary:
    """A job as the listing returned it; ``complete`` is False when it has more than 100 tasks."""

    record: JobRecord
    complete: bool


class DatabricksSource:
    """The workspace, seen through a ``WorkspaceClient``.

    Methods raise :class:`core.errors.SourceError` subclasses, never SDK exceptions.
    """

    def __init__(self, client: WorkspaceClient, *, budget_s: float = 60.0) -> None:
        self.client = client
        self.budget_s = budget_s  # upper bound on our own retries of one call (transient 5xx, bad bodies)

    # -- identity -------------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The workspace base URL, without a trailing slash."""
        return (self.client.config.host or "").rstrip("/")

    @property
    def workspace_id(self) -> str | None:
        """The workspace (org) id when the host told us, for ``?o=`` in links."""
        return self.client.config.workspace_id or None

    def current_user(self) -> str:
        """The user (or service principal) the credentials belong to: a cheap auth check."""
        with source_errors("checking the credentials"):
            me = self.client.current_user.me()
        return me.user_name or me.display_name or me.id or "?"

    # -- jobs -----------------------------------------------------------------------------------------

    def iter_job_summaries(self, *, with_tasks: bool = True) -> Iterator[JobSummary]:
        """Every job, page by page (100 per page). Without tasks when ``with_tasks`` is False (preview).

        Pages are fetched on a prefetch thread, so converting one page overlaps the next round trip.

        Raises:
            SourceError: when any page fails; the listing is then incomplete and the caller must not
                treat missing jobs as deleted.
        """
        query = {"limit": JOBS_PAGE_SIZE, "expand_tasks": with_tasks}
        job_pages = pages(
            self.client, "/api/2.2/jobs/list", query, "jobs", "listing jobs", budget_s=self.budget_s
        )
        for page in prefetch(job_pages, depth=2, name="jobs-list"):
            for raw in page:
                with source_errors("reading the job listing"):
                    base = BaseJob.from_dict(raw)
                    record = job_from_sdk(base)
                yield JobSummary(record, complete=not (with_tasks and bool(base.has_more)))

    def get_job(self, job_id: str) -> JobRecord | None:
        """The full job with all its tasks (the SDK merges 2.2's 100-task pages); None if it was deleted."""
        try:
            job = call(f"reading job {job_id}", self.client.jobs.get, int(job_id), budget_s=self.budget_s)
        except SourceError as err:
            if isinstance(err.__cause__, (ResourceDoesNotExist, InvalidParameterValue, NotFound)):
                return None
            raise
        return job_from_sdk(job)

    def iter_runs(self, job_id: str, since_ms: int) -> Iterator[RunRecord]:
        """Runs of one job that started at or after ``since_ms``, newest first, active ones included.

        A run with more than 100 tasks is completed with ``runs/get`` (the SDK merges its pages).
        """
        what = f"listing runs of job {job_id}"
        query = {
            "job_id": int(job_id),
            "expand_tasks": True,
            "limit": RUNS_PAGE_SIZE,
            "start_time_from": since_ms,
        }
        for page in pages(
            self.client, "/api/2.2/jobs/runs/list", query, "runs", what, budget_s=self.budget_s
        ):
            for raw in page:
                with source_errors(what):
                    run = BaseRun.from_dict(raw)
                if run.has_more and run.run_id is not None:
                    run = call(
                        f"reading run {run.run_id}",
                        self.client.jobs.get_run,
                        run.run_id,
                        budget_s=self.budget_s,
                    )
                record = run_from_sdk(run)
                if record.start_ms < since_ms:  # a server ignoring start_time_from must not flood us
                    return
                yield record

    # -- Lakeflow / DLT pipelines ---------------------------------------------------------------------

    def iter_dlt_pipelines(self) -> Iterator[JobRecord]:
        """Every Lakeflow Declarative Pipeline, as a pipeline record with no tasks."""
        query = {"max_results": PIPELINES_PAGE_SIZE}
        what = "listing DLT pipelines"
        for page in pages(self.client, "/api/2.0/pipelines", query, "statuses", what, budget_s=self.budget_s):
            for raw in page:
                if not raw.get("pipeline_id"):
                    continue
                yield JobRecord(
                    id=str(raw["pipeline_id"]),
                    name=str(raw.get("name") or raw["pipeline_id"]),
                    kind="dlt",
                    creator=raw.get("creator_user_name"),
                )

    def iter_dlt_updates(self, pipeline_id: str, since_ms: int) -> Iterator[RunRecord]:
        """Updates of one DLT pipeline created at or after ``since_ms``, newest first."""
        what = f"listing updates of DLT pipeline {pipeline_id}"
        path = f"/api/2.0/pipelines/{pipeline_id}/updates"
        for page in pages(
            self.client, path, {"max_results": UPDATES_PAGE_SIZE}, "updates", what, budget_s=self.budget_s
        ):
            for raw in page:
                with source_errors(what):
                    update = UpdateInfo.from_dict(raw)
                created = int(update.creation_time or 0)
                if created < since_ms:
                    return
                yield RunRecord(
                    run_id=update.update_id or str(created),
                    start_ms=created,
                    end_ms=None,
                    life_cycle_state=update.state.value if update.state else None,
                    result_state=None,
                    url=self._dlt_update_url(pipeline_id, update.update_id),
                )

    # -- links ----------------------------------------------------------------------------------------

    def _query(self) -> str:
        return f"?o={self.workspace_id}" if self.workspace_id else ""

    def job_url(self, job_id: str) -> str:
        """Link to a job in the workspace UI."""
        return f"{self.host}/jobs/{job_id}{self._query()}"

    def task_url(self, job_id: str, task_key: str) -> str:
        """Link to one task of a job in the workspace UI."""
        from urllib.parse import quote

        return f"{self.host}/jobs/{job_id}/tasks/{quote(task_key, safe='')}{self._query()}"

    def dlt_url(self, pipeline_id: str) -> str:
        """Link to a DLT pipeline in the workspace UI."""
        return f"{self.host}/pipelines/{pipeline_id}{self._query()}"

    def _dlt_update_url(self, pipeline_id: str, update_id: str | None) -> str:
        base = f"{self.host}/pipelines/{pipeline_id}"
        return f"{base}/updates/{update_id}{self._query()}" if update_id else base + self._query()


# -- conversions from SDK dataclasses -------------------------------------------------------------------


def _task_kind(task: Task | RunTask) -> str:
    for kind in TASK_KINDS:
        if getattr(task, kind, None) is not None:
            return kind
    return "unknown_task"


def task_from_sdk(task: Task) -> TaskRecord:
    """Our record of one task definition."""
    pipeline_task: Any = task.pipeline_task
    return TaskRecord(
        key=task.task_key,
        kind=_task_kind(task),
        description=task.description or None,
        depends_on=tuple(dep.task_key for dep in task.depends_on or [] if dep.task_key),
        pipeline_id=getattr(pipeline_task, "pipeline_id", None),
    )


def job_from_sdk(job: BaseJob | Job) -> JobRecord:
    """Our record of one job (tasks included when the SDK object has them)."""
    settings = job.settings
    schedule = None
    trigger = None
    if settings is not None:
        if settings.schedule is not None and settings.schedule.quartz_cron_expression:
            pause = settings.schedule.pause_status
            schedule = ScheduleRecord(
                quartz_cron=settings.schedule.quartz_cron_expression,
                timezone=settings.schedule.timezone_id or "UTC",
                paused=bool(pause and pause.value == "PAUSED"),
            )
        if settings.continuous is not None:
            trigger = "continuous"
        elif settings.trigger is not None:
            trigger = next(
                (
                    name
                    for name in ("file_arrival", "periodic", "table_update", "table")
                    if getattr(settings.trigger, name, None)
                ),
                "trigger",
            )
    tasks = tuple(task_from_sdk(task) for task in (settings.tasks or [] if settings else []))
    return JobRecord(
        id=str(job.job_id),
        name=(settings.name if settings and settings.name else f"Untitled job {job.job_id}"),
        kind="job",
        description=(settings.description or None) if settings else None,
        creator=job.creator_user_name,
        tags=dict(settings.tags or {}) if settings else {},
        schedule=schedule,
        tasks=tasks,
        max_concurrent_runs=settings.max_concurrent_runs if settings else None,
        created_time_ms=job.created_time,
        trigger=trigger,
    )


def _enum(value: Any) -> str | None:
    return value.value if value is not None and hasattr(value, "value") else value


def run_from_sdk(run: BaseRun) -> RunRecord:
    """Our record of one run, with each task's own state, times and link."""
    state = run.state
    tasks = tuple(
        TaskRunRecord(
            key=task.task_key,
            life_cycle_state=_enum(task.state.life_cycle_state) if task.state else None,
            result_state=_enum(task.state.result_state) if task.state else None,
            start_ms=task.start_time or None,
            end_ms=task.end_time or None,
            url=task.run_page_url,
        )
        for task in run.tasks or []
        if task.task_key
    )
    return RunRecord(
        run_id=str(run.run_id),
        start_ms=int(run.start_time or 0),
        end_ms=run.end_time or None,
        life_cycle_state=_enum(state.life_cycle_state) if state else None,
        result_state=_enum(state.result_state) if state else None,
        url=run.run_page_url,
        tasks=tasks,
        state_message=(state.state_message or None) if state else None,
    )
