"""The wizard's database: saved ingestions and their run history (:class:`Store`)."""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ui.history import MemoryRunHistory, RunHistory
from ui.store.db import StoreError, connect, database_path
from ui.store.runs import SqliteRunHistory

__all__ = [
    "KeptCheck",
    "SavedIngestion",
    "Store",
    "close_stores",
    "new_ingestion_id",
    "open_store",
    "run_history",
]


def new_ingestion_id() -> str:
    """A short, URL-safe random id (``?ingestion=`` in the wizard's URL): 8 characters, 48 random bits."""
    return secrets.token_urlsafe(6)


@dataclass(frozen=True)
class SavedIngestion:
    """One row of the ``ingestions`` table."""

    id: str
    name: str
    created_at: float
    updated_at: float
    settings: str
    settings_version: int
    #: bumped by every settings write (:meth:`Store.save_settings` compares it)
    revision: int = 0


_COLUMNS = "id, name, created_at, updated_at, settings, settings_version, revision"


@dataclass(frozen=True)
class KeptCheck:
    """One row of the ``checks`` table: one side's last connection test of an ingestion (never a secret)."""

    #: ``"databricks"``, ``"sink"`` or an extra workspace's ``"workspace:<id>"``
    side: str
    #: when the test finished (``time.time()``)
    finished_at: float
    #: the per-step timeout it ran with, in seconds
    timeout_s: float
    #: digest of the non-secret settings tested and of where each secret came from (``ui.services.checks``)
    basis: str
    #: its steps as JSON-ready dicts (``core.checks.CheckStep.as_dict``), their sentences redacted
    steps: list[dict[str, Any]]


_CHECK_COLUMNS = "side, finished_at, timeout_s, basis, steps"


