"""The state the Databricks emulator's route mixins share: workspace, credentials, statements."""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

from core.emulators.databricks.limits import parse_rate_limits
from core.emulators.databricks.protocol import INLINE_RESULT_LIMIT_BYTES, inline_size
from core.emulators.databricks.sql import StatementRecord
from core.emulators.http import EmulatorServer, RateLimiter
from core.emulators.recorded import RecordedWorkspace
from core.emulators.workspace import Workspace, WorkspaceSpec


class DatabricksBase(EmulatorServer):
    """Workspace, accepted credentials, issued OAuth tokens and submitted statements.

    Constructor arguments: see :class:`core.emulators.databricks.DatabricksEmulator`. Subclasses add their
    routes in :meth:`_register_routes`, which the constructor calls last.
    """

    server_name = "databricks"

    def __init__(
        self,
        workspace: Workspace | RecordedWorkspace | None = None,
        *,
        token: str = "dapi-emulator-token",
        client_id: str = "emulator-client",
        client_secret: str = "emulator-secret",
        port: int = 0,
        latency_ms: float = 0.0,
        seed: int = 0,
        warehouse_id: str = "emulatorwh",
        cold_warehouse_polls: int = 0,
        statement_chunk_rows: int = 1000,
        rate_limits: str | Mapping[str, float] | None = None,
        statement_base_ms: float = 0.0,
        statement_ms_per_row: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Hold the workspace and the accepted credentials, then register the routes.

        The arguments are described on :class:`~core.emulators.databricks.DatabricksEmulator`; no
        ``workspace`` means a generated one from ``seed``.
        """
        super().__init__(port=port, latency_ms=latency_ms, seed=seed)
        self.workspace: Workspace | RecordedWorkspace = (
            workspace if workspace is not None else Workspace(WorkspaceSpec(seed=seed))
        )
        self.token = token
        self.client_id = client_id
        self.client_secret = client_secret
        self.warehouse_id = warehouse_id
        self.cold_warehouse_polls = cold_warehouse_polls
        self.statement_chunk_rows = max(1, statement_chunk_rows)
        self.statement_base_ms = statement_base_ms
        self.statement_ms_per_row = statement_ms_per_row
        self._clock = clock
        self._sleep = sleep
        self._statement_ready: dict[str, float] = {}  # statement id -> clock time its execution ends
        self.system_tables_enabled = True
        #: whether ``system.lakeflow`` (the job timeline tables) exists and may be read
        self.lakeflow_tables_enabled = True
        #: how far the timeline tables lag behind the workspace's "now" (a row appears this long after
        #: its period ends; the emulator's model, the reference page states no figure)
        self.system_tables_lag_ms = 600_000
        self.me = self.workspace.user_emails()[0]
        self._oauth_tokens: dict[str, float] = {}
        self._statements: OrderedDict[str, StatementRecord] = OrderedDict()
        self._state_lock = threading.Lock()
        self._register_routes()
        limits = parse_rate_limits(rate_limits, {route.name for route in self.routes})
        self.rate_limiter = RateLimiter(limits, clock) if limits else None

    def _register_routes(self) -> None:
        """Register the API's routes (the final class does; the base serves none)."""

    def _start_execution(self, stmt: StatementRecord, wait_s: int) -> None:
        """Give ``stmt`` its execution time; wait it out here when it ends within ``wait_s`` (synchronous mode).

        The time is ``statement_base_ms`` plus ``statement_ms_per_row`` per result row (both 0 by default:
        results are ready at once). A longer execution leaves the statement RUNNING until the clock passes
        its end, so the client polls like against a busy warehouse. A result over the INLINE limit
        (:data:`~core.emulators.databricks.protocol.INLINE_RESULT_LIMIT_BYTES`) fails the statement.
        """
        if inline_size(stmt.rows) > INLINE_RESULT_LIMIT_BYTES:
            stmt.rows = []
            stmt.error = (
                "BAD_REQUEST",
                "The result exceeds the 25 MiB limit of the INLINE disposition; use EXTERNAL_LINKS.",
                "54000",
            )
        running_s = (self.statement_base_ms + len(stmt.rows) * self.statement_ms_per_row) / 1000.0
        if running_s <= 0 or stmt.error:
            return
        if running_s <= wait_s and not stmt.polls_left:
            self._sleep(running_s)
            return
        with self._state_lock:
            self._statement_ready[stmt.statement_id] = self._clock() + running_s
            if len(self._statement_ready) > 2 * len(self._statements) + 100:  # forget evicted statements
                self._statement_ready = {
                    k: v for k, v in self._statement_ready.items() if k in self._statements
                }

    def _still_running(self, stmt: StatementRecord) -> bool:
        """Whether ``stmt``'s execution time has not passed yet (never for one that finished at once)."""
        return self._clock() < self._statement_ready.get(stmt.statement_id, 0.0)

    def _principal(self, credential: str) -> str | None:
        """``"pat"``, ``"oauth"`` or ``None`` for an unknown or expired credential."""
        if secrets.compare_digest(credential, self.token):
            return "pat"
        with self._state_lock:
            expiry = self._oauth_tokens.get(credential)
        return "oauth" if expiry is not None and expiry > time.time() else None
