"""Our own records of what Databricks told us: frozen, typed, only the fields we use.

The SDK's dataclasses have every field Optional and turn unknown enum strings into ``None``; converting
once at the edge (``core.databricks.source``) keeps that uncertainty out of the mapping code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["JobRecord", "RunRecord", "ScheduleRecord", "TaskRecord", "TaskRunRecord"]


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
    trigger: str | None = None  # "continuous", "file_arrival", "periodic", "table_update"...


@dataclass(frozen=True)
class TaskRunRecord:
    """One task's own outcome inside a run."""

    key: str
    life_cycle_state: str | None
    result_state: str | None
    start_ms: int | None
    end_ms: int | None
    url: str | None


@dataclass(frozen=True)
class RunRecord:
    """One job run (or DLT update) with each task's state."""

    run_id: str
    start_ms: int
    end_ms: int | None
    life_cycle_state: str | None
    result_state: str | None
    url: str | None = None
    tasks: tuple[TaskRunRecord, ...] = ()
    state_message: str | None = None
