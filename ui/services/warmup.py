"""The engine's heavy modules: imported once per process, by one thread at a time, warmed in the background.

Two threads importing databricks-sdk at once can fail: its ``errors`` package imports itself back
(``databricks/sdk/errors/mapper.py`` does ``from databricks.sdk.errors import platform``), and Python's
per-module import locks then detect a cycle across the threads and raise ``_DeadlockError: deadlock
detected by _ModuleLock('databricks.sdk.errors')`` in one of them. CI saw exactly that: a run clicked in the
first seconds of a fresh server raced the warm-up below, and the run "could not start". So every first use of
the engine in the wizard goes through :func:`load_engine`, which imports :data:`ENGINE_MODULES` under one
lock: whichever thread comes first imports, the others wait for it, and none imports the SDK alongside it.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time

__all__ = ["ENGINE_MODULES", "WARM_UP_DELAY_S", "load_engine", "warm_up"]

logger = logging.getLogger(__name__)

#: every module of the engine that imports databricks-sdk (directly or through another), imported lazily by the
#: wizard or by the engine itself at run time; tests/wizard/test_import_lock.py checks the list is complete
ENGINE_MODULES: tuple[str, ...] = (
    "databricks.sdk",
    "core.databricks.errors",
    "core.databricks.retry",
    "core.databricks.client",
    "core.databricks.decode",
    "core.databricks.statements",
    "core.databricks.source",
    "core.databricks.system_tables",
    "core.databricks.lineage",
    "core.checks",
    "core.factory",
    "core.preview",
    "core.sinks.openmetadata",
    "core.workflow",
)

_LOAD_LOCK = threading.Lock()
_LOADED = threading.Event()
_WARM_LOCK = threading.Lock()
_WARMED = False
#: Long enough for the first page to reach the browser before the heavy imports compete for the CPU.
WARM_UP_DELAY_S = 2.0


def load_engine() -> None:
    """Import :data:`ENGINE_MODULES` once per process; a thread that comes while another imports waits for it.

    Call it before any lazy import of the engine (connection tests, previews, task graphs, runs). Cheap once
    loaded (an event check).

    Raises:
        ImportError: a module cannot be imported (the next call tries again).
    """
    if _LOADED.is_set():
        return
    with _LOAD_LOCK:
        if _LOADED.is_set():
            return
        for name in ENGINE_MODULES:
            importlib.import_module(name)
        _LOADED.set()


def warm_up() -> None:
    """Import databricks-sdk and the engine in the background, once per process, after a short delay.

    The first page must not wait for them (about a second), but the first connection test or preview
    should not either: by the time the user clicks, they are loaded (a click before that waits for them).
    """
    global _WARMED
    with _WARM_LOCK:
        if _WARMED:
            return
        _WARMED = True

    def load() -> None:
        time.sleep(WARM_UP_DELAY_S)
        try:
            load_engine()
        except ImportError as err:  # the first use tries again and reports it where the user acted
            logger.warning("warming the engine up failed: %s", err)

    threading.Thread(target=load, name="wizard-warm-up", daemon=True).start()
