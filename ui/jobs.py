"""Background work the pages poll: listing a workspace for the preview, and a "Run now" ingestion.

Why threads: listing 10,000 jobs or running an ingestion takes seconds to minutes. Done inside the
script run, the page would freeze until the end and the user would see nothing. Here a daemon thread
fills a lock-protected buffer held in the session's :class:`ui.state.WizardState`, and a
``st.fragment(run_every=...)`` re-renders from it, so the first rows show while the listing goes on and
the rest of the page stays usable (Stop, search, editing rules).

A run (:class:`RunJob`) belongs to the server process, not to the browser session: it is kept in a
:class:`RunRegistry` under its ingestion's key, so a reload or a second tab finds the live run (progress,
Stop) and a second run of the same ingestion is refused while one goes.

Its log (:class:`RunLog`) holds the engine's log records of that run only. The engine logs from worker
threads (its pool, the listing prefetch), so a record is attributed by the thread that emits it: the run's
thread is tagged with its log, and every thread started from a tagged thread inherits the tag
(:func:`install_run_log_capture`), which is what Python 3.14 does for contexts (``thread_inherit_context``).
Two runs of different ingestions going at once keep separate logs.

This module holds only the thread and buffer mechanics; the work itself (which calls ``core``) is
passed in by ``ui.services``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

__all__ = [
    "BackgroundJob",
    "Checkpoints",
    "PreviewJob",
    "RunJob",
    "RunLog",
    "RunRegistry",
    "install_run_log_capture",
]

logger = logging.getLogger(__name__)

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
                self._work_ended()
                self.finished_at = time.monotonic()
                self._done.set()

        self._thread = threading.Thread(target=runner, name=type(self).__name__, daemon=True)
        self._thread_started(self._thread)
        self._thread.start()

    def _thread_started(self, thread: threading.Thread) -> None:
        """Hook: the worker thread is built, not started yet."""

    def _work_ended(self) -> None:
        """Hook: the work returned or raised, the job is not marked done yet."""

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

    def __init__(
        self,
        fingerprint: str = "",
        *,
        dry_run: bool = False,
        expected: int | None = None,
        key: str = "",
        owner: str = "",
        settings: dict[str, str] | None = None,
        log_bytes: int = 2_000_000,
    ) -> None:
        """A run with no progress yet.

        Args:
            fingerprint: as for :class:`BackgroundJob` (here: the Databricks settings it runs with).
            dry_run: True when nothing is written (the report says what would be).
            expected: pipelines the preview expects to be ingested, for the progress bar; None if unknown.
            key: the ingestion it runs (its key in the :class:`RunRegistry`).
            owner: the browser session that started it (to say "this session" or "another session").
            settings: setting group -> fingerprint when it started, to tell when its result is stale.
            log_bytes: the most log text kept (the oldest lines go first).
        """
        super().__init__(fingerprint)
        self.run_id = uuid.uuid4().hex
        self.key = key
        self.owner = owner
        self.settings = dict(settings or {})
        self.started_wall = time.time()
        self.dry_run = dry_run
        self.expected = expected
        self.event: Any = None
        self.report: Any = None
        #: what the run left behind (a ``ui.history.RunRecord``), set just before :attr:`done`
        self.record: Any = None
        self.log = RunLog(log_bytes)
        self._on_stop: Callable[[], None] | None = None
        self._phase: str | None = None
        #: saves the run's progress now and then while it goes (see :meth:`start`)
        self.checkpoints: Checkpoints | None = None
        #: the engine's report as it fills (``core.workflow.Workflow.live_report``), for the checkpoints
        self.live_report: Callable[[], Any] = lambda: None
        #: why it was stopped when not by a user's Stop (the server shutting down), for its record
        self.stop_reason: str | None = None

    def start(
        self,
        work: Callable[[Any], None],
        checkpoint: Callable[[], None] | None = None,
        every_s: float = 5.0,
    ) -> None:
        """Run ``work(self)`` in a daemon thread tagged with this run's log (see the module docstring).

        Args:
            work: the run; it calls :meth:`end_checkpoints` before it records its end.
            checkpoint: saves the run's progress so far (called on a thread of its own, see
                :class:`Checkpoints`): at each phase change and at most every ``every_s`` seconds.
            every_s: the least time between two checkpoints of the same phase.
        """
        install_run_log_capture()
        self.log.write(f"{'dry run' if self.dry_run else 'run'} {self.run_id} started")
        if checkpoint is not None:
            self.checkpoints = Checkpoints(checkpoint, every_s=every_s, name=f"checkpoints-{self.run_id[:8]}")
            self.checkpoints.start()
        super().start(work)

    def end_checkpoints(self) -> None:
        """No checkpoint after this returns (one being saved is waited for): the run's end record follows."""
        if self.checkpoints is not None:
            self.checkpoints.close()

    def _thread_started(self, thread: threading.Thread) -> None:
        setattr(thread, _LOG_ATTR, self.log)

    def _work_ended(self) -> None:
        self.end_checkpoints()  # the work did already, unless it raised

    def on_event(self, event: Any) -> None:
        """Progress callback for ``core.workflow.Workflow`` (called from the engine's threads)."""
        self.event = event
        phase = getattr(event, "phase", None)
        if phase != self._phase:
            self._phase = phase
            if self.checkpoints is not None and phase != "done":  # "done": the end record comes next
                self.checkpoints.poke()
            self.log.write(
                f"phase {phase}: {event.listed:,} listed, {event.kept:,} kept, {event.processed:,} done, "
                f"{event.failures:,} failures"
            )

    def set_stopper(self, stopper: Callable[[], None]) -> None:
        """What :meth:`stop` calls to stop the engine (``Workflow.stop``)."""
        self._on_stop = stopper
        if self.stop_requested:
            stopper()

    def stop(self, reason: str | None = None) -> None:
        """Stop the ingestion at the next pipeline boundary.

        Args:
            reason: why, when not a user's Stop (one sentence its record keeps).
        """
        if reason is not None and not self.stop_requested:
            self.stop_reason = reason
        super().stop()
        if self._on_stop is not None:
            self._on_stop()


