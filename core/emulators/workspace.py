"""A deterministic, generated Databricks workspace of any size, computed on demand.

Why generated on demand: benchmarks need workspaces of 20,000 jobs and more, and tests need small ones
that start instantly. Nothing per job is stored. Every job, its tasks, its runs and its lineage rows are
recomputed from ``(seed, job index)`` with a private ``random.Random(f"{seed}:{index}...")`` whenever
they are asked for, so building a huge workspace costs nothing until it is listed, and the same seed
always gives byte-identical JSON. Only the mutations used by fault tests (deleted jobs, removed tasks)
are kept, in two small overrides.

Why so much variety: the engine maps every documented run state, every task kind and every naming
style onto OpenMetadata. A workspace that only ever produced ``TERMINATED/SUCCESS`` runs of
``notebook_task`` jobs would leave most of that mapping untested. Coverage of every run state is
guaranteed (not left to chance) once the workspace holds a few dozen jobs.

The JSON follows the Jobs API 2.2 / Pipelines API shapes described in
``/work/shared/briefs/databricks-api.md``; only enum values the SDK knows are emitted.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ACTIVE_LIFE_CYCLE_STATES",
    "COMPLETED_LIFE_CYCLE_STATES",
    "JOB_ID_BASE",
    "USER_POOL",
    "RunRef",
    "Workspace",
    "WorkspaceSpec",
]

JOB_ID_BASE = 1000
"""Job ids are ``JOB_ID_BASE + index``."""

_RUN_ID_BASE = 500_000_000_000
_RUN_STRIDE_JOB = 1_000_000  # run ids of one job: index * stride + ordinal * _RUN_STRIDE_RUN
_RUN_STRIDE_RUN = 1_000  # task run ids: run_id + 1 + task position (so at most 998 tasks per run)
_MAX_RUNS_PER_JOB = _RUN_STRIDE_JOB // _RUN_STRIDE_RUN - 1
_MAX_TASKS_PER_JOB = _RUN_STRIDE_RUN - 2
_DAY_MS = 86_400_000

USER_POOL: tuple[str, ...] = (
    "alice@example.com",
    "bob@example.com",
    "carol@example.com",
    "svc-etl@example.com",
    "dave@example.com",
)
"""Creators of jobs and pipelines. Some of them are deliberately absent from OpenMetadata."""

COMPLETED_LIFE_CYCLE_STATES = frozenset({"TERMINATED", "SKIPPED", "INTERNAL_ERROR"})
"""What ``runs/list?completed_only=true`` returns."""

ACTIVE_LIFE_CYCLE_STATES = frozenset(
    {"QUEUED", "PENDING", "RUNNING", "TERMINATING", "BLOCKED", "WAITING_FOR_RETRY"}
)
"""Everything not completed; what ``runs/list?active_only=true`` returns."""

_DOMAINS = ("sales", "finance", "marketing", "supply", "hr", "risk", "product")
_FREQS = ("daily", "hourly", "weekly", "monthly")
_MODELS = ("churn", "ltv", "fraud", "forecast", "recsys")
_LAYERS = ("staging", "marts", "snapshots", "seeds")
_ENTITIES = ("orders", "customers", "invoices", "events", "clicks", "payments", "shipments", "products")
_AGGREGATES = ("daily", "by_region", "summary", "kpis")
_REFERENCE_TABLES = ("main.reference.calendar", "main.reference.country_codes", "main.reference.fx_rates")
_TEAMS = ("data-platform", "analytics", "ml", "finance", "growth")
_TIMEZONES = ("Europe/Berlin", "UTC", "America/New_York", "Asia/Kolkata", "America/Los_Angeles")
_CRONS = (
    "0 0 3 * * ?",
    "0 30 1 * * ?",
    "0 0 */4 * * ?",
    "0 15 6 ? * MON-FRI",
    "0 0 0 1 * ?",
    "0 0 8 ? * SUN",
    "0 */30 * * * ?",
)
_WAREHOUSE_IDS = ("3f2a1b4c5d6e7f80", "a1b2c3d4e5f60718")

_KINDS = (
    "notebook_task",
    "spark_python_task",
    "pipeline_task",
    "sql_task",
    "dbt_task",
    "python_wheel_task",
    "spark_jar_task",
    "run_job_task",
    "condition_task",
    "for_each_task",
)
_STEMS = {
    "notebook_task": ("ingest", "clean", "enrich", "load"),
    "spark_python_task": ("transform", "aggregate", "dedupe"),
    "pipeline_task": ("refresh_dlt",),
    "sql_task": ("publish_sql", "refresh_views"),
    "dbt_task": ("dbt_build",),
    "python_wheel_task": ("score_model", "train_model"),
    "spark_jar_task": ("compact_tables",),
    "run_job_task": ("trigger_downstream",),
    "condition_task": ("check_gate", "has_new_data"),
    "for_each_task": ("per_region", "fan_out"),
}
_CLUSTER_KINDS = frozenset({"notebook_task", "spark_python_task", "python_wheel_task", "spark_jar_task"})
_REMOVED_TASK_KEY = "legacy_export"


# -- run outcomes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    """One consistent combination of the legacy ``state`` and the v2 ``status`` of a run or task run."""

    life: str
    result: str | None
    v2: str
    code: str | None = None
    kind: str | None = None
    message: str = ""

    @property
    def terminal(self) -> bool:
        return self.life in COMPLETED_LIFE_CYCLE_STATES


_OUTCOMES: dict[str, _Outcome] = {
    "SUCCESS": _Outcome("TERMINATED", "SUCCESS", "TERMINATED", "SUCCESS", "SUCCESS"),
    "FAILED": _Outcome(
        "TERMINATED",
        "FAILED",
        "TERMINATED",
        "RUN_EXECUTION_ERROR",
        "CLIENT_ERROR",
        "Workload failed, see run output for details",
    ),
    "TIMEDOUT": _Outcome(
        "TERMINATED",
        "TIMEDOUT",
        "TERMINATED",
        "CANCELED",
        "CLIENT_ERROR",
        "Run timed out: the timeout configured for this task was exceeded.",
    ),
    "CANCELED": _Outcome(
        "TERMINATED",
        "CANCELED",
        "TERMINATED",
        "USER_CANCELED",
        "SUCCESS",
        "Run cancelled by a user.",
    ),
    "SUCCESS_WITH_FAILURES": _Outcome(
        "TERMINATED",
        "SUCCESS_WITH_FAILURES",
        "TERMINATED",
        "SUCCESS_WITH_FAILURES",
        "SUCCESS",
        "Leaf tasks succeeded; some upstream tasks failed.",
    ),
    "MAXIMUM_CONCURRENT_RUNS_REACHED": _Outcome(
        "SKIPPED",
        "MAXIMUM_CONCURRENT_RUNS_REACHED",
        "TERMINATED",
        "MAX_CONCURRENT_RUNS_EXCEEDED",
        "CLIENT_ERROR",
        "Skipping this run because the limit of 1 maximum concurrent runs has been reached.",
    ),
    "EXCLUDED": _Outcome(
        "SKIPPED",
        "EXCLUDED",
        "TERMINATED",
        "SKIPPED",
        "SUCCESS",
        "Excluded: the condition this task depends on was not met.",
    ),
    "UPSTREAM_FAILED": _Outcome(
        "SKIPPED",
        "UPSTREAM_FAILED",
        "TERMINATED",
        "SKIPPED",
        "CLIENT_ERROR",
        "Upstream task(s) failed.",
    ),
    "UPSTREAM_CANCELED": _Outcome(
        "SKIPPED",
        "UPSTREAM_CANCELED",
        "TERMINATED",
        "SKIPPED",
        "SUCCESS",
        "Upstream task(s) were canceled.",
    ),
    "DISABLED": _Outcome(
        "SKIPPED",
        "DISABLED",
        "TERMINATED",
        "DISABLED",
        "SUCCESS",
        "This task was disabled by a user.",
    ),
    "INTERNAL_ERROR": _Outcome(
        "INTERNAL_ERROR",
        "FAILED",
        "TERMINATED",
        "INTERNAL_ERROR",
        "INTERNAL_ERROR",
        "An internal error occurred in the Jobs service.",
    ),
    "QUEUED": _Outcome(
        "QUEUED", None, "QUEUED", message="Queued: the job reached its concurrent runs limit."
    ),
    "PENDING": _Outcome("PENDING", None, "PENDING", message="Waiting for cluster to start."),
    "RUNNING": _Outcome("RUNNING", None, "RUNNING", message="In run"),
    "TERMINATING": _Outcome("TERMINATING", None, "TERMINATING", message="Cleaning up."),
    "BLOCKED": _Outcome("BLOCKED", None, "BLOCKED", message="Waiting for upstream dependencies."),
    "WAITING_FOR_RETRY": _Outcome("WAITING_FOR_RETRY", None, "WAITING", message="Waiting for retry."),
}

_FAILURE_CODES = (
    ("RUN_EXECUTION_ERROR", "CLIENT_ERROR", "Workload failed, see run output for details"),
    (
        "LIBRARY_INSTALLATION_ERROR",
        "CLIENT_ERROR",
        "Library installation failed for library due to user error.",
    ),
    ("DRIVER_ERROR", "INTERNAL_ERROR", "The Spark driver has stopped unexpectedly and is restarting."),
    ("CLOUD_FAILURE", "CLOUD_FAILURE", "Cluster launch failed: insufficient instance capacity."),
    ("UNAUTHORIZED_ERROR", "CLIENT_ERROR", "User does not have permission SELECT on table."),
)

_ACTIVE_SCENARIOS = ("RUNNING", "QUEUED", "PENDING", "TERMINATING", "BLOCKED", "WAITING_FOR_RETRY")
_TERMINAL_SCENARIOS = (
    "SUCCESS",
    "FAILED",
    "TIMEDOUT",
    "CANCELED",
    "SUCCESS_WITH_FAILURES",
    "INTERNAL_ERROR",
    "MAXIMUM_CONCURRENT_RUNS_REACHED",
    "EXCLUDED",
    "UPSTREAM_FAILED",
    "UPSTREAM_CANCELED",
    "DISABLED",
)
_WEIGHTED_TERMINAL = (
    ("SUCCESS", 74),
    ("FAILED", 10),
    ("SUCCESS_WITH_FAILURES", 4),
    ("CANCELED", 3),
    ("TIMEDOUT", 3),
    ("INTERNAL_ERROR", 2),
    ("MAXIMUM_CONCURRENT_RUNS_REACHED", 4),
)
_WEIGHTED_NAMES = tuple(name for name, _ in _WEIGHTED_TERMINAL)
_WEIGHTED_WEIGHTS = tuple(weight for _, weight in _WEIGHTED_TERMINAL)
_RUN_SKIP_SCENARIOS = frozenset(
    {"MAXIMUM_CONCURRENT_RUNS_REACHED", "EXCLUDED", "UPSTREAM_FAILED", "UPSTREAM_CANCELED", "DISABLED"}
)


@dataclass(frozen=True)
class WorkspaceSpec:
    """The knobs of a generated workspace.

    Attributes:
        jobs: number of jobs (ids ``1000 .. 1000 + jobs - 1``).
        tasks: tasks per job, varied by ±1 (at least 1).
        runs: runs per job, newest first (at most 999).
        pipelines: number of Lakeflow/DLT pipelines.
        big_jobs: how many of the last job indexes get 120-150 tasks (to exercise >100-task paging).
        seed: everything is derived from it; same seed, same JSON.
        now_ms: the workspace's "now" (epoch ms); ``None`` means the wall clock when the
            :class:`Workspace` is built. Fix it to compare workspaces built at different times.
        lookback_days_spread: runs are spread over this many days before ``now_ms``.
        workspace_id: the numeric workspace id in ``run_page_url`` (``?o=``).
        host: base URL in ``run_page_url``; ``None`` lets the emulator put its own URL in.
        stale_task_runs: every tenth job's newest finished run mentions a task the job no longer has
            (a task removed after the run, as happens in real workspaces; the engine trims it with a
            warning). Tests keep it on; the wizard's demo and ``emulate`` turn it off so a first run is
            warning-free unless asked (``emulate --stale-task-runs``).
    """

    jobs: int = 50
    tasks: int = 3
    runs: int = 5
    pipelines: int = 5
    big_jobs: int = 0
    seed: int = 0
    now_ms: int | None = None
    lookback_days_spread: int = 3
    workspace_id: int = 424242
    host: str | None = None
    stale_task_runs: bool = True

    def __post_init__(self) -> None:
        if self.jobs < 0 or self.pipelines < 0 or self.big_jobs < 0:
            raise ValueError("jobs, pipelines and big_jobs must be >= 0")
        if not 0 <= self.runs <= _MAX_RUNS_PER_JOB:
            raise ValueError(f"runs must be within 0..{_MAX_RUNS_PER_JOB}")
        if not 1 <= self.tasks <= _MAX_TASKS_PER_JOB - 2:
            raise ValueError(f"tasks must be within 1..{_MAX_TASKS_PER_JOB - 2}")
        if self.lookback_days_spread < 1:
            raise ValueError("lookback_days_spread must be >= 1")


@dataclass(frozen=True)
class RunRef:
    """A cheap reference to one run, enough to sort and filter before building the full JSON."""

    job_id: int
    ordinal: int  # 0 = newest run of the job
    run_id: int
    start_time: int
    life_cycle_state: str


# -- small helpers ----------------------------------------------------------------------------------


def _iso(ms: int) -> str:
    """Epoch ms as the ISO-8601 UTC string Databricks uses (``2024-01-01T03:00:00.000Z``)."""
    stamp = dt.datetime.fromtimestamp(ms // 1000, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{ms % 1000:03d}Z"


def _date(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms // 1000, tz=dt.timezone.utc).strftime("%Y-%m-%d")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _cluster_id(rng: random.Random, ms: int) -> str:
    day = dt.datetime.fromtimestamp(ms // 1000, tz=dt.timezone.utc).strftime("%m%d")
    return f"{day}-{rng.getrandbits(24):06x}-{rng.choice(('abcd', 'pq7x', 'zz01'))}{rng.randrange(1000):03d}"


def _draw_name(rng: random.Random, index: int) -> str:
    """The job name; always the first draws of the job's RNG so names are cheap to compute alone."""
    n = f"{index:04d}"
    style = rng.choices(range(7), weights=(22, 12, 14, 14, 12, 4, 6))[0]
    if style == 0:
        return f"etl-{rng.choice(_DOMAINS)}-{rng.choice(_FREQS)}-{n}"
    if style == 1:
        return f"ml-train-{rng.choice(_MODELS)}-{n}"
    if style == 2:
        return f"report_{rng.choice(_DOMAINS)}_{rng.choice(_FREQS)}_{n}"
    if style == 3:
        return f"Ingest {rng.choice(_ENTITIES).title()} {n}"
    if style == 4:
        return f"dbt-{rng.choice(_LAYERS)}-{n}"
    if style == 5:
        return f"tmp-scratch-{n}"
    return f"{rng.choice(_DOMAINS).upper()}_Backfill_{n}"


