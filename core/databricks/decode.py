"""Raw Databricks JSON to our records, leniently: nothing in one item can cost more than that item.

Why raw JSON and not databricks-sdk's dataclasses. The SDK's ``from_dict`` decodes *every* field of a job
or run, including the many this connector never reads (notifications, webhooks, clusters, health rules,
git sources...), and it trusts their shapes: one job whose ``webhook_notifications.on_failure`` holds a
list nested one level deeper than the model expects raises ``AttributeError`` while the page is decoded,
and everything listed after it is lost with it. It also turns an enum string it does not know (a value
newer than the SDK, an odd spelling) into ``None``, so the value Databricks sent is gone before anyone can
report it. So pages are read as raw JSON (``core.databricks.retry.pages``: the SDK still does the
transport, auth, retries and error mapping) and only the fields the mapping uses are read here, each
checked for its shape:

- a field we read that has the wrong shape is left out with a warning naming the field path
  (``job 42: settings.tags is a list, expected an object; ignored``): the item still maps;
- a field we never read costs nothing, whatever it holds;
- an item that truly cannot be mapped (no id, a task without a key, a run without a start time) raises
  :class:`DecodeError` naming the item and the field path; the caller reports it and goes on with the
  rest of the page;
- enum-like strings are kept as sent (the status mapping normalises them and quotes them in warnings).

Where the SDK's typed model still helps: its enums and dataclasses are the reference the drift tests
compare our tables with (task kinds, run states, trigger types, termination codes), so a new SDK that
knows a value we do not fails a test instead of mapping silently.

Shapes follow the Jobs API 2.2 and Pipelines API references (``jobs/list``, ``jobs/get``,
``jobs/runs/list``, ``jobs/runs/get``, ``pipelines``, ``pipelines/{id}/updates``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from core.databricks.records import (
    JobRecord,
    RunRecord,
    ScheduleRecord,
    TaskRecord,
    TaskRunRecord,
    TriggerRecord,
)
from core.errors import DecodeError  # defined with the other engine errors; importable from here too

__all__ = [
    "TASK_KINDS",
    "TRIGGER_KINDS",
    "DecodeError",
    "as_int",
    "decode_dlt_pipeline",
    "decode_dlt_update",
    "decode_job",
    "decode_run",
    "item_id",
    "merge_pages",
]

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

#: ``settings.trigger`` kinds (``TriggerSettings`` fields other than ``pause_status``), in the order tried.
TRIGGER_KINDS = ("file_arrival", "table_update", "periodic", "job_completion", "model", "sql_condition")

#: Arrays that Jobs API 2.2 pages at 100 elements in ``jobs/get`` and ``jobs/runs/get``.
PAGED_ARRAYS = (
    "tasks",
    "job_clusters",
    "parameters",
    "environments",
    "job_parameters",
    "repair_history",
    "iterations",
)

_DECIMAL = re.compile(r"-?[0-9]+")
_UNITS = {"MINUTES": "minute", "HOURS": "hour", "DAYS": "day", "WEEKS": "week"}
_MAX_LISTED = 3  # table names shown in a table-update trigger's text before "+N more"


def _type_name(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "a boolean", type(None): "null"}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


class _Reader:
    """Reads one item's fields; optional fields of the wrong shape become warnings."""

    def __init__(self, what: str, item: str | None) -> None:
        self.what = what
        self.item = item
        self.warnings: list[str] = []

    def warn(self, path: str, problem: str) -> None:
        self.warnings.append(f"{self.what} {self.item}: {path} {problem}; ignored")

    def fail(self, path: str, problem: str) -> DecodeError:
        return DecodeError(self.what, self.item, path, problem)

    def _wrong(self, parent: Mapping[str, Any], key: str, path: str, expected: str) -> None:
        value = parent.get(key)
        if value is not None:
            self.warn(path, f"is {_type_name(value)}, expected {expected}")

    def obj(self, parent: Mapping[str, Any], key: str, path: str) -> dict[str, Any] | None:
        value = parent.get(key)
        if isinstance(value, dict):
            return value
        self._wrong(parent, key, path, "an object")
        return None

    def array(self, parent: Mapping[str, Any], key: str, path: str) -> list[Any]:
        value = parent.get(key)
        if isinstance(value, list):
            return value
        self._wrong(parent, key, path, "a list")
        return []

    def text(self, parent: Mapping[str, Any], key: str, path: str) -> str | None:
        value = parent.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        self._wrong(parent, key, path, "text")
        return None

    def integer(self, parent: Mapping[str, Any], key: str, path: str) -> int | None:
        value = parent.get(key)
        number = as_int(value)
        if number is None:
            self._wrong(parent, key, path, "a whole number")
        return number

    def flag(self, parent: Mapping[str, Any], key: str) -> bool:
        value = parent.get(key)
        return value is True or (isinstance(value, str) and value.strip().lower() == "true")

    def paused(self, parent: Mapping[str, Any], path: str) -> bool:
        """``pause_status`` as a flag; absent means UNPAUSED (the API's default)."""
        status = self.text(parent, "pause_status", f"{path}.pause_status")
        return status is not None and status.strip().upper() == "PAUSED"


