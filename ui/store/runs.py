"""Run history in the database: :class:`ui.history.RunHistory` over the ``runs`` table."""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any

from ui.history import RunRecord
from ui.store.db import StoreError

__all__ = ["UNSAVED_PREFIX", "SqliteRunHistory"]

#: the run key of an ingestion not saved yet (``ui.services.runs.run_key``): no ``ingestions`` row to check
UNSAVED_PREFIX = "session:"

_COLUMNS = "run_id, ingestion_id, started_at, finished_at, mode, outcome, counts, report, error"


def _record(row: tuple[Any, ...], log: str = "") -> RunRecord:
    run_id, ingestion_id, started_at, finished_at, mode, outcome, counts, report, error = row[:9]
    running = outcome == "running"  # its finished_at column holds its last checkpoint (see record)
    return RunRecord(
        run_id=run_id,
        ingestion_id=ingestion_id,
        started_at=started_at,
        finished_at=None if running else finished_at,
        checkpoint_at=finished_at if running else None,
        mode=mode,
        outcome=outcome,
        counts=json.loads(counts),
        report=json.loads(report) if report is not None else None,
        error=error,
        log=log,
    )


class SqliteRunHistory:
    """Runs kept in the wizard's database, so the history survives a restart of the server.

    Thread-safe: every statement runs under the store's lock on its one connection (WAL, so another
    process reading the file never waits).
    """

    def __init__(self, connection: sqlite3.Connection, lock: threading.RLock) -> None:
        """Use the store's connection and lock.

        Args:
            connection: the open, migrated database.
            lock: the store's lock, held for each statement.
        """
        self._db = connection
        self._lock = lock

    def record(self, run: RunRecord) -> None:
        """Insert or replace ``run`` (keyed by ``run.run_id``), only while its ingestion exists.

        A run of an ingestion deleted meanwhile (its end, recorded after the delete) is dropped: the check and
        the write are one statement, so a delete between them cannot leave a run of a missing ingestion. A
        run of an unsaved ingestion (key :data:`UNSAVED_PREFIX`) is always kept.

        A ``running`` record's ``finished_at`` column holds its :attr:`~ui.history.RunRecord.checkpoint_at`
        (a running run has not finished; a column of its own would need a schema change for one number).

        Raises:
            StoreError: the database could not be written (one sentence).
        """
        finished = run.checkpoint_at if run.outcome == "running" else run.finished_at
        values = (
            run.run_id, run.ingestion_id, run.started_at, finished, run.mode, run.outcome,
            json.dumps(run.counts), None if run.report is None else json.dumps(run.report), run.error, run.log,
        )  # fmt: skip
        try:
            with self._lock:
                self._db.execute(
                    f"INSERT OR REPLACE INTO runs ({_COLUMNS}, log) SELECT ?,?,?,?,?,?,?,?,?,? "
                    "WHERE substr(?, 1, length(?)) = ? OR EXISTS (SELECT 1 FROM ingestions WHERE id = ?)",
                    (*values, run.ingestion_id, UNSAVED_PREFIX, UNSAVED_PREFIX, run.ingestion_id),
                )
        except sqlite3.Error as err:
            raise StoreError(f"The run could not be saved to the database ({err}).") from None

    def list_runs(self, ingestion_id: str, limit: int = 50) -> list[RunRecord]:
        """The ingestion's runs, newest first, without their logs (``""``)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM runs WHERE ingestion_id = ? ORDER BY started_at DESC LIMIT ?",
                (ingestion_id, limit),
            ).fetchall()
        return [_record(row) for row in rows]

    def get(self, run_id: str) -> RunRecord | None:
        """One run with its report and log, or None."""
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS}, log FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else _record(row, row[9])

    def latest_by_ingestion(self) -> dict[str, RunRecord]:
        """Each ingestion's newest run (without log), for the start page's "last run" column."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM runs AS r WHERE started_at = "
                "(SELECT MAX(started_at) FROM runs WHERE ingestion_id = r.ingestion_id)"
            ).fetchall()
        return {row[1]: _record(row) for row in rows}
