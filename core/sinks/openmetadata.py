"""The ``metadata-rest`` sink: OpenMetadata's REST API over one pooled ``requests`` session.

OpenMetadata's own client opens a connection per call, retries only 429/504 with 30-90 s sleeps, and
sends statuses in one unchunked bulk call the server rejects above 1000 items. Here: one session with a
connection pool sized for the engine's workers; 429/503 pause every worker through a shared
:class:`~core.ratelimit.RateGate` (honouring Retry-After); urllib3 retries 500/502/504, connection resets
and read timeouts with backoff; an answer cut off mid-body or a 2xx that is not JSON (a proxy's page) is
asked for again (every call is idempotent); bulk statuses chunked to 1000; every error
classified by what the run should do (abort on auth, fail one pipeline on 400/404/409/422).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from core.config.models import OpenMetadataServerConfig
from core.errors import SinkAuthError, SinkRejectedError, SinkUnavailableError
from core.ratelimit import RateGate
from core.secrets import redact
from core.sinks.base import Change, EntityRef, Sink

__all__ = ["STATUS_CHUNK", "SUPPORTED_MAJORS", "OpenMetadataSink", "version_warning"]

STATUS_CHUNK = 1000  # the server validates at most this many statuses per bulk request
SUPPORTED_MAJORS = (1, 2)  # the OpenMetadata server lines whose API this connector speaks
SERVER_FIELD = "workflowConfig.openMetadataServerConfig"
_CHANGE_HEADER = "X-OpenMetadata-Change"
_CHANGES: dict[str, Change] = {
    "entityCreated": "created",
    "entityUpdated": "updated",
    "entityFieldsChanged": "updated",
    "entityNoChange": "unchanged",
}


def _retry_policy(total: int) -> Retry:
    return Retry(
        total=total,
        connect=total,
        read=total,
        status=total,
        backoff_factor=0.5,
        backoff_max=30,
        status_forcelist=(500, 502, 504),  # 429 and 503 go through the shared RateGate instead
        allowed_methods=None,  # every call we make is idempotent (PUT upserts, GET, DELETE soft)
        respect_retry_after_header=False,  # else urllib3 sleeps on 429 in one thread, bypassing the gate
        raise_on_status=False,
    )


class OpenMetadataSink(Sink):
    """Writes pipelines, statuses, tags and lineage to an OpenMetadata server."""

    kind = "metadata-rest"

    def __init__(
        self,
        server: OpenMetadataServerConfig,
        *,
        pool_size: int = 16,
        timeout_s: float = 30.0,
        retries: int = 5,
        dry_run: bool = False,
        gate: RateGate | None = None,
    ) -> None:
        self.server = server
        self.base = server.host_port.rstrip("/") + "/v1"
        self.timeout_s = timeout_s
        self.dry_run = dry_run
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=_retry_policy(retries))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.verify = server.verify
        self.session.headers.update({"Content-Type": "application/json", "Accept": "application/json"})
        if server.jwt:
            self.session.headers["Authorization"] = f"Bearer {server.jwt}"
        for name, value in (server.extra_headers or {}).items():
            self.session.headers[name] = value
        self.table_lookups = 0
        self.retries = retries
        self.gate = gate or RateGate()
        self._lock = threading.Lock()
        self._user_cache: dict[str, EntityRef | None] = {}
        self._table_cache: dict[str, EntityRef | None] = {}

    # -- transport ------------------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, body: Any = None, params: dict | None = None
    ) -> requests.Response:
        url = f"{self.base}{path}"
        data = None if body is None else json.dumps(body, separators=(",", ":"))
        try:
            for attempt in range(self.retries + 1):
                self.gate.wait()  # a 429 seen by any worker pauses every worker
                try:
                    response = self.session.request(
                        method, url, data=data, params=params, timeout=self.timeout_s, allow_redirects=False
                    )
                except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
                    # The answer was cut off after its headers (urllib3's retries stop at the headers).
                    # Every call is idempotent, so ask again, with backoff.
                    if attempt == self.retries:
                        raise
                    time.sleep(_backoff_s(attempt))
                    continue
                self.gate.observe(response.status_code, response.headers)
                if response.status_code < 300 and not _is_json(response) and attempt < self.retries:
                    time.sleep(_backoff_s(attempt))  # a proxy's page or a garbled body: ask again
                    continue
                if response.status_code not in (429, 503) or attempt == self.retries:
                    return response
                if response.status_code == 503 and not response.headers.get("Retry-After"):
                    self.gate.observe(429, {})  # back off the default pause before trying again
        except requests.exceptions.SSLError as err:
            raise SinkUnavailableError(
                f"TLS to OpenMetadata failed: {redact(err)}",
                field=f"{SERVER_FIELD}.verifySSL",
                hint="Fix the certificate, give sslConfig.caCertificate, or set verifySSL: ignore",
            ) from None
        except (requests.ConnectionError, requests.Timeout) as err:
            raise SinkUnavailableError(
                f"OpenMetadata at {self.server.host_port} did not answer ({type(err).__name__})",
                field=f"{SERVER_FIELD}.hostPort",
                hint="Check the URL and that the server is running",
            ) from None
        except requests.RequestException as err:
            raise SinkUnavailableError(f"request to OpenMetadata failed: {redact(err)}") from None
        raise AssertionError("unreachable: the last attempt always returns")

    def _check(self, response: requests.Response, what: str) -> requests.Response:
        status = response.status_code
        if status < 300:
            return response
        message = _error_message(response)
        if status == 401:
            raise SinkAuthError(
                f"OpenMetadata refused the JWT while {what} (401 {message})",
                status_code=status,
                field=f"{SERVER_FIELD}.securityConfig.jwtToken",
                hint="Copy a fresh token from Settings > Bots > ingestion-bot",
            )
        if status == 403:
            raise SinkAuthError(
                f"the bot may not write to OpenMetadata while {what} (403 {message})",
                status_code=status,
                field=f"{SERVER_FIELD}.securityConfig.jwtToken",
                hint="Use the ingestion-bot's JWT, or give this bot the Ingestion Bot role",
            )
        if status in (400, 404, 409, 412, 422):
            raise SinkRejectedError(f"OpenMetadata rejected {what} ({status} {message})", status_code=status)
        raise SinkUnavailableError(
            f"OpenMetadata failed while {what} ({status} {message})", status_code=status
        )

    def _json(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        return self._json_from(self._request(method, path, **kwargs), what)

    def _get_optional(self, path: str, what: str, params: dict | None = None) -> Any:
        response = self._request("GET", path, params=params)
        if response.status_code == 404:
            return None
        return self._json_from(response, what)

    def _json_from(self, response: requests.Response, what: str) -> Any:
        self._check(response, what)
        if not response.content:
            return None
        if hasattr(response, "_parsed_json"):
            return response._parsed_json
        try:
            return response.json()
        except ValueError:
            raise SinkUnavailableError(f"OpenMetadata sent a non-JSON answer while {what}") from None

    # -- checks ---------------------------------------------------------------------------------------

    def server_version(self) -> str:
        """The server's version string (``GET /v1/system/version``, no auth needed)."""
        response = self._request("GET", "/system/version")
        not_openmetadata = SinkUnavailableError(  # a connection problem: the address is not OpenMetadata's
            f"{self.server.host_port} does not look like OpenMetadata's API "
            f"({response.status_code} on /v1/system/version)",
            field=f"{SERVER_FIELD}.hostPort",
            hint="Use the API root of the OpenMetadata server, e.g. http://host:8585/api",
        )
        if response.status_code in (404, 405):
            raise not_openmetadata
        try:
            body = self._json_from(response, "reading the server version")
        except SinkUnavailableError:
            if response.status_code < 300:  # 200 but not JSON: a web page, not the API
                raise not_openmetadata from None
            raise
        version = body.get("version") if isinstance(body, dict) else None
        if not isinstance(version, str):
            raise not_openmetadata
        return version

    def refused_operations(self, resource: str, operations: tuple[str, ...]) -> list[str] | None:
        """Which of ``operations`` on ``resource`` the bot is refused (``GET /v1/permissions/{resource}``).

        None when the server cannot say (an older server without the endpoint): the caller must then
        assume the writes are allowed and find out when it writes.
        """
        response = self._request("GET", f"/permissions/{quote(resource, safe='')}")
        if response.status_code in (404, 405):
            return None
        body = self._json_from(response, f"reading the bot's permissions on {resource}") or {}
        access = {
            item.get("operation"): item.get("access")
            for item in body.get("permissions") or []
            if isinstance(item, dict)
        }
        if access.get("All") == "allow":
            return []
        return [op for op in operations if access.get(op) in ("deny", "notAllow", "conditionalDeny")]

    def whoami(self) -> str:
        """The bot's user name: proves the JWT is accepted."""
        body = self._json("GET", "/users/loggedInUser", "checking the JWT")
        return str((body or {}).get("name", "?"))

    # -- service --------------------------------------------------------------------------------------

    def ensure_service(self, request: dict) -> EntityRef:
        """Get the pipeline service, creating it when missing (an existing one is not overwritten)."""
        name = request["name"]
        if self.dry_run:
            return EntityRef(id="dry-run", fqn=name, type="pipelineService")
        found = self._get_optional(
            f"/services/pipelineServices/name/{quote(name, safe='')}", "reading the service"
        )
        if found is None:
            found = self._json("PUT", "/services/pipelineServices", f"creating service {name}", body=request)
        return EntityRef(id=found["id"], fqn=found.get("fullyQualifiedName", name), type="pipelineService")

    # -- pipelines ------------------------------------------------------------------------------------

    def put_pipeline(self, request: dict) -> tuple[EntityRef, Change]:
        """Create or update one pipeline."""
        fqn = f"{request['service']}.{_quote_name(request['name'])}"
        if self.dry_run:
            return EntityRef(id=f"dry-run:{fqn}", fqn=fqn, type="pipeline"), "dry-run"
        response = self._request("PUT", "/pipelines", body=request)
        body = self._json_from(response, f"pipeline {request['name']} ({request.get('displayName', '')})")
        change = _CHANGES.get(response.headers.get(_CHANGE_HEADER, ""))
        if change is None:
            change = "created" if response.status_code == 201 else "updated"
        return EntityRef(id=body["id"], fqn=body.get("fullyQualifiedName", fqn), type="pipeline"), change

    def put_statuses(self, fqn: str, statuses: list[dict]) -> int:
        """Upsert statuses (keyed by timestamp on the server) in bulk chunks of at most 1000."""
        if self.dry_run or not statuses:
            return len(statuses)
        path = f"/pipelines/{quote(fqn, safe='')}/status/bulk"
        for start in range(0, len(statuses), STATUS_CHUNK):
            chunk = statuses[start : start + STATUS_CHUNK]
            self._json("PUT", path, f"statuses of {fqn}", body=chunk)
        return len(statuses)

    def iter_service_pipelines(self, service: str) -> Iterator[EntityRef]:
        """Every non-deleted pipeline of ``service`` (paged)."""
        after: str | None = None
        while True:
            params = {"service": service, "limit": 1000, "include": "non-deleted"}
            if after:
                params["after"] = after
            page = self._json("GET", "/pipelines", f"listing pipelines of {service}", params=params) or {}
            for entity in page.get("data", []):
                yield EntityRef(
                    id=entity["id"],
                    fqn=entity["fullyQualifiedName"],
                    type="pipeline",
                    name=entity["name"],
                    source_hash=entity.get("sourceHash"),
                )
            after = (page.get("paging") or {}).get("after")
            if not after:
                return

    def soft_delete_pipeline(self, ref: EntityRef) -> None:
        """Soft-delete (recoverable in the UI) one pipeline."""
        if self.dry_run:
            return
        params = {"hardDelete": "false", "recursive": "true"}
        self._json("DELETE", f"/pipelines/{ref.id}", f"deleting {ref.fqn}", params=params)

    # -- tags, users, tables, lineage ----------------------------------------------------------------------

    def ensure_tags(self, classification: str, description: str, tags: dict[str, str]) -> None:
        """Create the classification and each tag ``{name: description}`` (upserts)."""
        if self.dry_run or not tags:
            return
        self._json(
            "PUT",
            "/classifications",
            f"classification {classification}",
            body={"name": classification, "description": description},
        )
        for name, tag_description in tags.items():
            self._json(
                "PUT",
                "/tags",
                f"tag {classification}.{name}",
                body={"name": name, "description": tag_description, "classification": classification},
            )

    def databricks_database_services(self) -> list[str]:
        """Names of the Databricks / Unity Catalog database services, where lineage tables live."""
        response = self._request("GET", "/services/databaseServices", params={"limit": 1000})
        if response.status_code == 404:
            return []
        page = self._json_from(response, "listing database services") or {}
        wanted = {"databricks", "unitycatalog"}
        return [s["name"] for s in page.get("data", []) if str(s.get("serviceType", "")).lower() in wanted]

    def find_user(self, email: str) -> EntityRef | None:
        """The OpenMetadata user with this e-mail (looked up by its name part), cached per run."""
        key = email.lower()
        with self._lock:
            if key in self._user_cache:
                return self._user_cache[key]
        name = key.split("@", 1)[0]
        found = self._get_optional(f"/users/name/{quote(name, safe='')}", f"looking up user {name}")
        ref = None
        if found and (not found.get("email") or str(found["email"]).lower() == key):
            ref = EntityRef(id=found["id"], fqn=found.get("fullyQualifiedName", name), type="user", name=name)
        with self._lock:
            self._user_cache[key] = ref
        return ref

    def find_table(self, fqn: str) -> EntityRef | None:
        """The table with this fully qualified name, cached per run (misses too)."""
        with self._lock:
            if fqn in self._table_cache:
                return self._table_cache[fqn]
        with self._lock:
            self.table_lookups += 1
        found = self._get_optional(f"/tables/name/{quote(fqn, safe='')}", f"looking up table {fqn}")
        ref = (
            EntityRef(id=found["id"], fqn=found.get("fullyQualifiedName", fqn), type="table")
            if found
            else None
        )
        with self._lock:
            self._table_cache[fqn] = ref
        return ref

    def put_lineage(self, source: EntityRef, target: EntityRef, pipeline: EntityRef) -> None:
        """Add one table-to-table edge attributed to ``pipeline``."""
        if self.dry_run:
            return
        body = {
            "edge": {
                "fromEntity": {"id": source.id, "type": source.type},
                "toEntity": {"id": target.id, "type": target.type},
                "lineageDetails": {
                    "pipeline": {"id": pipeline.id, "type": "pipeline"},
                    "source": "PipelineLineage",
                },
            }
        }
        self._json("PUT", "/lineage", f"lineage {source.fqn} -> {target.fqn}", body=body)

    def close(self) -> None:
        """Release pooled connections."""
        self.session.close()


