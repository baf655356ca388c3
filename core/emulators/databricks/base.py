"""The state the Databricks emulator's route mixins share: workspace, credentials, statements."""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict

from core.emulators.databricks.sql import StatementRecord
from core.emulators.http import EmulatorServer
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

    def _register_routes(self) -> None:
        """Register the API's routes (the final class does; the base serves none)."""

    def _principal(self, credential: str) -> str | None:
        """``"pat"``, ``"oauth"`` or ``None`` for an unknown or expired credential."""
        if secrets.compare_digest(credential, self.token):
            return "pat"
        with self._state_lock:
            expiry = self._oauth_tokens.get(credential)
        return "oauth" if expiry is not None and expiry > time.time() else None
