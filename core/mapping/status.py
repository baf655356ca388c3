"""Databricks run, task and DLT update states to OpenMetadata's ``StatusType``, and ``PipelineStatus`` bodies.

OpenMetadata's connector reads ``result_state`` only, maps running states that can never appear there,
lets every other value (SUCCESS_WITH_FAILURES, EXCLUDED, UPSTREAM_FAILED, ...) fall to Failed, never
uses Skipped, and stamps every task with the run's outcome. Here:

- states are compared as Databricks means them, not as spelled: case, surrounding whitespace, spaces,
  hyphens and underscores do not matter (``" success "``, ``TIMED_OUT``), and ``CANCELLED`` is ``CANCELED``;
  every warning quotes the value exactly as it was sent;
- the life cycle decides first: an unfinished run is Pending whatever else it says; SKIPPED is Skipped;
  INTERNAL_ERROR is Failed. The newer ``status.state`` (``WAITING`` included) stands in when the legacy
  ``state.life_cycle_state`` is absent;
- a terminated run is mapped by ``result_state`` through an explicit table with every documented value,
  else by ``status.termination_details.code`` (the newer field, with its own table);
- a run that has terminated (TERMINATED, or it has an end time) is **never Pending**: with no known result
  it is derived from its tasks (any Failed: Failed; all Successful or Skipped: Successful), else Failed,
  with a warning naming the raw value;
- a state we do not know on a run that may still be going maps to Pending (never Failed by default), with
  a warning;
- tasks use their own state, times, run id and link (the latest attempt of each task key: see
  :mod:`core.databricks.decode`).

Full run detail (``endTime``, ``executionId``, ``parameters``, ``error`` and task ``taskId``) exists in
OpenMetadata 1.13 and later (``entity/data/pipeline.json``); older servers reject unknown keys, so
:func:`run_to_status` writes it only when asked (``detail``; see :func:`supports_run_detail`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from core.databricks.records import RunRecord, TaskRunRecord
from core.openmetadata.payloads import ExecutionError, PipelineStatus, StatusType, TaskStatus
from core.secrets import redact

__all__ = [
    "DLT_UPDATE_STATES",
    "LIFE_CYCLE_STATES",
    "RESULT_STATES",
    "TERMINATION_CODES",
    "MappedStatus",
    "already_stored",
    "execution_status",
    "normalise_state",
    "run_to_status",
    "supports_run_detail",
]

SUCCESSFUL: StatusType = "Successful"
FAILED: StatusType = "Failed"
PENDING: StatusType = "Pending"
SKIPPED: StatusType = "Skipped"

#: Every ``RunLifeCycleState`` and ``RunLifecycleStateV2State``; None means "look at the result".
LIFE_CYCLE_STATES: dict[str, StatusType | None] = {
    "QUEUED": PENDING,
    "PENDING": PENDING,
    "RUNNING": PENDING,
    "TERMINATING": PENDING,
    "BLOCKED": PENDING,
    "WAITING_FOR_RETRY": PENDING,
    "WAITING": PENDING,  # status.state (lifecycle v2) only
    "SKIPPED": SKIPPED,
    "INTERNAL_ERROR": FAILED,
    "TERMINATED": None,
}

#: Every ``RunResultState``.
RESULT_STATES: dict[str, StatusType] = {
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

#: Every ``TerminationCodeCode`` (``status.termination_details.code``), plus the documented
#: CLUSTER_TERMINATED_BY_USER that databricks-sdk 0.162's enum lacks. The codes that say the run was never
#: executed are Skipped, like their ``result_state`` counterparts; every error is Failed.
TERMINATION_CODES: dict[str, StatusType] = {
    "SUCCESS": SUCCESSFUL,
    "SUCCESS_WITH_FAILURES": SUCCESSFUL,
    "SKIPPED": SKIPPED,
    "DISABLED": SKIPPED,
    "MAX_CONCURRENT_RUNS_EXCEEDED": SKIPPED,
    "MAX_JOB_QUEUE_SIZE_EXCEEDED": SKIPPED,
    "WORKSPACE_RUN_LIMIT_EXCEEDED": SKIPPED,
    "USER_CANCELED": FAILED,
    "CANCELED": FAILED,
    "INTERNAL_ERROR": FAILED,
    "DRIVER_ERROR": FAILED,
    "CLUSTER_ERROR": FAILED,
    "REPOSITORY_CHECKOUT_FAILED": FAILED,
    "INVALID_CLUSTER_REQUEST": FAILED,
    "FEATURE_DISABLED": FAILED,
    "CLUSTER_REQUEST_LIMIT_EXCEEDED": FAILED,
    "STORAGE_ACCESS_ERROR": FAILED,
    "RUN_EXECUTION_ERROR": FAILED,
    "UNAUTHORIZED_ERROR": FAILED,
    "LIBRARY_INSTALLATION_ERROR": FAILED,
    "MAX_SPARK_CONTEXTS_EXCEEDED": FAILED,
    "RESOURCE_NOT_FOUND": FAILED,
    "INVALID_RUN_CONFIGURATION": FAILED,
    "CLOUD_FAILURE": FAILED,
    "BREAKING_CHANGE": FAILED,
    "BUDGET_POLICY_LIMIT_EXCEEDED": FAILED,
    "CLUSTER_TERMINATED_BY_USER": FAILED,
}

#: Every DLT ``UpdateInfoState``.
DLT_UPDATE_STATES: dict[str, StatusType] = {
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

#: Spellings seen in the wild for the same value (British spelling of CANCELED).
_ALIASES = {"CANCELLED": "CANCELED", "USERCANCELLED": "USERCANCELED", "UPSTREAMCANCELLED": "UPSTREAMCANCELED"}
_SEPARATORS = re.compile(r"[\s_\-]+")
_MESSAGE_LIMIT = 2000  # characters of a Databricks error message kept in ``error.errorMessage``


def _key(value: str) -> str:
    squashed = _SEPARATORS.sub("", value).upper()
    return _ALIASES.get(squashed, squashed)


def _index(*tables: Mapping[str, object]) -> dict[str, str]:
    return {_key(name): name for table in tables for name in table}


_CANONICAL = _index(LIFE_CYCLE_STATES, RESULT_STATES, TERMINATION_CODES, DLT_UPDATE_STATES)


def normalise_state(value: object) -> str | None:
    """The documented spelling of a state as Databricks sent it (``" success "`` -> ``SUCCESS``).

    Returns the input upper-cased and stripped when it is not a documented value (so the caller can
    still tell it is unknown), and None for a missing or non-text value.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    return _CANONICAL.get(_key(value), value.strip().upper())