def version_warning(version: str) -> str | None:
    """A sentence saying the server's version is not one this connector supports (1.x, 2.x), or None."""
    match = re.match(r"\s*v?(\d+)\.(\d+)", version)
    if match is None:
        return (
            f"OpenMetadata reports version {version!r}, which is not a release number; this connector "
            "supports OpenMetadata 1.x and 2.x"
        )
    major = int(match.group(1))
    if major in SUPPORTED_MAJORS:
        return None
    todo = "upgrade the server" if major < SUPPORTED_MAJORS[0] else "check for a newer dbx-pipeline"
    return (
        f"OpenMetadata {version} is not a supported version (this connector supports 1.x and 2.x); "
        f"{todo}: writes may be rejected or mapped wrongly"
    )


def _backoff_s(attempt: int) -> float:
    """Seconds before retry number ``attempt + 1`` of a garbled answer (0.25, 0.5, 1, ... up to 8)."""
    return min(8.0, 0.25 * 2**attempt)


def _is_json(response: requests.Response) -> bool:
    """Whether a body is empty or parses as JSON (the parsed value is kept for the caller)."""
    if not response.content:
        return True
    try:
        response._parsed_json = response.json()  # type: ignore[attr-defined]
    except ValueError:
        return False
    return True


def _quote_name(name: str) -> str:
    """OpenMetadata quotes FQN parts that contain a dot."""
    return f'"{name}"' if "." in name else name


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return redact(response.text[:200]).strip() or response.reason or ""
    if isinstance(body, dict):
        return redact(str(body.get("message") or body.get("error") or body)[:300])
    return redact(str(body)[:300])
