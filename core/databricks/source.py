"""Reading jobs, DLT pipelines and runs from a workspace through ``databricks-sdk``.

Everything is a generator so a 20,000-job workspace streams page by page. The SDK does the transport,
auth, retries and error mapping (``ApiClient.do``); pages are read as raw JSON and decoded item by item
by :mod:`core.databricks.decode`, so one job, run or pipeline with an unexpected shape costs at most
itself (see that module for why the SDK's typed decoding is not used on them). Listing does not go
through the SDK's ``JobsExt`` mixin either: it fetches the remaining tasks of every job with more than
100 tasks *inside* the listing generator, so one job deleted between list and get would kill the whole
listing. Here the listing yields summaries, and completing a big job is a separate per-job call that can
fail for that job alone (and run in parallel with other work).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from databricks.sdk.errors import InvalidParameterValue, NotFound, ResourceDoesNotExist

from core.databricks.decode import (
    decode_dlt_pipeline,
    decode_dlt_update,
    decode_job,
    decode_run,
    item_id,
    merge_pages,
)
from core.databricks.errors import source_errors
from core.databricks.records import JobRecord, RunRecord
from core.databricks.retry import bodies, pages
from core.errors import DecodeError, SourceError
from core.prefetch import prefetch
from core.source import JobSummary  # defined with the protocol; importable from here too

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

__all__ = ["DatabricksSource", "JobSummary"]

JOBS_PAGE_SIZE = 100  # the API maximum
RUNS_PAGE_SIZE = 25  # the API maximum
PIPELINES_PAGE_SIZE = 100  # the API maximum
UPDATES_PAGE_SIZE = 100


def _undecodable(raw: object, err: DecodeError, kind: Literal["job", "dlt"]) -> JobSummary:
    """A summary for an item that could not be decoded: its id and name when readable."""
    ident = err.item or item_id(raw, "job_id", "pipeline_id") or "?"
    name = None
    if isinstance(raw, dict):
        settings = raw.get("settings")
        name = (settings.get("name") if isinstance(settings, dict) else None) or raw.get("name")
    record = JobRecord(id=ident, name=name if isinstance(name, str) and name else ident, kind=kind)
    return JobSummary(record, complete=True, problem=err)


class DatabricksSource:
    """The :class:`core.source.JobSource` of the Jobs API 2.2 and the Pipelines API 2.0.

    The workspace is seen through a ``WorkspaceClient``, which does transport, auth and its own retries.

    Methods raise :class:`core.errors.SourceError` subclasses (and ``DecodeError`` from ``get_job``),
    never SDK exceptions. Build it with :func:`core.factory.create_source`.
    """

    def __init__(self, client: WorkspaceClient, *, budget_s: float = 60.0) -> None:
        """Read through ``client``.

        Args:
            client: a client built by :func:`core.databricks.client.build_workspace_client`.
            budget_s: seconds our own retries of one call (transient 5xx, unreadable bodies) may take.
        """
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

    def _pages(self, path: str, query: dict[str, Any], key: str, what: str) -> Iterator[list[Any]]:
        return pages(self.client, path, query, key, what, budget_s=self.budget_s)

    def _object(self, path: str, query: dict[str, Any], what: str) -> dict[str, Any]:
        """One object of Jobs API 2.2 whose arrays are paged at 100 elements, merged into one."""
        merged: dict[str, Any] | None = None
        for body in bodies(self.client, path, query, what, budget_s=self.budget_s):
            if merged is None:
                merged = body
            else:
                merge_pages(merged, body)
        merged = merged or {}
        merged.pop("next_page_token", None)
        return merged

    def iter_job_summaries(self, *, with_tasks: bool = True) -> Iterator[JobSummary]:
        """Every job, page by page (100 per page). Without tasks when ``with_tasks`` is False (preview).

        Pages are fetched on a prefetch thread, so converting one page overlaps the next round trip.
        A job whose JSON cannot be decoded is yielded with ``problem`` set; the listing goes on.

        Raises:
            SourceError: when any page fails; the listing is then incomplete and the caller must not
                treat missing jobs as deleted.
        """
        query = {"limit": JOBS_PAGE_SIZE, "expand_tasks": with_tasks}
        job_pages = self._pages("/api/2.2/jobs/list", query, "jobs", "listing jobs")
        for page in prefetch(job_pages, depth=2, name="jobs-list"):
            for raw in page:
                try:
                    record, has_more = decode_job(raw)
                except DecodeError as err:
                    yield _undecodable(raw, err, "job")
                    continue
                yield JobSummary(record, complete=not (with_tasks and has_more))

    def get_job(self, job_id: str) -> JobRecord | None:
        """The full job with all its tasks (2.2's 100-task pages merged); None if it was deleted.

        Raises:
            DecodeError: when the job's JSON cannot be mapped (costs this job only).
            SourceError: when Databricks fails.
        """
        try:
            body = self._object("/api/2.2/jobs/get", {"job_id": int(job_id)}, f"reading job {job_id}")
        except SourceError as err:
            if isinstance(err.__cause__, (ResourceDoesNotExist, InvalidParameterValue, NotFound)):
                return None
            raise
        return decode_job(body)[0]

    def iter_runs(self, job_id: str, since_ms: int, problems: list[str] | None = None) -> Iterator[RunRecord]:
        """Runs of one job that started at or after ``since_ms``, newest first, active ones included.

        A run with more than 100 tasks is completed with ``runs/get`` (its pages merged). A run that
        cannot be decoded is skipped and described in ``problems`` (with its id and the field path).
        """
        what = f"listing runs of job {job_id}"
        query = {
            "job_id": int(job_id),
            "expand_tasks": True,
            "limit": RUNS_PAGE_SIZE,
            "start_time_from": since_ms,
        }
        raw_runs = (
            self._complete_run(raw)
            for page in self._pages("/api/2.2/jobs/runs/list", query, "runs", what)
            for raw in page
        )
        yield from _newest_first(raw_runs, decode_run, since_ms, problems, f"job {job_id}")

    def get_run(self, run_id: str) -> RunRecord | None:
        """One run by id (``runs/get``, its 100-task pages merged); None when it no longer exists.

        Raises:
            DecodeError: the run's JSON cannot be mapped.
            SourceError: (any subclass) the server failed.
        """
        try:
            body = self._object("/api/2.2/jobs/runs/get", {"run_id": int(run_id)}, f"reading run {run_id}")
        except SourceError as err:
            if isinstance(err.__cause__, (ResourceDoesNotExist, InvalidParameterValue, NotFound)):
                return None
            raise
        return decode_run(body)

    def iter_workspace_runs(self, since_ms: int) -> Iterator[tuple[str, RunRecord | str]]:
        """``(job id, run)`` of every job's runs started at or after ``since_ms``, in listing order.

        One workspace-wide ``runs/list`` (no ``job_id``, newest first): what the system tables have not
        caught up with yet, for every job at once. A run that cannot be decoded comes as ``(job id,
        problem)``, the sentence :meth:`iter_runs` would have put in ``problems``, at its place.
        """
        query = {"expand_tasks": True, "limit": RUNS_PAGE_SIZE, "start_time_from": since_ms}
        for page in self._pages("/api/2.2/jobs/runs/list", query, "runs", "listing the newest runs"):
            for raw in page:
                job_id = item_id(raw, "job_id")
                if job_id is None:
                    continue
                problems: list[str] = []
                decoded: list[RunRecord | str] = list(
                    _newest_first(iter([self._complete_run(raw)]), decode_run, 0, problems, f"job {job_id}")
                )
                for entry in [*decoded, *problems]:
                    yield job_id, entry

    def _complete_run(self, raw: Any) -> Any:
        """A listed run with more than 100 tasks, completed with ``runs/get`` (pages merged)."""
        run_id = item_id(raw, "run_id")
        if isinstance(raw, dict) and raw.get("has_more") is True and run_id:
            return self._object("/api/2.2/jobs/runs/get", {"run_id": run_id}, f"reading run {run_id}")
        return raw

    # -- Lakeflow / DLT pipelines ---------------------------------------------------------------------

    def iter_dlt_pipelines(self) -> Iterator[JobSummary]:
        """Every Lakeflow Declarative Pipeline, as a pipeline record with no tasks."""
        query = {"max_results": PIPELINES_PAGE_SIZE}
        for page in self._pages("/api/2.0/pipelines", query, "statuses", "listing DLT pipelines"):
            for raw in page:
                try:
                    summary = JobSummary(decode_dlt_pipeline(raw), complete=True)
                except DecodeError as err:
                    summary = _undecodable(raw, err, "dlt")
                yield summary

    def iter_dlt_updates(
        self, pipeline_id: str, since_ms: int, problems: list[str] | None = None
    ) -> Iterator[RunRecord]:
        """Updates of one DLT pipeline created at or after ``since_ms``, newest first."""
        what = f"listing updates of DLT pipeline {pipeline_id}"
        path = f"/api/2.0/pipelines/{pipeline_id}/updates"
        raw_updates = (
            raw
            for page in self._pages(path, {"max_results": UPDATES_PAGE_SIZE}, "updates", what)
            for raw in page
        )
        for update in _newest_first(
            raw_updates, decode_dlt_update, since_ms, problems, f"DLT pipeline {pipeline_id}"
        ):
            yield replace(update, url=self._dlt_update_url(pipeline_id, update.run_id))

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


def _newest_first(
    raws: Iterator[Any],
    decode: Callable[[Any], RunRecord],
    since_ms: int,
    problems: list[str] | None,
    owner: str,
) -> Iterator[RunRecord]:
    """Decoded runs (or updates) listed newest first, down to ``since_ms``.

    An item that cannot be decoded is skipped and described in ``problems`` (``owner: run 7: start_time
    is missing; it was skipped``). The first item older than ``since_ms`` ends the listing, so a server
    that ignores ``start_time_from`` cannot flood the run.
    """
    for raw in raws:
        try:
            record = decode(raw)
        except DecodeError as err:
            if problems is not None:
                problems.append(f"{owner}: {err.one_line()}")
            continue
        if record.start_ms < since_ms:
            return
        yield record
