"""Which runs the system tables source reads over REST (``SystemTableStatuses._needs_rest``).

A run the tables cannot describe in full costs a ``runs/get`` unless OpenMetadata provably holds it in its
final state, judged from the pipeline's stored latest status (``StoredStatus``).
"""

from __future__ import annotations

import pytest

from core.databricks.records import JobRecord
from core.databricks.system_tables import SystemTableStatuses, _TableRun
from core.source import StoredStatus

JOB = JobRecord(id="7", name="nightly")
T = 1_700_000_000_000


def failed_run(start: int, end: int | None, state: str | None = "FAILED") -> _TableRun:
    return _TableRun("1", start, end, state, "RUN_EXECUTION_ERROR", {}, None if end is None else end - start)


@pytest.mark.parametrize(
    ("run", "stored", "needs_rest"),
    [
        (failed_run(T - 500, T - 100), None, True),  # first run: nothing stored
        (failed_run(T - 500, T - 100), StoredStatus(T, T + 50, True), False),  # ended before the stored run
        (failed_run(T - 500, T + 10), StoredStatus(T, T + 50, True), True),  # still going at T: maybe Pending
        (failed_run(T, T + 50), StoredStatus(T, T + 50, True), False),  # the stored run, ending as stored
        (failed_run(T, T + 90), StoredStatus(T, T + 50, True), True),  # repaired since: it ends later now
        (failed_run(T, T + 50), StoredStatus(T, T + 50, False), True),  # stored while it was running
        (failed_run(T, T + 50), StoredStatus(T, None, True), True),  # pre-1.13: no endTime to compare
        (failed_run(T + 100, T + 200), StoredStatus(T, T + 50, True), True),  # newer than anything stored
        (failed_run(T - 500, None, None), StoredStatus(T, T + 50, True), True),  # no final slice yet
    ],
)
def test_a_run_is_read_over_rest_unless_it_is_provably_stored(
    run: _TableRun, stored: StoredStatus | None, needs_rest: bool
) -> None:
    assert SystemTableStatuses._needs_rest(JOB, run, stored) is needs_rest
