"""Run statuses of every kept job from the ``system.lakeflow`` tables, in a few SQL statements.

The REST path lists runs job by job (one ``runs/list`` per job, at least). Here the runs of a batch of
jobs come from two statements on the SQL warehouse named by ``httpPath``, scoped to this workspace's id
and the batch's job ids; only what the tables cannot say goes to REST.

Facts used, from the Jobs system table reference (https://docs.databricks.com/en/admin/system-tables/jobs.html,
and its Azure copy https://learn.microsoft.com/azure/databricks/admin/system-tables/jobs, seen 2026-11-29):

- ``system.lakeflow.job_run_timeline`` and ``job_task_run_timeline`` hold every workspace of the account
  in the same region: every statement filters on ``workspace_id`` (text) and ``job_id`` (text).
- A run (or task run) longer than an hour is split into one row per clock hour (``period_start_time``,
  ``period_end_time``, UTC timestamps); ``result_state`` and ``termination_code`` are set only on the
  row that ends the run. The statements group the slices per run: start = the first slice's start, end
  = the last slice's end, state = the state of the last slice (``max_by``). They read a day before the
  window, so a run that began before it shows its true start and is left out, as REST leaves it out.
- ``job_parameters`` (map of text) holds the job-level parameters the run used; task rows carry
  ``job_run_id`` (the run they belong to), their own ``run_id`` and ``task_key``; one row set per attempt.
- Free retention is 365 days; reading needs ``USE`` and ``SELECT`` on the ``system.lakeflow`` schema (or
  metastore and account admin), and the schema must be enabled by an account admin.
- The tables are filled with a delay that the page does not state. The newest rows therefore decide the
  boundary: with W the latest ``period_end_time`` of this workspace, every run that started before
  ``W - 1 h`` has at least its first hourly slice in the table (a slice is at most an hour long), so runs
  from there on are listed over REST (one workspace-wide ``runs/list``), and older ones come from the
  tables.

What the tables do not have is taken from REST, run by run (``runs/get``), or with the job's own
``runs/list`` when that takes no more calls, so the statuses written are identical to the REST path's: a run that has no final state yet (still going when the tables last saw
it), and a run or latest task attempt that did not plainly succeed (its state message, failed task and
error codes exist only in the Jobs API). A successful run is rebuilt from the tables: its URL and its
tasks' URLs are the Jobs UI links Databricks writes into ``run_page_url``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from core.databricks.records import JobRecord, RunRecord, TaskRunRecord
from core.databricks.source import RUNS_PAGE_SIZE, DatabricksSource
from core.databricks.statements import Param, StatementRunner
from core.errors import DecodeError, RunInterrupted, SourceError
from core.prefetch import prefetch
from core.source import JobSummary, StoredStatus

__all__ = [
    "PROBE_SQL",
    "RUNS_SQL",
    "SLICE_MS",
    "TASKS_SQL",
    "WATERMARK_SQL",
    "SystemTableStatuses",
]

#: job ids in the first statement; each next batch doubles, up to ``batch_size``
FIRST_BATCH = 100
#: the longest a timeline row lasts: one clock hour
SLICE_MS = 3_600_000
RUN_TABLE = "system.lakeflow.job_run_timeline"
TASK_TABLE = "system.lakeflow.job_task_run_timeline"

#: one cheap statement per table: does the principal see it? (an empty answer is fine)
PROBE_SQL = tuple(
    f"SELECT job_id FROM {table} WHERE workspace_id = :workspace_id LIMIT 1"
    for table in (RUN_TABLE, TASK_TABLE)
)

WATERMARK_SQL = f"""SELECT unix_millis(max(period_end_time)) AS watermark
FROM {RUN_TABLE}
WHERE workspace_id = :workspace_id AND period_end_time >= :since"""

RUNS_SQL = f"""SELECT job_id, run_id, unix_millis(min(period_start_time)) AS start_ms,
  unix_millis(max(period_end_time)) AS end_ms, max_by(result_state, period_end_time) AS result_state,
  max_by(termination_code, period_end_time) AS termination_code,
  to_json(max_by(job_parameters, period_end_time)) AS job_parameters,
  sum(unix_millis(period_end_time) - unix_millis(period_start_time)) AS active_ms