def as_int(value: object) -> int | None:
    """An int64 as the API sends it: a number, or a numeric string (the SDK accepts both)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):  # ASCII digits only: int("²") raises
        return int(value.strip())
    return None


def item_id(raw: object, *keys: str) -> str | None:
    """The id of a raw item for messages (first of ``keys`` that is set), or None."""
    if not isinstance(raw, Mapping):
        return None
    for key in keys:
        value = raw.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def _require_mapping(raw: object, what: str, item: str | None) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise DecodeError(what, item, "(the item)", f"is {_type_name(raw)}, expected an object")
    return raw


# -- jobs -----------------------------------------------------------------------------------------------


def decode_job(raw: object) -> tuple[JobRecord, bool]:
    """One job from ``jobs/list`` (or ``jobs/get``) JSON: ``(record, has_more)``.

    ``has_more`` is the listing's per-job flag (Jobs API 2.2, with ``expand_tasks``): the job has more
    than 100 tasks and must be completed with ``jobs/get``.

    Raises:
        DecodeError: when the job has no usable ``job_id`` or a task has no ``task_key``.
    """
    job_id_value = as_int(raw.get("job_id")) if isinstance(raw, Mapping) else None
    item = str(job_id_value) if job_id_value is not None else item_id(raw, "job_id")
    data = _require_mapping(raw, "job", item)
    reader = _Reader("job", item)
    if job_id_value is None:
        raise reader.fail("job_id", "is missing or not a number")
    settings = reader.obj(data, "settings", "settings") or {}
    name = reader.text(settings, "name", "settings.name")
    tasks = _tasks(reader, settings)
    schedule = _schedule(reader, settings)
    record = JobRecord(
        id=str(job_id_value),
        name=name if name and name.strip() else f"Untitled job {job_id_value}",
        kind="job",
        description=reader.text(settings, "description", "settings.description") or None,
        creator=reader.text(data, "creator_user_name", "creator_user_name"),
        tags=_tags(reader, settings),
        schedule=schedule,
        tasks=tasks,
        max_concurrent_runs=reader.integer(settings, "max_concurrent_runs", "settings.max_concurrent_runs"),
        created_time_ms=reader.integer(data, "created_time", "created_time"),
        trigger=None if schedule is not None else _trigger(reader, settings),
        triggers=_triggers(reader, settings),
        warnings=tuple(reader.warnings),
    )
    return record, reader.flag(data, "has_more")


def _tags(reader: _Reader, settings: Mapping[str, Any]) -> dict[str, str]:
    tags = reader.obj(settings, "tags", "settings.tags") or {}
    result: dict[str, str] = {}
    for key, value in tags.items():
        if value is None or isinstance(value, (str, int, float, bool)):
            result[str(key)] = "" if value is None else str(value)
        else:
            reader.warn(f"settings.tags.{key}", f"is {_type_name(value)}, expected text")
    return result


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


def _schedule(reader: _Reader, parent: Mapping[str, Any], path: str = "settings") -> ScheduleRecord | None:
    """``<path>.schedule`` (a Quartz cron with timezone and pause), or None when it has no expression."""
    schedule = reader.obj(parent, "schedule", f"{path}.schedule")
    if schedule is None:
        return None
    cron = reader.text(schedule, "quartz_cron_expression", f"{path}.schedule.quartz_cron_expression")
    if not cron or not cron.strip():
        return None
    return ScheduleRecord(
        quartz_cron=cron.strip(),
        timezone=reader.text(schedule, "timezone_id", f"{path}.schedule.timezone_id") or "UTC",
        paused=reader.paused(schedule, f"{path}.schedule"),
    )


def _trigger(reader: _Reader, settings: Mapping[str, Any]) -> TriggerRecord | None:
    """``settings.continuous``, else ``settings.trigger``."""
    continuous = reader.obj(settings, "continuous", "settings.continuous")
    if continuous is not None:
        return TriggerRecord("continuous", "continuous", reader.paused(continuous, "settings.continuous"))
    trigger = reader.obj(settings, "trigger", "settings.trigger")
    return None if trigger is None else _kind_trigger(reader, trigger, "settings.trigger")


def _kind_trigger(reader: _Reader, trigger: Mapping[str, Any], path: str) -> TriggerRecord | None:
    """The first trigger kind set in ``trigger`` (a SQL condition only when nothing else is), or a newer one."""
    paused = reader.paused(trigger, path)
    for kind in TRIGGER_KINDS:  # sql_condition is last: in a triggers entry it only gates another kind
        config = trigger.get(kind)
        if config is not None:
            body = config if isinstance(config, Mapping) else {}
            return TriggerRecord(kind, _trigger_text(reader, kind, body, f"{path}.{kind}"), paused)
    newer = sorted(key for key in trigger if key != "pause_status" and trigger[key] is not None)
    return TriggerRecord("trigger", f"on trigger ({newer[0]})", paused) if newer else None


def _triggers(reader: _Reader, settings: Mapping[str, Any]) -> tuple[TriggerRecord, ...]:
    """``settings.triggers``: each entry has one trigger kind (or a cron ``schedule``) and its own pause."""
    found: list[TriggerRecord | None] = []
    for index, entry in enumerate(reader.array(settings, "triggers", "settings.triggers")):
        path = f"settings.triggers[{index}]"
        if not isinstance(entry, Mapping):
            reader.warn(path, f"is {_type_name(entry)}, expected an object")
            continue
        paused = reader.paused(entry, path)
        schedule = _schedule(reader, entry, path)
        if schedule is not None:
            found.append(
                TriggerRecord("schedule", schedule.quartz_cron, paused, replace(schedule, paused=paused))
            )
        elif entry.get("continuous") is not None:
            found.append(TriggerRecord("continuous", "continuous", paused))
        else:
            found.append(_kind_trigger(reader, entry, path))
    return tuple(trigger for trigger in found if trigger is not None)


def _trigger_text(reader: _Reader, kind: str, config: Mapping[str, Any], path: str) -> str:
    """A readable start mode: ``every 4 hours``, ``on file arrival in s3://x/``, ``on table update of a``."""
    if kind == "periodic":
        interval = reader.integer(config, "interval", f"{path}.interval")
        unit = _UNITS.get(str(config.get("unit") or "").strip().upper())
        if interval and unit:
            return f"every {interval} {unit}{'s' if interval != 1 else ''}"
        return "periodically"
    if kind == "file_arrival":
        url = reader.text(config, "url", f"{path}.url")
        return f"on file arrival in {url}" if url else "on file arrival"
    if kind == "table_update":
        names = [str(name) for name in reader.array(config, "table_names", f"{path}.table_names")]
        shown = ", ".join(names[:_MAX_LISTED])
        more = f" +{len(names) - _MAX_LISTED} more" if len(names) > _MAX_LISTED else ""
        return f"on table update of {shown}{more}" if names else "on table update"
    if kind == "job_completion":
        # jobs[] holds {workspace_id, job_id} objects (JobCompletionTriggerConfigurationMonitoredJob)
        ids = [
            str(job["job_id"]) if isinstance(job, Mapping) and job.get("job_id") is not None else None
            for job in reader.array(config, "jobs", f"{path}.jobs")
        ]
        known = [job_id for job_id in ids if job_id]
        if len(known) != len(ids):
            reader.warn(f"{path}.jobs", "has an entry without job_id")
        shown = ", ".join(known[:_MAX_LISTED])
        more = f" +{len(known) - _MAX_LISTED} more" if len(known) > _MAX_LISTED else ""
        return f"on completion of job {shown}{more}" if known else "on job completion"
    if kind == "model":
        name = reader.text(config, "securable_name", f"{path}.securable_name")
        return f"on model update of {name}" if name else "on model update"
    return "on SQL condition"


