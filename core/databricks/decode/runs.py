"""One run from ``jobs/runs/list`` or ``jobs/runs/get`` JSON, its tasks reduced to their latest attempt."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.databricks.decode.fields import _Reader, _require_mapping, _type_name, item_id
from core.databricks.records import RunRecord, TaskRunRecord

__all__ = ["decode_run"]


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