FROM {RUN_TABLE}
WHERE workspace_id = :workspace_id AND period_start_time >= :since AND job_id IN ({{ids}})
GROUP BY job_id, run_id"""

TASKS_SQL = f"""SELECT job_id, job_run_id, run_id, task_key, unix_millis(min(period_start_time)) AS start_ms,
  unix_millis(max(period_end_time)) AS end_ms, max_by(result_state, period_end_time) AS result_state,
  max_by(termination_code, period_end_time) AS termination_code
FROM {TASK_TABLE}
WHERE workspace_id = :workspace_id AND period_start_time >= :since AND job_id IN ({{ids}})
GROUP BY job_id, job_run_id, run_id, task_key"""

#: the timeline tables' ``result_state`` (SUCCEEDED, FAILED, SKIPPED, CANCELLED, TIMED_OUT, ERROR, BLOCKED, per
#: the Jobs system table reference) -> the Jobs API's (life cycle state, result state) for the same outcome
_REST_STATES: dict[str, tuple[str, str | None]] = {
    "SUCCEEDED": ("TERMINATED", "SUCCESS"),
    "FAILED": ("TERMINATED", "FAILED"),
    "CANCELLED": ("TERMINATED", "CANCELED"),
    "TIMED_OUT": ("TERMINATED", "TIMEDOUT"),
    "SKIPPED": ("SKIPPED", None),
    "ERROR": ("INTERNAL_ERROR", "FAILED"),
    "BLOCKED": ("BLOCKED", None),
}
#: what one request costs under the documented rate limits, in 1/100 s: ``runs/get`` is allowed 100 a
#: second and ``runs/list`` 20 (:mod:`core.emulators.databricks.limits` gives the source), so five
#: ``runs/get`` cost what one ``runs/list`` page does
RUNS_GET_COST = 1
RUNS_LIST_COST = 5
_JOB_ID = re.compile(r"^[0-9]{1,20}$")
_SUCCEEDED = "SUCCEEDED"
_RUN_URL = re.compile(r"^(?P<base>.*)#job/[0-9]+/run/[0-9]+$")


@dataclass
class _TableRun:
    """One run as the timeline tables grouped it, with its task runs (latest attempt per key)."""

    run_id: str
    start_ms: int
    end_ms: int | None
    result_state: str | None
    termination_code: str | None
    parameters: dict[str, str]
    active_ms: int | None = None
    tasks: dict[str, TaskRunRecord] = field(default_factory=dict)

    def plain_success(self, job: JobRecord) -> bool:
        """The tables say it all: SUCCEEDED/SUCCESS, and each of the job's tasks' latest attempt SUCCEEDED.

        A task that never started has no row (skipped, excluded): the task keys must be the job's. A run
        whose slices leave a gap was repaired (run again after it ended): which attempt counts, and
        where the Jobs API lists it, is REST's to say. Retries within the run are fine: the latest
        attempt is the latest start, as in REST.
        """
        if self.result_state != _SUCCEEDED or (self.termination_code or "SUCCESS") != "SUCCESS":
            return False
        if self.end_ms is None or self.active_ms != self.end_ms - self.start_ms:
            return False
        if self.start_ms % SLICE_MS == 0:  # maybe the first slice in reach of a run older than that: ask REST
            return False
        if set(self.tasks) != {task.key for task in job.tasks}:
            return False
        return all(task.result_state == _SUCCEEDED for task in self.tasks.values())


def _rest_states(table_state: str | None) -> tuple[str, str | None]:
    """The Jobs API's (life cycle, result) for a final table state; an unknown one is passed on as it is."""
    return _REST_STATES.get(table_state or "", ("TERMINATED", table_state))


