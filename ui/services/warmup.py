"""Importing the heavy parts of core in the background after the first page has rendered."""

from __future__ import annotations

import threading
import time

_WARM_LOCK = threading.Lock()
_WARMED = False
#: Long enough for the first page to reach the browser before the heavy imports compete for the CPU.
WARM_UP_DELAY_S = 2.0


def warm_up() -> None:
    """Import databricks-sdk and the engine in the background, once per process, after a short delay.

    The first page must not wait for them (about a second), but the first connection test or preview
    should not either: by the time the user clicks, they are loaded.
    """
    global _WARMED
    with _WARM_LOCK:
        if _WARMED:
            return
        _WARMED = True

    def load() -> None:
        time.sleep(WARM_UP_DELAY_S)
        import core.checks
        import core.databricks.lineage  # databricks-sdk: imported when a source is built, so warm it here
        import core.databricks.source
        import core.preview
        import core.workflow  # noqa: F401 -- imported for its side effect: the module cache is warm

    threading.Thread(target=load, name="wizard-warm-up", daemon=True).start()
