"""Jobs API routes: ``jobs/list``, ``jobs/get``, ``jobs/runs/list``, ``jobs/runs/get`` (2.2 and 2.1)."""

from __future__ import annotations

from itertools import islice
from typing import Any

from core.emulators.databricks.base import DatabricksBase
from core.emulators.databricks.protocol import (
    ARRAY_PAGE,
    JOB_ARRAYS,
    RUN_ARRAYS,
    bool_param,
    decode_token,
    encode_token,
    int_param,
    invalid_parameter,
    page_links,
    slice_arrays,
)
from core.emulators.http import Request
from core.emulators.workspace import ACTIVE_LIFE_CYCLE_STATES, COMPLETED_LIFE_CYCLE_STATES, RunRef


class JobRoutes(DatabricksBase):
    """Jobs and runs, with 2.2's array paging and 2.1's whole arrays."""

    @staticmethod
    def _is_v22(request: Request) -> bool:
        return request.path.startswith("/api/2.2/")

    def _jobs_list(self, request: Request) -> dict[str, Any]:
        limit = int_param(request, "limit", 20)
        if not 1 <= limit <= 100:
            raise invalid_parameter(f"Invalid limit {limit}: must be between 1 and 100")
        offset = (
            decode_token("jobs", request.query.get("page_token"))
            if request.query.get("page_token")
            else int_param(request, "offset", 0)
        )
        if offset < 0:
            raise invalid_parameter("offset must be >= 0")
        expand = bool_param(request, "expand_tasks")
        page_ids, total = self._job_id_page(request.query.get("name"), offset, limit)
        jobs = [self._listed_job(job_id, expand, self._is_v22(request)) for job_id in page_ids]
        body: dict[str, Any] = {"jobs": [j for j in jobs if j is not None]}
        if not body["jobs"]:
            del body["jobs"]
        body.update(page_links("jobs", offset, limit, offset + limit < total))
        return body

    def _job_id_page(self, name: str | None, offset: int, limit: int) -> tuple[list[int | str], int]:
        """One page of live job keys and the total, optionally only those named ``name``.

        The name filter is exact and case-insensitive (real semantics); without it no name is computed.
        A key is the ``job_id``, or ``recorded#<n>`` for a recorded job without a usable one.
        """
        if not name:
            return list(islice(self.workspace.job_ids(), offset, offset + limit)), self.workspace.job_count
        wanted = name.casefold()
        ids = [
            jid
            for jid in self.workspace.job_ids()
            if (self.workspace.job_name(jid) or "").casefold() == wanted
        ]
        return ids[offset : offset + limit], len(ids)

    def _listed_job(self, job_id: int | str, expand: bool, v22: bool) -> dict[str, Any] | None:
        """A ``BaseJob``: no ``run_as_user_name``; tasks only with ``expand_tasks`` (capped in 2.2)."""
        job = self.workspace.job_by_id(job_id, with_tasks=expand)
        if job is None:  # deleted between listing ids and building the page
            return None
        if not isinstance(job, dict):  # a recorded malformed item: served as it is
            return job
        job.pop("run_as_user_name", None)
        settings = job.get("settings")
        if not isinstance(settings, dict):
            return job
        if not expand:
            settings.pop("tasks", None)
            settings.pop("job_clusters", None)
        elif v22:
            job["has_more"] = slice_arrays(settings, JOB_ARRAYS, 0)
        return job

    def _jobs_get(self, request: Request) -> dict[str, Any]:
        job_id = int_param(request, "job_id")
        if job_id is None:
            raise invalid_parameter("Missing required field: job_id")
        job = self.workspace.job_by_id(job_id)
        if job is None:
            raise invalid_parameter(f"Job {job_id} does not exist.")
        if self._is_v22(request) and isinstance(job.get("settings"), dict):
            offset = decode_token(f"job:{job_id}", request.query.get("page_token"))
            if slice_arrays(job["settings"], JOB_ARRAYS, offset):
                job["next_page_token"] = encode_token(f"job:{job_id}", offset + ARRAY_PAGE)
        return job

    def _runs_list(self, request: Request) -> dict[str, Any]:
        limit = int_param(request, "limit", 20)
        if limit == 0:
            limit = 25
        if not 1 <= limit <= 25:
            raise invalid_parameter(f"Invalid limit {limit}: must be between 1 and 25")
        active_only = bool_param(request, "active_only")
        completed_only = bool_param(request, "completed_only")
        if active_only and completed_only:
            raise invalid_parameter("active_only and completed_only cannot both be true")
        offset = (
            decode_token("runs", request.query.get("page_token"))
            if request.query.get("page_token")
            else int_param(request, "offset", 0)
        )
        refs = self.workspace.run_refs(int_param(request, "job_id"))
        refs = self._filter_runs(request, refs, active_only, completed_only)
        expand = bool_param(request, "expand_tasks")
        runs = self._listed_runs(refs[offset : offset + limit], expand, self._is_v22(request))
        body: dict[str, Any] = {"runs": runs} if runs else {}
        body.update(page_links("runs", offset, limit, offset + limit < len(refs)))
        return body

    @staticmethod
    def _filter_runs(
        request: Request, refs: list[RunRef], active_only: bool, completed_only: bool
    ) -> list[RunRef]:
        start_from = int_param(request, "start_time_from")
        start_to = int_param(request, "start_time_to")
        run_type = request.query.get("run_type")
        if run_type and run_type not in ("JOB_RUN", "WORKFLOW_RUN", "SUBMIT_RUN"):
            raise invalid_parameter(f"Invalid run_type: {run_type}")
        if run_type and run_type != "JOB_RUN":  # every generated run is a JOB_RUN
            return []
        return [
            ref
            for ref in refs
            if (start_from is None or ref.start_time >= start_from)
            and (start_to is None or ref.start_time <= start_to)
            and (not completed_only or ref.life_cycle_state in COMPLETED_LIFE_CYCLE_STATES)
            and (not active_only or ref.life_cycle_state in ACTIVE_LIFE_CYCLE_STATES)
        ]

    def _listed_runs(self, refs: list[RunRef], expand: bool, v22: bool) -> list[Any]:
        """Build each job's runs once per page; tasks only with ``expand_tasks`` (capped in 2.2)."""
        by_job: dict[int | str, list[Any]] = {}  # a recorded workspace's runs may be any JSON value
        runs: list[Any] = []
        for ref in refs:
            if ref.job_id not in by_job:
                by_job[ref.job_id] = self.workspace.runs(ref.job_id)
            if ref.ordinal >= len(by_job[ref.job_id]):
                continue  # the job was deleted while this page was being built
            run = by_job[ref.job_id][ref.ordinal]
            if not isinstance(run, dict):  # a recorded malformed item: served as it is
                runs.append(run)
                continue
            if not expand:
                run.pop("tasks", None)
                run.pop("job_clusters", None)
            elif v22:
                run["has_more"] = slice_arrays(run, RUN_ARRAYS, 0)
            runs.append(run)
        return runs

    def _runs_get(self, request: Request) -> dict[str, Any]:
        run_id = int_param(request, "run_id")
        if run_id is None:
            raise invalid_parameter("Missing required field: run_id")
        run = self.workspace.run_by_id(run_id)
        if run is None:
            raise invalid_parameter(f"Run {run_id} does not exist.")
        if self._is_v22(request) and isinstance(run, dict):
            offset = decode_token(f"run:{run_id}", request.query.get("page_token"))
            if slice_arrays(run, RUN_ARRAYS, offset):
                run["next_page_token"] = encode_token(f"run:{run_id}", offset + ARRAY_PAGE)
        return run
