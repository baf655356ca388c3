"""Background work the pages poll: listing a workspace for the preview, and a "Run now" ingestion.

Why threads: listing 10,000 jobs or running an ingestion takes seconds to minutes. Done inside the
script run, the page would freeze until the end and the user would see nothing. Here a daemon thread
fills a lock-protected buffer held in the session's :class:`ui.state.WizardState`, and a
``st.fragment(run_every=...)`` re-renders from it, so the first rows show while the listing goes on and
the rest of the page stays usable (Stop, search, editing rules).

This module holds only the thread and buffer mechanics; the work itself (which calls ``core``) is
passed in by ``ui.services``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

__all__ = ["BackgroundJob", "PreviewJob", "RunJob"]

Row = TypeVar("Row")
Decision = TypeVar("Decision")


class BackgroundJob:
    """A daemon thread with a stop flag, a finished flag and a user-facing error message."""

    def __init__(self, fingerprint: str = "") -> None:
        """A job not started yet (:meth:`start` runs it); its clock starts now.

        Args:
            fingerprint: what the job was started for (a hash of the settings it read), so the page can
                tell a result that no longer matches the form.
        """
        self.fingerprint = fingerprint
        self.error: str | None = None
        self.started_at = time.monotonic()
        self.finished_at: float | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, work: Callable[[Any], None]) -> None:
        """Run ``work(self)`` in a daemon thread. ``work`` reports problems through :attr:`error`."""

        def runner() -> None:
            try:
                work(self)
            except Exception as err:  # noqa: BLE001 -- the worker handles expected errors; a bug must not kill the page
                self.error = f"unexpected error ({type(err).__name__}); see the server log"
            finally:
                self.finished_at = time.monotonic()
                self._done.set()

        self._thread = threading.Thread(target=runner, name=type(self).__name__, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the work to stop at its next check."""
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop.is_set()

    @property
    def done(self) -> bool:
        """True when the thread has finished (normally, stopped or failed)."""
        return self._done.is_set()

    @property
    def elapsed_s(self) -> float:
        """Seconds from start to finish, or to now while running."""
        return (self.finished_at or time.monotonic()) - self.started_at

    def wait(self, timeout: float | None = None) -> bool:
        """Block until done (tests and shutdown); True when it finished in time."""
        return self._done.wait(timeout)

    def __repr__(self) -> str:
        state = "done" if self.done else "running"
        return f"<{type(self).__name__} {state} after {self.elapsed_s:.1f}s>"


class PreviewJob(BackgroundJob, Generic[Row, Decision]):
    """Rows of a workspace listing, appended by the worker and read by the page at any time.

    The listing does not depend on the filters: it is done once per connection, and the current rules
    are applied at render time (:meth:`decided`), so editing a rule updates the preview at once without
    listing the workspace again.
    """

    def __init__(self, fingerprint: str = "") -> None:
        """An empty listing.

        Args:
            fingerprint: as for :class:`BackgroundJob` (here: the connection settings listed).
        """
        super().__init__(fingerprint)
        self._rows: list[Row] = []
        self.first_row_s: float | None = None
        self._decided_key: Hashable = None
        self._decisions: list[Decision] = []

    def add(self, row: Row) -> None:
        """Append one listed row (worker thread)."""
        with self._lock:
            if not self._rows:
                self.first_row_s = time.monotonic() - self.started_at
            self._rows.append(row)

    @property
    def count(self) -> int:
        """Rows listed so far."""
        with self._lock:
            return len(self._rows)

    def rows(self) -> list[Row]:
        """A snapshot of the rows listed so far."""
        with self._lock:
            return list(self._rows)

    def decided(self, key: Hashable, decide: Callable[[Row], Decision]) -> list[Decision]:
        """``decide`` applied to every row, cached for the filter ``key`` and extended as rows arrive.

        On a 10,000-job workspace the page re-renders every second while listing; re-deciding only the
        new rows keeps each render cheap.

        Args:
            key: identifies the filter rules ``decide`` applies; a different key starts the cache over.
            decide: the decision for one row (called on the page's thread).

        Returns:
            One decision per row listed so far, in listing order (a copy).
        """
        rows = self.rows()
        if key != self._decided_key:
            self._decided_key, self._decisions = key, []
        if len(self._decisions) < len(rows):
            self._decisions.extend(decide(row) for row in rows[len(self._decisions) :])
        return list(self._decisions)


class RunJob(BackgroundJob):
    """An ingestion in a thread: the latest progress event, then the report."""

    def __init__(self, fingerprint: str = "", *, dry_run: bool = False, expected: int | None = None) -> None:
        """A run with no progress yet.

        Args:
            fingerprint: as for :class:`BackgroundJob` (here: the Databricks settings it runs with).
            dry_run: True when nothing is written (the report says what would be).
            expected: pipelines the preview expects to be ingested, for the progress bar; None if unknown.
        """
        super().__init__(fingerprint)
        self.dry_run = dry_run
        self.expected = expected
        self.event: Any = None
        self.report: Any = None
        self._on_stop: Callable[[], None] | None = None

    def on_event(self, event: Any) -> None:
        """Progress callback for ``core.workflow.Workflow`` (called from the engine's threads)."""
        self.event = event

    def set_stopper(self, stopper: Callable[[], None]) -> None:
        """What :meth:`stop` calls to stop the engine (``Workflow.stop``)."""
        self._on_stop = stopper
        if self.stop_requested:
            stopper()

    def stop(self) -> None:
        """Stop the ingestion at the next pipeline boundary."""
        super().stop()
        if self._on_stop is not None:
            self._on_stop()
