"""The database's schema, as an ordered list of migration steps.

Why ``PRAGMA user_version``: SQLite keeps it in the file's header, so the schema version travels with the
file and needs no table of its own. Step ``n`` (1-based) takes a database from version ``n - 1`` to ``n``;
a new version of the schema is a new step appended here, never an edit of an old one (a file written by an
older wizard still has to upgrade through every step after its version).
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

#: Each item: the SQL statements of one step, run in one transaction with the version bump.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: saved ingestions (the wizard's non-secret settings as versioned JSON)
    (
        """
        CREATE TABLE ingestions (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            settings TEXT NOT NULL,
            settings_version INTEGER NOT NULL
        )
        """,
    ),
    # 2: run history (ui.history.RunRecord), one row per run, newest first by ingestion
    (
        """
        CREATE TABLE runs (
            run_id TEXT PRIMARY KEY,
            ingestion_id TEXT NOT NULL,
            started_at REAL NOT NULL,
            finished_at REAL,
            mode TEXT NOT NULL,
            outcome TEXT NOT NULL,
            counts TEXT NOT NULL,
            report TEXT,
            error TEXT,
            log TEXT NOT NULL
        )
        """,
        "CREATE INDEX runs_by_ingestion ON runs (ingestion_id, started_at DESC)",
    ),
    # 3: a revision per ingestion, bumped by every settings write: a tab saves only over the revision it
    #    last saw, so two tabs of one ingestion merge their changes instead of overwriting each other
    ("ALTER TABLE ingestions ADD COLUMN revision INTEGER NOT NULL DEFAULT 0",),
    # 4: each side's last connection test per ingestion (ui.services.checks), so a reload, a new tab or a
    #    restart shows it with its time and whether it is stale; never a secret (the steps' sentences are
    #    redacted, and ``basis`` is a digest of the non-secret settings tested and of where each secret came
    #    from, never of a secret's value). Deleting the ingestion deletes them.
    (
        """
        CREATE TABLE checks (
            ingestion_id TEXT NOT NULL REFERENCES ingestions (id) ON DELETE CASCADE,
            side TEXT NOT NULL,
            finished_at REAL NOT NULL,
            timeout_s REAL NOT NULL,
            basis TEXT NOT NULL,
            steps TEXT NOT NULL,
            PRIMARY KEY (ingestion_id, side)
        )
        """,
    ),
)

#: The version this code writes and understands; a file with a higher one is refused, never migrated down.
SCHEMA_VERSION = len(MIGRATIONS)
