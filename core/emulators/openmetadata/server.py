"""The OpenMetadata emulator itself: its route table, the ``/api`` prefix, JWT authorisation and 404/405 answers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from core.emulators.http import Request, Response
from core.emulators.openmetadata.auth import principal_for
from core.emulators.openmetadata.bulk import BulkRoutes
from core.emulators.openmetadata.constants import (
    API_PREFIX,
    CHANGE_HEADER,
    DEFAULT_VERSION,
    MSG_METHOD_NOT_ALLOWED,
    MSG_MISSING_API_PREFIX,
    MSG_NOT_FOUND,
)
from core.emulators.openmetadata.ingestion_pipelines import IngestionPipelineRoutes
from core.emulators.openmetadata.inspection import Inspection
from core.emulators.openmetadata.statuses import StatusRoutes
from core.emulators.openmetadata.system import SystemRoutes


class OpenMetadataEmulator(Inspection, BulkRoutes, StatusRoutes, IngestionPipelineRoutes, SystemRoutes):
    """A threaded OpenMetadata REST API on 127.0.0.1 (clients use ``hostPort: <url>/api``).

    Args:
        jwt: the bot token accepted for reads and writes.
        read_only_jwt: a token that may read but gets 403 on writes (``None`` disables it).
        expired_jwt: a token answered with 401 ``Expired token!`` (``None`` disables it).
        version: what ``GET /api/v1/system/version`` reports (the engine checks major.minor).
        port, latency_ms, seed: see :class:`EmulatorServer`; ``seed`` also varies the entity ids.
        require_api_prefix: when ``False``, ``/v1/...`` is served like ``/api/v1/...`` instead of a 404.
        bot_put_preserves_user_edits: apply a real server's rules for a PUT by a bot (keep a non-empty
            description/displayName, never remove owners, merge tags). ``False`` makes PUT a plain replace.
        cost_ms_per_request, cost_ms_per_entity: server work added to each answer, outside the state
            lock: ``per request + N x per entity`` for a body of N entities (a single PUT is N = 1, a GET
            N = 0). Both 0 by default (no cost beyond ``latency_ms``).
    """

    server_name = "openmetadata"

    def _register_routes(self) -> None:
        uid = r"(?P<id>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
        routes: list[tuple[str, str, Callable[[Request], Any], str]] = [
            ("GET", r"/system/version", self._get_version, "GET system/version"),
            (
                "GET",
                r"/services/testConnectionDefinitions/name/(?P<fqn>.+)",
                self._get_test_connection_definition,
                "GET testConnectionDefinitions/name",
            ),
            ("GET", r"/users/loggedInUser", self._get_logged_in_user, "GET users/loggedInUser"),
            ("GET", r"/users/name/(?P<name>.+)", self._get_user_by_name, "GET users/name"),
            ("GET", rf"/users/{uid}", self._get_user_by_id, "GET users/id"),
            ("GET", r"/users", self._list_users, "GET users"),
            ("PUT", r"/services/pipelineServices", self._put_service, "PUT services/pipelineServices"),
            ("POST", r"/services/pipelineServices", self._post_service, "POST services/pipelineServices"),
            (
                "GET",
                r"/services/pipelineServices/name/(?P<name>.+)",
                self._get_service,
                "GET pipelineServices/name",
            ),
            ("GET", rf"/services/pipelineServices/{uid}", self._get_service_by_id, "GET pipelineServices/id"),
            ("GET", r"/services/pipelineServices", self._list_services, "GET pipelineServices"),
            *self._ingestion_pipeline_routes(uid),
            (
                "GET",
                r"/services/databaseServices/name/(?P<name>.+)",
                self._get_db_service,
                "GET databaseServices/name",
            ),
            ("GET", r"/services/databaseServices", self._list_db_services, "GET databaseServices"),
            ("PUT", r"/pipelines", self._put_pipeline, "PUT pipelines"),
            ("PUT", r"/pipelines/bulk", self._put_pipelines_bulk, "PUT pipelines/bulk"),
            ("POST", r"/pipelines", self._post_pipeline, "POST pipelines"),
            ("GET", r"/pipelines", self._list_pipelines, "GET pipelines"),
            (
                "PUT",
                r"/pipelines/(?P<fqn>.+)/status/bulk",
                self._put_status_bulk,
                "PUT pipelines/status/bulk",
            ),
            ("PUT", r"/pipelines/(?P<fqn>.+)/status", self._put_status, "PUT pipelines/status"),
            ("GET", r"/pipelines/name/(?P<fqn>.+)", self._get_pipeline_by_name, "GET pipelines/name"),
            ("GET", rf"/pipelines/{uid}", self._get_pipeline_by_id, "GET pipelines/id"),
            ("PATCH", rf"/pipelines/{uid}", self._patch_pipeline, "PATCH pipelines/id"),
            ("GET", r"/pipelines/(?P<fqn>.+)/status", self._list_statuses, "GET pipelines/status"),
            (
                "DELETE",
                r"/pipelines/name/(?P<fqn>.+)",
                self._delete_pipeline_by_name,
                "DELETE pipelines/name",
            ),
            ("DELETE", rf"/pipelines/{uid}", self._delete_pipeline_by_id, "DELETE pipelines/id"),
            ("GET", r"/tables/name/(?P<fqn>.+)", self._get_table_by_name, "GET tables/name"),
            ("GET", rf"/tables/{uid}", self._get_table_by_id, "GET tables/id"),
            ("PUT", r"/lineage", self._put_lineage, "PUT lineage"),
            (
                "GET",
                r"/lineage/(?P<entity>[^/]+)/name/(?P<fqn>.+)",
                self._get_lineage_by_name,
                "GET lineage/name",
            ),
            ("GET", rf"/lineage/(?P<entity>[^/]+)/{uid}", self._get_lineage_by_id, "GET lineage/id"),
            (
                "DELETE",
                r"/lineage/(?P<from_type>[^/]+)/(?P<from_id>[0-9a-fA-F-]{36})/(?P<to_type>[^/]+)/(?P<to_id>[0-9a-fA-F-]{36})",
                self._delete_lineage,
                "DELETE lineage",
            ),
            ("PUT", r"/classifications", self._put_classification, "PUT classifications"),
            (
                "GET",
                r"/classifications/name/(?P<name>.+)",
                self._get_classification,
                "GET classifications/name",
            ),
            ("PUT", r"/tags", self._put_tag, "PUT tags"),
            ("GET", r"/tags/name/(?P<fqn>.+)", self._get_tag, "GET tags/name"),
            ("GET", r"/permissions/(?P<resource>[^/]+)", self._get_permissions, "GET permissions"),
        ]
        for method, pattern, handler, name in routes:
            self._add_api_route(method, pattern, handler, name)

    def _ingestion_pipeline_routes(self, uid: str) -> list[tuple[str, str, Callable[[Request], Any], str]]:
        base = r"/services/ingestionPipelines"
        return [
            ("PUT", base, self._put_ingestion_pipeline, "PUT ingestionPipelines"),
            ("POST", base, self._post_ingestion_pipeline, "POST ingestionPipelines"),
            ("GET", base, self._list_ingestion_pipelines, "GET ingestionPipelines"),
            (
                "PUT",
                rf"{base}/(?P<fqn>.+)/pipelineStatus",
                self._put_ingestion_status,
                "PUT ingestionPipelines/pipelineStatus",
            ),
            (
                "GET",
                rf"{base}/(?P<fqn>.+)/pipelineStatus/(?P<run>[^/]+)",
                self._get_ingestion_status,
                "GET ingestionPipelines/pipelineStatus/runId",
            ),
            (
                "GET",
                rf"{base}/(?P<fqn>.+)/pipelineStatus",
                self._list_ingestion_statuses,
                "GET ingestionPipelines/pipelineStatus",
            ),
            (
                "GET",
                rf"{base}/name/(?P<fqn>.+)",
                self._get_ingestion_pipeline_by_name,
                "GET ingestionPipelines/name",
            ),
            ("GET", rf"{base}/{uid}", self._get_ingestion_pipeline_by_id, "GET ingestionPipelines/id"),
        ]

    # -- dispatch, auth, 404 ----------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        """Handle the ``/v1`` prefix, record the request, turn a handler crash into a 500 (not a reset)."""
        if request.path == "/v1" or request.path.startswith("/v1/"):
            if self.require_api_prefix:
                response = Response(404, {"code": 404, "message": MSG_MISSING_API_PREFIX})
                self._record(request, response)
                return response
            request.path = "/api" + request.path
        self._principal.change = None
        self._principal.entities = None
        try:
            response = super().dispatch(request)
        except Exception as err:  # noqa: BLE001 -- a bug outside the handlers (routing, not_found) must still answer a 500 in OM's shape
            response = Response(500, {"code": 500, "message": f"{type(err).__name__}: {err}"})
        cost_s = self._server_cost_s(request.method) if request.path.startswith(API_PREFIX) else 0.0
        if cost_s > 0:
            time.sleep(cost_s)  # outside the state lock: requests cost time, not each other's
        change = getattr(self._principal, "change", None)
        if change and response.status < 300:
            # Real servers say what a PUT did in this header (RestUtil.CHANGE_CUSTOM_HEADER).
            response.headers.setdefault(CHANGE_HEADER, change)
        self._record(request, response)
        return response

    def _record(self, request: Request, response: Response) -> None:
        with self._state:
            self._received.append((request.method, request.path, response.status))

    def authorize(self, request: Request) -> None:
        """Bearer-JWT check like OM's JwtFilter; ``/system/version`` is public, as on real servers."""
        if request.path == f"{API_PREFIX}/system/version":
            return
        self._principal.name = principal_for(
            request, jwt=self.jwt, read_only_jwt=self.read_only_jwt, expired_jwt=self.expired_jwt
        )

    def not_found(self, request: Request) -> Response:
        """JAX-RS answers: 405 when the path exists for another method, else a bare 404."""
        for route in self.routes:
            if route.method != request.method and route.pattern.fullmatch(request.path):
                return Response(405, {"code": 405, "message": MSG_METHOD_NOT_ALLOWED})
        return Response(404, {"code": 404, "message": MSG_NOT_FOUND})


def build_openmetadata_emulator(
    *,
    port: int = 0,
    latency_ms: float = 0.0,
    seed: int = 0,
    version: str = DEFAULT_VERSION,
    cost_ms_per_entity: float = 0.0,
) -> OpenMetadataEmulator:
    """The emulator as ``dbx-pipeline emulate`` starts it: default tokens, ``/api`` prefix required."""
    return OpenMetadataEmulator(
        port=port, latency_ms=latency_ms, seed=seed, version=version, cost_ms_per_entity=cost_ms_per_entity
    )