# -- runs -----------------------------------------------------------------------------------------------


def decode_run(raw: object) -> RunRecord:
    """One run from ``jobs/runs/list`` (with ``expand_tasks``) or ``jobs/runs/get`` JSON.

    Tasks are reduced to one entry per task key, the latest attempt (retries and repairs repeat a key).

    Raises:
        DecodeError: when the run has no usable ``start_time`` (OpenMetadata keys statuses by it).
    """
    item = item_id(raw, "run_id")
    data = _require_mapping(raw, "run", item)
    reader = _Reader("run", item)
    start = reader.integer(data, "start_time", "start_time")
    if not start or start <= 0:
        raise reader.fail("start_time", "is missing")
    state = reader.obj(data, "state", "state") or {}
    status = reader.obj(data, "status", "status") or {}
    termination = reader.obj(status, "termination_details", "status.termination_details") or {}
    life = reader.text(state, "life_cycle_state", "state.life_cycle_state")
    if life is None:  # lifecycle v2 only (newer API answers)
        life = reader.text(status, "state", "status.state")
    end = reader.integer(data, "end_time", "end_time")
    return RunRecord(
        run_id=item or str(start),
        start_ms=start,
        end_ms=end if end and end > 0 else None,
        life_cycle_state=life,
        result_state=reader.text(state, "result_state", "state.result_state"),
        url=reader.text(data, "run_page_url", "run_page_url"),
        tasks=_task_runs(reader, data),
        state_message=reader.text(state, "state_message", "state.state_message") or None,
        termination_code=reader.text(termination, "code", "status.termination_details.code"),
        termination_type=reader.text(termination, "type", "status.termination_details.type"),
        termination_message=reader.text(termination, "message", "status.termination_details.message") or None,
        parameters=_job_parameters(reader, data),
        warnings=tuple(reader.warnings),
    )


