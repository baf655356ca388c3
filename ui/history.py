"""Run history: what one finished (or stopped) run of a saved ingestion leaves behind.

The contract between the run manager (``ui/services/runs.py``, which records a run when it starts, at its
checkpoints while it goes, and when it ends) and the
store (``ui/store/``, which keeps the records in the wizard's SQLite database so they outlive the server).
:class:`MemoryRunHistory` is the same contract in memory: for tests, and for a wizard whose database
could not be opened (the history then lasts as long as the server process).

Nothing secret is ever in a record: the report is ``core.report.RunReport.as_dict()`` (redacted at the
source) and the log is passed through ``core.secrets.redact`` before it is recorded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

__all__ = ["MemoryRunHistory", "RunHistory", "RunRecord"]

RunMode = Literal["run", "dry-run"]
#: ok: finished with no failure; failed: finished with failures; stopped: Stop pressed (or interrupted);
#: error: could not start or ended on a fatal error
RunOutcome = Literal["ok", "failed", "stopped", "error", "running"]


@dataclass
class RunRecord:
    """One run of one saved ingestion.

    Attributes:
        run_id: a uuid4 hex, unique across ingestions.
        ingestion_id: the saved ingestion's id (the ``?ingestion=`` of the wizard's URL).
        started_at: epoch seconds.
        finished_at: epoch seconds, None while running.
        mode: ``run`` or ``dry-run``.
        outcome: see :data:`RunOutcome`.
        counts: headline numbers (created, updated, unchanged, deleted, failed, statuses, lineageEdges...).
        report: the full ``RunReport.as_dict()`` (None when the run could not start).
        error: the one line that stopped it, if one did.
        log: the run's log as text (redacted), for the download button.
        checkpoint_at: epoch seconds of the last checkpoint of a ``running`` record (its counts, report
            and log are the progress saved then); None before the first and in the end record. A record
            the history shows as stopped with its server keeps it: its numbers are as of that moment.
    """

    run_id: str
    ingestion_id: str
    started_at: float
    mode: RunMode
    outcome: RunOutcome = "running"
    finished_at: float | None = None
    counts: dict[str, int] = field(default_factory=dict)
    report: dict[str, Any] | None = None
    error: str | None = None
    log: str = ""
    checkpoint_at: float | None = None

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to finish (None while running)."""
        return None if self.finished_at is None else self.finished_at - self.started_at


class RunHistory(Protocol):
    """Where finished runs are kept (newest first when listed)."""

    def record(self, run: RunRecord) -> None:
        """Insert or replace ``run`` (keyed by ``run.run_id``)."""

    def list_runs(self, ingestion_id: str, limit: int = 50) -> list[RunRecord]:
        """The ingestion's runs, newest first, without their ``log`` (``""``) to keep the listing light."""

    def get(self, run_id: str) -> RunRecord | None:
        """One run with its report and log, or None."""


class MemoryRunHistory:
    """:class:`RunHistory` in memory, thread-safe (lost when the process ends)."""

    def __init__(self) -> None:
        """An empty history."""
        self._runs: dict[str, RunRecord] = {}
        self._lock = threading.Lock()

    def record(self, run: RunRecord) -> None:
        """Insert or replace ``run``."""
        with self._lock:
            self._runs[run.run_id] = run

    def list_runs(self, ingestion_id: str, limit: int = 50) -> list[RunRecord]:
        """The ingestion's runs, newest first (logs left out)."""
        with self._lock:
            runs = [run for run in self._runs.values() if run.ingestion_id == ingestion_id]
        runs.sort(key=lambda run: run.started_at, reverse=True)
        return [_without_log(run) for run in runs[:limit]]

    def get(self, run_id: str) -> RunRecord | None:
        """One run, whole."""
        with self._lock:
            return self._runs.get(run_id)


def _without_log(run: RunRecord) -> RunRecord:
    copy = RunRecord(**{**run.__dict__, "log": ""})
    return copy
