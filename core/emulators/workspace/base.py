"""The state every part of the generated workspace shares: spec, clock, overrides, identity."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from core.emulators.workspace.spec import JOB_ID_BASE, USER_POOL, WorkspaceSpec
from core.emulators.workspace.vocabulary import uuid4_from


class WorkspaceBase:
    """A workspace's spec, "now", host, deleted jobs and removed tasks; per-job RNGs."""

    def __init__(self, spec: WorkspaceSpec | None = None) -> None:
        """A workspace drawn from ``spec`` (default: :class:`WorkspaceSpec`'s 50 jobs, seed 0).

        Args:
            spec: sizes, seed and clock; its ``now_ms`` is "now", else the wall clock at construction.
        """
        self.spec = spec or WorkspaceSpec()
        self.now_ms = self.spec.now_ms if self.spec.now_ms is not None else int(time.time() * 1000)
        self.workspace_id = self.spec.workspace_id
        self._bound_host: str | None = None
        self._lock = threading.Lock()
        self._deleted: set[int] = set()
        self._removed_tasks: dict[int, set[str]] = {}
        self._pipeline_ids = [
            uuid4_from(random.Random(f"{self.spec.seed}:pipeline:{p}")) for p in range(self.spec.pipelines)
        ]
        self._pipeline_index = {pid: p for p, pid in enumerate(self._pipeline_ids)}

    # -- identity -----------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """Base URL used in ``run_page_url``: the spec's, else the emulator's, else a placeholder."""
        return self.spec.host or self._bound_host or f"https://dbc-{self.workspace_id}.cloud.databricks.com"

    def bind_host(self, url: str) -> None:
        """Let a server put its own URL into ``run_page_url`` (ignored when the spec fixes a host)."""
        self._bound_host = url.rstrip("/")

    def user_emails(self) -> list[str]:
        """The pool of creator e-mails (some intentionally unknown to OpenMetadata)."""
        return list(USER_POOL)

    # -- shared by the generators ---------------------------------------------------------------

    def _job_rng(self, index: int) -> random.Random:
        return random.Random(f"{self.spec.seed}:{index}")

    def _live_index(self, job_id: Any) -> int | None:
        try:
            index = int(job_id) - JOB_ID_BASE
        except (TypeError, ValueError):
            return None
        if not 0 <= index < self.spec.jobs:
            return None
        with self._lock:
            return None if index + JOB_ID_BASE in self._deleted else index
