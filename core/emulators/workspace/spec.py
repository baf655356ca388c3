"""The knobs of a generated workspace (:class:`WorkspaceSpec`), its id scheme and run references."""

from __future__ import annotations

from dataclasses import dataclass

JOB_ID_BASE = 1000
"""Job ids are ``JOB_ID_BASE + index``."""

RUN_ID_BASE = 500_000_000_000
RUN_STRIDE_JOB = 1_000_000  # run ids of one job: index * stride + ordinal * RUN_STRIDE_RUN
RUN_STRIDE_RUN = 1_000  # task run ids: run_id + 1 + task position (so at most 998 tasks per run)
_MAX_RUNS_PER_JOB = RUN_STRIDE_JOB // RUN_STRIDE_RUN - 1
_MAX_TASKS_PER_JOB = RUN_STRIDE_RUN - 2
DAY_MS = 86_400_000

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
    """A cheap reference to one run, enough to sort and filter before building the full JSON.

    ``job_id`` is the job's routing key (a recorded job without a usable id has ``recorded#<n>``), and
    ``life_cycle_state`` is ``None`` for a recorded run that states none.
    """

    job_id: int | str
    ordinal: int  # 0 = newest run of the job
    run_id: int
    start_time: int
    life_cycle_state: str | None


# -- small helpers ----------------------------------------------------------------------------------