class Store:
    """One open database: saved ingestions (this class) and runs (:attr:`runs`).

    One connection shared by every thread of the process, each statement under one lock: transactions are
    a single statement (or a few, for a duplicate or a delete), so sessions never wait long for each other.
    """

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        """Wrap an open, migrated connection (use :func:`open_store`).

        Args:
            path: the database file.
            connection: from :func:`ui.store.db.connect`.
        """
        self.path = path
        #: one sentence to show once about how the file was found (an empty file used as a new database)
        self.notice: str | None = None
        self._db = connection
        self._lock = threading.RLock()
        self.runs = SqliteRunHistory(connection, self._lock)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction; any SQLite error becomes a one-sentence :class:`StoreError`."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as err:
                raise StoreError(
                    f"Could not save to {self.path} ({err}): the change is kept in this tab only."
                ) from None

    def list_ingestions(self) -> list[SavedIngestion]:
        """Every saved ingestion, most recently changed first."""
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM ingestions ORDER BY updated_at DESC").fetchall()
        return [SavedIngestion(*row) for row in rows]

    def has_ingestions(self) -> bool:
        """True when at least one ingestion is saved."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM ingestions LIMIT 1").fetchone() is not None

    def get_ingestion(self, ingestion_id: str) -> SavedIngestion | None:
        """One saved ingestion, or None when there is none with this id."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM ingestions WHERE id = ?", (ingestion_id,)
            ).fetchone()
        return None if row is None else SavedIngestion(*row)

    def create_ingestion(self, name: str, settings: str, settings_version: int) -> SavedIngestion:
        """Save a new ingestion under a fresh id.

        Raises:
            StoreError: it could not be written.
        """
        now = time.time()
        row = SavedIngestion(new_ingestion_id(), name, now, now, settings, settings_version)
        with self._write() as db:
            db.execute(
                f"INSERT INTO ingestions ({_COLUMNS}) VALUES (?,?,?,?,?,?,?)", tuple(row.__dict__.values())
            )
        return row

    def update_settings(self, ingestion_id: str, settings: str, settings_version: int) -> bool:
        """Replace an ingestion's settings; False when it was deleted meanwhile (nothing is written then).

        Raises:
            StoreError: it could not be written.
        """
        with self._write() as db:
            cursor = db.execute(
                "UPDATE ingestions SET settings = ?, settings_version = ?, updated_at = ?, revision = revision + 1 "
                "WHERE id = ?",
                (settings, settings_version, time.time(), ingestion_id),
            )
        return cursor.rowcount == 1

    def save_settings(
        self, ingestion_id: str, settings: str, settings_version: int, revision: int, *, touch: bool = True
    ) -> int | SavedIngestion | None:
        """Replace an ingestion's settings only if nobody saved over ``revision`` meanwhile (compare and swap).

        Args:
            ingestion_id: the ingestion.
            settings: the new settings (JSON).
            settings_version: their format.
            revision: the revision these settings were made from (what this tab last loaded or saved).
            touch: False for a write that changes no setting (only which steps were visited): the revision
                and the last-modified time stay as they are.

        Returns:
            The new revision when written; the current row, unchanged, when another writer saved a newer
            revision (merge, then save over that one); None when the ingestion was deleted meanwhile.

        Raises:
            StoreError: it could not be written.
        """
        with self._write() as db:
            if touch:
                cursor = db.execute(
                    "UPDATE ingestions SET settings = ?, settings_version = ?, updated_at = ?, "
                    "revision = revision + 1 WHERE id = ? AND revision = ?",
                    (settings, settings_version, time.time(), ingestion_id, revision),
                )
            else:
                cursor = db.execute(
                    "UPDATE ingestions SET settings = ?, settings_version = ? WHERE id = ? AND revision = ?",
                    (settings, settings_version, ingestion_id, revision),
                )
            if cursor.rowcount == 1:
                return revision + 1 if touch else revision
            row = db.execute(f"SELECT {_COLUMNS} FROM ingestions WHERE id = ?", (ingestion_id,)).fetchone()
        return None if row is None else SavedIngestion(*row)

    def rename(self, ingestion_id: str, name: str) -> bool:
        """Give an ingestion a new name; False when there is none with this id.

        Raises:
            StoreError: it could not be written.
        """
        with self._write() as db:
            cursor = db.execute(
                "UPDATE ingestions SET name = ?, updated_at = ? WHERE id = ?",
                (name, time.time(), ingestion_id),
            )
        return cursor.rowcount == 1

    def duplicate(self, ingestion_id: str, name: str) -> SavedIngestion | None:
        """A copy of an ingestion's settings under a new id and ``name``.

        Its runs and its connection tests are not copied: the copy was never run or tested.

        Raises:
            StoreError: it could not be written.
        """
        original = self.get_ingestion(ingestion_id)
        if original is None:
            return None
        return self.create_ingestion(name, original.settings, original.settings_version)

    def delete(self, ingestion_id: str) -> bool:
        """Delete an ingestion, its run history and its kept connection tests; False when there was none.

        Raises:
            StoreError: it could not be written.
        """
        with self._write() as db:
            cursor = db.execute("DELETE FROM ingestions WHERE id = ?", (ingestion_id,))
            db.execute("DELETE FROM runs WHERE ingestion_id = ?", (ingestion_id,))
            db.execute("DELETE FROM checks WHERE ingestion_id = ?", (ingestion_id,))
        return cursor.rowcount == 1

    def save_check(self, ingestion_id: str, check: KeptCheck) -> bool:
        """Keep ``check`` as the ingestion's last test of its side, unless a newer one is kept already.

        The check and the write are one statement: a test of an ingestion deleted meanwhile is dropped, and
        an older result (a tab that tested before another one did) never replaces a newer one.

        Returns:
            True when it was written.

        Raises:
            StoreError: it could not be written.
        """
        with self._write() as db:
            cursor = db.execute(
                f"INSERT INTO checks (ingestion_id, {_CHECK_COLUMNS}) SELECT ?,?,?,?,?,? "
                "WHERE EXISTS (SELECT 1 FROM ingestions WHERE id = ?) "
                "ON CONFLICT (ingestion_id, side) DO UPDATE SET finished_at = excluded.finished_at, "
                "timeout_s = excluded.timeout_s, basis = excluded.basis, steps = excluded.steps "
                "WHERE excluded.finished_at > checks.finished_at",
                (
                    ingestion_id, check.side, check.finished_at, check.timeout_s, check.basis,
                    json.dumps(check.steps), ingestion_id,
                ),
            )  # fmt: skip
        return cursor.rowcount == 1

    def checks(self, ingestion_id: str) -> dict[str, KeptCheck]:
        """The ingestion's kept connection tests by side (a row that cannot be read is left out)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_CHECK_COLUMNS} FROM checks WHERE ingestion_id = ?", (ingestion_id,)
            ).fetchall()
        found: dict[str, KeptCheck] = {}
        for side, finished_at, timeout_s, basis, steps in rows:
            try:
                parsed = json.loads(steps)
            except ValueError:
                continue
            if isinstance(parsed, list) and all(isinstance(step, dict) for step in parsed):
                found[side] = KeptCheck(side, finished_at, timeout_s, basis, parsed)
        return found

    def close(self) -> None:
        """Close the connection (tests; the wizard keeps its store for the life of the process)."""
        with self._lock:
            self._db.close()


_STORES: dict[Path, Store | StoreError] = {}
_STORES_LOCK = threading.Lock()


def open_store() -> Store | StoreError:
    """The process's store for the current data directory, opened (and migrated) on first use.

    Cached per process and per database path: every session and thread shares one connection. A failure is
    cached too (a damaged or newer file is not re-read on every rerun): fix it, then restart the wizard.

    Returns:
        The store, or the :class:`StoreError` whose message the page shows (never raised).
    """
    path = database_path().expanduser().absolute()
    with _STORES_LOCK:
        found = _STORES.get(path)
        if found is None:
            try:
                empty = path.is_file() and path.stat().st_size == 0
            except OSError:
                empty = False
            try:
                found = Store(path, connect(path))
            except StoreError as err:
                found = err
            if empty and isinstance(found, Store):
                found.notice = (
                    f"The database {path} was an empty file (0 bytes, no saved ingestion in it): it is now used "
                    "as a new database."
                )
            _STORES[path] = found
        return found


_MEMORY_RUNS = MemoryRunHistory()


def run_history() -> RunHistory:
    """Where runs are recorded: the database's ``runs``, or (when it cannot be used) this process's memory."""
    store = open_store()
    return store.runs if isinstance(store, Store) else _MEMORY_RUNS


def close_stores() -> None:
    """Close and forget every cached store (tests, between data directories)."""
    with _STORES_LOCK:
        for store in _STORES.values():
            if isinstance(store, Store):
                store.close()
        _STORES.clear()
