"""``system.lakeflow.job_run_timeline`` and ``job_task_run_timeline`` rows, sliced from the runs REST serves.

As the Jobs system table reference describes them (https://docs.databricks.com/en/admin/system-tables/jobs.html,
seen 2026-11-29): one row per run (or task run, one per attempt) and clock hour it overlaps
(``period_start_time``/``period_end_time``); ``result_state`` and ``termination_code`` only on the row
that ends the run. The tables lag: a row exists once its period has ended and ``lag_ms`` has passed
(the emulator's model; the page states no figure). Ids are text, times epoch milliseconds here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from core.emulators.workspace.spec import COMPLETED_LIFE_CYCLE_STATES

__all__ = ["HOUR_MS", "run_rows", "table_result_state", "task_rows"]

HOUR_MS = 3_600_000

#: the timeline tables' ``result_state`` for a Jobs API outcome (``life_cycle_state``, ``result_state``)
_RESULTS = {
    "SUCCESS": "SUCCEEDED",
    "SUCCESS_WITH_FAILURES": "SUCCEEDED",
    "FAILED": "FAILED",
    "TIMEDOUT": "TIMED_OUT",
    "CANCELED": "CANCELLED",
}


def table_result_state(state: dict[str, Any]) -> str:
    """The tables' ``result_state`` of a finished run or task run (``state`` of the Jobs API)."""
    life = state.get("life_cycle_state")
    if life == "INTERNAL_ERROR":
        return "ERROR"
    if life == "SKIPPED":
        return "SKIPPED"
    return _RESULTS.get(str(state.get("result_state")), "SKIPPED")


def _slices(start: int, end: int | None, horizon: int) -> Iterator[tuple[int, int, bool]]:
    """``(period_start, period_end, final)`` of each visible hourly slice of ``[start, end]``."""
    cursor = start
    while True:
        boundary = (cursor // HOUR_MS + 1) * HOUR_MS
        final = end is not None and end <= boundary
        period_end = end if final and end is not None else boundary
        if period_end > horizon:
            return
        yield cursor, period_end, final
        if final:
            return
        cursor = boundary


def _ended(item: dict[str, Any]) -> int | None:
    state = item.get("state") or {}
    end = item.get("end_time") or 0
    return int(end) if end and state.get("life_cycle_state") in COMPLETED_LIFE_CYCLE_STATES else None


def _code(item: dict[str, Any]) -> str | None:
    code = ((item.get("status") or {}).get("termination_details") or {}).get("code")
    return str(code) if code else None


def run_rows(runs: Iterable[Any], workspace_id: str, horizon: int) -> Iterator[dict[str, Any]]:
    """Rows of ``job_run_timeline`` for ``runs`` (Jobs API JSON) up to ``horizon`` (epoch ms)."""
    for run in runs:
        if not isinstance(run, dict) or not run.get("start_time"):
            continue
        end = _ended(run)
        parameters = {
            str(p["name"]): str(p.get("value", p.get("default", "")))
            for p in run.get("job_parameters") or []
            if isinstance(p, dict) and "name" in p
        }
        for start, period_end, final in _run_slices(run, end, horizon):
            yield {
                "workspace_id": workspace_id,
                "job_id": str(run["job_id"]),
                "run_id": str(run["run_id"]),
                "period_start_time": start,
                "period_end_time": period_end,
                "result_state": table_result_state(run.get("state") or {}) if final else None,
                "termination_code": _code(run) if final else None,
                "job_parameters": parameters,
            }


def _run_slices(run: dict[str, Any], end: int | None, horizon: int) -> Iterator[tuple[int, int, bool]]:
    """A run's slices; a repaired run is active in each ``repair_history`` period only (gaps between)."""
    periods = [
        (int(item["start_time"]), int(item["end_time"]) if item.get("end_time") else None)
        for item in run.get("repair_history") or []
        if isinstance(item, dict) and item.get("start_time")
    ]
    if len(periods) < 2:
        periods = [(int(run["start_time"]), end)]
    for position, (start, period_end) in enumerate(periods):
        last = position == len(periods) - 1
        for piece in _slices(start, end if last else period_end, horizon):
            yield piece[0], piece[1], piece[2] and last
            if piece[1] >= horizon:
                return


def task_rows(runs: Iterable[Any], workspace_id: str, horizon: int) -> Iterator[dict[str, Any]]:
    """Rows of ``job_task_run_timeline`` (one set per attempt) for ``runs`` up to ``horizon``."""
    for run in runs:
        if not isinstance(run, dict):
            continue
        for task in run.get("tasks") or []:
            if not isinstance(task, dict) or not task.get("start_time"):
                continue  # a task that never started has no row
            end = _ended(task)
            for start, period_end, final in _slices(int(task["start_time"]), end, horizon):
                yield {
                    "workspace_id": workspace_id,
                    "job_id": str(run["job_id"]),
                    "job_run_id": str(run["run_id"]),
                    "run_id": str(task["run_id"]),
                    "task_key": task.get("task_key"),
                    "period_start_time": start,
                    "period_end_time": period_end,
                    "result_state": table_result_state(task.get("state") or {}) if final else None,
                    "termination_code": _code(task) if final else None,
                }