def _shown(value: str | None) -> str:
    return "no value" if value is None else repr(value)


def supports_run_detail(server_version: str | None) -> bool:
    """Whether an OpenMetadata server's ``PipelineStatus`` has ``endTime``, ``executionId``, ``error``...

    True for 1.13 and later and when there is no server (file and console sinks write the newest shape);
    False for older or unreadable versions, whose schema rejects unknown keys.
    """
    if server_version is None:
        return True
    match = re.match(r"\s*v?(\d+)\.(\d+)", server_version)
    if match is None:
        return False
    return (int(match.group(1)), int(match.group(2))) >= (1, 13)


def execution_status(life_cycle_state: str | None, result_state: str | None) -> tuple[StatusType, bool]:
    """``(status, known)`` for a life cycle and result as sent (normalised here).

    A terminated state with no known result gives ``(Failed, False)``: it finished, so it is never
    Pending. Runs derive that case from their tasks instead (:func:`run_to_status`).
    """
    verdict = _verdict(life_cycle_state, result_state, None, ended=False)
    return (verdict.status or FAILED, verdict.known)


@dataclass
class _Verdict:
    status: StatusType | None  # None: finished, result unknown (the caller derives it)
    known: bool
    note: str | None = None


def _verdict(life: str | None, result: str | None, code: str | None, *, ended: bool) -> _Verdict:
    """The status for one run or task from its life cycle, result and termination code as sent.

    ``ended`` is whether it has an end time. An unfinished life cycle with an end time contradicts
    itself: the end time is the stronger evidence, so it is judged as finished and flagged.
    """
    life_n, result_n, code_n = normalise_state(life), normalise_state(result), normalise_state(code)
    decided = LIFE_CYCLE_STATES.get(life_n or "")
    contradiction = ended and decided == PENDING
    life_known = life_n in LIFE_CYCLE_STATES and not contradiction
    if life_known and decided is not None:
        return _Verdict(decided, True)
    note = None
    if life is not None and not life_known:
        note = f"life_cycle_state {_shown(life)}" + (" although it has an end time" if contradiction else "")
    if result_n in RESULT_STATES:
        return _Verdict(RESULT_STATES[result_n], life_known or life_n is None, note)
    if result_n is None and code_n in TERMINATION_CODES:
        return _Verdict(TERMINATION_CODES[code_n], life_known or life_n is None, note)
    what = f"life_cycle_state {_shown(life)}, result_state {_shown(result)}"
    if life_n == "TERMINATED" or ended:
        if contradiction:
            what += ", and an end time"
        if code is not None:
            what += f", termination code {_shown(code)}"
        return _Verdict(None, False, what)
    return _Verdict(PENDING, False, what)


