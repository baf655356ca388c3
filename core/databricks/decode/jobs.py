"""One job from ``jobs/list`` or ``jobs/get`` JSON: name, tags, tasks, schedule and triggers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.databricks.decode.fields import _Reader, _require_mapping, _type_name, as_int, item_id
from core.databricks.decode.tasks import _tasks
from core.databricks.decode.triggers import _schedule, _trigger, _triggers
from core.databricks.records import JobRecord

__all__ = ["decode_job"]


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
