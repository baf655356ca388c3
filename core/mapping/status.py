"""Databricks run and task states to OpenMetadata's ``StatusType`` (Successful, Failed, Pending, Skipped).

OpenMetadata's connector reads ``result_state`` only, maps running states that can never appear there,
lets every other value (SUCCESS_WITH_FAILURES, EXCLUDED, UPSTREAM_FAILED, ...) fall to Failed, never
uses Skipped, and stamps every task with the run's outcome. Here:

- ``life_cycle_state`` decides first: an unfinished run is Pending whatever else it says; SKIPPED is
  Skipped; INTERNAL_ERROR is Failed.
- a TERMINATED run is mapped by ``result_state`` through an explicit table with every documented value.
- a state we do not know maps to Pending (not Failed) and the caller reports a warning.
- tasks use their own state, times and run page link.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.databricks.records import RunRecord, TaskRunRecord

__all__ = [
    "DLT_UPDATE_STATES",
    "LIFE_CYCLE_STATES",
    "RESULT_STATES",
    "MappedStatus",
    "execution_status",
    "run_to_status",
]

SUCCESSFUL, FAILED, PENDING, SKIPPED = "Successful", "Failed", "Pending", "Skipped"

#: Every ``RunLifeCycleState``; None means "look at result_state".
LIFE_CYCLE_STATES: dict[str, str | None] = {
    "QUEUED": PENDING,
    "PENDING": PENDING,
    "RUNNING": PENDING,
    "TERMINATING": PENDING,
    "BLOCKED": PENDING,
    "WAITING_FOR_RETRY": PENDING,
    "SKIPPED": SKIPPED,
    "INTERNAL_ERROR": FAILED,
    "TERMINATED": None,
}

#: Every ``RunResultState``.
RESULT_STATES: dict[str, str] = {
    "SUCCESS": SUCCESSFUL,
    # Databricks itself classifies this termination as type SUCCESS; the failed tasks show as Failed.
    "SUCCESS_WITH_FAILURES": SUCCESSFUL,
    "FAILED": FAILED,
    "TIMEDOUT": FAILED,
    "CANCELED": FAILED,
    # Not run at all: the run (or task) was never executed, which is what Skipped means.
    "MAXIMUM_CONCURRENT_RUNS_REACHED": SKIPPED,
    "EXCLUDED": SKIPPED,
    "DISABLED": SKIPPED,
    "UPSTREAM_FAILED": SKIPPED,
    "UPSTREAM_CANCELED": SKIPPED,
}

#: Every DLT ``UpdateInfoState``.
DLT_UPDATE_STATES: dict[str, str] = {
    "COMPLETED": SUCCESSFUL,
    "FAILED": FAILED,
    "CANCELED": FAILED,
    "QUEUED": PENDING,
    "CREATED": PENDING,
    "WAITING_FOR_RESOURCES": PENDING,
    "INITIALIZING": PENDING,
    "RESETTING": PENDING,
    "SETTING_UP_TABLES": PENDING,
    "RUNNING": PENDING,
    "STOPPING": PENDING,
}


def execution_status(life_cycle_state: str | None, result_state: str | None) -> tuple[str, bool]:
    """``(status, known)``: the OpenMetadata status and whether both inputs were recognised."""
    if life_cycle_state in LIFE_CYCLE_STATES:
        decided = LIFE_CYCLE_STATES[life_cycle_state]
        if decided is not None:
            return decided, True
    if result_state in RESULT_STATES:
        return RESULT_STATES[result_state], life_cycle_state in LIFE_CYCLE_STATES or life_cycle_state is None
    return PENDING, False


@dataclass
class MappedStatus:
    """One ``PipelineStatus`` body plus what the mapping had to drop or guess."""

    body: dict
    unknown_states: list[str]
    trimmed_tasks: list[str]


def _task_status(task: TaskRunRecord, unknown: list[str]) -> dict:
    status, known = execution_status(task.life_cycle_state, task.result_state)
    if not known:
        unknown.append(f"task {task.key}: {task.life_cycle_state}/{task.result_state}")
    body: dict = {"name": task.key, "executionStatus": status}
    if task.start_ms:
        body["startTime"] = task.start_ms
    if task.end_ms:
        body["endTime"] = task.end_ms
    if task.url:
        body["logLink"] = task.url
    return body


def run_to_status(run: RunRecord, task_names: set[str], *, dlt: bool = False) -> MappedStatus:
    """The PipelineStatus of one run; tasks the job no longer has are trimmed and listed."""
    unknown: list[str] = []
    if dlt:
        state = run.life_cycle_state or ""
        status = DLT_UPDATE_STATES.get(state, PENDING)
        if state not in DLT_UPDATE_STATES:
            unknown.append(f"update {run.run_id}: {state or 'no state'}")
    else:
        status, known = execution_status(run.life_cycle_state, run.result_state)
        if not known:
            unknown.append(f"run {run.run_id}: {run.life_cycle_state}/{run.result_state}")
    trimmed = [task.key for task in run.tasks if task.key not in task_names]
    tasks = [_task_status(task, unknown) for task in run.tasks if task.key in task_names]
    # executionId/endTime exist only in newer OpenMetadata schemas; 1.x servers reject unknown keys.
    body: dict = {"timestamp": run.start_ms, "executionStatus": status}
    if tasks:
        body["taskStatus"] = tasks
    return MappedStatus(body, unknown, trimmed)