@dataclass
class MappedStatus:
    """One ``PipelineStatus`` body plus what the mapping had to drop, guess or report."""

    body: PipelineStatus
    unknown_states: list[str]
    trimmed_tasks: list[str]
    warnings: list[str] = field(default_factory=list)


def _task_status(task: TaskRunRecord, unknown: list[str], *, detail: bool) -> TaskStatus:
    verdict = _verdict(
        task.life_cycle_state, task.result_state, task.termination_code, ended=bool(task.end_ms)
    )
    status = verdict.status
    if status is None:
        status = FAILED
        unknown.append(f"task {task.key}: {verdict.note}; it has finished, so it is recorded as Failed")
    elif not verdict.known:
        unknown.append(f"task {task.key}: {verdict.note}; recorded as {status}")
    body: TaskStatus = {"name": task.key, "executionStatus": status}
    if task.start_ms:
        body["startTime"] = task.start_ms
    if task.end_ms:
        body["endTime"] = task.end_ms
    if task.url:
        body["logLink"] = task.url
    if detail and task.run_id:
        body["taskId"] = task.run_id
    return body


def _from_tasks(task_bodies: list[TaskStatus]) -> StatusType:
    statuses = [body["executionStatus"] for body in task_bodies]
    if FAILED in statuses or not statuses:
        return FAILED
    if all(status in (SUCCESSFUL, SKIPPED) for status in statuses) and SUCCESSFUL in statuses:
        return SUCCESSFUL
    if all(status == SKIPPED for status in statuses):
        return SKIPPED
    return FAILED


def _error(run: RunRecord, tasks: list[TaskRunRecord], task_bodies: list[TaskStatus]) -> ExecutionError:
    """``executionError`` of a failed run: type from the termination code, message from the failing task."""
    failed = [
        (task, body)
        for task, body in zip(tasks, task_bodies, strict=True)
        if body["executionStatus"] == FAILED
    ]
    failed.sort(key=lambda pair: pair[0].end_ms or 0)
    error: ExecutionError = {}
    kind = (
        normalise_state(run.termination_code)
        or normalise_state(run.result_state)
        or (normalise_state(failed[0][0].termination_code) if failed else None)
        or normalise_state(run.life_cycle_state)
    )
    if kind:
        error["errorType"] = kind
    message = next((task.state_message for task, _ in failed if task.state_message), None)
    message = message or run.termination_message or run.state_message
    if message:
        error["errorMessage"] = redact(message.strip())[:_MESSAGE_LIMIT]
    if failed:
        error["failedTask"] = failed[0][0].key
    return error


def _dlt_status(run: RunRecord, unknown: list[str]) -> StatusType:
    """A DLT update's ``executionStatus``, from its ``UpdateInfoState``.

    An unknown state is Pending while the update runs. Once the update has an end time it is never Pending:
    an unfinished or unknown state then gives the result word if there is a known one, else Failed.
    """
    state = normalise_state(run.life_cycle_state)
    if state in DLT_UPDATE_STATES:
        status = DLT_UPDATE_STATES[state]
        if status != PENDING or not run.end_ms:
            return status
    if not run.end_ms:
        unknown.append(f"update {run.run_id}: {_shown(run.life_cycle_state)}; recorded as Pending")
        return PENDING
    result = normalise_state(run.result_state) or ""
    status = DLT_UPDATE_STATES.get(result) or RESULT_STATES.get(result) or FAILED
    if status == PENDING:
        status = FAILED
    unknown.append(
        f"update {run.run_id}: {_shown(run.life_cycle_state)} with an end time; the update has ended, so it "
        f"is recorded as {status}"
    )
    return status