def _descendants(tasks: list[dict[str, Any]], root: int) -> set[int]:
    """Positions of every task that transitively depends on ``tasks[root]`` (list order is topological)."""
    position = {t["task_key"]: i for i, t in enumerate(tasks)}
    found = {root}
    for i in range(root + 1, len(tasks)):
        if any(position.get(d["task_key"]) in found for d in tasks[i].get("depends_on", ())):
            found.add(i)
    found.discard(root)
    return found


def _is_leaf(tasks: list[dict[str, Any]], i: int) -> bool:
    key = tasks[i]["task_key"]
    return not any(d["task_key"] == key for t in tasks for d in t.get("depends_on", ()))


class Workspace:
    """A generated Databricks workspace: jobs, tasks, runs, DLT pipelines and table lineage.

    Job *indexes* run from ``0`` to ``spec.jobs - 1``; job *ids* are ``1000 + index``. Every accessor
    returns freshly built dicts, so callers may mutate what they get.
    """

    def __init__(self, spec: WorkspaceSpec | None = None) -> None:
        self.spec = spec or WorkspaceSpec()
        self.now_ms = self.spec.now_ms if self.spec.now_ms is not None else int(time.time() * 1000)
        self.workspace_id = self.spec.workspace_id
        self._bound_host: str | None = None
        self._lock = threading.Lock()
        self._deleted: set[int] = set()
        self._removed_tasks: dict[int, set[str]] = {}
        self._pipeline_ids = [
            _uuid(random.Random(f"{self.spec.seed}:pipeline:{p}")) for p in range(self.spec.pipelines)
        ]
        self._pipeline_index = {pid: p for p, pid in enumerate(self._pipeline_ids)}

    # -- identity -----------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """Base URL used in ``run_page_url``: the spec's, else the emulator's, else a placeholder."""
        return self.spec.host or self._bound_host or f"https://dbc-{self.workspace_id}.cloud.databricks.com"

    def bind_host(self, url: str) -> None:
        """Let a server put its own URL into ``run_page_url`` (ignored when the spec fixes a host)."""
        self._bound_host = url.rstrip("/")

    def user_emails(self) -> list[str]:
        """The pool of creator e-mails (some intentionally unknown to OpenMetadata)."""
        return list(USER_POOL)

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

    def job_name(self, job_id: int) -> str | None:
        """Just the name (cheap: used by the exact-name filter over huge workspaces)."""
        index = self._live_index(job_id)
        return None if index is None else _draw_name(self._job_rng(index), index)

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
            _drop_tasks(job["settings"], removed)
        return job

    def job_by_id(self, job_id: int, with_tasks: bool = True) -> dict[str, Any] | None:
        """The job with this id, or ``None`` when it never existed or was deleted."""
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

    def runs(self, job_id: int) -> list[dict[str, Any]]:
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
        refs = [ref for jid in self.job_ids() for ref in self._run_refs(jid - JOB_ID_BASE)]
        refs.sort(key=lambda r: (-r.start_time, -r.run_id))
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

    # == generation: jobs ===========================================================================

    def _job_rng(self, index: int) -> random.Random:
        return random.Random(f"{self.spec.seed}:{index}")

    def _live_index(self, job_id: Any) -> int | None:
        try:
            index = int(job_id) - JOB_ID_BASE
        except (TypeError, ValueError):
            return None
        if not 0 <= index < self.spec.jobs:
            return None
        with self._lock:
            return None if index + JOB_ID_BASE in self._deleted else index

    def _task_count(self, rng: random.Random, index: int) -> int:
        if index >= self.spec.jobs - self.spec.big_jobs:
            return rng.randint(120, 150)
        return max(1, self.spec.tasks + rng.choice((-1, 0, 0, 1)))

    def _build_job(self, index: int, with_tasks: bool = True) -> dict[str, Any]:
        """The job with all tasks (or none) and without overrides, purely from ``(seed, index)``.

        Everything but the tasks is drawn first, so a listing without ``expand_tasks`` can skip the
        task generation (most of the cost) and still agree with the full job on every other field.
        """
        rng = self._job_rng(index)
        name = _draw_name(rng, index)
        creator = rng.choice(USER_POOL)
        job_id = JOB_ID_BASE + index
        settings: dict[str, Any] = {"name": name}
        description = _draw_description(rng, name)
        if description is not None:
            settings["description"] = description
        tags = _draw_tags(rng)
        if tags is not None:
            settings["tags"] = tags
        settings.update(
            format="MULTI_TASK",
            max_concurrent_runs=rng.choice((1, 1, 1, 2, 5)),
            timeout_seconds=rng.choice((0, 0, 3600, 7200, 14400)),
            email_notifications={"on_failure": [creator]} if rng.random() < 0.5 else {},
            queue={"enabled": True},
            edit_mode=rng.choice(("EDITABLE", "EDITABLE", "UI_LOCKED")),
        )
        settings.update(_draw_schedule_or_trigger(rng))
        run_as_sp = _uuid(rng) if creator.startswith("svc-") or rng.random() < 0.15 else None
        settings["run_as"] = {"service_principal_name": run_as_sp} if run_as_sp else {"user_name": creator}
        if rng.random() < 0.4:
            settings["parameters"] = [{"name": "env", "default": "prod"}, {"name": "run_date", "default": ""}]
        created = self.now_ms - rng.randint(30, 900) * _DAY_MS - rng.randrange(_DAY_MS)
        job = {
            "job_id": job_id,
            "creator_user_name": creator,
            "run_as_user_name": run_as_sp or creator,
            "created_time": created,
            "settings": settings,
        }
        if not with_tasks:
            return job
        tasks = self._build_tasks(rng, index, name, creator)
        if any(
            t.get("job_cluster_key") == "main"
            or t.get("for_each_task", {}).get("task", {}).get("job_cluster_key") == "main"
            for t in tasks
        ):
            settings["job_clusters"] = [_job_cluster(rng)]
        settings["tasks"] = tasks
        return job

    def _build_tasks(
        self, rng: random.Random, index: int, job_name: str, creator: str
    ) -> list[dict[str, Any]]:
        count = self._task_count(rng, index)
        tasks: list[dict[str, Any]] = []
        for k in range(count):
            kind = _KINDS[(index + k) % len(_KINDS)]
            kind = self._usable_kind(kind)
            task: dict[str, Any] = {"task_key": f"{rng.choice(_STEMS[kind])}_{k + 1}"}
            if k:
                task["depends_on"] = _draw_depends_on(rng, tasks, k)
                if len(task["depends_on"]) > 1 and rng.random() < 0.3:
                    task["run_if"] = rng.choice(("ALL_DONE", "AT_LEAST_ONE_SUCCESS", "NONE_FAILED"))
            if rng.random() < 0.3:
                task["description"] = f"{task['task_key'].replace('_', ' ').capitalize()} step of {job_name}"
            task.update(self._task_payload(rng, kind, index, job_name, creator))
            if kind in _CLUSTER_KINDS:
                task.update(_draw_compute(rng))
            if rng.random() < 0.2:
                task.update(max_retries=rng.choice((1, 2, 3)), min_retry_interval_millis=60000)
            if rng.random() < 0.15:
                task["timeout_seconds"] = rng.choice((1800, 3600))
            if len(tasks) > 1 and rng.random() < 0.02:
                task["disabled"] = True
            tasks.append(task)
        return tasks

    def _usable_kind(self, kind: str) -> str:
        """Fall back to a notebook where the workspace cannot back the kind (no pipelines / one job)."""
        if kind == "pipeline_task" and not self._pipeline_ids:
            return "notebook_task"
        if kind == "run_job_task" and self.spec.jobs < 2:
            return "notebook_task"
        return kind

    def _task_payload(
        self, rng: random.Random, kind: str, index: int, job_name: str, creator: str
    ) -> dict[str, Any]:
        """The one task-type object of a task, with realistic content (brief §2.2)."""
        slug = job_name.lower().replace(" ", "_")
        repo = f"/Repos/{creator}/{slug}"
        if kind == "notebook_task":
            return {
                "notebook_task": {
                    "notebook_path": f"{repo}/notebooks/{rng.choice(_ENTITIES)}",
                    "source": "WORKSPACE",
                    "base_parameters": {"run_date": "{{job.start_time.iso_date}}"},
                }
            }
        if kind == "spark_python_task":
            return {
                "spark_python_task": {
                    "python_file": f"dbfs:/FileStore/jobs/{slug}/main.py",
                    "parameters": ["--date", "{{job.start_time.iso_date}}"],
                }
            }
        if kind == "pipeline_task":
            return {
                "pipeline_task": {
                    "pipeline_id": rng.choice(self._pipeline_ids),
                    "full_refresh": rng.random() < 0.1,
                }
            }
        if kind == "sql_task":
            if rng.random() < 0.5:
                sql: dict[str, Any] = {"query": {"query_id": _uuid(rng)}}
            else:
                sql = {"file": {"path": f"{repo}/sql/{rng.choice(_ENTITIES)}.sql", "source": "WORKSPACE"}}
            return {"sql_task": {"warehouse_id": rng.choice(_WAREHOUSE_IDS), **sql}}
        if kind == "dbt_task":
            return {
                "dbt_task": {
                    "commands": ["dbt deps", f"dbt build --select tag:{rng.choice(_FREQS)}"],
                    "project_directory": f"{repo}/dbt",
                    "catalog": "main",
                    "schema": rng.choice(_LAYERS),
                    "warehouse_id": rng.choice(_WAREHOUSE_IDS),
                    "source": "WORKSPACE",
                }
            }
        if kind == "python_wheel_task":
            return {
                "python_wheel_task": {
                    "package_name": "acme_ml",
                    "entry_point": rng.choice(("train", "score")),
                    "named_parameters": {"model": rng.choice(_MODELS)},
                },
                "libraries": [{"whl": "dbfs:/FileStore/wheels/acme_ml-1.4.2-py3-none-any.whl"}],
            }
        if kind == "spark_jar_task":
            return {
                "spark_jar_task": {
                    "main_class_name": "com.acme.maintenance.Compaction",
                    "parameters": ["--catalog", "main"],
                },
                "libraries": [{"jar": "dbfs:/FileStore/jars/maintenance-2.1.jar"}],
            }
        if kind == "run_job_task":
            target = rng.randrange(self.spec.jobs - 1)
            target += target >= index  # any other job
            return {
                "run_job_task": {"job_id": JOB_ID_BASE + target, "job_parameters": {"triggered_by": slug}}
            }
        if kind == "condition_task":
            return {
                "condition_task": {
                    "op": rng.choice(("EQUAL_TO", "NOT_EQUAL", "GREATER_THAN")),
                    "left": "{{job.parameters.env}}",
                    "right": "prod",
                }
            }
        inner = {
            "task_key": "per_item",
            "notebook_task": {
                "notebook_path": f"{repo}/notebooks/per_region",
                "base_parameters": {"region": "{{input}}"},
            },
            "job_cluster_key": "main",
        }
        return {
            "for_each_task": {
                "inputs": '["us", "eu", "apac"]',
                "concurrency": rng.choice((1, 2, 3)),
                "task": inner,
            }
        }

    # == generation: runs ===========================================================================

    def _runs_rng(self, index: int) -> random.Random:
        return random.Random(f"{self.spec.seed}:{index}:runs")

    def _run_plan(self, index: int, rng: random.Random) -> list[tuple[int, str]]:
        """(start_time, scenario) of each run, newest first: the cheap first draws of the run RNG.

        Active scenarios only ever hit the newest run (older runs of a job are over). Every state is
        forced onto a deterministic share of runs so a few dozen jobs cover all of them.
        """
        n = self.spec.runs
        if n == 0:
            return []
        window_s = self.spec.lookback_days_spread * 86_400
        offsets = sorted(rng.sample(range(900, window_s), min(n, window_s - 900)))
        active = index % 4 == 1
        if active:
            offsets[0] = rng.randint(30, 899)
        plan = []
        for ordinal, offset in enumerate(offsets):
            global_ordinal = index * n + ordinal
            if ordinal == 0 and active:
                scenario = _ACTIVE_SCENARIOS[(index // 4) % len(_ACTIVE_SCENARIOS)]
            elif global_ordinal % 7 == 3:
                scenario = _TERMINAL_SCENARIOS[(global_ordinal // 7) % len(_TERMINAL_SCENARIOS)]
            else:
                scenario = rng.choices(_WEIGHTED_NAMES, weights=_WEIGHTED_WEIGHTS)[0]
            plan.append((self.now_ms - offset * 1000 - rng.randrange(1000), scenario))
        return plan

    def _run_refs(self, index: int) -> list[RunRef]:
        plan = self._run_plan(index, self._runs_rng(index))
        job_id = JOB_ID_BASE + index
        return [
            RunRef(job_id, o, self._run_id(index, o), start, _OUTCOMES[s].life)
            for o, (start, s) in enumerate(plan)
        ]

    def _run_id(self, index: int, ordinal: int) -> int:
        return _RUN_ID_BASE + index * _RUN_STRIDE_JOB + ordinal * _RUN_STRIDE_RUN

    def _decode_run_id(self, run_id: Any) -> tuple[int, int] | None:
        try:
            offset = int(run_id) - _RUN_ID_BASE
        except (TypeError, ValueError):
            return None
        index, rest = divmod(offset, _RUN_STRIDE_JOB)
        ordinal, task_part = divmod(rest, _RUN_STRIDE_RUN)
        if offset < 0 or task_part or not 0 <= index < self.spec.jobs or ordinal >= self.spec.runs:
            return None
        return index, ordinal

    def _build_runs(self, index: int) -> list[dict[str, Any]]:
        rng = self._runs_rng(index)
        plan = self._run_plan(index, rng)
        job = self._build_job(index)  # runs reference the tasks as they were, ignoring later removals
        return [
            self._build_run(rng, index, job, ordinal, start, scenario)
            for ordinal, (start, scenario) in enumerate(plan)
        ]

    def _build_run(
        self, rng: random.Random, index: int, job: dict[str, Any], ordinal: int, start: int, scenario: str
    ) -> dict[str, Any]:
        settings = job["settings"]
        tasks = copy.deepcopy(settings["tasks"])
        outcome = _OUTCOMES[scenario]
        if (
            self.spec.stale_task_runs
            and index % 10 == 7
            and ordinal == self.spec.runs - 1
            and outcome.terminal
        ):
            tasks.append(_removed_task(tasks))
        task_outcomes = _task_outcomes(rng, scenario, tasks)
        if scenario == "SUCCESS_WITH_FAILURES" and "FAILED" not in task_outcomes:
            scenario, outcome = "FAILED", _OUTCOMES["FAILED"]  # degenerate one-task DAG
            task_outcomes = ["FAILED"] * len(tasks)
        run_id = self._run_id(index, ordinal)
        timeline = _timeline(rng, tasks, task_outcomes, start, self.now_ms)
        task_runs = [
            self._task_run(rng, job["job_id"], run_id, i, t, task_outcomes[i], timeline[i])
            for i, t in enumerate(tasks)
        ]
        task_runs = _with_earlier_attempts(
            random.Random(f"{self.spec.seed}:attempts:{run_id}"), task_runs, self._run_page_url, job["job_id"]
        )
        run: dict[str, Any] = {
            "job_id": job["job_id"],
            "run_id": run_id,
            "number_in_job": run_id,
            "original_attempt_run_id": run_id,
            "creator_user_name": job["creator_user_name"],
            "run_name": settings["name"],
            "run_type": "JOB_RUN",
            "trigger": _run_trigger(rng, settings, scenario),
            "attempt_number": 0,
            "format": "MULTI_TASK",
            "start_time": start,
            "setup_duration": 0,
            "execution_duration": 0,
            "cleanup_duration": 0,
            "run_page_url": self._run_page_url(job["job_id"], run_id),
            "state": _legacy_state(outcome, scenario),
            "status": _status(outcome),
            "tasks": task_runs,
        }
        ends = [t.get("end_time", 0) for t in task_runs]
        if outcome.terminal:
            run["end_time"] = max([start, *ends]) + rng.randint(1000, 20000)
            run["end_time"] = min(run["end_time"], self.now_ms)
            run["run_duration"] = run["end_time"] - start
        else:
            run["end_time"] = 0
        run["queue_duration"] = (self.now_ms - start) if scenario == "QUEUED" else rng.choice((0, 0, 1200))
        if "job_clusters" in settings:
            run["job_clusters"] = copy.deepcopy(settings["job_clusters"])
        if "parameters" in settings:
            run["job_parameters"] = [
                {**p, "value": p["default"] or _date(start)} for p in settings["parameters"]
            ]
        if run["trigger"] == "PERIODIC" and "schedule" in settings:
            run["schedule"] = dict(settings["schedule"])
        return run

    def _task_run(
        self,
        rng: random.Random,
        job_id: int,
        run_id: int,
        position: int,
        task: dict[str, Any],
        outcome_key: str,
        times: tuple[int, int],
    ) -> dict[str, Any]:
        outcome = _OUTCOMES[outcome_key]
        task_run_id = run_id + 1 + position
        start, end = times
        task_run = dict(task)
        task_run.update(
            run_id=task_run_id,
            attempt_number=task.get("max_retries", 0)
            if outcome_key == "FAILED" and rng.random() < 0.5
            else 0,
            start_time=start,
            end_time=end,
            setup_duration=0,
            execution_duration=max(0, end - start) if end else 0,
            cleanup_duration=0,
            run_page_url=self._run_page_url(job_id, task_run_id),
            state=_legacy_state(outcome, outcome_key),
            status=_status(outcome),
        )
        if end:
            task_run["run_duration"] = end - start
        if outcome_key == "FAILED":
            code, kind, message = rng.choice(_FAILURE_CODES)
            task_run["state"]["state_message"] = message
            task_run["status"]["termination_details"] = {"code": code, "type": kind, "message": message}
        if start and any(k in task for k in _CLUSTER_KINDS):
            task_run["cluster_instance"] = {
                "cluster_id": _cluster_id(rng, start),
                "spark_context_id": str(rng.getrandbits(62)),
            }
        return task_run

    def _run_page_url(self, job_id: int, run_id: int) -> str:
        return f"{self.host}/?o={self.workspace_id}#job/{job_id}/run/{run_id}"

    # == generation: pipelines ======================================================================

    def _pipeline_rng(self, p: int) -> random.Random:
        return random.Random(f"{self.spec.seed}:pipeline:{p}:detail")

    def _pipeline_base(self, p: int) -> tuple[random.Random, dict[str, Any]]:
        rng = self._pipeline_rng(p)
        domain = rng.choice(_DOMAINS)
        layer = rng.choice(("bronze", "silver", "gold"))
        creator = rng.choice(USER_POOL)
        base = {
            "pipeline_id": self._pipeline_ids[p],
            "name": f"dlt-{domain}-{layer}-{p + 1:04d}",
            "creator_user_name": creator,
            "run_as_user_name": creator,
            "_domain": domain,
            "_layer": layer,
            "_serverless": rng.random() < 0.6,
        }
        return rng, base

    def _pipeline_updates(self, p: int) -> list[dict[str, Any]]:
        """Updates newest first; the newest may still be running, older ones are finished."""
        rng = random.Random(f"{self.spec.seed}:pipeline:{p}:updates")
        count = rng.randint(4, 10)
        window_s = max(self.spec.lookback_days_spread, 7) * 86_400
        offsets = sorted(rng.sample(range(600, window_s), count))
        active_states = (
            "RUNNING",
            "WAITING_FOR_RESOURCES",
            "INITIALIZING",
            "SETTING_UP_TABLES",
            "QUEUED",
            "CREATED",
            "STOPPING",
            "RESETTING",
        )
        updates = []
        for i, offset in enumerate(offsets):
            if i == 0 and p % 3 == 1:
                state = active_states[(p // 3) % len(active_states)]
                offset = rng.randint(30, 599)
            else:
                state = rng.choices(("COMPLETED", "FAILED", "CANCELED"), weights=(80, 14, 6))[0]
            updates.append(
                {
                    "pipeline_id": self._pipeline_ids[p],
                    "update_id": _uuid(rng),
                    "state": state,
                    "cause": rng.choice(
                        (
                            "JOB_TASK",
                            "JOB_TASK",
                            "API_CALL",
                            "USER_ACTION",
                            "RETRY_ON_FAILURE",
                            "SCHEMA_CHANGE",
                            "SERVICE_UPGRADE",
                            "INFRASTRUCTURE_MAINTENANCE",
                        )
                    ),
                    "creation_time": self.now_ms - offset * 1000,
                    "full_refresh": rng.random() < 0.1,
                    "validate_only": False,
                }
            )
        return updates

    def _pipeline_state_info(self, p: int) -> dict[str, Any]:
        _, base = self._pipeline_base(p)
        updates = self._pipeline_updates(p)
        newest = updates[0]["state"]
        state = {
            "COMPLETED": "IDLE",
            "CANCELED": "IDLE",
            "FAILED": "FAILED",
            "QUEUED": "STARTING",
            "CREATED": "STARTING",
            "WAITING_FOR_RESOURCES": "DEPLOYING",
            "INITIALIZING": "DEPLOYING",
            "SETTING_UP_TABLES": "RUNNING",
            "RUNNING": "RUNNING",
            "STOPPING": "STOPPING",
            "RESETTING": "RESETTING",
        }[newest]
        if state == "FAILED" and p % 5 == 4:
            state = "RECOVERING"
        finished = [u for u in updates if u["state"] in ("COMPLETED", "FAILED", "CANCELED")]
        health = "UNHEALTHY" if finished and finished[0]["state"] == "FAILED" else "HEALTHY"
        info = {k: v for k, v in base.items() if not k.startswith("_")}
        info.update(
            state=state,
            health=health,
            latest_updates=[
                {"update_id": u["update_id"], "state": u["state"], "creation_time": _iso(u["creation_time"])}
                for u in updates[:3]
            ],
        )
        if not base["_serverless"] and state in ("RUNNING", "DEPLOYING", "STOPPING", "RESETTING"):
            info["cluster_id"] = _cluster_id(random.Random(info["pipeline_id"]), self.now_ms)
        return info

    def _pipeline_detail(self, p: int) -> dict[str, Any]:
        rng, base = self._pipeline_base(p)
        detail = self._pipeline_state_info(p)
        domain, layer = base["_domain"], base["_layer"]
        legacy_hive = rng.random() < 0.15
        spec: dict[str, Any] = {
            "id": detail["pipeline_id"],
            "name": detail["name"],
            "continuous": rng.random() < 0.1,
            "development": rng.random() < 0.2,
            "serverless": base["_serverless"],
            "photon": True,
            "channel": rng.choice(("CURRENT", "CURRENT", "PREVIEW")),
            "edition": rng.choice(("ADVANCED", "PRO", "CORE")),
            "configuration": {
                "source_path": f"s3://acme-landing/{domain}/",
                "pipelines.trigger.interval": "1 hour",
            },
            "libraries": [
                {"notebook": {"path": f"/Repos/{base['creator_user_name']}/dlt/{domain}_{layer}"}},
                {"file": {"path": f"/Workspace/Shared/dlt/{domain}/expectations.sql"}},
            ],
        }
        if legacy_hive:
            spec.update(target=f"{domain}_{layer}", storage=f"dbfs:/pipelines/{detail['pipeline_id']}")
        else:
            spec.update(catalog="main", schema=f"{domain}_dlt")
        if not base["_serverless"]:
            spec["clusters"] = [{"label": "default", "num_workers": rng.choice((1, 2, 4))}]
        detail.update(
            spec=spec,
            run_as={"user_name": base["run_as_user_name"]},
            last_modified=self.now_ms - rng.randint(1, 60) * _DAY_MS,
            cause="JOB_TASK",
        )
        return detail

    # == generation: lineage ========================================================================

    def _entity_lineage(self, entity_id: str) -> list[dict[str, Any]]:
        if entity_id in self._pipeline_index:
            return self._pipeline_lineage(self._pipeline_index[entity_id])
        try:
            index = int(entity_id) - JOB_ID_BASE
        except ValueError:
            return []
        return self._job_lineage(index) if 0 <= index < self.spec.jobs else []

    def _lineage_rng(self, index: int) -> random.Random:
        return random.Random(f"{self.spec.seed}:{index}:lineage")

    def _job_entity(self, index: int) -> str:
        return self._lineage_rng(index).choice(_ENTITIES)

    def _job_lineage(self, index: int) -> list[dict[str, Any]]:
        """1-3 read/write edges per job, some pure reads, some reading another job's output."""
        rng = self._lineage_rng(index)
        entity = rng.choice(_ENTITIES)
        n = f"{index:04d}"
        silver = f"main.silver.{entity}_{n}"
        edges: list[tuple[str, str | None]] = [(f"main.bronze.raw_{entity}_{n}", silver)]
        gold = f"main.gold.{entity}_{rng.choice(_AGGREGATES)}_{n}"
        if rng.random() < 0.5:
            edges.append((silver, gold))
        if rng.random() < 0.3:
            edges.append((rng.choice(_REFERENCE_TABLES), None))
        if index > 0 and rng.random() < 0.2 and len(edges) < 3:
            other = rng.randrange(index)
            edges.append((f"main.silver.{self._job_entity(other)}_{other:04d}", gold))
        return self._lineage_events(rng, "JOB", str(JOB_ID_BASE + index), edges)

    def _pipeline_lineage(self, p: int) -> list[dict[str, Any]]:
        rng = random.Random(f"{self.spec.seed}:pipeline:{p}:lineage")
        entity = rng.choice(_ENTITIES)
        _, base = self._pipeline_base(p)
        schema = f"main.{base['_domain']}_dlt"
        n = f"{p + 1:04d}"
        edges: list[tuple[str, str | None]] = [
            (f"main.landing.{entity}_raw_{n}", f"{schema}.{entity}_bronze_{n}"),
            (f"{schema}.{entity}_bronze_{n}", f"{schema}.{entity}_silver_{n}"),
        ]
        if rng.random() < 0.6:
            edges.append((f"{schema}.{entity}_silver_{n}", f"{schema}.{entity}_gold_{n}"))
        return self._lineage_events(rng, "PIPELINE", self._pipeline_ids[p], edges)

    def _lineage_events(
        self, rng: random.Random, entity_type: str, entity_id: str, edges: list[tuple[str, str | None]]
    ) -> list[dict[str, Any]]:
        """1-3 events per edge over the last two weeks, so ``since_date`` and ``max()`` matter."""
        rows = []
        window_ms = max(14, self.spec.lookback_days_spread) * _DAY_MS
        for source, target in edges:
            for _ in range(rng.randint(1, 3)):
                at = self.now_ms - rng.randrange(window_ms)
                rows.append(
                    {
                        "entity_type": entity_type,
                        "entity_id": entity_id,
                        "source_table_full_name": source,
                        "target_table_full_name": target,
                        "source_type": "TABLE",
                        "target_type": "TABLE" if target else None,
                        "event_time": _iso(at),
                        "event_date": _date(at),
                    }
                )
        return rows


# -- job-generation helpers ---------------------------------------------------------------------------


def _draw_description(rng: random.Random, name: str) -> str | None:
    roll = rng.random()
    if roll < 0.25:
        return None
    if roll < 0.35:
        return ""
    return f"{name}: loads and publishes {rng.choice(_ENTITIES)} for the {rng.choice(_TEAMS)} team."


def _draw_tags(rng: random.Random) -> dict[str, str] | None:
    if rng.random() < 0.25:
        return None
    tags = {"team": rng.choice(_TEAMS), "env": rng.choice(("prod", "prod", "dev"))}
    if rng.random() < 0.2:
        tags["pii"] = ""
    return tags


def _draw_schedule_or_trigger(rng: random.Random) -> dict[str, Any]:
    """Mostly a cron schedule (some paused), some event triggers, some manual-only jobs."""
    roll = rng.random()
    if roll < 0.62:
        return {
            "schedule": {
                "quartz_cron_expression": rng.choice(_CRONS),
                "timezone_id": rng.choice(_TIMEZONES),
                "pause_status": "PAUSED" if rng.random() < 0.2 else "UNPAUSED",
            }
        }
    if roll < 0.70:
        return {
            "trigger": {
                "pause_status": "UNPAUSED",
                "file_arrival": {"url": f"s3://acme-landing/{rng.choice(_ENTITIES)}/"},
            }
        }
    if roll < 0.75:
        return {
            "trigger": {
                "pause_status": "UNPAUSED",
                "periodic": {"interval": rng.choice((1, 4)), "unit": "HOURS"},
            }
        }
    return {}


def _draw_depends_on(rng: random.Random, earlier: list[dict[str, Any]], k: int) -> list[dict[str, Any]]:
    """1-2 parents among the few previous tasks, so big jobs form a long, narrow DAG."""
    window = range(max(0, k - 5), k)
    parents = sorted(rng.sample(window, min(len(window), 1 if k == 1 else rng.choice((1, 1, 2)))))
    deps = []
    for parent in parents:
        dep: dict[str, Any] = {"task_key": earlier[parent]["task_key"]}
        if "condition_task" in earlier[parent]:
            dep["outcome"] = "true"
        deps.append(dep)
    return deps


def _draw_compute(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.8:
        return {"job_cluster_key": "main"}
    return {"existing_cluster_id": f"0312-{rng.getrandbits(24):06x}-shared01"}


def _job_cluster(rng: random.Random) -> dict[str, Any]:
    return {
        "job_cluster_key": "main",
        "new_cluster": {
            "spark_version": rng.choice(("15.4.x-scala2.12", "14.3.x-scala2.12")),
            "node_type_id": rng.choice(("i3.xlarge", "m5d.large")),
            "num_workers": rng.choice((1, 2, 4, 8)),
            "data_security_mode": "USER_ISOLATION",
        },
    }


def _drop_tasks(settings: dict[str, Any], removed: frozenset[str]) -> None:
    """Remove tasks and every ``depends_on`` edge to them, as the Jobs UI would on save."""
    kept = [t for t in settings["tasks"] if t["task_key"] not in removed]
    for task in kept:
        if "depends_on" in task:
            task["depends_on"] = [d for d in task["depends_on"] if d["task_key"] not in removed]
            if not task["depends_on"]:
                del task["depends_on"]
    settings["tasks"] = kept


def _removed_task(tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """A task that the job's settings no longer contain but that an old run still reports."""
    return {
        "task_key": _REMOVED_TASK_KEY,
        "depends_on": [{"task_key": tasks[0]["task_key"]}],
        "notebook_task": {"notebook_path": "/Shared/legacy/export_to_sftp", "source": "WORKSPACE"},
        "job_cluster_key": "main",
    }


# -- run-generation helpers ---------------------------------------------------------------------------


_RETRY_ID_OFFSET = 500  # task run ids of earlier attempts: run_id + 500 + position


def _with_earlier_attempts(
    rng: random.Random,
    task_runs: list[dict[str, Any]],
    page_url: Callable[[int, int], str],
    job_id: int,
) -> list[dict[str, Any]]:
    """Insert the failed attempts before a retried task's last one, as the Jobs API lists them.

    ``runs/list`` and ``runs/get`` give one ``tasks`` entry per attempt: a task that failed and was
    retried appears once per attempt with the same ``task_key``, a new task run id and an increasing
    ``attempt_number`` (apache/airflow PR #69998 review; databricks/databricks-sdk-py #175). A task that
    may retry (``max_retries``) and ended SUCCESS on a retry, or FAILED after its retries, gets one
    earlier FAILED attempt in the first half of its time slot. A separate RNG per run keeps every other
    generated value unchanged.
    """
    result: list[dict[str, Any]] = []
    for position, task_run in enumerate(task_runs):
        state = task_run.get("state", {})
        start, end = task_run.get("start_time") or 0, task_run.get("end_time") or 0
        retried = (
            task_run.get("max_retries", 0) > 0
            and state.get("result_state") in ("SUCCESS", "FAILED")
            and end - start > 2
            and position + _RETRY_ID_OFFSET < _RUN_STRIDE_RUN - 1
            and (task_run.get("attempt_number", 0) > 0 or rng.random() < 0.5)
        )
        if not retried:
            result.append(task_run)
            continue
        final = dict(task_run)
        final["attempt_number"] = max(1, task_run.get("attempt_number", 0))
        earlier = copy.deepcopy(task_run)
        middle = start + (end - start) // 2
        message = "Notebook exception: java.net.SocketTimeoutException: Read timed out"
        earlier.update(
            run_id=task_run["run_id"] + _RETRY_ID_OFFSET,
            attempt_number=final["attempt_number"] - 1,
            start_time=start,
            end_time=middle,
            run_duration=middle - start,
            execution_duration=middle - start,
            run_page_url=page_url(job_id, task_run["run_id"] + _RETRY_ID_OFFSET),
            state={"life_cycle_state": "TERMINATED", "result_state": "FAILED", "state_message": message},
            status={
                "state": "TERMINATED",
                "termination_details": {
                    "code": "RUN_EXECUTION_ERROR",
                    "type": "CLIENT_ERROR",
                    "message": message,
                },
            },
        )
        final["start_time"] = middle + 1
        final["run_duration"] = end - final["start_time"]
        final["execution_duration"] = end - final["start_time"]
        result.extend((earlier, final))
    return result


def _legacy_state(outcome: _Outcome, scenario: str) -> dict[str, Any]:
    state: dict[str, Any] = {
        "life_cycle_state": outcome.life,
        "state_message": outcome.message,
        "user_cancelled_or_timedout": scenario in ("CANCELED", "TIMEDOUT"),
    }
    if outcome.result is not None:
        state["result_state"] = outcome.result
    if scenario == "QUEUED":
        state["queue_reason"] = "Queued due to reaching maximum concurrent runs of 1."
    return state


def _status(outcome: _Outcome) -> dict[str, Any]:
    status: dict[str, Any] = {"state": outcome.v2}
    if outcome.code is not None:
        status["termination_details"] = {
            "code": outcome.code,
            "type": outcome.kind,
            "message": outcome.message,
        }
    if outcome.v2 == "QUEUED":
        status["queue_details"] = {
            "code": "MAX_CONCURRENT_RUNS_REACHED",
            "message": "Queued due to reaching maximum concurrent runs of 1.",
        }
    return status


def _run_trigger(rng: random.Random, settings: dict[str, Any], scenario: str) -> str:
    if scenario in ("UPSTREAM_FAILED", "UPSTREAM_CANCELED"):
        return "RUN_JOB_TASK"
    if "file_arrival" in settings.get("trigger", {}):
        return "FILE_ARRIVAL"
    if "periodic" in settings.get("trigger", {}) or "schedule" in settings:
        return rng.choices(("PERIODIC", "ONE_TIME", "RETRY"), weights=(85, 10, 5))[0]
    return rng.choice(("ONE_TIME", "ONE_TIME", "RUN_JOB_TASK", "JOB_COMPLETION"))


def _task_outcomes(rng: random.Random, scenario: str, tasks: list[dict[str, Any]]) -> list[str]:
    """Each task's own outcome key, consistent with the run's scenario and the DAG."""
    n = len(tasks)
    if scenario in _RUN_SKIP_SCENARIOS:
        return [scenario] * n
    if scenario in _ACTIVE_SCENARIOS:
        return _active_task_outcomes(rng, scenario, tasks)
    outcomes = ["DISABLED" if t.get("disabled") else "SUCCESS" for t in tasks]
    if scenario == "SUCCESS":
        _maybe_exclude_condition_branch(rng, tasks, outcomes)
        return outcomes
    enabled = [i for i in range(n) if not tasks[i].get("disabled")] or [0]
    if scenario == "SUCCESS_WITH_FAILURES":
        inner = [i for i in enabled if not _is_leaf(tasks, i)]
        if not inner:
            return outcomes
        fault = rng.choice(inner)
        outcomes[fault] = "FAILED"
        skipped = [i for i in sorted(_descendants(tasks, fault)) if not _is_leaf(tasks, i)]
        if skipped:
            outcomes[skipped[0]] = rng.choice(("UPSTREAM_FAILED", "EXCLUDED"))
        return outcomes
    fault = rng.choice(enabled)
    fault_outcome, downstream = {
        "FAILED": ("FAILED", "UPSTREAM_FAILED"),
        "TIMEDOUT": ("TIMEDOUT", "UPSTREAM_FAILED"),
        "CANCELED": ("CANCELED", "UPSTREAM_CANCELED"),
        "INTERNAL_ERROR": ("INTERNAL_ERROR", "UPSTREAM_FAILED"),
    }[scenario]
    outcomes[fault] = fault_outcome
    for i in _descendants(tasks, fault):
        outcomes[i] = downstream
    return outcomes


def _maybe_exclude_condition_branch(
    rng: random.Random, tasks: list[dict[str, Any]], outcomes: list[str]
) -> None:
    """Sometimes a condition evaluates to false: the tasks behind its ``true`` edge are EXCLUDED."""
    for i, task in enumerate(tasks):
        if "condition_task" in task and rng.random() < 0.4:
            for j in _descendants(tasks, i):
                outcomes[j] = "EXCLUDED"
            return


def _active_task_outcomes(rng: random.Random, scenario: str, tasks: list[dict[str, Any]]) -> list[str]:
    """Finished tasks before a cut, the current task in the run's state, waiting tasks after it."""
    n = len(tasks)
    if scenario == "BLOCKED":
        return ["BLOCKED"] * n
    if scenario == "TERMINATING":
        return ["SUCCESS"] * (n - 1) + ["TERMINATING"]
    cut = 0 if scenario in ("QUEUED", "PENDING") else rng.randrange(n)
    outcomes = ["SUCCESS"] * cut + [scenario]
    done = set(range(cut))
    keys = {t["task_key"]: i for i, t in enumerate(tasks)}
    for i in range(cut + 1, n):
        deps = [keys[d["task_key"]] for d in tasks[i].get("depends_on", ()) if d["task_key"] in keys]
        ready = all(d in done for d in deps)
        outcomes.append(
            ("RUNNING" if scenario != "QUEUED" else "QUEUED")
            if ready and scenario != "PENDING"
            else ("PENDING" if ready else "BLOCKED")
        )
    return outcomes


def _timeline(
    rng: random.Random, tasks: list[dict[str, Any]], outcomes: list[str], run_start: int, now_ms: int
) -> list[tuple[int, int]]:
    """(start_time, end_time) of every task: DAG-ordered, compressed to fit before ``now_ms``.

    Never-started tasks get ``0, 0``; running ones ``start, 0``; skipped ones a zero-length slot at the
    moment they were skipped.
    """
    keys = {t["task_key"]: i for i, t in enumerate(tasks)}
    rel: list[tuple[int, int]] = []
    for i, task in enumerate(tasks):
        ready = max(
            [rel[keys[d["task_key"]]][1] for d in task.get("depends_on", ()) if d["task_key"] in keys]
            or [rng.randint(5_000, 90_000)]
        )
        o = _OUTCOMES[outcomes[i]]
        if o.life == "SKIPPED":
            rel.append((ready, ready))
        else:
            start = ready + rng.randint(500, 15_000)
            rel.append((start, start + rng.randint(20_000, 900_000)))
    horizon = max(1, now_ms - run_start - 1_000)
    latest = max((e for _, e in rel), default=1)
    scale = min(1.0, horizon / latest) if latest else 1.0
    result = []
    for i, (s, e) in enumerate(rel):
        life = _OUTCOMES[outcomes[i]].life
        start, end = run_start + int(s * scale), run_start + int(e * scale)
        if life in ("BLOCKED", "QUEUED"):
            result.append((0, 0))
        elif life in ("PENDING", "RUNNING", "TERMINATING", "WAITING_FOR_RETRY"):
            result.append((start, 0))
        else:
            result.append((start, end))
    return result
