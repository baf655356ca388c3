"""Run outcomes: every documented run state, its weights, and how a run's tasks, attempts and timeline follow.

States and result codes from the Jobs API 2.2 reference (``RunLifeCycleState``, ``RunResultState``,
``TerminationCode``); only values the SDK knows are emitted.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.emulators.workspace.spec import COMPLETED_LIFE_CYCLE_STATES, RUN_STRIDE_RUN
from core.emulators.workspace.vocabulary import descendants, is_leaf

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


OUTCOMES: dict[str, _Outcome] = {
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

FAILURE_CODES = (
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

ACTIVE_SCENARIOS = ("RUNNING", "QUEUED", "PENDING", "TERMINATING", "BLOCKED", "WAITING_FOR_RETRY")
TERMINAL_SCENARIOS = (
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
WEIGHTED_NAMES = tuple(name for name, _ in _WEIGHTED_TERMINAL)
WEIGHTED_WEIGHTS = tuple(weight for _, weight in _WEIGHTED_TERMINAL)
_RUN_SKIP_SCENARIOS = frozenset(
    {"MAXIMUM_CONCURRENT_RUNS_REACHED", "EXCLUDED", "UPSTREAM_FAILED", "UPSTREAM_CANCELED", "DISABLED"}
)


# -- run-generation helpers ---------------------------------------------------------------------------


_RETRY_ID_OFFSET = 500  # task run ids of earlier attempts: run_id + 500 + position


def with_earlier_attempts(
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
            and position + _RETRY_ID_OFFSET < RUN_STRIDE_RUN - 1
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


def legacy_state(outcome: _Outcome, scenario: str) -> dict[str, Any]:
    """A run's legacy ``state`` object (Jobs API 2.2 ``RunState``, deprecated in favour of ``status``).

    Args:
        outcome: the run's outcome (life cycle state, result state, message).
        scenario: the scenario key drawn for the run, e.g. ``"TIMEDOUT"`` or ``"QUEUED"``.

    Returns:
        ``{"life_cycle_state", "state_message", "user_cancelled_or_timedout", "result_state"?,
        "queue_reason"?}``; ``result_state`` only once the run has one.
    """
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


def run_status(outcome: _Outcome) -> dict[str, Any]:
    """A run's ``status`` object (Jobs API 2.2 ``RunStatus``), the successor of ``state``.

    Args:
        outcome: the run's outcome.

    Returns:
        ``{"state", "termination_details"?: {"code", "type", "message"}, "queue_details"?}``;
        ``termination_details`` only for a terminated run, ``queue_details`` only for a queued one.
    """
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


def run_trigger(rng: random.Random, settings: dict[str, Any], scenario: str) -> str:
    """A run's ``trigger`` (Jobs API ``TriggerType``), drawn to fit the job's schedule or trigger.

    Args:
        rng: the job's run RNG (one draw at most).
        settings: the job's ``settings`` (``schedule`` and ``trigger`` are read).
        scenario: the run's scenario; an upstream failure means the run was started by a run-job task.

    Returns:
        ``PERIODIC``, ``ONE_TIME``, ``RETRY``, ``FILE_ARRIVAL``, ``RUN_JOB_TASK`` or ``JOB_COMPLETION``.
    """
    if scenario in ("UPSTREAM_FAILED", "UPSTREAM_CANCELED"):
        return "RUN_JOB_TASK"
    if "file_arrival" in settings.get("trigger", {}):
        return "FILE_ARRIVAL"
    if "periodic" in settings.get("trigger", {}) or "schedule" in settings:
        return rng.choices(("PERIODIC", "ONE_TIME", "RETRY"), weights=(85, 10, 5))[0]
    return rng.choice(("ONE_TIME", "ONE_TIME", "RUN_JOB_TASK", "JOB_COMPLETION"))


def draw_task_outcomes(rng: random.Random, scenario: str, tasks: list[dict[str, Any]]) -> list[str]:
    """Each task's own outcome key, consistent with the run's scenario and the DAG."""
    n = len(tasks)
    if scenario in _RUN_SKIP_SCENARIOS:
        return [scenario] * n
    if scenario in ACTIVE_SCENARIOS:
        return _active_task_outcomes(rng, scenario, tasks)
    outcomes = ["DISABLED" if t.get("disabled") else "SUCCESS" for t in tasks]
    if scenario == "SUCCESS":
        _maybe_exclude_condition_branch(rng, tasks, outcomes)
        return outcomes
    enabled = [i for i in range(n) if not tasks[i].get("disabled")] or [0]
    if scenario == "SUCCESS_WITH_FAILURES":
        inner = [i for i in enabled if not is_leaf(tasks, i)]
        if not inner:
            return outcomes
        fault = rng.choice(inner)
        outcomes[fault] = "FAILED"
        skipped = [i for i in sorted(descendants(tasks, fault)) if not is_leaf(tasks, i)]
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
    for i in descendants(tasks, fault):
        outcomes[i] = downstream
    return outcomes


def _maybe_exclude_condition_branch(
    rng: random.Random, tasks: list[dict[str, Any]], outcomes: list[str]
) -> None:
    """Sometimes a condition evaluates to false: the tasks behind its ``true`` edge are EXCLUDED."""
    for i, task in enumerate(tasks):
        if "condition_task" in task and rng.random() < 0.4:
            for j in descendants(tasks, i):
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


def run_timeline(
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
        o = OUTCOMES[outcomes[i]]
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
        life = OUTCOMES[outcomes[i]].life
        start, end = run_start + int(s * scale), run_start + int(e * scale)
        if life in ("BLOCKED", "QUEUED"):
            result.append((0, 0))
        elif life in ("PENDING", "RUNNING", "TERMINATING", "WAITING_FOR_RETRY"):
            result.append((start, 0))
        else:
            result.append((start, end))
    return result
