"""Table lineage from Unity Catalog's ``system.access.table_lineage``, via the SQL Statement Execution API.

OpenMetadata's connector scans the system table for *every* entity of the last 90 days on first use,
even when the filter keeps three jobs. Here the query is scoped to the ids of the pipelines that passed
the filter, in batches, and only distinct (source, target) pairs come back. Ids are validated before
they are written into the ``IN (...)`` list (job ids are digits, DLT ids are UUID-like), so no user
text reaches the SQL. A cold SQL warehouse answers PENDING first: we poll within a time budget rather
than fail (OpenMetadata #9639).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from core.databricks.statements import HTTP_PATH_FIELD, Param, StatementRunner
from core.http_policy import STATEMENT_POLL_S
from core.source import LineageEdge  # defined with the protocol; importable from here too

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

__all__ = ["HTTP_PATH_FIELD", "LINEAGE_SQL", "LineageEdge", "LineageReader"]

LINEAGE_SQL = """SELECT entity_type, entity_id, source_table_full_name, target_table_full_name, max(event_time) AS last_seen
FROM system.access.table_lineage
WHERE event_date >= :since_date AND entity_type IN ('JOB', 'PIPELINE') AND entity_id IN ({ids})
  AND source_table_full_name IS NOT NULL AND target_table_full_name IS NOT NULL
GROUP BY entity_type, entity_id, source_table_full_name, target_table_full_name"""

_SAFE_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


class LineageReader:
    """The :class:`core.source.LineageSource` of Unity Catalog: the scoped lineage query on a SQL warehouse.

    The warehouse is the one named by ``httpPath``. Build it with :func:`core.factory.create_source`.

    Raises :class:`core.errors.SourceError` subclasses only (``field`` names ``httpPath`` when the warehouse
    refused the query).
    """

    def __init__(
        self,
        client: WorkspaceClient,
        warehouse_id: str,
        *,
        lookback_days: int = 90,
        batch_size: int = 500,
        wait_budget_s: float = 600.0,
        poll_interval_s: float = STATEMENT_POLL_S,
    ) -> None:
        """Read lineage through ``client``'s Statement Execution API; nothing is sent until asked.

        Args:
            client: the workspace client (its rate gate and timeouts apply).
            warehouse_id: the SQL warehouse's id (the last part of ``httpPath``).
            lookback_days: how far back ``system.access.table_lineage`` is read, in days.
            batch_size: job or pipeline ids per statement (keeps each statement's text bounded).
            wait_budget_s: seconds one statement may run (queued, starting or executing) before it
                counts as failed.
            poll_interval_s: seconds between polls of a running statement.
        """
        self.client = client
        self.warehouse_id = warehouse_id
        self.lookback_days = lookback_days
        self.batch_size = batch_size
        self.wait_budget_s = wait_budget_s
        self.poll_interval_s = poll_interval_s

    def check(self) -> None:
        """Run ``SELECT 1`` on the warehouse (connection test); raises SourceError on failure."""
        for _row in self._run("SELECT 1", []):  # _run is a generator: nothing is sent until it is iterated
            pass

    def edges(self, entity_ids: Iterable[str], today: date | None = None) -> Iterator[LineageEdge]:
        """Distinct edges for ``entity_ids`` seen within the lookback window, batch by batch."""
        since = (today or date.today()) - timedelta(days=self.lookback_days)
        batch: list[str] = []
        for entity_id in entity_ids:
            if not _SAFE_ID.match(entity_id):
                continue
            batch.append(entity_id)
            if len(batch) >= self.batch_size:
                yield from self._batch(batch, since)
                batch = []
        if batch:
            yield from self._batch(batch, since)

    def _batch(self, ids: list[str], since: date) -> Iterator[LineageEdge]:
        statement = LINEAGE_SQL.format(ids=", ".join(f"'{entity_id}'" for entity_id in ids))
        params: list[Param] = [("since_date", since.isoformat(), "DATE")]
        for row in self._run(statement, params):
            if len(row) >= 4 and row[1] and row[2] and row[3]:
                yield LineageEdge(entity_id=str(row[1]), source_table=str(row[2]), target_table=str(row[3]))

    def _run(self, statement: str, params: list[Param]) -> Iterator[Sequence[str | None]]:
        runner = StatementRunner(
            self.client,
            self.warehouse_id,
            what="the lineage query",
            hint="The principal needs SELECT on system.access.table_lineage",
            wait_budget_s=self.wait_budget_s,
            poll_interval_s=self.poll_interval_s,
        )
        return runner.rows(statement, params)