def _run_status(run: RunRecord, unknown: list[str], *, dlt: bool) -> StatusType:
    """The run's ``executionStatus``; a state we could not map exactly is appended to ``unknown``."""
    if dlt:
        return _dlt_status(run, unknown)
    verdict = _verdict(run.life_cycle_state, run.result_state, run.termination_code, ended=bool(run.end_ms))
    if verdict.status is not None:
        if not verdict.known:
            unknown.append(f"run {run.run_id}: {verdict.note}; recorded as {verdict.status}")
        return verdict.status
    all_bodies = [_task_status(task, [], detail=False) for task in run.tasks]
    status = _from_tasks(all_bodies)
    source = "from its tasks" if all_bodies else "as it has no task to go by"
    unknown.append(
        f"run {run.run_id}: {verdict.note}; the run has ended, so it is recorded as {status} ({source})"
    )
    return status


def run_to_status(
    run: RunRecord, task_names: set[str], *, dlt: bool = False, detail: bool = False
) -> MappedStatus:
    """The ``PipelineStatus`` of one run; tasks the job no longer has are trimmed and listed.

    Args:
        run: the run (or DLT update), one task entry per task key.
        task_names: the job's current task keys; other task statuses are left out (OpenMetadata
            rejects statuses naming a task the pipeline does not have).
        dlt: map ``life_cycle_state`` as a DLT update state.
        detail: also write ``endTime``, ``executionId``, ``parameters``, ``error`` and task ``taskId``
            (OpenMetadata 1.13+).

    Returns:
        The body and what was unknown (``unknown_states``, each naming the raw value) or trimmed.
    """
    unknown: list[str] = []
    trimmed = [task.key for task in run.tasks if task.key not in task_names]
    kept_tasks = [task for task in run.tasks if task.key in task_names]
    task_bodies = [_task_status(task, unknown, detail=detail) for task in kept_tasks]
    status = _run_status(run, unknown, dlt=dlt)
    body: PipelineStatus = {"timestamp": run.start_ms, "executionStatus": status}
    if task_bodies:
        body["taskStatus"] = task_bodies
    if detail:
        if run.end_ms:
            body["endTime"] = run.end_ms
        if run.run_id:
            body["executionId"] = run.run_id
        if run.parameters:
            body["parameters"] = dict(run.parameters)
        if status == FAILED and not dlt:
            error = _error(run, kept_tasks, task_bodies)
            if error:
                body["error"] = error
    return MappedStatus(body, unknown, trimmed)


def _canonical(status: Mapping[str, object]) -> dict[str, object]:
    """``status`` as compared: None values dropped, task statuses in name order.

    The server stores a status as sent, minus null values (Jackson's NON_NULL), and since 1.x serves the
    latest one with its ``taskStatus`` sorted by ``startTime`` (``PipelineRepository.getPipelineStatus``);
    task names are unique per status, so name order is one order both sides agree on.
    """
    canonical = {key: value for key, value in status.items() if value is not None}
    tasks = canonical.get("taskStatus")
    if isinstance(tasks, list):
        canonical["taskStatus"] = sorted(
            (
                {key: value for key, value in task.items() if value is not None}
                for task in tasks
                if isinstance(task, Mapping)
            ),
            key=lambda task: str(task.get("name")),
        )
    return canonical


def already_stored(run: RunRecord, body: PipelineStatus, stored: Mapping[str, object] | None) -> bool:
    """Whether OpenMetadata already holds ``body`` for ``run``, judged from its stored latest status.

    ``stored`` is the pipeline's ``pipelineStatus`` (the status with the greatest timestamp ``t``), read
    with the run's one listing of the service's pipelines. The rule never loses an update:

    - a run starting at ``t`` is stored when its body equals ``stored`` (a run that was Pending then and
      has finished since differs, so it is sent again);
    - a run that started before ``t`` and ended before ``t`` is stored in its final state: the ingestion
      that wrote the status at ``t`` read the runs after ``t``, when this one was already over, and
      statuses are written oldest first, so a status at ``t`` means every older one was written too;
    - everything else is sent: newer runs, runs with no end time (still going, or DLT updates, whose API
      has no end time), and older runs that were still going at ``t`` (they may be stored as Pending).

    Args:
        run: the run as read now.
        body: its mapped status (what would be sent).
        stored: the stored latest status, or None when there is none (then nothing is stored).

    Returns:
        True when sending ``body`` would change nothing.
    """
    if stored is None:
        return False
    latest = stored.get("timestamp")
    if not isinstance(latest, int) or isinstance(latest, bool):
        return False
    if run.start_ms == latest:
        return _canonical(body) == _canonical(stored)
    return run.start_ms < latest and run.end_ms is not None and run.end_ms < latest
