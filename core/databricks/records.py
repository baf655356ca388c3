"""Our own records of what Databricks told us: frozen, typed, only the fields we use.

They are built from raw JSON by :mod:`core.databricks.decode`, which never trusts a shape: a field of the
wrong type is dropped with a warning (``warnings``), an unknown enum string is kept as Databricks sent it
(normalised: upper case, no surrounding spaces), so the mapping can report the raw value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "JobRecord",
    "RunRecord",
    "ScheduleRecord",
    "TaskRecord",
    "TaskRunRecord",
    "TriggerRecord",
]


@dataclass(frozen=True)
class TaskRecord:
    """One task of a job definition."""

    key: str
    kind: str  # notebook_task, spark_python_task, pipeline_task, ... ("unknown_task" when none is set)
    description: str | None = None
    depends_on: tuple[str, ...] = ()
    pipeline_id: str | None = None  # for pipeline_task


@dataclass(frozen=True)
class ScheduleRecord:
    """A job's Quartz schedule with its timezone and pause state."""

    quartz_cron: str
    timezone: str = "UTC"
    paused: bool = False


@dataclass(frozen=True)
class TriggerRecord:
    """How a job without a Quartz schedule starts: continuous mode or a trigger.

    ``kind`` is ``continuous``, ``file_arrival``, ``periodic``, ``table_update``, ``job_completion``,
    ``model``, ``sql_condition`` or ``trigger`` (a trigger kind this version does not know);
    ``text`` is the readable form written as ``scheduleInterval`` (``every 4 hours``,
    ``on file arrival in s3://landing/``); ``paused`` comes from the setting's ``pause_status``.
    """

    kind: str
    text: str
    paused: bool = False
    schedule: ScheduleRecord | None = None  # a cron entry of ``settings.triggers`` (multiple triggers)


@dataclass(frozen=True)
class JobRecord:
    """A Databricks job, or a Lakeflow/DLT pipeline (``kind == "dlt"``), as one OpenMetadata pipeline."""

    id: str  # job id as text, or the DLT pipeline id; becomes the OpenMetadata entity name
    name: str
    kind: Literal["job", "dlt"] = "job"
    description: str | None = None
    creator: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    schedule: ScheduleRecord | None = None
    tasks: tuple[TaskRecord, ...] = ()
    max_concurrent_runs: int | None = None
    created_time_ms: int | None = None
    trigger: TriggerRecord | None = None
    #: ``settings.triggers`` (the "multiple triggers" preview): a run starts when any active one fires
    triggers: tuple[TriggerRecord, ...] = ()
    #: fields that had an unexpected shape and were left out, one sentence each (``settings.tags: ...``)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskRunRecord:
    """One task's own outcome inside a run: the latest attempt of that task key."""

    key: str
    life_cycle_state: str | None
    result_state: str | None
    start_ms: int | None
    end_ms: int | None
    url: str | None
    run_id: str | None = None  # the task run's own id (OpenMetadata's taskId)
    attempt: int = 0
    state_message: str | None = None
    termination_code: str | None = None  # status.termination_details.code


@dataclass(frozen=True)
class RunRecord:
    """One job run (or DLT update) with each task's state (one entry per task key).

    Times are epoch milliseconds. For a job run, ``life_cycle_state`` and ``result_state`` hold the Jobs API's
    words as sent (``TERMINATED`` / ``SUCCESS``, ``RUNNING`` / None ...; see
    :data:`core.mapping.status.LIFE_CYCLE_STATES` and ``RESULT_STATES``). For a DLT update,
    ``life_cycle_state`` holds its ``UpdateInfoState`` (``COMPLETED``, ``FAILED``, ``RUNNING`` ...) and
    ``result_state`` is None. Unknown words are kept and reported, never guessed silently.
    """

    run_id: str
    start_ms: int
    end_ms: int | None
    life_cycle_state: str | None
    result_state: str | None
    url: str | None = None
    tasks: tuple[TaskRunRecord, ...] = ()
    state_message: str | None = None
    termination_code: str | None = None  # status.termination_details.code (RUN_EXECUTION_ERROR, ...)
    termination_type: str | None = None  # SUCCESS, CLIENT_ERROR, INTERNAL_ERROR, CLOUD_FAILURE
    termination_message: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)  # job parameters the run used
    warnings: tuple[str, ...] = ()
    #: told from a summary (the system tables) without the detail only the Jobs API has: given only for a
    #: run OpenMetadata already holds in its final state (see ``StatusSource.runs``), never to be sent
    detail_omitted: bool = False
