"""The wizard's embedded database (SQLite, standard library only): saved ingestions and run history.

Public API (other modules call these; names are stable):

- :func:`open_store` -> :class:`Store` or :class:`StoreError` (never raises; cached per process);
- :class:`Store`: ``list_ingestions``, ``get_ingestion``, ``create_ingestion``, ``update_settings``,
  ``save_settings`` (compare and swap on ``revision``), ``rename``, ``duplicate``, ``delete``, each side's last
  connection test (``save_check``, ``checks``: :class:`KeptCheck`), and ``runs``, a
  :class:`SqliteRunHistory`
  (:class:`ui.history.RunHistory` plus ``latest_by_ingestion``);
- :func:`run_history` -> the store's ``runs``, or a process-wide :class:`ui.history.MemoryRunHistory` when the
  database cannot be used (runs then last as long as the server);
- :func:`data_dir` / :func:`database_path`: where the file is (``$DBX_PIPELINE_HOME`` or the user data dir).

Nothing secret is ever written here: settings are saved without their secrets (``ui/services/saved.py``),
run reports and logs are redacted before they are recorded, and so are the sentences of kept connection tests.
"""

from __future__ import annotations

from ui.store.db import DB_FILENAME, HOME_ENV, StoreError, connect, data_dir, database_path
from ui.store.migrations import MIGRATIONS, SCHEMA_VERSION
from ui.store.runs import SqliteRunHistory
from ui.store.store import (
    KeptCheck,
    SavedIngestion,
    Store,
    close_stores,
    new_ingestion_id,
    open_store,
    run_history,
)

__all__ = [
    "DB_FILENAME",
    "HOME_ENV",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "KeptCheck",
    "SavedIngestion",
    "SqliteRunHistory",
    "Store",
    "StoreError",
    "close_stores",
    "connect",
    "data_dir",
    "database_path",
    "new_ingestion_id",
    "open_store",
    "run_history",
]
