"""One step of a connection test (:mod:`core.checks`), in a module of its own that imports nothing heavy.

The wizard restores kept test results as these steps when an ingestion is opened, before the engine (and
databricks-sdk) is loaded: importing :mod:`core.checks` there would import the SDK on the page's thread.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["CheckStep"]


@dataclass
class CheckStep:
    """The outcome of one step; ``ok`` is None when the step was skipped."""

    side: str
    name: str
    ok: bool | None = None
    detail: str = ""
    error: str | None = None
    hint: str | None = None
    field: str | None = None
    duration_ms: float = 0.0
    #: the OpenMetadata server's version (``"2.0.7"``), on the passed "Version" step; else None
    server_version: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)