def _ms(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parameters(raw: str | None) -> dict[str, str]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return {str(k): "" if v is None else str(v) for k, v in value.items()} if isinstance(value, dict) else {}


class SystemTableStatuses:
    """The :class:`core.source.StatusSource` of the ``system.lakeflow`` timeline tables, topped up over REST.

    :meth:`stream` sits between the listing and the workers: it gathers a batch of kept pipelines (100,
    then doubling up to ``batch_size``), reads their runs in two statements while the previous batch is
    being processed, and hands the pipelines on; :meth:`runs` then answers each job from memory (plus REST for what the tables lack).
    A batch whose statements fail is read over REST, job by job, with one warning for the run.
    """

    def __init__(
        self,
        source: DatabricksSource,
        runner: StatementRunner,
        workspace_id: str,
        *,
        batch_size: int = 500,
    ) -> None:
        """Read statuses of this workspace's jobs.

        Args:
            source: the REST source (top-up, ``runs/get``, DLT updates, fallback).
            runner: statements on the SQL warehouse.
            workspace_id: this workspace's id (``X-Databricks-Org-Id``), the tables' ``workspace_id``.
            batch_size: job ids per statement.
        """
        self.source = source
        self.runner = runner
        self.workspace_id = workspace_id
        self.now_ms = 0  # the run's "now", given to stream()
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._ready: dict[str, list[_TableRun]] = {}
        self._topup: dict[str, list[RunRecord | str]] | None = None
        self._cutoff_ms: int | None = None
        self._base = ""
        self._warnings: list[str] = []
        self._stop: threading.Event | None = None  # the run's, given to stream()
        #: what was read where, for the report and the benchmark
        self.counts = {"statements": 0, "tableRuns": 0, "restRuns": 0, "restJobs": 0}

    def probe(self) -> str:
        """Read one row of each timeline table (connection test, ``statusSource: auto``).

        Returns:
            What was checked, in one sentence.

        Raises:
            SourceError: (any subclass) a table cannot be read (not enabled, no ``SELECT``, no warehouse).
        """
        for statement in PROBE_SQL:
            for _row in self.runner.rows(statement, [("workspace_id", self.workspace_id, "STRING")]):
                pass
        return f"{RUN_TABLE} and {TASK_TABLE} are readable for workspace {self.workspace_id}"

    # -- the listing side -------------------------------------------------------------------------

    def stream(
        self,
        summaries: Iterator[JobSummary],
        since_ms: int,
        now_ms: int,
        stop: threading.Event | None = None,
    ) -> Iterator[JobSummary]:
        """``summaries`` unchanged, each batch handed on once its runs are read (one batch ahead).

        Once ``stop`` is set the consumer stops waiting (``RunInterrupted``) and the REST top-up stops at its
        next run: on a big workspace that top-up reads every run of the last hour or more before the first
        batch, and a Stop used to wait for all of it (49 s measured on a 20,000-job emulator).
        """
        self.now_ms = now_ms
        self._stop = stop
        batches = self._batches(summaries, since_ms)
        return prefetch(batches, depth=self.batch_size, name="status-batches", stop=stop)

    def _batches(self, summaries: Iterator[JobSummary], since_ms: int) -> Iterator[JobSummary]:
        """Batches of ``summaries``, each after its runs were read.

        When the listing breaks (or the run is stopped) part-way, the pipelines already listed still go
        on, unread (so over REST), before the error: as they would on the REST path.
        """
        batch: list[JobSummary] = []
        size = min(FIRST_BATCH, self.batch_size)  # the workers start after one page, not five
        try:
            for summary in summaries:
                batch.append(summary)
                if len(batch) >= size:
                    self._load(batch, since_ms)
                    yield from batch
                    batch, size = [], min(size * 2, self.batch_size)
        except GeneratorExit:  # the consumer went away: nothing more to hand on
            raise
        except BaseException:
            yield from batch
            raise
        if batch:
            self._load(batch, since_ms)
            yield from batch

    def _load(self, batch: list[JobSummary], since_ms: int) -> None:
        ids = [s.record.id for s in batch if s.record.kind == "job" and _JOB_ID.match(s.record.id)]
        if not ids:
            return
        try:
            cutoff = self._cutoff(since_ms)
            runs = self._table_runs(ids, since_ms, cutoff)
        except SourceError as err:
            with self._lock:
                if not self._warnings:
                    self._warnings.append(
                        f"statusSource systemTables: {err.one_line()}; the statuses of those jobs were read "
                        "over REST instead"
                    )
            return
        with self._lock:
            for job_id in ids:
                self._ready[job_id] = runs.get(job_id, [])

    def _cutoff(self, since_ms: int) -> int:
        """Runs starting at or after this come from REST; earlier ones from the tables (once per run)."""
        with self._lock:
            if self._cutoff_ms is not None:
                return self._cutoff_ms
        params = self._params(since_ms)
        rows = list(self.runner.rows(WATERMARK_SQL, params))
        self._count("statements")
        watermark = _ms(rows[0][0]) if rows and rows[0] else None
        cutoff = max(since_ms, min(watermark or since_ms, self.now_ms) - SLICE_MS)
        topup: dict[str, list[RunRecord | str]] = {}
        for job_id, entry in self.source.iter_workspace_runs(cutoff):
            if self._stop is not None and self._stop.is_set():
                raise RunInterrupted("the run was stopped")
            topup.setdefault(job_id, []).append(entry)
        base = self._url_base(topup, since_ms)
        with self._lock:
            self._cutoff_ms, self._topup, self._base = cutoff, topup, base
        return cutoff

    def _url_base(self, topup: dict[str, list[RunRecord | str]], since_ms: int) -> str:
        """What precedes ``#job/<job>/run/<run>`` in this workspace's ``run_page_url``.

        That is the canonical host and ``?o=`` (``https://adb-1.7.azuredatabricks.net/?o=1``), which need
        not be the ``hostPort`` we talk to. Taken from a REST run (the top-up's, else the first page of
        runs), else built from the host.
        """
        entries = (entry for runs in topup.values() for entry in runs)
        if not topup:
            entries = (entry for _job, entry in self.source.iter_workspace_runs(since_ms))
        for record in (entry for entry in entries if isinstance(entry, RunRecord)):
            match = _RUN_URL.match(record.url or "")
            if match:
                return match.group("base")
            break  # one look: a workspace writes every run's link the same way
        return f"{self.source.host}/?o={self.workspace_id}"

    def _params(self, since_ms: int) -> list[Param]:
        return [("workspace_id", self.workspace_id, "STRING"), ("since", _iso(since_ms), "TIMESTAMP")]

    def _table_runs(self, ids: list[str], since_ms: int, cutoff: int) -> dict[str, list[_TableRun]]:
        listed = ", ".join(f"'{job_id}'" for job_id in ids)
        by_run: dict[str, _TableRun] = {}
        by_job: dict[str, list[_TableRun]] = {}
        # A run that began before the window has slices inside it: read a day more, so such a run shows
        # its true start and is left out, like REST leaves it out.
        floor = self._params(since_ms - SLICE_MS * 24)
        for row in self.runner.rows(RUNS_SQL.format(ids=listed), floor):
            start = _ms(row[2])
            if row[0] is None or row[1] is None or start is None or not since_ms <= start < cutoff:
                continue
            run = _TableRun(str(row[1]), start, _ms(row[3]), row[4], row[5], _parameters(row[6]), _ms(row[7]))
            by_run[run.run_id] = run
            by_job.setdefault(str(row[0]), []).append(run)
        for row in self.runner.rows(TASKS_SQL.format(ids=listed), floor):
            self._add_task(by_run, row)
        self._count("statements", 2)
        return by_job

    @staticmethod
    def _add_task(by_run: dict[str, _TableRun], row: Sequence[str | None]) -> None:
        run = by_run.get(str(row[1]))
        if run is None or row[2] is None or not row[3]:
            return
        task = TaskRunRecord(
            key=row[3],
            life_cycle_state="TERMINATED" if row[6] else None,
            result_state=row[6],
            start_ms=_ms(row[4]),
            end_ms=_ms(row[5]),
            url=None,
            run_id=str(row[2]),
            termination_code=row[7],
        )
        known = run.tasks.get(task.key)
        if known is None or (task.start_ms or 0, task.run_id or "") > (
            known.start_ms or 0,
            known.run_id or "",
        ):
            run.tasks[task.key] = task  # the latest attempt of that task key

    def _count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self.counts[name] += amount

    def warnings(self) -> list[str]:
        """What the run should report once: a batch that was read over REST instead."""
        with self._lock:
            return list(self._warnings)

    # -- the worker side --------------------------------------------------------------------------

    def runs(
        self, job: JobRecord, since_ms: int, problems: list[str], stored: StoredStatus | None = None
    ) -> Iterator[RunRecord]:
        """The job's runs started at or after ``since_ms``, newest first, as the REST path gives them.

        A run the tables cannot describe in full costs a REST request, unless ``stored`` shows it stored
        already (see :meth:`core.source.StatusSource.runs`): then the tables' account of it is given,
        marked ``detail_omitted``, since it will not be sent.
        """
        if job.kind == "dlt":
            return self.source.iter_dlt_updates(job.id, since_ms, problems)
        with self._lock:
            table = self._ready.pop(job.id, None)
            topup = (self._topup or {}).pop(job.id, [])
        unknown = 0 if table is None else sum(1 for run in table if self._needs_rest(job, run, stored))
        runs_pages = -(-(len(topup) + len(table or ())) // RUNS_PAGE_SIZE)
        if table is None or unknown * RUNS_GET_COST > max(1, runs_pages) * RUNS_LIST_COST:
            # not in a batch that was read, or listing the job's runs costs less than reading those runs
            # one by one (weighed by each endpoint's documented rate): the REST path for this job
            self._count("restJobs")
            return self.source.iter_runs(job.id, since_ms, problems)
        return self._merged(job, topup, table, since_ms, problems, stored)

    @staticmethod
    def _needs_rest(job: JobRecord, run: _TableRun, stored: StoredStatus | None) -> bool:
        """Whether ``run`` must be read over REST: not plainly successful, and not provably stored.

        Provably stored: it ended before the stored latest status's run started, or it is that run, the
        stored status is final and ends when the tables say the run ended (a repair would end it later).
        """
        if run.plain_success(job):
            return False
        if stored is None or run.end_ms is None or run.result_state is None:
            return True
        if run.end_ms < stored.timestamp_ms:
            return False
        return not (run.start_ms == stored.timestamp_ms and stored.final and stored.end_ms == run.end_ms)

    def _merged(
        self,
        job: JobRecord,
        topup: list[RunRecord | str],
        table: list[_TableRun],
        since_ms: int,
        problems: list[str],
        stored: StoredStatus | None,
    ) -> Iterator[RunRecord]:
        """REST's newest runs in their listing order, then the older ones from the tables, newest first.

        Every top-up run started at or after the cutoff and every table run before it, so this is the
        order ``runs/list`` gives; a problem is reported when it is reached, as the REST path does.
        """
        for entry in topup:
            if isinstance(entry, str):
                problems.append(entry)
            else:
                yield entry
        table.sort(key=lambda r: (r.start_ms, int(r.run_id) if r.run_id.isdigit() else 0), reverse=True)
        for run in table:
            if not self._needs_rest(job, run, stored):
                self._count("tableRuns")
                yield self._record(job, run)
                continue
            self._count("restRuns")
            try:
                record = self.source.get_run(run.run_id)
            except DecodeError as err:
                problems.append(f"job {job.id}: {err.one_line()}")
                continue
            if record is not None and record.start_ms >= since_ms:
                yield record

    def _record(self, job: JobRecord, run: _TableRun) -> RunRecord:
        """The run as the tables tell it: in full for a plain success, else its final states and codes.

        Only a plain success is ever sent from here; any other run comes from here only when it is
        stored already (its REST-only detail, the state message, would change nothing).
        """
        order = {task.key: i for i, task in enumerate(job.tasks)}
        tasks = sorted(run.tasks.values(), key=lambda t: (order.get(t.key, len(order)), t.key))
        plain = run.plain_success(job)
        life, result = _REST_STATES["SUCCEEDED"] if plain else _rest_states(run.result_state)
        return RunRecord(
            run_id=run.run_id,
            start_ms=run.start_ms,
            end_ms=run.end_ms,
            life_cycle_state=life,
            result_state=result,
            url=self._run_url(job.id, run.run_id),
            tasks=tuple(self._task_record(job, t, plain) for t in tasks),
            termination_code="SUCCESS" if plain else run.termination_code,
            termination_type="SUCCESS" if plain else None,
            parameters=run.parameters,
            detail_omitted=not plain,
        )

    def _task_record(self, job: JobRecord, task: TaskRunRecord, plain: bool) -> TaskRunRecord:
        life, result = _REST_STATES["SUCCEEDED"] if plain else _rest_states(task.result_state)
        return TaskRunRecord(
            key=task.key,
            life_cycle_state=life,
            result_state=result,
            start_ms=task.start_ms,
            end_ms=task.end_ms,
            url=self._run_url(job.id, task.run_id or ""),
            run_id=task.run_id,
            termination_code="SUCCESS" if plain else task.termination_code,
        )

    def _run_url(self, job_id: str, run_id: str) -> str:
        """The Jobs UI link Databricks writes into ``run_page_url``."""
        return f"{self._base}#job/{job_id}/run/{run_id}"
