"""A local emulator of the Databricks REST API, faithful enough for the real ``databricks-sdk``.

Why: no real workspace is reachable from tests, benchmarks or demos, and mocking the SDK would skip
exactly what breaks in production: paging tokens, the Jobs 2.2 100-element array paging, error bodies
the SDK maps to exception classes, retries on 429, OAuth discovery, and the asynchronous SQL Statement
Execution API. This server answers those over real HTTP with the shapes in
``/work/shared/briefs/databricks-api.md``; the data comes from a generated :class:`Workspace`, or from a
:class:`core.emulators.recorded.RecordedWorkspace` (items written down by hand, served unchanged).

Served (Jobs paths under both ``/api/2.2`` and ``/api/2.1``; 2.1 does not page task arrays):

- ``GET /.well-known/databricks-config`` (no auth) and OAuth M2M: ``GET /oidc/.well-known/
  oauth-authorization-server`` and ``POST /oidc/v1/token`` (client credentials, HTTP Basic or form);
- ``jobs/list``, ``jobs/get``, ``jobs/runs/list``, ``jobs/runs/get``;
- ``/api/2.0/pipelines``, ``/pipelines/{id}``, ``/pipelines/{id}/updates[/{update_id}]``;
- ``/api/2.0/preview/scim/v2/Me``;
- ``/api/2.0/sql/statements`` (execute, get, result chunks, cancel) understanding ``SELECT 1`` and the
  engine's query on ``system.access.table_lineage``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from itertools import islice
from typing import Any
from urllib.parse import parse_qs

from core.emulators.http import EmulatorServer, HttpError, Request, Response
from core.emulators.workspace import (
    ACTIVE_LIFE_CYCLE_STATES,
    COMPLETED_LIFE_CYCLE_STATES,
    RunRef,
    Workspace,
    WorkspaceSpec,
)

__all__ = ["DatabricksEmulator", "build_databricks_emulator"]

_ARRAY_PAGE = 100  # Jobs API 2.2 caps tasks/job_clusters/parameters/environments per response
_JOB_ARRAYS = ("tasks", "job_clusters", "parameters", "environments")
_RUN_ARRAYS = ("tasks", "job_clusters", "job_parameters", "repair_history")
_OPEN_PATHS = ("/.well-known/databricks-config", "/oidc/")
_TOKEN_TTL_S = 3600
_MAX_STATEMENTS = 10_000
_LINEAGE_TABLE = "system.access.table_lineage"
_LINEAGE_COLUMNS = (
    ("entity_type", "STRING"),
    ("entity_id", "STRING"),
    ("source_table_full_name", "STRING"),
    ("target_table_full_name", "STRING"),
    ("last_seen", "TIMESTAMP"),
)
_SELECT_ONE = re.compile(r"select\s+1", re.IGNORECASE)
_FROM_TABLE = re.compile(r"\bfrom\s+([`\w.]+)", re.IGNORECASE)
_LINEAGE_QUERY = re.compile(
    r"""select\s+entity_type\s*,\s*entity_id\s*,\s*source_table_full_name\s*,\s*target_table_full_name\s*,
        \s*max\s*\(\s*event_time\s*\)\s+as\s+last_seen
        \s+from\s+(?P<table>[`\w.]+)
        \s+where\s+event_date\s*>=\s*:since_date
        \s+and\s+entity_type\s+in\s*\((?P<types>[^)]*)\)
        \s+and\s+entity_id\s+in\s*\((?P<ids>[^)]*)\)
        \s+and\s+source_table_full_name\s+is\s+not\s+null
        \s+and\s+target_table_full_name\s+is\s+not\s+null
        \s+group\s+by\s+entity_type\s*,\s*entity_id\s*,\s*source_table_full_name\s*,\s*target_table_full_name
    """,
    re.IGNORECASE | re.VERBOSE,
)
_QUOTED = re.compile(r"'((?:[^']|'')*)'")
_SQL_LIST_ITEM = re.compile(r"\s*'(?:[^']|'')*'\s*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WAIT_TIMEOUT = re.compile(r"(\d+)s")


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> HttpError:
    """The standard Databricks error body; the SDK picks its exception class from ``error_code``."""
    return HttpError(status, {"error_code": code, "message": message}, headers)


def _invalid(message: str) -> HttpError:
    return _error(400, "INVALID_PARAMETER_VALUE", message)


def _encode_token(kind: str, offset: int) -> str:
    """An opaque page token; the kind stops a token of one listing being replayed on another."""
    raw = json.dumps({"k": kind, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(kind: str, token: str | None) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError, binascii.Error) as err:
        raise _invalid(f"Invalid page token: {token}") from err
    if data.get("k") != kind or offset < 0:
        raise _invalid(f"Invalid page token: {token}")
    return offset


def _int_param(request: Request, name: str, default: int | None = None) -> int | None:
    raw = request.query.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as err:
        raise _invalid(f"Invalid value for parameter {name}: {raw!r} is not an integer") from err


def _bool_param(request: Request, name: str) -> bool:
    raw = request.query.get(name, "").lower()
    if raw in ("", "false"):
        return False
    if raw == "true":
        return True
    raise _invalid(f"Invalid value for parameter {name}: {raw!r} is not a boolean")


def _page_links(kind: str, offset: int, limit: int, total_more: bool) -> dict[str, Any]:
    """``has_more`` plus next/prev tokens; ``next_page_token`` is omitted on the last page (SDK stops)."""
    links: dict[str, Any] = {"has_more": total_more}
    if total_more:
        links["next_page_token"] = _encode_token(kind, offset + limit)
    if offset > 0:
        links["prev_page_token"] = _encode_token(kind, max(0, offset - limit))
    return links


def _slice_arrays(obj: dict[str, Any], names: tuple[str, ...], offset: int) -> bool:
    """Cut every present array to ``[offset:offset+100]`` in place; return whether any has more.

    Anything that is not a list (a recorded malformed item) is served as it is.
    """
    more = False
    for name in names:
        if isinstance(obj.get(name), list):
            more = more or len(obj[name]) > offset + _ARRAY_PAGE
            obj[name] = obj[name][offset : offset + _ARRAY_PAGE]
    return more


@dataclass
class _Statement:
    """One submitted SQL statement; its result is computed at submit time, revealed after polls."""

    statement_id: str
    polls_left: int
    columns: list[tuple[str, str]] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    error: tuple[str, str, str] | None = None  # (error_code, message, sql_state)
    canceled: bool = False
    truncated: bool = False


class DatabricksEmulator(EmulatorServer):
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

    Attributes:
        system_tables_enabled: set ``False`` to make ``system.access.table_lineage`` missing
            (statements then fail with ``TABLE_OR_VIEW_NOT_FOUND``, as in a workspace without system tables).
        me: the SCIM user returned for the personal access token.
    """

    server_name = "databricks"

    def __init__(
        self,
        workspace: Workspace | None = None,
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
        super().__init__(port=port, latency_ms=latency_ms, seed=seed)
        self.workspace = workspace if workspace is not None else Workspace(WorkspaceSpec(seed=seed))
        self.token = token
        self.client_id = client_id
        self.client_secret = client_secret
        self.warehouse_id = warehouse_id
        self.cold_warehouse_polls = cold_warehouse_polls
        self.statement_chunk_rows = max(1, statement_chunk_rows)
        self.system_tables_enabled = True
        self.me = self.workspace.user_emails()[0]
        self._oauth_tokens: dict[str, float] = {}
        self._statements: OrderedDict[str, _Statement] = OrderedDict()
        self._state_lock = threading.Lock()
        self._register_routes()

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
        routes = [
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

    def authorize(self, request: Request) -> None:
        """Bearer PAT or an issued OAuth token; missing -> 401, unknown -> 403 with a numeric code."""
        if request.path.startswith(_OPEN_PATHS):
            return
        header = request.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise _error(
                401, "UNAUTHENTICATED", "Credential was not sent or was of an unsupported type for this API."
            )
        if self._principal(credential.strip()) is None:
            raise HttpError(
                403,
                {"error_code": 403, "message": "Invalid access token."},
                {"X-Databricks-Reason-Phrase": "Invalid access token."},
            )

    def _principal(self, credential: str) -> str | None:
        """``"pat"``, ``"oauth"`` or ``None`` for an unknown or expired credential."""
        if secrets.compare_digest(credential, self.token):
            return "pat"
        with self._state_lock:
            expiry = self._oauth_tokens.get(credential)
        return "oauth" if expiry is not None and expiry > time.time() else None

    # -- host metadata and OAuth M2M ----------------------------------------------------------------

    @staticmethod
    def _base_url(request: Request) -> str:
        """The URL the client used, so discovery works behind any port mapping."""
        return f"http://{request.headers.get('host', '127.0.0.1')}"

    def _host_metadata(self, request: Request) -> dict[str, Any]:
        """SDK 0.162 derives ``discovery_url`` for OAuth from ``oidc_endpoint``: it must be non-empty."""
        metadata = {"oidc_endpoint": f"{self._base_url(request)}/oidc", "cloud": "aws"}
        if self.workspace.workspace_id is not None:  # a recorded workspace may not have one
            metadata["workspace_id"] = str(self.workspace.workspace_id)
        return metadata

    def _oidc_discovery(self, request: Request) -> dict[str, Any]:
        base = f"{self._base_url(request)}/oidc"
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/v1/authorize",
            "token_endpoint": f"{base}/v1/token",
            "jwks_uri": f"{base}/jwks.json",
            "response_types_supported": ["code", "id_token"],
            "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
            "scopes_supported": ["all-apis", "offline_access", "sql", "openid", "profile", "email"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }

    def _oidc_token(self, request: Request) -> Response:
        """Client-credentials grant; the SDK sends HTTP Basic auth and a form body."""
        form = _parse_form(request.body)
        client_id, client_secret = _basic_credentials(request.headers.get("authorization", ""))
        client_id = client_id or form.get("client_id", "")
        client_secret = client_secret or form.get("client_secret", "")
        if form.get("grant_type") != "client_credentials":
            return Response(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Only client_credentials is supported by the emulator",
                },
            )
        valid = secrets.compare_digest(client_id, self.client_id) and secrets.compare_digest(
            client_secret, self.client_secret
        )
        if not valid:
            return Response(
                401, {"error": "invalid_client", "error_description": "Client authentication failed"}
            )
        access_token = f"eyJemulator.{secrets.token_urlsafe(24)}"
        with self._state_lock:
            self._oauth_tokens[access_token] = time.time() + _TOKEN_TTL_S
        return Response(
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": _TOKEN_TTL_S,
                "scope": form.get("scope", "all-apis"),
            },
        )

    # -- SCIM ---------------------------------------------------------------------------------------

    def _scim_me(self, request: Request) -> dict[str, Any]:
        credential = request.headers.get("authorization", "").partition(" ")[2].strip()
        schemas = [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:workspace:2.0:User",
        ]
        if self._principal(credential) == "oauth":
            return {
                "id": "7000000000000001",
                "userName": self.client_id,
                "displayName": self.client_id,
                "active": True,
                "schemas": schemas,
                "entitlements": [{"value": "workspace-access"}],
            }
        local = self.me.split("@")[0]
        return {
            "id": "6000000000000001",
            "userName": self.me,
            "displayName": local.title(),
            "active": True,
            "name": {"givenName": local.title(), "familyName": "Emulated"},
            "emails": [{"value": self.me, "type": "work", "primary": True}],
            "groups": [{"display": "users", "type": "direct", "value": "111", "$ref": "Groups/111"}],
            "entitlements": [{"value": "workspace-access"}],
            "schemas": schemas,
        }

    # -- jobs ---------------------------------------------------------------------------------------

    @staticmethod
    def _is_v22(request: Request) -> bool:
        return request.path.startswith("/api/2.2/")

    def _jobs_list(self, request: Request) -> dict[str, Any]:
        limit = _int_param(request, "limit", 20)
        if not 1 <= limit <= 100:
            raise _invalid(f"Invalid limit {limit}: must be between 1 and 100")
        offset = (
            _decode_token("jobs", request.query.get("page_token"))
            if request.query.get("page_token")
            else _int_param(request, "offset", 0)
        )
        if offset < 0:
            raise _invalid("offset must be >= 0")
        expand = _bool_param(request, "expand_tasks")
        page_ids, total = self._job_id_page(request.query.get("name"), offset, limit)
        jobs = [self._listed_job(job_id, expand, self._is_v22(request)) for job_id in page_ids]
        body: dict[str, Any] = {"jobs": [j for j in jobs if j is not None]}
        if not body["jobs"]:
            del body["jobs"]
        body.update(_page_links("jobs", offset, limit, offset + limit < total))
        return body

    def _job_id_page(self, name: str | None, offset: int, limit: int) -> tuple[list[int], int]:
        """One page of live job ids and the total, optionally only those named ``name``.

        The name filter is exact and case-insensitive (real semantics); without it no name is computed.
        """
        if not name:
            return list(islice(self.workspace.job_ids(), offset, offset + limit)), self.workspace.job_count
        wanted = name.casefold()
        ids = [
            jid
            for jid in self.workspace.job_ids()
            if (self.workspace.job_name(jid) or "").casefold() == wanted
        ]
        return ids[offset : offset + limit], len(ids)

    def _listed_job(self, job_id: int, expand: bool, v22: bool) -> dict[str, Any] | None:
        """A ``BaseJob``: no ``run_as_user_name``; tasks only with ``expand_tasks`` (capped in 2.2)."""
        job = self.workspace.job_by_id(job_id, with_tasks=expand)
        if job is None:  # deleted between listing ids and building the page
            return None
        if not isinstance(job, dict):  # a recorded malformed item: served as it is
            return job
        job.pop("run_as_user_name", None)
        settings = job.get("settings")
        if not isinstance(settings, dict):
            return job
        if not expand:
            settings.pop("tasks", None)
            settings.pop("job_clusters", None)
        elif v22:
            job["has_more"] = _slice_arrays(settings, _JOB_ARRAYS, 0)
        return job

    def _jobs_get(self, request: Request) -> dict[str, Any]:
        job_id = _int_param(request, "job_id")
        if job_id is None:
            raise _invalid("Missing required field: job_id")
        job = self.workspace.job_by_id(job_id)
        if job is None:
            raise _invalid(f"Job {job_id} does not exist.")
        if self._is_v22(request) and isinstance(job.get("settings"), dict):
            offset = _decode_token(f"job:{job_id}", request.query.get("page_token"))
            if _slice_arrays(job["settings"], _JOB_ARRAYS, offset):
                job["next_page_token"] = _encode_token(f"job:{job_id}", offset + _ARRAY_PAGE)
        return job

    def _runs_list(self, request: Request) -> dict[str, Any]:
        limit = _int_param(request, "limit", 20)
        if limit == 0:
            limit = 25
        if not 1 <= limit <= 25:
            raise _invalid(f"Invalid limit {limit}: must be between 1 and 25")
        active_only = _bool_param(request, "active_only")
        completed_only = _bool_param(request, "completed_only")
        if active_only and completed_only:
            raise _invalid("active_only and completed_only cannot both be true")
        offset = (
            _decode_token("runs", request.query.get("page_token"))
            if request.query.get("page_token")
            else _int_param(request, "offset", 0)
        )
        refs = self.workspace.run_refs(_int_param(request, "job_id"))
        refs = self._filter_runs(request, refs, active_only, completed_only)
        expand = _bool_param(request, "expand_tasks")
        runs = self._listed_runs(refs[offset : offset + limit], expand, self._is_v22(request))
        body: dict[str, Any] = {"runs": runs} if runs else {}
        body.update(_page_links("runs", offset, limit, offset + limit < len(refs)))
        return body

    @staticmethod
    def _filter_runs(
        request: Request, refs: list[RunRef], active_only: bool, completed_only: bool
    ) -> list[RunRef]:
        start_from = _int_param(request, "start_time_from")
        start_to = _int_param(request, "start_time_to")
        run_type = request.query.get("run_type")
        if run_type and run_type not in ("JOB_RUN", "WORKFLOW_RUN", "SUBMIT_RUN"):
            raise _invalid(f"Invalid run_type: {run_type}")
        if run_type and run_type != "JOB_RUN":  # every generated run is a JOB_RUN
            return []
        return [
            ref
            for ref in refs
            if (start_from is None or ref.start_time >= start_from)
            and (start_to is None or ref.start_time <= start_to)
            and (not completed_only or ref.life_cycle_state in COMPLETED_LIFE_CYCLE_STATES)
            and (not active_only or ref.life_cycle_state in ACTIVE_LIFE_CYCLE_STATES)
        ]

    def _listed_runs(self, refs: list[RunRef], expand: bool, v22: bool) -> list[dict[str, Any]]:
        """Build each job's runs once per page; tasks only with ``expand_tasks`` (capped in 2.2)."""
        by_job: dict[int, list[dict[str, Any]]] = {}
        runs = []
        for ref in refs:
            if ref.job_id not in by_job:
                by_job[ref.job_id] = self.workspace.runs(ref.job_id)
            if ref.ordinal >= len(by_job[ref.job_id]):
                continue  # the job was deleted while this page was being built
            run = by_job[ref.job_id][ref.ordinal]
            if not isinstance(run, dict):  # a recorded malformed item: served as it is
                runs.append(run)
                continue
            if not expand:
                run.pop("tasks", None)
                run.pop("job_clusters", None)
            elif v22:
                run["has_more"] = _slice_arrays(run, _RUN_ARRAYS, 0)
            runs.append(run)
        return runs

    def _runs_get(self, request: Request) -> dict[str, Any]:
        run_id = _int_param(request, "run_id")
        if run_id is None:
            raise _invalid("Missing required field: run_id")
        run = self.workspace.run_by_id(run_id)
        if run is None:
            raise _invalid(f"Run {run_id} does not exist.")
        if self._is_v22(request) and isinstance(run, dict):
            offset = _decode_token(f"run:{run_id}", request.query.get("page_token"))
            if _slice_arrays(run, _RUN_ARRAYS, offset):
                run["next_page_token"] = _encode_token(f"run:{run_id}", offset + _ARRAY_PAGE)
        return run

    # -- pipelines ----------------------------------------------------------------------------------

    def _pipelines_list(self, request: Request) -> dict[str, Any]:
        limit = _int_param(request, "max_results", 25)
        if not 1 <= limit <= 100:
            raise _invalid(f"max_results must be between 1 and 100, got {limit}")
        offset = _decode_token("pipelines", request.query.get("page_token"))
        statuses = _filter_pipelines(self.workspace.pipelines(), request.query.get("filter"))
        order = (request.query.get("order_by") or "id asc").strip().lower()
        if order not in ("id asc", "id desc"):
            raise _invalid(f"Invalid order_by: {order}. Only 'id asc' and 'id desc' are supported")
        statuses.sort(key=_pipeline_sort_key, reverse=order == "id desc")
        body: dict[str, Any] = {}
        if statuses[offset : offset + limit]:
            body["statuses"] = statuses[offset : offset + limit]
        if offset + limit < len(statuses):
            body["next_page_token"] = _encode_token("pipelines", offset + limit)
        return body

    def _pipeline_or_404(self, pipeline_id: str) -> dict[str, Any]:
        pipeline = self.workspace.pipeline(pipeline_id)
        if pipeline is None:
            raise _error(
                404, "RESOURCE_DOES_NOT_EXIST", f"The specified pipeline {pipeline_id} was not found."
            )
        return pipeline

    def _pipeline_get(self, request: Request) -> dict[str, Any]:
        return self._pipeline_or_404(request.match.group(1))

    def _updates_list(self, request: Request) -> dict[str, Any]:
        pipeline_id = request.match.group(1)
        self._pipeline_or_404(pipeline_id)
        updates = self.workspace.pipeline_updates(pipeline_id) or []
        limit = _int_param(request, "max_results", 25)
        if not 1 <= limit <= 100:
            raise _invalid(f"max_results must be between 1 and 100, got {limit}")
        until = request.query.get("until_update_id")
        if until:
            ids = [u.get("update_id") if isinstance(u, dict) else None for u in updates]
            updates = updates[ids.index(until) :] if until in ids else []
        offset = _decode_token(f"updates:{pipeline_id}", request.query.get("page_token"))
        body: dict[str, Any] = {}
        if updates[offset : offset + limit]:
            body["updates"] = updates[offset : offset + limit]
        if offset + limit < len(updates):
            body["next_page_token"] = _encode_token(f"updates:{pipeline_id}", offset + limit)
        if offset > 0:
            body["prev_page_token"] = _encode_token(f"updates:{pipeline_id}", max(0, offset - limit))
        return body

    def _update_get(self, request: Request) -> dict[str, Any]:
        pipeline_id, update_id = request.match.group(1), request.match.group(2)
        self._pipeline_or_404(pipeline_id)
        for update in self.workspace.pipeline_updates(pipeline_id) or []:
            if isinstance(update, dict) and update.get("update_id") == update_id:
                return {"update": update}
        raise _error(404, "RESOURCE_DOES_NOT_EXIST", f"The specified update {update_id} was not found.")

    # -- SQL statement execution --------------------------------------------------------------------

    def _statement_execute(self, request: Request) -> dict[str, Any]:
        body = request.json() or {}
        statement = body.get("statement")
        if not isinstance(statement, str) or not statement.strip():
            raise _invalid("Missing required field: statement")
        warehouse_id = body.get("warehouse_id") or ""
        if warehouse_id != self.warehouse_id:
            raise _invalid(f"{warehouse_id} is not a valid endpoint id.")
        wait_s = _wait_timeout_seconds(body.get("wait_timeout", "10s"))
        _check_result_format(body)
        stmt = _Statement(str(uuid.uuid4()), polls_left=self.cold_warehouse_polls)
        self._evaluate(stmt, statement, body.get("parameters") or [])
        if body.get("row_limit") is not None and len(stmt.rows) > int(body["row_limit"]):
            stmt.rows, stmt.truncated = stmt.rows[: int(body["row_limit"])], True
        with self._state_lock:
            self._statements[stmt.statement_id] = stmt
            while len(self._statements) > _MAX_STATEMENTS:
                self._statements.popitem(last=False)
        if wait_s and stmt.polls_left and body.get("on_wait_timeout") == "CANCEL":
            stmt.canceled = True  # the warehouse did not finish within wait_timeout
        # wait_timeout=0s is asynchronous mode: the first answer is PENDING even on a warm warehouse.
        if (stmt.polls_left or wait_s == 0) and not stmt.canceled:
            return {"statement_id": stmt.statement_id, "status": {"state": "PENDING"}}
        return self._statement_response(stmt)

    def _statement_or_404(self, statement_id: str) -> _Statement:
        with self._state_lock:
            stmt = self._statements.get(statement_id)
        if stmt is None:
            raise _error(404, "RESOURCE_DOES_NOT_EXIST", f"Statement {statement_id} not found.")
        return stmt

    def _statement_get(self, request: Request) -> dict[str, Any]:
        stmt = self._statement_or_404(request.match.group(1))
        with self._state_lock:
            if stmt.polls_left and not stmt.canceled:
                stmt.polls_left -= 1
                state = "RUNNING" if stmt.polls_left == 0 else "PENDING"
                return {"statement_id": stmt.statement_id, "status": {"state": state}}
        return self._statement_response(stmt)

    def _statement_cancel(self, request: Request) -> dict[str, Any]:
        stmt = self._statement_or_404(request.match.group(1))
        with self._state_lock:
            if stmt.polls_left:
                stmt.canceled = True
        return {}

    def _statement_chunk(self, request: Request) -> dict[str, Any]:
        stmt = self._statement_or_404(request.match.group(1))
        if stmt.polls_left or stmt.canceled or stmt.error:
            raise _error(400, "INVALID_STATE", f"Statement {stmt.statement_id} has no result to fetch.")
        index = int(request.match.group(2))
        if not 0 <= index < self._chunk_count(stmt):
            raise _invalid(f"Chunk index {index} is out of range for statement {stmt.statement_id}.")
        return self._chunk(stmt, index)

    def _statement_response(self, stmt: _Statement) -> dict[str, Any]:
        """The terminal ``StatementResponse``: FAILED/CANCELED with status only, else manifest + chunk 0."""
        if stmt.canceled:
            return {"statement_id": stmt.statement_id, "status": {"state": "CANCELED"}}
        if stmt.error:
            code, message, sql_state = stmt.error
            return {
                "statement_id": stmt.statement_id,
                "status": {
                    "state": "FAILED",
                    "error": {"error_code": code, "message": message},
                    "sql_state": sql_state,
                },
            }
        chunks = self._chunk_count(stmt)
        manifest: dict[str, Any] = {
            "format": "JSON_ARRAY",
            "schema": {
                "column_count": len(stmt.columns),
                "columns": [
                    {"name": name, "type_text": type_name, "type_name": type_name, "position": i}
                    for i, (name, type_name) in enumerate(stmt.columns)
                ],
            },
            "total_chunk_count": chunks,
            "total_row_count": len(stmt.rows),
            "truncated": stmt.truncated,
        }
        if chunks:
            manifest["chunks"] = [
                {
                    k: v
                    for k, v in self._chunk(stmt, i).items()
                    if k in ("chunk_index", "row_offset", "row_count")
                }
                for i in range(chunks)
            ]
        result = self._chunk(stmt, 0) if chunks else {"chunk_index": 0, "row_offset": 0, "row_count": 0}
        return {
            "statement_id": stmt.statement_id,
            "status": {"state": "SUCCEEDED"},
            "manifest": manifest,
            "result": result,
        }

    def _chunk_count(self, stmt: _Statement) -> int:
        return -(-len(stmt.rows) // self.statement_chunk_rows)

    def _chunk(self, stmt: _Statement, index: int) -> dict[str, Any]:
        size = self.statement_chunk_rows
        rows = stmt.rows[index * size : (index + 1) * size]
        chunk: dict[str, Any] = {
            "chunk_index": index,
            "row_offset": index * size,
            "row_count": len(rows),
            "data_array": rows,
        }
        if index + 1 < self._chunk_count(stmt):
            chunk["next_chunk_index"] = index + 1
            chunk["next_chunk_internal_link"] = (
                f"/api/2.0/sql/statements/{stmt.statement_id}/result/chunks/{index + 1}"
            )
        return chunk

    def _evaluate(self, stmt: _Statement, sql: str, parameters: list[dict[str, Any]]) -> None:
        """Run the two statements the engine sends; anything else fails like Databricks SQL would."""
        text = " ".join(sql.strip().rstrip(";").split())
        if _SELECT_ONE.fullmatch(text):
            stmt.columns, stmt.rows = [("1", "INT")], [["1"]]
            return
        table = _FROM_TABLE.search(text)
        table_name = table.group(1).replace("`", "").lower() if table else None
        if table_name and (table_name != _LINEAGE_TABLE or not self.system_tables_enabled):
            stmt.error = _table_not_found(table.group(1))
            return
        match = _LINEAGE_QUERY.fullmatch(text)
        if match is None:
            stmt.error = _syntax_error(text)
            return
        stmt.columns = list(_LINEAGE_COLUMNS)
        try:
            stmt.rows = self._lineage_result(match, parameters)
        except _SqlError as err:
            stmt.error = err.args[0]

    def _lineage_result(
        self, match: re.Match[str], parameters: list[dict[str, Any]]
    ) -> list[list[str | None]]:
        """``GROUP BY`` the four keys with ``max(event_time)``, dropping rows with a NULL side."""
        since = _parameter(parameters, "since_date")
        if not _DATE.fullmatch(since):
            raise _SqlError(
                (
                    "BAD_REQUEST",
                    f"[CAST_INVALID_INPUT] The value '{since}' of the type \"STRING\" "
                    'cannot be cast to "DATE" because it is malformed. SQLSTATE: 22018',
                    "22018",
                )
            )
        types = set(_sql_string_list(match.group("types")))
        ids = _sql_string_list(match.group("ids"))
        latest: dict[tuple[str, str, str, str], str] = {}
        for row in self.workspace.lineage_rows(ids, since):
            if (
                row["entity_type"] not in types
                or not row["source_table_full_name"]
                or not row["target_table_full_name"]
            ):
                continue
            key = (
                row["entity_type"],
                row["entity_id"],
                row["source_table_full_name"],
                row["target_table_full_name"],
            )
            latest[key] = max(latest.get(key, ""), row["event_time"])
        return [[*key, seen] for key, seen in sorted(latest.items())]


# -- module helpers -----------------------------------------------------------------------------------


class _SqlError(Exception):
    """A statement-level failure: ``args[0]`` is ``(error_code, message, sql_state)``."""


def _parse_form(body: bytes) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(encoded.strip()).decode()
    except (ValueError, binascii.Error):
        return "", ""
    client_id, _, client_secret = decoded.partition(":")
    return client_id, client_secret


def _pipeline_sort_key(status: Any) -> str:
    """``id asc`` order; a recorded item without a usable ``pipeline_id`` sorts first."""
    pipeline_id = status.get("pipeline_id") if isinstance(status, dict) else None
    return str(pipeline_id) if pipeline_id is not None else ""


def _pipeline_name(status: Any) -> str:
    name = status.get("name") if isinstance(status, dict) else None
    return name if isinstance(name, str) else ""


def _filter_pipelines(statuses: list[dict[str, Any]], expression: str | None) -> list[dict[str, Any]]:
    """The two documented filters: ``name LIKE '%x%'`` and ``notebook='<path>'`` (no composites)."""
    if not expression:
        return statuses
    like = re.fullmatch(r"\s*name\s+like\s+'((?:[^']|'')*)'\s*", expression, re.IGNORECASE)
    if like:
        pattern = re.escape(like.group(1).replace("''", "'")).replace("%", ".*").replace("_", ".")
        return [s for s in statuses if re.fullmatch(pattern, _pipeline_name(s), re.IGNORECASE | re.DOTALL)]
    if re.fullmatch(r"\s*notebook\s*=\s*'[^']*'\s*", expression, re.IGNORECASE):
        return []  # library paths are only in the detail view; real filtering is server-side
    raise _invalid(f"Invalid filter: {expression}")


def _wait_timeout_seconds(raw: Any) -> int:
    match = _WAIT_TIMEOUT.fullmatch(str(raw))
    seconds = int(match.group(1)) if match else -1
    if seconds != 0 and not 5 <= seconds <= 50:
        raise _invalid(f"wait_timeout must be 0s or between 5s and 50s, got {raw!r}")
    return seconds


def _check_result_format(body: dict[str, Any]) -> None:
    disposition = body.get("disposition", "INLINE")
    fmt = body.get("format", "JSON_ARRAY")
    if disposition not in ("INLINE", "EXTERNAL_LINKS") or fmt not in ("JSON_ARRAY", "ARROW_STREAM", "CSV"):
        raise _invalid(f"Invalid disposition/format: {disposition}/{fmt}")
    if disposition == "INLINE" and fmt != "JSON_ARRAY":
        raise _invalid(f"The format {fmt} is only supported with EXTERNAL_LINKS disposition")
    if disposition == "EXTERNAL_LINKS":
        raise _error(501, "NOT_IMPLEMENTED", "The Databricks emulator only serves INLINE results")


def _parameter(parameters: list[dict[str, Any]], name: str) -> str:
    for parameter in parameters:
        if parameter.get("name") == name and parameter.get("value") is not None:
            return str(parameter["value"])
    raise _SqlError(
        (
            "BAD_REQUEST",
            f"[UNBOUND_SQL_PARAMETER] Found the unbound parameter: {name}. "
            "Please, fix `args` and provide a mapping of the parameter to either a SQL literal or "
            "collection constructor functions. SQLSTATE: 42P02",
            "42P02",
        )
    )


def _sql_string_list(text: str) -> list[str]:
    """The values of a ``'a', 'b'`` SQL list; anything but quoted literals is a syntax error."""
    items = text.split(",")  # an empty ``IN ()`` is a syntax error in Databricks SQL, too
    if not all(_SQL_LIST_ITEM.fullmatch(item) for item in items):
        raise _SqlError(_syntax_error(text))
    return [value.replace("''", "'") for value in _QUOTED.findall(text)]


def _table_not_found(name: str) -> tuple[str, str, str]:
    return (
        "BAD_REQUEST",
        f"[TABLE_OR_VIEW_NOT_FOUND] The table or view `{name}` cannot be found. Verify the "
        "spelling and correctness of the schema and catalog. SQLSTATE: 42P01",
        "42P01",
    )


def _syntax_error(text: str) -> tuple[str, str, str]:
    token = (text.split() or ["<EOF>"])[0]
    return (
        "BAD_REQUEST",
        f"[PARSE_SYNTAX_ERROR] Syntax error at or near '{token}'. SQLSTATE: 42601 "
        "(the Databricks emulator understands only SELECT 1 and the table_lineage query)",
        "42601",
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
) -> DatabricksEmulator:
    """A ready-to-start emulator over a generated workspace (used by ``dbx-pipeline emulate``)."""
    spec = WorkspaceSpec(jobs=jobs, tasks=tasks, runs=runs, pipelines=pipelines, big_jobs=big_jobs, seed=seed)
    return DatabricksEmulator(Workspace(spec), port=port, latency_ms=latency_ms, seed=seed)
