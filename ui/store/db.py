"""Opening the wizard's SQLite database: where it lives, the checks before any write, the migrations.

The rules, in the order they are applied, so a user's file is never damaged:

1. The data directory is ``DBX_PIPELINE_HOME`` when set, else the platform's user data directory
   (``platformdirs``: ``~/.local/share/dbx-pipeline`` on Linux, ``~/Library/Application Support/dbx-pipeline``
   on macOS). It is created when missing; when it cannot be, the wizard works unsaved and says why.
2. An existing file is first opened **read-only**: a file SQLite cannot read, or whose quick check fails, is
   reported as damaged; a schema version above :data:`~ui.store.migrations.SCHEMA_VERSION` (a newer wizard
   wrote it) is reported as such. In both cases nothing is written, so the file stays byte-identical.
3. Only then is it opened for writing (WAL, so readers never wait for the writer), and the missing
   migration steps run in one ``BEGIN IMMEDIATE`` transaction (a second process opening at the same time
   waits, then finds the work done).

Every failure is a :class:`StoreError` whose message is one sentence for the page.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from ui.store.migrations import MIGRATIONS, SCHEMA_VERSION

__all__ = ["DB_FILENAME", "HOME_ENV", "StoreError", "connect", "data_dir", "database_path"]

HOME_ENV = "DBX_PIPELINE_HOME"
DB_FILENAME = "wizard.sqlite3"
#: How long a writer waits for another process's transaction before giving up (seconds).
BUSY_TIMEOUT_S = 10.0

_UNSAVED = (
    "the wizard works, but nothing is saved in this session: a reload or a new tab starts from empty "
    "settings and cannot reach a run started here, so keep this tab open"
)


class StoreError(Exception):
    """The database cannot be used; ``str(error)`` is one sentence for the page."""


def data_dir() -> Path:
    """Where the wizard keeps its database: ``$DBX_PIPELINE_HOME``, else the user data directory."""
    configured = os.environ.get(HOME_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    try:
        from platformdirs import user_data_dir
    except ImportError:  # the engine alone (no [wizard] extra): the XDG default platformdirs gives on Linux
        return Path.home() / ".local" / "share" / "dbx-pipeline"
    return Path(user_data_dir("dbx-pipeline", appauthor=False))


def database_path() -> Path:
    """The database file the wizard uses now (it may not exist yet)."""
    return data_dir() / DB_FILENAME


def _reason(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror.lower()
    return str(err).rstrip(".") or type(err).__name__


def _check_existing(path: Path) -> None:
    """Read-only checks of a file that exists: readable, not damaged, not from a newer wizard.

    Opened ``mode=ro&immutable=1``: SQLite then takes no lock and creates nothing next to the file (no
    ``-wal`` or ``-shm``), so a damaged or newer database is left exactly as it was found. A writer's WAL not
    yet checkpointed is not read, which is enough here: the version is checked again under the write lock.
    """
    try:
        reader = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, timeout=BUSY_TIMEOUT_S
        )
    except sqlite3.Error as err:
        raise StoreError(f"The database {path} cannot be opened ({_reason(err)}): {_UNSAVED}.") from None
    try:
        version = int(reader.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"The database {path} was written by a newer version of this wizard (schema {version}, this "
                f"one knows up to {SCHEMA_VERSION}): it is left untouched and {_UNSAVED}; upgrade dbx-pipeline "
                f"or set {HOME_ENV} to another directory."
            )
        verdict = reader.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise sqlite3.DatabaseError(str(verdict))
    except sqlite3.DatabaseError as err:
        raise StoreError(
            f"The database {path} is damaged ({_reason(err)}): it is left untouched and {_UNSAVED}; move it "
            f"away (or set {HOME_ENV} to another directory) and restart the wizard."
        ) from None
    finally:
        reader.close()


def _migrate(connection: sqlite3.Connection, target: int) -> None:
    """Run the migration steps the file lacks up to ``target``, in one transaction with the version bump."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:  # a newer wizard migrated it between our check and now
            raise StoreError(
                f"The database was upgraded by a newer version of this wizard meanwhile (schema {version}): "
                f"{_UNSAVED}."
            )
        for number, statements in enumerate(MIGRATIONS[version:target], start=version + 1):
            for statement in statements:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {number:d}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def connect(path: Path, *, migrate_to: int = SCHEMA_VERSION) -> sqlite3.Connection:
    """Open (creating it when missing) and migrate the database at ``path``.

    Args:
        path: the database file.
        migrate_to: the version to migrate to (tests build an old file with a lower one).

    Returns:
        An autocommit connection usable from any thread (callers serialise access with one lock).

    Raises:
        StoreError: the directory cannot be created or written, or the file is damaged or newer.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(
            f"The data directory {path.parent} cannot be created ({_reason(err)}): {_UNSAVED}; set "
            f"{HOME_ENV} to a writable directory."
        ) from None
    if path.exists():
        _check_existing(path)
    elif not os.access(path.parent, os.W_OK):
        raise StoreError(f"The data directory {path.parent} is not writable: {_UNSAVED}.")
    try:
        connection = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as err:
        raise StoreError(f"The database {path} cannot be opened ({_reason(err)}): {_UNSAVED}.") from None
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
        _migrate(connection, migrate_to)
    except StoreError:
        connection.close()
        raise
    except sqlite3.Error as err:
        connection.close()
        raise StoreError(f"The database {path} cannot be written ({_reason(err)}): {_UNSAVED}.") from None
    return connection
