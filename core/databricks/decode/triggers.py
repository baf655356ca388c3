"""How a job starts: its cron ``schedule``, ``continuous`` mode, ``trigger`` and ``triggers`` entries, as text.

The start-mode text reads like ``every 4 hours``, ``on file arrival in s3://x/`` or ``on table update of a``.
Shapes follow the Jobs API 2.2 ``TriggerSettings`` / ``TriggerConfiguration`` and ``CronSchedule``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from core.databricks.decode.fields import _Reader, _type_name
from core.databricks.records import ScheduleRecord, TriggerRecord

__all__ = ["TRIGGER_KINDS"]

#: ``settings.trigger`` kinds (``TriggerSettings`` fields other than ``pause_status``), in the order tried.
TRIGGER_KINDS = ("file_arrival", "table_update", "periodic", "job_completion", "model", "sql_condition")

_UNITS = {"MINUTES": "minute", "HOURS": "hour", "DAYS": "day", "WEEKS": "week"}
_MAX_LISTED = 3  # table names shown in a table-update trigger's text before "+N more"


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