def _job_parameters(reader: _Reader, data: Mapping[str, Any]) -> dict[str, str]:
    """``job_parameters`` of a run: each parameter's value, else its default."""
    parameters: dict[str, str] = {}
    for index, raw in enumerate(reader.array(data, "job_parameters", "job_parameters")):
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
            reader.warn(f"job_parameters[{index}]", "has no name")
            continue
        value = raw.get("value", raw.get("default"))
        if value is None:
            value = raw.get("default")
        parameters[raw["name"]] = "" if value is None else str(value)
    return parameters


def _repair_ranks(reader: _Reader, data: Mapping[str, Any]) -> dict[str, int]:
    """Task run id -> position of the repair that ran it (0 = the original run)."""
    ranks: dict[str, int] = {}
    for position, item in enumerate(reader.array(data, "repair_history", "repair_history")):
        if not isinstance(item, Mapping):
            reader.warn(f"repair_history[{position}]", f"is {_type_name(item)}, expected an object")
            continue
        for task_run_id in reader.array(item, "task_run_ids", f"repair_history[{position}].task_run_ids"):
            if isinstance(task_run_id, (int, str)) and not isinstance(task_run_id, bool):
                ranks[str(task_run_id)] = position
    return ranks


def _task_runs(reader: _Reader, data: Mapping[str, Any]) -> tuple[TaskRunRecord, ...]:
    """One :class:`TaskRunRecord` per task key: the latest attempt, in first-seen order of the keys.

    "Latest" is the attempt of the latest repair (``repair_history``), then the highest
    ``attempt_number`` (retries), then the latest start, then the later position in the list.
    """
    ranks = _repair_ranks(reader, data)
    latest: dict[str, tuple[tuple[int, int, int, int], TaskRunRecord]] = {}
    for index, raw in enumerate(reader.array(data, "tasks", "tasks")):
        path = f"tasks[{index}]"
        if not isinstance(raw, Mapping):
            reader.warn(path, f"is {_type_name(raw)}, expected an object")
            continue
        key = raw.get("task_key")
        if not isinstance(key, str) or not key:
            reader.warn(f"{path}.task_key", "is missing; that task's status was left out")
            continue
        record = _task_run(reader, raw, key, path)
        order = (ranks.get(record.run_id or "", 0), record.attempt, record.start_ms or 0, index)
        if key not in latest or order > latest[key][0]:
            latest[key] = (order, record)
    return tuple(record for _, record in latest.values())


