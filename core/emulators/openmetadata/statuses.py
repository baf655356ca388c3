"""Pipeline status routes: PipelineStatus upserts keyed by timestamp (one and bulk) and their listing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from core.emulators.http import Request
from core.emulators.openmetadata.constants import (
    MAX_BULK_STATUSES,
    MAX_LIST_LIMIT,
    MSG_BULK_TOO_LARGE,
    MSG_DUPLICATE_STATUS,
)
from core.emulators.openmetadata.errors import bad_request, om_error
from core.emulators.openmetadata.names import decode_cursor, encode_cursor
from core.emulators.openmetadata.pipelines import PipelineRoutes
from core.emulators.openmetadata.schemas import status_spec
from core.emulators.openmetadata.validation import type_error


class StatusRoutes(PipelineRoutes):
    """``/pipelines/{fqn}/status`` (PUT, GET) and ``/pipelines/{fqn}/status/bulk``."""

    def _live_pipeline(self, request: Request) -> dict[str, Any]:
        return self._find_pipeline(self._path_param(request, "fqn"), "non-deleted")

    def _put_status(self, request: Request) -> dict[str, Any]:
        pipeline = self._live_pipeline(request)
        status = status_spec(self.version).validate(self._body(request))
        self._check_status_tasks(pipeline, [status])
        self._store_statuses(pipeline["fullyQualifiedName"], [status])
        return {**pipeline, "pipelineStatus": status}

    def _put_status_bulk(self, request: Request) -> dict[str, Any]:
        pipeline = self._live_pipeline(request)
        body = self._body(request)
        if not isinstance(body, list):
            raise type_error("java.util.ArrayList", body, "pipelineStatuses")
        self._count_entities(len(body))
        if len(body) > MAX_BULK_STATUSES:
            raise bad_request(MSG_BULK_TOO_LARGE)
        statuses = [
            status_spec(self.version).validate(item, f"pipelineStatuses[{index}]")
            for index, item in enumerate(body)
        ]
        if not statuses:
            return pipeline
        self._check_status_tasks(pipeline, statuses)
        timestamps = Counter(status["timestamp"] for status in statuses)
        duplicate = next((ts for ts, count in timestamps.items() if count > 1), None)
        if duplicate is not None:
            # Postgres' bulk upsert cannot touch one row twice in one statement (OpenMetadata issue #30459).
            raise om_error(500, MSG_DUPLICATE_STATUS.format(ts=duplicate))
        self._store_statuses(pipeline["fullyQualifiedName"], statuses)
        latest = max(statuses, key=lambda status: status["timestamp"])
        return {**pipeline, "pipelineStatus": latest}

    @staticmethod
    def _check_status_tasks(pipeline: Mapping[str, Any], statuses: list[dict[str, Any]]) -> None:
        """PipelineRepository.validateTask: every taskStatus must name a task of the pipeline."""
        task_names = {task["name"] for task in pipeline.get("tasks") or []}
        for status in statuses:
            for task_status in status.get("taskStatus") or []:
                if task_status["name"] not in task_names:
                    raise bad_request(f"Invalid task name {task_status['name']}")

    def _store_statuses(self, fqn: str, statuses: list[dict[str, Any]]) -> None:
        by_ts = self._statuses.setdefault(fqn, {})
        for status in statuses:
            if status["timestamp"] not in by_ts:
                self._counters["status.new"] += 1
            by_ts[status["timestamp"]] = status
            self._counters["status.upserted"] += 1

    def _list_statuses(self, request: Request) -> dict[str, Any]:
        """Statuses with ``startTs <= timestamp <= endTs``, newest first; optional limit with cursors."""
        fqn = self._path_param(request, "fqn")
        self._find_pipeline(fqn, "non-deleted")
        start, end = self._time_range(request)
        wanted = set((request.query.get("status") or "").split(",")) - {""}
        stamps = sorted(
            (ts for ts, st in self._statuses.get(fqn, {}).items()
             if start <= ts <= end and (not wanted or st["executionStatus"] in wanted)),
            reverse=True,
        )  # fmt: skip
        total = len(stamps)
        stamps = self._status_window(request, stamps)
        data = [self._statuses[fqn][ts] for ts in stamps]
        paging: dict[str, Any] = {"total": total}
        if request.query.get("limit") and data:
            paging["before"] = encode_cursor(str(stamps[0]))
            paging["after"] = encode_cursor(str(stamps[-1]))
        return {"data": data, "paging": paging}

    def _status_window(self, request: Request, stamps: list[int]) -> list[int]:
        """Cursor semantics of PipelineRepository.getPipelineStatuses (descending order)."""
        before = request.query.get("before")
        after = request.query.get("after")
        if before:
            stamps = [ts for ts in stamps if ts > self._cursor_int(before, "before")]
        elif after:
            stamps = [ts for ts in stamps if ts < self._cursor_int(after, "after")]
        limit = self._int_param(request, "limit", None, 0, MAX_LIST_LIMIT)
        return stamps[:limit] if limit else stamps

    @staticmethod
    def _cursor_int(cursor: str, param: str) -> int:
        try:
            return int(decode_cursor(cursor, param))
        except ValueError as err:
            raise bad_request(f"Invalid cursor in query param {param}: {cursor}") from err