class Checkpoints:
    """Saves a run's progress on a thread of its own: when poked (a phase change), else every ``every_s``.

    The run's thread never waits for a save (a slow or locked database delays only the next checkpoint),
    and a save that raises is logged once and retried at the next one. A save that took long spaces the
    next ones out (:func:`checkpoint_delay`), so checkpointing a huge run stays a small share of its time.
    :meth:`close` ends them for good, after waiting for one in progress: the run's end record, written
    next, is never replaced by a late checkpoint.
    """

    def __init__(
        self,
        save: Callable[[], None],
        *,
        every_s: float = 5.0,
        share: float = 0.05,
        name: str = "checkpoints",
    ) -> None:
        """Checkpoints not started yet (:meth:`start`).

        Args:
            save: writes the progress so far (called on the checkpoint thread only).
            every_s: the least time between two timed checkpoints.
            share: the largest share of the time spent saving (a save of 1 s: the next one 20 s later).
            name: the thread's name.
        """
        self.every_s = every_s
        self.share = share
        #: checkpoints saved, and the failures among the attempts (for tests and the server log)
        self.saved = 0
        self.failed = 0
        self._save = save
        self._name = name
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._closed = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the checkpoint thread (the first checkpoint comes at the first poke or after ``every_s``)."""
        self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Save soon (a phase change); never blocks."""
        self._wake.set()

    def close(self) -> None:
        """End the checkpoints; a save in progress is waited for, none starts after this returns."""
        with self._lock:
            self._closed = True
        self._wake.set()

    def _loop(self) -> None:
        delay = self.every_s
        while True:
            self._wake.wait(delay)
            self._wake.clear()
            with self._lock:
                if self._closed:
                    return
                began = time.monotonic()
                self._attempt()
                delay = checkpoint_delay(time.monotonic() - began, self.every_s, self.share)

    def _attempt(self) -> None:
        try:
            self._save()
        except Exception as err:  # noqa: BLE001 -- a checkpoint must never break the run it saves
            self.failed += 1
            if self.failed == 1:
                logger.warning(
                    "a run's progress could not be saved (%s); the run goes on", type(err).__name__
                )
            return
        self.saved += 1


def checkpoint_delay(cost_s: float, every_s: float, share: float) -> float:
    """Seconds until the next timed checkpoint, after one that took ``cost_s``.

    Args:
        cost_s: how long the last save took.
        every_s: the least delay.
        share: the largest share of the time saves may take.
    """
    return max(every_s, cost_s / share) if share > 0 else every_s


