"""Job tasks from ``settings.tasks``: the task-kind table and one :class:`TaskRecord` per task."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.databricks.decode.fields import _Reader, _type_name
from core.databricks.records import TaskRecord

__all__ = ["TASK_KINDS"]

#: Task kinds, in the order Databricks documents them; the first one set on a task is its taskType.
#: ``tests/unit/test_decode.py`` fails when the installed databricks-sdk knows a kind missing here.
TASK_KINDS = (
    "notebook_task",
    "spark_python_task",
    "pipeline_task",
    "sql_task",
    "dbt_task",
    "python_wheel_task",
    "spark_jar_task",
    "spark_submit_task",
    "run_job_task",
    "condition_task",
    "for_each_task",
    "dashboard_task",
    "power_bi_task",
    "clean_rooms_notebook_task",
    "dbt_cloud_task",
    "dbt_platform_task",
    "alert_task",
    "gen_ai_compute_task",
    "ai_function_task",
    "ai_runtime_task",
    "python_operator_task",
)


def _task_kind(task: Mapping[str, Any]) -> str:
    for kind in TASK_KINDS:
        if task.get(kind) is not None:
            return kind
    # a kind newer than this table: keep Databricks' own name rather than "unknown"
    newer = sorted(key for key, value in task.items() if key.endswith("_task") and value is not None)
    return newer[0] if newer else "unknown_task"


def _tasks(reader: _Reader, settings: Mapping[str, Any]) -> tuple[TaskRecord, ...]:
    tasks: list[TaskRecord] = []
    for index, raw in enumerate(reader.array(settings, "tasks", "settings.tasks")):
        path = f"settings.tasks[{index}]"
        if not isinstance(raw, Mapping):
            raise reader.fail(path, f"is {_type_name(raw)}, expected an object")
        key = raw.get("task_key")
        if not isinstance(key, str) or not key.strip():
            raise reader.fail(f"{path}.task_key", "is missing")
        depends_on: list[str] = []
        for position, dependency in enumerate(reader.array(raw, "depends_on", f"{path}.depends_on")):
            upstream = dependency.get("task_key") if isinstance(dependency, Mapping) else None
            if isinstance(upstream, str) and upstream:
                depends_on.append(upstream)
            else:
                reader.warn(f"{path}.depends_on[{position}]", "names no task_key")
        pipeline_task = reader.obj(raw, "pipeline_task", f"{path}.pipeline_task") or {}
        tasks.append(
            TaskRecord(
                key=key,
                kind=_task_kind(raw),
                description=reader.text(raw, "description", f"{path}.description") or None,
                depends_on=tuple(depends_on),
                pipeline_id=reader.text(pipeline_task, "pipeline_id", f"{path}.pipeline_task.pipeline_id"),
            )
        )
    return tuple(tasks)
