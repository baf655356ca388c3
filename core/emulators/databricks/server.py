"""The Databricks emulator itself: its route table, authorisation and the gateway's 404."""

from __future__ import annotations

from core.emulators.databricks.jobs import JobRoutes
from core.emulators.databricks.limits import SOURCE
from core.emulators.databricks.oauth import OAuthRoutes
from core.emulators.databricks.pipelines import PipelineRoutes
from core.emulators.databricks.protocol import OPEN_PATHS, api_error
from core.emulators.databricks.statements import StatementRoutes
from core.emulators.http import Handler, HttpError, Request, Response, retry_after_header
from core.emulators.workspace import Workspace, WorkspaceSpec


class DatabricksEmulator(OAuthRoutes, JobRoutes, PipelineRoutes, StatementRoutes):
    """The Databricks workspace REST API over a generated :class:`Workspace`.

    Args:
        workspace: the data; default a 50-job workspace built from ``seed``. A
            :class:`~core.emulators.recorded.RecordedWorkspace` works too (same interface).
        token: the accepted personal access token.
        client_id, client_secret: the accepted OAuth M2M service principal.
        port, latency_ms, seed: see :class:`EmulatorServer`.
        warehouse_id: the only SQL warehouse that exists.
        cold_warehouse_polls: the first N ``GET /sql/statements/{id}`` of each statement answer
            PENDING (then RUNNING on the last one) before the result, like a starting warehouse.
        statement_chunk_rows: rows per result chunk, to exercise multi-chunk results.
        rate_limits: request rate limits per endpoint (see :mod:`core.emulators.databricks.limits`):
            ``None``/``"off"`` (default: none), ``"documented"`` (Databricks' published figures), a mapping of
            route name to requests per second, or ``"documented,jobs/runs/list=5"``-style text.
        statement_base_ms, statement_ms_per_row: a statement's execution time on the warehouse, a base
            plus a cost per result row (default 0: results at once); the execute call waits it out up to
            ``wait_timeout``, longer ones stay RUNNING until done. Results over the INLINE disposition's
            25 MiB fail the statement, as documented.
        clock, sleep: the monotonic clock of the rate limiter and statement times, and how the server
            waits (tests inject both).

    Attributes:
        system_tables_enabled: set ``False`` to make ``system.access.table_lineage`` missing
            (statements then fail with ``TABLE_OR_VIEW_NOT_FOUND``, as in a workspace without system tables).
        me: the SCIM user returned for the personal access token.
    """

    server_name = "databricks"

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> DatabricksEmulator:
        """Bind, serve, and let run links point at this server."""
        super().start()
        self.workspace.bind_host(self.url)
        return self

    def __enter__(self) -> DatabricksEmulator:
        return self.start()

    # -- routing, auth and errors -------------------------------------------------------------------

    def _register_routes(self) -> None:
        jobs = r"/api/2\.[12]/jobs"
        routes: list[tuple[str, str, Handler, str]] = [
            ("GET", r"/\.well-known/databricks-config", self._host_metadata, "host-metadata"),
            ("GET", r"/oidc/\.well-known/oauth-authorization-server", self._oidc_discovery, "oidc/discovery"),
            ("POST", r"/oidc/v1/token", self._oidc_token, "oidc/token"),
            ("GET", rf"{jobs}/list", self._jobs_list, "jobs/list"),
            ("GET", rf"{jobs}/get", self._jobs_get, "jobs/get"),
            ("GET", rf"{jobs}/runs/list", self._runs_list, "jobs/runs/list"),
            ("GET", rf"{jobs}/runs/get", self._runs_get, "jobs/runs/get"),
            ("GET", r"/api/2\.0/pipelines", self._pipelines_list, "pipelines/list"),
            ("GET", r"/api/2\.0/pipelines/([^/]+)", self._pipeline_get, "pipelines/get"),
            ("GET", r"/api/2\.0/pipelines/([^/]+)/updates", self._updates_list, "pipelines/updates"),
            ("GET", r"/api/2\.0/pipelines/([^/]+)/updates/([^/]+)", self._update_get, "pipelines/update"),
            ("GET", r"/api/2\.0/preview/scim/v2/Me", self._scim_me, "scim/me"),
            ("POST", r"/api/2\.0/sql/statements/?", self._statement_execute, "sql/statements/execute"),
            ("GET", r"/api/2\.0/sql/statements/([^/]+)", self._statement_get, "sql/statements/get"),
            (
                "GET",
                r"/api/2\.0/sql/statements/([^/]+)/result/chunks/(\d+)",
                self._statement_chunk,
                "sql/statements/chunk",
            ),
            (
                "POST",
                r"/api/2\.0/sql/statements/([^/]+)/cancel",
                self._statement_cancel,
                "sql/statements/cancel",
            ),
        ]
        for method, pattern, handler, name in routes:
            self.add_route(method, pattern, handler, name)

    def not_found(self, request: Request) -> Response:
        """Unknown route: the real gateway's ``ENDPOINT_NOT_FOUND`` (SDK raises ``NotFound``)."""
        message = f"No API found for '{request.method} {request.path}'"
        return Response(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": message})

    def too_many_requests(self, request: Request, route: str, wait_s: float) -> Response:
        """Over the route's limit: 429 ``REQUEST_LIMIT_EXCEEDED`` with ``Retry-After`` (SDK: ``TooManyRequests``)."""
        assert self.rate_limiter is not None  # only called when a limiter refused the request
        rate = self.rate_limiter.limits[route]
        message = (
            f"Workspace request limit exceeded for {route}: at most {rate:g} requests per second "
            f"(limits: {SOURCE})."
        )
        return Response(
            429,
            {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": message},
            {"Retry-After": retry_after_header(wait_s)},
        )

    def authorize(self, request: Request) -> None:
        """Bearer PAT or an issued OAuth token; missing -> 401, unknown -> 403 with a numeric code."""
        if request.path.startswith(OPEN_PATHS):
            return
        header = request.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise api_error(
                401, "UNAUTHENTICATED", "Credential was not sent or was of an unsupported type for this API."
            )
        if self._principal(credential.strip()) is None:
            raise HttpError(
                403,
                {"error_code": 403, "message": "Invalid access token."},
                {"X-Databricks-Reason-Phrase": "Invalid access token."},
            )


def build_databricks_emulator(
    *,
    jobs: int = 50,
    tasks: int = 3,
    runs: int = 5,
    pipelines: int = 5,
    big_jobs: int = 0,
    latency_ms: float = 0.0,
    seed: int = 0,
    port: int = 0,
    rate_limits: str | None = None,
) -> DatabricksEmulator:
    """A ready-to-start emulator over a generated workspace; ``rate_limits`` as on :class:`DatabricksEmulator`."""
    spec = WorkspaceSpec(jobs=jobs, tasks=tasks, runs=runs, pipelines=pipelines, big_jobs=big_jobs, seed=seed)
    return DatabricksEmulator(
        Workspace(spec), port=port, latency_ms=latency_ms, seed=seed, rate_limits=rate_limits
    )