def _task_run(reader: _Reader, raw: Mapping[str, Any], key: str, path: str) -> TaskRunRecord:
    state = reader.obj(raw, "state", f"{path}.state") or {}
    status = reader.obj(raw, "status", f"{path}.status") or {}
    termination = reader.obj(status, "termination_details", f"{path}.status.termination_details") or {}
    life = reader.text(state, "life_cycle_state", f"{path}.state.life_cycle_state")
    if life is None:
        life = reader.text(status, "state", f"{path}.status.state")
    start = reader.integer(raw, "start_time", f"{path}.start_time")
    end = reader.integer(raw, "end_time", f"{path}.end_time")
    message = reader.text(state, "state_message", f"{path}.state.state_message")
    return TaskRunRecord(
        key=key,
        life_cycle_state=life,
        result_state=reader.text(state, "result_state", f"{path}.state.result_state"),
        start_ms=start if start and start > 0 else None,
        end_ms=end if end and end > 0 else None,
        url=reader.text(raw, "run_page_url", f"{path}.run_page_url"),
        run_id=item_id(raw, "run_id"),
        attempt=reader.integer(raw, "attempt_number", f"{path}.attempt_number") or 0,
        state_message=message
        or reader.text(termination, "message", f"{path}.status.termination_details.message")
        or None,
        termination_code=reader.text(termination, "code", f"{path}.status.termination_details.code"),
    )


# -- DLT pipelines ----------------------------------------------------------------------------------------


def decode_dlt_pipeline(raw: object) -> JobRecord:
    """One Lakeflow Declarative Pipeline from the ``pipelines`` listing (``statuses[]``).

    Raises:
        DecodeError: when it has no ``pipeline_id``.
    """
    item = item_id(raw, "pipeline_id")
    data = _require_mapping(raw, "DLT pipeline", item)
    reader = _Reader("DLT pipeline", item)
    if item is None:
        raise reader.fail("pipeline_id", "is missing")
    name = reader.text(data, "name", "name")
    return JobRecord(
        id=item,
        name=name if name and name.strip() else item,
        kind="dlt",
        creator=reader.text(data, "creator_user_name", "creator_user_name"),
        warnings=tuple(reader.warnings),
    )


def decode_dlt_update(raw: object) -> RunRecord:
    """One update from ``pipelines/{id}/updates`` (``creation_time`` in epoch ms, or an ISO string).

    Raises:
        DecodeError: when it has no usable ``creation_time``.
    """
    item = item_id(raw, "update_id")
    data = _require_mapping(raw, "DLT update", item)
    reader = _Reader("DLT update", item)
    created = as_int(data.get("creation_time"))
    if created is None and isinstance(data.get("creation_time"), str):
        try:
            created = int(
                datetime.fromisoformat(data["creation_time"].replace("Z", "+00:00")).timestamp() * 1000
            )
        except ValueError:
            created = None
    if not created or created <= 0:
        raise reader.fail("creation_time", "is missing or not a time")
    return RunRecord(
        run_id=item or str(created),
        start_ms=created,
        end_ms=None,
        life_cycle_state=reader.text(data, "state", "state"),
        result_state=None,
        warnings=tuple(reader.warnings),
    )


# -- paged objects --------------------------------------------------------------------------------------


def merge_pages(first: dict[str, Any], page: Mapping[str, Any]) -> None:
    """Append the continuation arrays of a 2.2 ``jobs/get`` / ``runs/get`` page to ``first``.

    Arrays may sit at the top (runs) or under ``settings`` (jobs); later pages carry only the arrays
    that continue, and an array of the wrong shape is left as it was.

    Args:
        first: the first page's JSON, extended in place.
        page: a later page's JSON (the one fetched with ``page_token``).
    """
    for container_key in (None, "settings"):
        target = first if container_key is None else first.get(container_key)
        source = page if container_key is None else page.get(container_key)
        if not isinstance(target, dict) or not isinstance(source, Mapping):
            continue
        for key in PAGED_ARRAYS:
            more = source.get(key)
            if isinstance(more, list) and more:
                existing = target.get(key)
                target[key] = [*existing, *more] if isinstance(existing, list) else list(more)