class RunLog:
    """A run's log as text lines, redacted, keeping only the last ``max_bytes`` (thread-safe).

    Every line goes through ``core.secrets.redact`` when written: a token in an exception message or a
    URL never reaches the buffer, the history or the download.
    """

    def __init__(self, max_bytes: int = 2_000_000) -> None:
        """An empty log.

        Args:
            max_bytes: the most text kept (UTF-8 bytes); older lines are dropped, and counted.
        """
        self.max_bytes = max_bytes
        self.dropped = 0
        self._lines: deque[str] = deque()
        self._size = 0
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        """Append ``text`` (one or more lines), stamped with the time, redacted."""
        from core.secrets import redact

        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        line = redact(f"{stamp} {text}")
        size = len(line.encode()) + 1
        with self._lock:
            self._lines.append(line)
            self._size += size
            while self._size > self.max_bytes and len(self._lines) > 1:
                self._size -= len(self._lines.popleft().encode()) + 1
                self.dropped += 1

    def text(self) -> str:
        """The whole log kept (with a first line saying how many older lines were dropped, if any)."""
        with self._lock:
            lines = list(self._lines)
            dropped = self.dropped
        head = [f"({dropped:,} earlier lines dropped: the log keeps the last {self.max_bytes:,} bytes)"]
        return "\n".join((head if dropped else []) + lines) + ("\n" if lines else "")


class RunRegistry:
    """The process's runs by ingestion key: at most one live run per key, the last one kept when done.

    Process-wide on purpose: a run belongs to the server, so a reload or a second tab (a new session)
    finds it by its ingestion's key.
    """

    def __init__(self, max_finished: int = 200) -> None:
        """No run yet.

        Args:
            max_finished: finished runs kept (the oldest go first; live runs are always kept). Each holds
                its report and log, and unsaved ingestions get a key per browser session, so a server
                that runs for weeks must not keep them all; the run history keeps them for good.
        """
        self.max_finished = max_finished
        self._jobs: dict[str, RunJob] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, job: RunJob) -> RunJob | None:
        """Make ``job`` the run of ``key`` unless a live run has it.

        Returns:
            None when ``job`` was registered (the caller starts it), else the live run that refused it.
        """
        with self._lock:
            live = self._jobs.get(key)
            if live is not None and not live.done:
                return live
            self._jobs.pop(key, None)
            self._jobs[key] = job  # insertion order is start order: the oldest runs come first
            finished = [name for name, other in self._jobs.items() if other.done]
            for name in finished[: max(0, len(finished) - self.max_finished)]:
                del self._jobs[name]
            return None

    def get(self, key: str) -> RunJob | None:
        """The live or last run of ``key``."""
        with self._lock:
            return self._jobs.get(key)

    def live(self) -> list[RunJob]:
        """Every run still going."""
        with self._lock:
            return [job for job in self._jobs.values() if not job.done]

    def forget(self, key: str) -> None:
        """Drop the last run of ``key`` (a live one is stopped first)."""
        with self._lock:
            job = self._jobs.pop(key, None)
        if job is not None and not job.done:
            job.stop()


_LOG_ATTR = "_dbx_pipeline_run_log"
_CAPTURE_LOCK = threading.Lock()
_CAPTURE: list[logging.Handler] = []
#: the loggers whose records a run's log captures (the engine and the Databricks SDK)
CAPTURED_LOGGERS = ("core", "databricks")


class _RunLogHandler(logging.Handler):
    """Writes a record into the log of the run whose thread emits it (other threads: dropped)."""

    def emit(self, record: logging.LogRecord) -> None:
        log = getattr(threading.current_thread(), _LOG_ATTR, None)
        if isinstance(log, RunLog):
            try:
                log.write(f"{record.levelname} {record.name}: {record.getMessage()}")
                if record.exc_info and record.exc_info[1] is not None:
                    log.write(f"  {type(record.exc_info[1]).__name__}: {record.exc_info[1]}")
            except Exception:  # noqa: BLE001 -- logging must never break the run it describes
                self.handleError(record)


def install_run_log_capture() -> None:
    """Once per process: threads inherit their starter's run tag, and a handler routes records by tag.

    ``threading.Thread.start`` is wrapped so a thread started by a run's thread (the engine's pool, the
    listing prefetch) carries the same :class:`RunLog`; threads of no run are unaffected. The handler is
    attached to :data:`CAPTURED_LOGGERS` (not the root logger, whose handlers decide the server's console
    output).
    """
    with _CAPTURE_LOCK:
        if _CAPTURE:
            return
        original = threading.Thread.start

        def start(self: threading.Thread) -> None:
            inherited = getattr(threading.current_thread(), _LOG_ATTR, None)
            if inherited is not None and not hasattr(self, _LOG_ATTR):
                setattr(self, _LOG_ATTR, inherited)
            original(self)

        threading.Thread.start = start  # type: ignore[method-assign]  # the documented, once-per-process wrap above
        handler = _RunLogHandler(level=logging.INFO)
        for name in CAPTURED_LOGGERS:
            logging.getLogger(name).addHandler(handler)
        _CAPTURE.append(handler)
