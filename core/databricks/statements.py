"""Running one SQL statement on a SQL warehouse through the Statement Execution API (databricks-sdk).

Shared by every reader of system tables (lineage, run statuses): submit with a short ``wait_timeout``,
poll a cold warehouse within a time budget rather than fail (OpenMetadata #9639), then read every result
chunk. Results are ``JSON_ARRAY`` rows (every value travels as text or null) with ``INLINE`` disposition.
Source: https://docs.databricks.com/api/workspace/statementexecution (seen 2026-11-29).

Errors are :class:`core.errors.SourceError` subclasses only; a statement the warehouse refused names
``httpPath`` as the field to fix.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from databricks.sdk.errors import BadRequest, NotFound
from databricks.sdk.service.sql import (
    Disposition,
    Format,
    StatementParameterListItem,
    StatementResponse,
    StatementState,
)

from core.databricks.errors import source_errors
from core.errors import SourceError
from core.http_policy import STATEMENT_POLL_S, STATEMENT_WAIT_S
from core.secrets import redact

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

__all__ = ["HTTP_PATH_FIELD", "Param", "StatementRunner"]

HTTP_PATH_FIELD = "source.serviceConnection.config.httpPath"
_DONE = {StatementState.SUCCEEDED, StatementState.FAILED, StatementState.CANCELED, StatementState.CLOSED}

#: a named parameter: ``(name, value, type)``, e.g. ``("since_date", "2026-01-01", "DATE")``
Param = tuple[str, str, str | None]


class StatementRunner:
    """Statements on one SQL warehouse, each read to its last chunk.

    ``what`` names the statement in errors (``the lineage query``), ``hint`` says what the principal
    needs when the statement itself failed (``SELECT on system.access.table_lineage``).
    """

    def __init__(
        self,
        client: WorkspaceClient,
        warehouse_id: str,
        *,
        what: str,
        hint: str,
        wait_budget_s: float = 600.0,
        poll_interval_s: float = STATEMENT_POLL_S,
    ) -> None:
        """Run statements through ``client``'s Statement Execution API; nothing is sent until asked.

        Args:
            client: the workspace client (its rate gate, timeouts and retries apply).
            warehouse_id: the SQL warehouse's id (the last part of ``httpPath``).
            what: the statement as errors name it (``the lineage query``).
            hint: what to do when the statement fails on the warehouse.
            wait_budget_s: seconds one statement may run (queued, starting or executing) before it
                counts as failed.
            poll_interval_s: seconds between polls of a running statement.
        """
        self.client = client
        self.warehouse_id = warehouse_id
        self.what = what
        self.hint = hint
        self.wait_budget_s = wait_budget_s
        self.poll_interval_s = poll_interval_s

    def rows(self, statement: str, params: Sequence[Param] = ()) -> Iterator[Sequence[str | None]]:
        """The result rows of ``statement``, chunk by chunk (a generator: nothing is sent until iterated).

        Raises:
            SourceError: (any subclass) the warehouse refused or failed the statement, or it did not
                finish within ``wait_budget_s``.
        """
        items = [
            StatementParameterListItem(name=name, value=value, type=kind) for name, value, kind in params
        ]
        try:
            with source_errors(f"running {self.what} on the SQL warehouse"):
                response = self.client.statement_execution.execute_statement(
                    statement=statement,
                    warehouse_id=self.warehouse_id,
                    parameters=items,
                    wait_timeout=f"{STATEMENT_WAIT_S}s",
                    format=Format.JSON_ARRAY,
                    disposition=Disposition.INLINE,
                )
        except SourceError as err:
            if err.field is None and isinstance(err.__cause__, (BadRequest, NotFound)):
                raise SourceError(  # the request was fine but the warehouse is not: httpPath is wrong
                    f"SQL warehouse {self.warehouse_id} refused the query: {redact(err.__cause__).rstrip('.')}",
                    field=HTTP_PATH_FIELD,
                    hint="Copy httpPath from the warehouse's Connection details (/sql/1.0/warehouses/<id>)",
                ) from err.__cause__
            raise
        response = self._wait(response)
        yield from self._chunks(response)

    def _wait(self, response: StatementResponse) -> StatementResponse:
        deadline = time.monotonic() + self.wait_budget_s
        while response.status is None or response.status.state not in _DONE:
            if time.monotonic() > deadline:
                raise SourceError(
                    f"the SQL warehouse {self.warehouse_id} did not finish {self.what} within "
                    f"{self.wait_budget_s:.0f} s",
                    hint="Start the warehouse, or raise connectionTimeout",
                )
            time.sleep(self.poll_interval_s)
            with source_errors(f"waiting for {self.what}"):
                response = self.client.statement_execution.get_statement(response.statement_id or "")
        state = response.status.state
        if state != StatementState.SUCCEEDED:
            error = response.status.error
            message = error.message if error and error.message else state.value
            raise SourceError(
                f"{self.what} failed on warehouse {self.warehouse_id}: {message}", hint=self.hint
            )
        return response

    def _chunks(self, response: StatementResponse) -> Iterator[Sequence[str | None]]:
        result = response.result
        statement_id = response.statement_id or ""
        while result is not None:
            yield from result.data_array or []
            if result.next_chunk_index is None:
                return
            with source_errors(f"reading the results of {self.what}"):
                result = self.client.statement_execution.get_statement_result_chunk_n(
                    statement_id, result.next_chunk_index
                )
