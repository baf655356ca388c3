"""SQL Statement Execution API routes: execute, poll, result chunks, cancel (asynchronous, like a warehouse)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from core.emulators.databricks.base import DatabricksBase
from core.emulators.databricks.protocol import MAX_STATEMENTS, api_error, invalid_parameter
from core.emulators.databricks.sql import (
    DATE_LITERAL,
    FROM_TABLE,
    LAKEFLOW_TABLES,
    LINEAGE_COLUMNS,
    LINEAGE_QUERY,
    LINEAGE_TABLE,
    RUN_TIMELINE,
    SELECT_ONE,
    TIMELINE_GROUPED,
    TIMELINE_PROBE,
    TIMELINE_WATERMARK,
    SqlError,
    StatementRecord,
    check_result_format,
    named_parameter,
    sql_string_list,
    syntax_error,
    table_not_found,
    wait_timeout_seconds,
)
from core.emulators.http import Request
from core.emulators.workspace.timeline import run_rows, task_rows

#: columns of the engine's grouped timeline statements, per table
_GROUPED_COLUMNS = {
    "system.lakeflow.job_run_timeline": [
        ("job_id", "STRING"),
        ("run_id", "STRING"),
        ("start_ms", "BIGINT"),
        ("end_ms", "BIGINT"),
        ("result_state", "STRING"),
        ("termination_code", "STRING"),
        ("job_parameters", "STRING"),
        ("active_ms", "BIGINT"),
    ],
    "system.lakeflow.job_task_run_timeline": [
        ("job_id", "STRING"),
        ("job_run_id", "STRING"),
        ("run_id", "STRING"),
        ("task_key", "STRING"),
        ("start_ms", "BIGINT"),
        ("end_ms", "BIGINT"),
        ("result_state", "STRING"),
        ("termination_code", "STRING"),
    ],
}


class StatementRoutes(DatabricksBase):
    """``/api/2.0/sql/statements``: results computed at submit time, revealed after polls."""

    def _statement_execute(self, request: Request) -> dict[str, Any]:
        body = request.json() or {}
        statement = body.get("statement")
        if not isinstance(statement, str) or not statement.strip():
            raise invalid_parameter("Missing required field: statement")
        warehouse_id = body.get("warehouse_id") or ""
        if warehouse_id != self.warehouse_id:
            raise invalid_parameter(f"{warehouse_id} is not a valid endpoint id.")
        wait_s = wait_timeout_seconds(body.get("wait_timeout", "10s"))
        check_result_format(body)
        stmt = StatementRecord(str(uuid.uuid4()), polls_left=self.cold_warehouse_polls)
        self._evaluate(stmt, statement, body.get("parameters") or [])
        if body.get("row_limit") is not None and len(stmt.rows) > int(body["row_limit"]):
            stmt.rows, stmt.truncated = stmt.rows[: int(body["row_limit"])], True
        with self._state_lock:
            self._statements[stmt.statement_id] = stmt
            while len(self._statements) > MAX_STATEMENTS:
                self._statements.popitem(last=False)
        self._start_execution(stmt, wait_s)
        busy = stmt.polls_left or self._still_running(stmt)
        if wait_s and busy and body.get("on_wait_timeout") == "CANCEL":
            stmt.canceled = True  # the warehouse did not finish within wait_timeout
        # wait_timeout=0s is asynchronous mode: the first answer is PENDING even on a warm warehouse.
        if (busy or wait_s == 0) and not stmt.canceled:
            return {"statement_id": stmt.statement_id, "status": {"state": "PENDING"}}
        return self._statement_response(stmt)

    def _statement_or_404(self, statement_id: str) -> StatementRecord:
        with self._state_lock:
            stmt = self._statements.get(statement_id)
        if stmt is None:
            raise api_error(404, "RESOURCE_DOES_NOT_EXIST", f"Statement {statement_id} not found.")
        return stmt

    def _statement_get(self, request: Request) -> dict[str, Any]:
        stmt = self._statement_or_404(request.path_group(1))
        with self._state_lock:
            if stmt.polls_left and not stmt.canceled:
                stmt.polls_left -= 1
                state = "RUNNING" if stmt.polls_left == 0 else "PENDING"
                return {"statement_id": stmt.statement_id, "status": {"state": state}}
        if self._still_running(stmt) and not stmt.canceled:
            return {"statement_id": stmt.statement_id, "status": {"state": "RUNNING"}}
        return self._statement_response(stmt)

    def _statement_cancel(self, request: Request) -> dict[str, Any]:
        stmt = self._statement_or_404(request.path_group(1))
        with self._state_lock:
            if stmt.polls_left or self._still_running(stmt):
                stmt.canceled = True
        return {}

    def _statement_chunk(self, request: Request) -> dict[str, Any]:
        stmt = self._statement_or_404(request.path_group(1))
        if stmt.polls_left or stmt.canceled or stmt.error or self._still_running(stmt):
            raise api_error(400, "INVALID_STATE", f"Statement {stmt.statement_id} has no result to fetch.")
        index = int(request.path_group(2))
        if not 0 <= index < self._chunk_count(stmt):
            raise invalid_parameter(f"Chunk index {index} is out of range for statement {stmt.statement_id}.")
        return self._chunk(stmt, index)

    def _statement_response(self, stmt: StatementRecord) -> dict[str, Any]:
        """The terminal ``StatementResponse``: FAILED/CANCELED with status only, else manifest + chunk 0."""
        if stmt.canceled:
            return {"statement_id": stmt.statement_id, "status": {"state": "CANCELED"}}
        if stmt.error:
            code, message, sql_state = stmt.error
            return {
                "statement_id": stmt.statement_id,
                "status": {
                    "state": "FAILED",
                    "error": {"error_code": code, "message": message},
                    "sql_state": sql_state,
                },
            }
        chunks = self._chunk_count(stmt)
        manifest: dict[str, Any] = {
            "format": "JSON_ARRAY",
            "schema": {
                "column_count": len(stmt.columns),
                "columns": [
                    {"name": name, "type_text": type_name, "type_name": type_name, "position": i}
                    for i, (name, type_name) in enumerate(stmt.columns)
                ],
            },
            "total_chunk_count": chunks,
            "total_row_count": len(stmt.rows),
            "truncated": stmt.truncated,
        }
        if chunks:
            manifest["chunks"] = [
                {
                    k: v
                    for k, v in self._chunk(stmt, i).items()
                    if k in ("chunk_index", "row_offset", "row_count")
                }
                for i in range(chunks)
            ]
        result = self._chunk(stmt, 0) if chunks else {"chunk_index": 0, "row_offset": 0, "row_count": 0}
        return {
            "statement_id": stmt.statement_id,
            "status": {"state": "SUCCEEDED"},
            "manifest": manifest,
            "result": result,
        }

    def _chunk_count(self, stmt: StatementRecord) -> int:
        return -(-len(stmt.rows) // self.statement_chunk_rows)

    def _chunk(self, stmt: StatementRecord, index: int) -> dict[str, Any]:
        size = self.statement_chunk_rows
        rows = stmt.rows[index * size : (index + 1) * size]
        chunk: dict[str, Any] = {
            "chunk_index": index,
            "row_offset": index * size,
            "row_count": len(rows),
            "data_array": rows,
        }
        if index + 1 < self._chunk_count(stmt):
            chunk["next_chunk_index"] = index + 1
            chunk["next_chunk_internal_link"] = (
                f"/api/2.0/sql/statements/{stmt.statement_id}/result/chunks/{index + 1}"
            )
        return chunk

    def _evaluate(self, stmt: StatementRecord, sql: str, parameters: list[dict[str, Any]]) -> None:
        """Run the two statements the engine sends; anything else fails like Databricks SQL would."""
        text = " ".join(sql.strip().rstrip(";").split())
        if SELECT_ONE.fullmatch(text):
            stmt.columns, stmt.rows = [("1", "INT")], [["1"]]
            return
        table = FROM_TABLE.search(text)
        table_name = table.group(1).replace("`", "").lower() if table else None
        if table and table_name and not self._table_readable(table_name):
            stmt.error = table_not_found(table.group(1))
            return
        if table_name in LAKEFLOW_TABLES:
            self._timeline(stmt, text, parameters)
            return
        match = LINEAGE_QUERY.fullmatch(text)
        if match is None:
            stmt.error = syntax_error(text)
            return
        stmt.columns = list(LINEAGE_COLUMNS)
        try:
            stmt.rows = self._lineage_result(match, parameters)
        except SqlError as err:
            stmt.error = err.args[0]

    def _lineage_result(
        self, match: re.Match[str], parameters: list[dict[str, Any]]
    ) -> list[list[str | None]]:
        """``GROUP BY`` the four keys with ``max(event_time)``, dropping rows with a NULL side."""
        since = named_parameter(parameters, "since_date")
        if not DATE_LITERAL.fullmatch(since):
            raise SqlError(
                (
                    "BAD_REQUEST",
                    f"[CAST_INVALID_INPUT] The value '{since}' of the type \"STRING\" "
                    'cannot be cast to "DATE" because it is malformed. SQLSTATE: 22018',
                    "22018",
                )
            )
        types = set(sql_string_list(match.group("types")))
        ids = sql_string_list(match.group("ids"))
        latest: dict[tuple[str, str, str, str], str] = {}
        for row in self.workspace.lineage_rows(ids, since):
            if (
                row["entity_type"] not in types
                or not row["source_table_full_name"]
                or not row["target_table_full_name"]
            ):
                continue
            key = (
                row["entity_type"],
                row["entity_id"],
                row["source_table_full_name"],
                row["target_table_full_name"],
            )
            latest[key] = max(latest.get(key, ""), row["event_time"])
        return [[*key, seen] for key, seen in sorted(latest.items())]

    # -- system.lakeflow timeline tables ------------------------------------------------------------

    def _table_readable(self, name: str) -> bool:
        if name == LINEAGE_TABLE:
            return self.system_tables_enabled
        return name in LAKEFLOW_TABLES and self.lakeflow_tables_enabled

    def _timeline(self, stmt: StatementRecord, text: str, parameters: list[dict[str, Any]]) -> None:
        """The engine's probe, watermark and grouped statements on the timeline tables."""
        try:
            workspace_id = named_parameter(parameters, "workspace_id")
            horizon = self.workspace.now_ms - self.system_tables_lag_ms
            mine = workspace_id == str(self.workspace.workspace_id)
            if TIMELINE_PROBE.fullmatch(text):
                stmt.columns = [("job_id", "STRING")]
                first = next(iter(self.workspace.job_ids()), None) if mine else None
                stmt.rows = [[str(first)]] if first is not None else []
            elif TIMELINE_WATERMARK.fullmatch(text):
                # a busy account's newest row ends at the horizon; an empty workspace has none
                named_parameter(parameters, "since")
                stmt.columns = [("watermark", "BIGINT")]
                stmt.rows = [[str(horizon) if mine and self.workspace.job_count else None]]
            else:
                self._grouped(stmt, text, parameters, workspace_id, horizon)
        except SqlError as err:
            stmt.error = err.args[0]

    def _grouped(
        self,
        stmt: StatementRecord,
        text: str,
        parameters: list[dict[str, Any]],
        workspace_id: str,
        horizon: int,
    ) -> None:
        """``GROUP BY`` the run (or task run) keys: first start, last end, state of the last slice."""
        match = TIMELINE_GROUPED.fullmatch(text)
        if match is None:
            raise SqlError(syntax_error(text))
        table = match.group("table").replace("`", "").lower()
        since = _timestamp_ms(named_parameter(parameters, "since"))
        ids = set(sql_string_list(match.group("ids")))
        rows_of: Callable[[list[Any], str, int], Iterator[dict[str, Any]]] = (
            run_rows if table == RUN_TIMELINE else task_rows
        )
        keys = (
            ("job_id", "run_id") if table == RUN_TIMELINE else ("job_id", "job_run_id", "run_id", "task_key")
        )
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for job_id in sorted(ids):
            runs = self.workspace.runs(int(job_id) if job_id.isdigit() else job_id)
            for row in rows_of(runs, str(self.workspace.workspace_id), horizon):
                if row["workspace_id"] == workspace_id and row["period_start_time"] >= since:
                    groups.setdefault(tuple(row[k] for k in keys), []).append(row)
        stmt.columns = list(_GROUPED_COLUMNS[table])
        stmt.rows = [_grouped_row(key, slices, table) for key, slices in groups.items()]


def _timestamp_ms(text: str) -> int:
    """A ``TIMESTAMP`` parameter (ISO 8601, ``Z`` or an offset) as epoch ms; else Databricks' cast error."""
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        raise SqlError(
            (
                "BAD_REQUEST",
                f"[CAST_INVALID_INPUT] The value '{text}' of the type \"STRING\" cannot be cast to "
                '"TIMESTAMP" because it is malformed. SQLSTATE: 22018',
                "22018",
            )
        ) from None


def _grouped_row(key: tuple[Any, ...], slices: list[dict[str, Any]], table: str) -> list[str | None]:
    last = max(slices, key=lambda row: row["period_end_time"])
    times = [
        str(min(row["period_start_time"] for row in slices)),
        str(last["period_end_time"]),
        last["result_state"],
        last["termination_code"],
    ]
    if table == RUN_TIMELINE:
        times.append(json.dumps(last["job_parameters"]))
        times.append(str(sum(row["period_end_time"] - row["period_start_time"] for row in slices)))
    return [*(str(part) for part in key), *times]
