"""The public :class:`Workspace`: what the Databricks emulator asks of a generated workspace."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from core.emulators.workspace.lineage import LineageGenerator
from core.emulators.workspace.runs import RunGenerator
from core.emulators.workspace.spec import JOB_ID_BASE, RunRef
from core.emulators.workspace.vocabulary import draw_name, drop_tasks


class Workspace(RunGenerator, LineageGenerator):
    """A generated Databricks workspace: jobs, tasks, runs, DLT pipelines and table lineage.

    Job *indexes* run from ``0`` to ``spec.jobs - 1``; job *ids* are ``1000 + index``. Every accessor
    returns freshly built dicts, so callers may mutate what they get.
    """

    # -- jobs ---------------------------------------------------------------------------------------

    @property
    def job_count(self) -> int:
        """Number of jobs that exist now (generated minus deleted)."""
        with self._lock:
            return self.spec.jobs - len(self._deleted)

    def job_ids(self) -> Iterator[int]:
        """Ids of existing jobs in ascending order (the order ``jobs/list`` pages through)."""
        with self._lock:
            deleted = frozenset(self._deleted)
        for index in range(self.spec.jobs):
            job_id = JOB_ID_BASE + index
            if job_id not in deleted:
                yield job_id

    def job_name(self, job_id: int | str) -> str | None:
        """Just the name (cheap: used by the exact-name filter over huge workspaces).

        ``job_id`` is a routing key of ``jobs/list``: an int here; a str key (only a recorded workspace
        has them, e.g. ``recorded#3``) names no generated job and gives ``None``.
        """
        index = self._live_index(job_id)
        return None if index is None else draw_name(self._job_rng(index), index)

    def job(self, index: int, with_tasks: bool = True) -> dict[str, Any]:
        """The full Jobs 2.2 ``Job`` JSON (all tasks, no paging) of the job at ``index``.

        Raises:
            IndexError: ``index`` is outside ``0 .. spec.jobs - 1``.
            KeyError: the job was deleted with :meth:`delete_job`.
        """
        if not 0 <= index < self.spec.jobs:
            raise IndexError(f"job index {index} out of range 0..{self.spec.jobs - 1}")
        job_id = JOB_ID_BASE + index
        with self._lock:
            if job_id in self._deleted:
                raise KeyError(f"Job {job_id} was deleted")
            removed = frozenset(self._removed_tasks.get(job_id, ()))
        job = self._build_job(index, with_tasks)
        if removed and with_tasks:
            drop_tasks(job["settings"], removed)
        return job

    def job_by_id(self, job_id: int | str, with_tasks: bool = True) -> dict[str, Any] | None:
        """The job with this id, or ``None`` when it never existed or was deleted (or the key is no id)."""
        index = self._live_index(job_id)
        return None if index is None else self.job(index, with_tasks)

    def delete_job(self, job_id: int) -> None:
        """Delete a job: the API then answers "Job <id> does not exist." (lineage history stays)."""
        with self._lock:
            self._deleted.add(int(job_id))

    def remove_task(self, job_id: int, task_key: str) -> None:
        """Remove a task from a job's settings; existing runs keep referencing it (as in reality)."""
        with self._lock:
            self._removed_tasks.setdefault(int(job_id), set()).add(task_key)

    # -- runs ---------------------------------------------------------------------------------------

    def runs(self, job_id: int | str) -> list[dict[str, Any]]:
        """Every run of a job with all its task runs, newest first (``[]`` for unknown/deleted jobs)."""
        index = self._live_index(job_id)
        return [] if index is None else self._build_runs(index)

    def run_refs(self, job_id: int | None = None) -> list[RunRef]:
        """Cheap references to the runs of one job, or of all jobs, newest first.

        Why: ``runs/list`` without ``job_id`` over 100,000 runs must sort and filter without building
        every run's JSON. Start times and states come from the first draws of each job's run RNG.
        """
        if job_id is not None:
            index = self._live_index(job_id)
            return [] if index is None else self._run_refs(index)
        with self._lock:
            version = len(self._deleted)  # jobs are only ever deleted: the count names the state
            cached = getattr(self, "_all_refs", None)
        if cached is not None and cached[0] == version:
            return list(cached[1])
        refs = [ref for jid in self.job_ids() for ref in self._run_refs(jid - JOB_ID_BASE)]
        refs.sort(key=lambda r: (-r.start_time, -r.run_id))
        with self._lock:
            # every page of a workspace-wide runs/list asks again; a real server has an index for this
            self._all_refs = (version, tuple(refs))
        return refs

    def run_by_id(self, run_id: int) -> dict[str, Any] | None:
        """One run (with all task runs) by its ``run_id``, or ``None``."""
        decoded = self._decode_run_id(run_id)
        if decoded is None:
            return None
        index, ordinal = decoded
        if self._live_index(JOB_ID_BASE + index) is None:
            return None
        return self._build_runs(index)[ordinal]

    # -- pipelines ----------------------------------------------------------------------------------

    def pipeline_ids(self) -> list[str]:
        """Ids of all DLT pipelines, in creation order."""
        return list(self._pipeline_ids)

    def pipelines(self) -> list[dict[str, Any]]:
        """``PipelineStateInfo`` JSON of every pipeline (what ``GET /api/2.0/pipelines`` lists)."""
        return [self._pipeline_state_info(p) for p in range(len(self._pipeline_ids))]

    def pipeline(self, pipeline_id: str) -> dict[str, Any] | None:
        """``GetPipelineResponse`` JSON (with ``spec``) or ``None`` for an unknown id."""
        p = self._pipeline_index.get(pipeline_id)
        return None if p is None else self._pipeline_detail(p)

    def pipeline_updates(self, pipeline_id: str) -> list[dict[str, Any]] | None:
        """``UpdateInfo`` JSON of a pipeline's updates, newest first; ``None`` for an unknown id."""
        p = self._pipeline_index.get(pipeline_id)
        return None if p is None else self._pipeline_updates(p)

    # -- lineage ------------------------------------------------------------------------------------

    def lineage_rows(self, job_or_pipeline_ids: Iterable[str], since_date: str) -> list[dict[str, Any]]:
        """Rows of ``system.access.table_lineage`` for these entity ids with ``event_date >= since_date``.

        Rows of deleted jobs are still returned: system tables keep history.
        """
        rows: list[dict[str, Any]] = []
        for entity_id in dict.fromkeys(str(i) for i in job_or_pipeline_ids):
            rows.extend(r for r in self._entity_lineage(entity_id) if r["event_date"] >= since_date)
        return rows

    def table_full_names(self) -> Iterator[str]:
        """Every distinct three-part table name that appears in lineage (source or target)."""
        seen: set[str] = set()
        entity_ids = [str(JOB_ID_BASE + i) for i in range(self.spec.jobs)] + self._pipeline_ids
        for entity_id in entity_ids:
            for row in self._entity_lineage(entity_id):
                for name in (row["source_table_full_name"], row["target_table_full_name"]):
                    if name and name not in seen:
                        seen.add(name)
                        yield name
