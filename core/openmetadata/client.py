"""OpenMetadata's REST API over one pooled ``requests`` session: transport, retries, and what errors mean.

OpenMetadata's own client opens a connection per call and retries only 429/504 with 30-90 s sleeps.
Here: one session with a connection pool sized for the engine's workers, and one retry loop (tenacity,
with :mod:`core.http_policy`'s numbers and backoff) around every call. Every call this connector makes
is idempotent (PUT upserts, GET, soft DELETE), so each is asked again on:

- 500, 502, 504, connection resets and read timeouts;
- an answer cut off mid-body, or a 2xx whose body is not JSON (a proxy's page, a garbled answer);
- 429 and 503: these do not back off in the thread that got them; they close the shared
  :class:`~core.ratelimit.RateGate` (for ``Retry-After``, or the default pause) that every worker waits at.

When the tries run out the last answer is returned as it is, and :meth:`OpenMetadataClient.check`
classifies it by what the run should do: :class:`~core.errors.SinkAuthError` (401/403: abort),
:class:`~core.errors.SinkRejectedError` (400/404/409/412/422: that one pipeline fails),
:class:`~core.errors.SinkUnavailableError` (anything else, or no answer at all: abort).
"""

from __future__ import annotations

import json
from typing import Any, TypedDict
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, retry_if_exception_type, retry_if_result

from core.config.models import OpenMetadataServerConfig
from core.errors import SinkAuthError, SinkRejectedError, SinkUnavailableError, while_doing
from core.http_policy import (
    OPENMETADATA_RETRIED_STATUSES,
    OPENMETADATA_RETRIES,
    OPENMETADATA_TIMEOUT_S,
    backoff,
    before_attempt,
    failed_attempt,
    retrying,
)
from core.ratelimit import RateGate
from core.secrets import redact

__all__ = ["REJECTED_STATUSES", "SERVER_FIELD", "ClientOptions", "OpenMetadataClient", "error_message"]

#: Where the server's settings are in the workflow YAML (errors name the field to fix).
SERVER_FIELD = "workflowConfig.openMetadataServerConfig"
#: Statuses that refuse one payload: that pipeline (or edge, or delete) fails and the run goes on.
REJECTED_STATUSES = frozenset({400, 404, 409, 412, 422})
#: Statuses asked again with backoff.
_RETRIED_STATUSES = frozenset(OPENMETADATA_RETRIED_STATUSES)
#: Statuses asked again once the shared rate gate opens (no backoff of their own).
_THROTTLED_STATUSES = frozenset({429, 503})
#: No answer, or an answer cut off after its headers: worth another try.
_TRANSIENT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_BACKOFF = backoff()


class ClientOptions(TypedDict, total=False):
    """:class:`OpenMetadataClient`'s tuning arguments, for callers that pass them through."""

    pool_size: int
    timeout_s: float
    retries: int
    gate: RateGate | None


class OpenMetadataClient:
    """One OpenMetadata server: a pooled session, retries, and errors mapped to the engine's.

    Thread-safe: the engine's workers share one client (``requests.Session`` with a sized pool).
    """

    def __init__(
        self,
        server: OpenMetadataServerConfig,
        *,
        pool_size: int = 16,
        timeout_s: float = OPENMETADATA_TIMEOUT_S,
        retries: int = OPENMETADATA_RETRIES,
        gate: RateGate | None = None,
    ) -> None:
        """Open a session for ``server`` (no request is made yet).

        Args:
            server: the validated ``workflowConfig.openMetadataServerConfig``.
            pool_size: connections kept open (the engine overlaps requests).
            timeout_s: per-request socket timeout, in seconds.
            retries: tries of one call after its first.
            gate: the rate gate every request waits at (one per run, shared by all workers).
        """
        self.server = server
        self.base = server.host_port.rstrip("/") + "/v1"
        self.timeout_s = timeout_s
        self.retries = retries
        self.gate = gate or RateGate()
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.verify = server.verify
        self.session.headers.update({"Content-Type": "application/json", "Accept": "application/json"})
        if server.jwt:
            self.session.headers["Authorization"] = f"Bearer {server.jwt}"
        for name, value in (server.extra_headers or {}).items():
            self.session.headers[name] = value

    # -- transport ------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        content_type: str | None = None,
    ) -> requests.Response:
        """One call, asked again while its answer is transient (see the module docstring).

        Args:
            method: the HTTP method (``GET``, ``PUT``, ``DELETE``).
            path: the path under ``/v1`` (e.g. ``/pipelines``).
            body: a JSON-able request body, or None.
            params: query parameters.
            content_type: the body's media type when it is not ``application/json`` (a JSON Patch is
                ``application/json-patch+json``).

        Returns:
            The last answer, whatever its status (see :meth:`check`).

        Raises:
            SinkUnavailableError: when no answer came: TLS failed, the connection was refused or reset,
                or the server did not answer in time, on every try.
        """
        url = f"{self.base}{path}"
        data = None if body is None else json.dumps(body, separators=(",", ":"))
        headers = {"Content-Type": content_type} if content_type else None

        def send() -> requests.Response:
            self.gate.wait()  # a 429 seen by any worker pauses every worker
            before_attempt()  # a connection check that gave up stops here
            try:
                response = self.session.request(
                    method,
                    url,
                    data=data,
                    params=params,
                    headers=headers,
                    timeout=self.timeout_s,
                    allow_redirects=False,
                )
            except requests.RequestException as err:
                failed_attempt(err)
                raise
            self.gate.observe(response.status_code, response.headers)
            return response

        tries = retrying(
            attempts=self.retries + 1,
            retry=retry_if_exception_type(_TRANSIENT_ERRORS) | retry_if_result(_worth_another_try),
            wait=_pause_s,
            before_sleep=self._before_pause,
            retry_error_callback=_last_outcome,
        )
        try:
            return tries(send)
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

    def _before_pause(self, state: RetryCallState) -> None:
        """A 503 without ``Retry-After`` closes the gate for the default pause before the next try."""
        outcome = state.outcome
        if outcome is None or outcome.failed:
            return
        response: requests.Response = outcome.result()
        if response.status_code == 503 and not response.headers.get("Retry-After"):
            self.gate.observe(429, {})

    def check(self, response: requests.Response, what: str) -> requests.Response:
        """``response`` itself when it is a 2xx; else the error saying what the run should do.

        Args:
            response: an answer from :meth:`request`.
            what: what was being done, for the message (e.g. ``"creating service dbx"``).

        Returns:
            ``response``, unchanged.

        Raises:
            SinkAuthError: 401 (the JWT is refused) or 403 (the bot may not do this): aborts the run.
            SinkRejectedError: 400, 404, 409, 412 or 422: this payload was refused; one pipeline fails.
            SinkUnavailableError: any other status (5xx after the retries): aborts the run.
        """
        status = response.status_code
        if status < 300:
            return response
        raise self.error_for(status, error_message(response), what)

    def error_for(
        self, status: int, message: str, what: str
    ) -> SinkAuthError | SinkRejectedError | SinkUnavailableError:
        """The error an answer ``status`` with the server's ``message`` means to the run (see :meth:`check`).

        Args:
            status: an HTTP status of 300 or more (of a whole answer, or of one row of a bulk answer).
            message: the server's message, already redacted.
            what: what was being done, for the message.

        Returns:
            The error to raise.
        """
        if status == 401:
            return SinkAuthError(
                f"{while_doing('OpenMetadata refused the JWT', what)} (401 {message})",
                status_code=status,
                field=f"{SERVER_FIELD}.securityConfig.jwtToken",
                hint="Copy a fresh token from Settings > Bots > ingestion-bot",
            )
        if status == 403:
            return SinkAuthError(
                f"the bot may not write to OpenMetadata while {what} (403 {message})",
                status_code=status,
                field=f"{SERVER_FIELD}.securityConfig.jwtToken",
                hint="Use the ingestion-bot's JWT, or give this bot the Ingestion Bot role",
            )
        if status in REJECTED_STATUSES:
            return SinkRejectedError(f"OpenMetadata rejected {what} ({status} {message})", status_code=status)
        return SinkUnavailableError(
            f"OpenMetadata failed while {what} ({status} {message})", status_code=status
        )

    def call(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        """:meth:`request` then :meth:`json_from`: the parsed JSON answer (None when empty).

        Raises:
            SinkAuthError, SinkRejectedError, SinkUnavailableError: see :meth:`check` and :meth:`request`.
        """
        return self.json_from(self.request(method, path, **kwargs), what)

    def get_optional(self, path: str, what: str, params: dict[str, Any] | None = None) -> Any:
        """``GET path`` as parsed JSON, or None when the server answers 404 (no such entity).

        Raises:
            SinkAuthError, SinkRejectedError, SinkUnavailableError: see :meth:`check` and :meth:`request`.
        """
        response = self.request("GET", path, params=params)
        if response.status_code == 404:
            return None
        return self.json_from(response, what)

    def json_from(self, response: requests.Response, what: str) -> Any:
        """The parsed JSON body of a 2xx ``response`` (None when empty).

        Raises:
            SinkAuthError, SinkRejectedError, SinkUnavailableError: see :meth:`check`.
            SinkUnavailableError: also when a 2xx body is not JSON even after the retries.
        """
        self.check(response, what)
        if not response.content:
            return None
        if hasattr(response, "_parsed_json"):
            return response._parsed_json
        try:
            return response.json()
        except ValueError:
            raise SinkUnavailableError(f"OpenMetadata sent a non-JSON answer while {what}") from None

    # -- what the connection checks ask ---------------------------------------------------------------

    def server_version(self) -> str:
        """The server's version string (``GET /v1/system/version``, no auth needed), e.g. ``"2.0.7"``.

        Raises:
            SinkUnavailableError: the address answers but is not OpenMetadata's API (a web page, 404),
                or the server cannot be reached.
        """
        response = self.request("GET", "/system/version")
        not_openmetadata = SinkUnavailableError(  # a connection problem: the address is not OpenMetadata's
            f"{self.server.host_port} does not look like OpenMetadata's API "
            f"({response.status_code} on /v1/system/version)",
            field=f"{SERVER_FIELD}.hostPort",
            hint="Use the API root of the OpenMetadata server, e.g. http://host:8585/api",
        )
        if response.status_code in (404, 405):
            raise not_openmetadata
        try:
            body = self.json_from(response, "reading the server version")
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

        Args:
            resource: an OpenMetadata resource name (e.g. ``"pipeline"``).
            operations: operation names as OpenMetadata spells them (e.g. ``("Create", "EditAll")``).

        Returns:
            The refused operations (empty: all allowed); None when the server cannot say (an older
            server without the endpoint): the caller must then assume the writes are allowed and find
            out when it writes.

        Raises:
            SinkAuthError, SinkRejectedError, SinkUnavailableError: see :meth:`check`.
        """
        response = self.request("GET", f"/permissions/{quote(resource, safe='')}")
        if response.status_code in (404, 405):
            return None
        body = self.json_from(response, f"reading the bot's permissions on {resource}") or {}
        access = {
            item.get("operation"): item.get("access")
            for item in body.get("permissions") or []
            if isinstance(item, dict)
        }
        if access.get("All") == "allow":
            return []
        return [op for op in operations if access.get(op) in ("deny", "notAllow", "conditionalDeny")]

    def whoami(self) -> str:
        """The bot's user name (``GET /v1/users/loggedInUser``): proves the JWT is accepted.

        Raises:
            SinkAuthError: the JWT is refused.
            SinkUnavailableError: the server cannot be reached.
        """
        body = self.call("GET", "/users/loggedInUser", "checking the JWT")
        return str((body or {}).get("name", "?"))

    def close(self) -> None:
        """Release pooled connections."""
        self.session.close()


def _worth_another_try(response: requests.Response) -> bool:
    """A transient status, or a 2xx whose body is not JSON (a proxy's page or a garbled body)."""
    status = response.status_code
    if status in _RETRIED_STATUSES or status in _THROTTLED_STATUSES:
        return True
    return status < 300 and not _is_json(response)


def _pause_s(state: RetryCallState) -> float:
    """Seconds before the next try: none after a 429/503 (the rate gate pauses), else the backoff."""
    outcome = state.outcome
    if outcome is not None and not outcome.failed and outcome.result().status_code in _THROTTLED_STATUSES:
        return 0.0
    return float(_BACKOFF(state))


def _last_outcome(state: RetryCallState) -> requests.Response:
    """When the tries run out: the last answer as it is, or its exception raised again."""
    assert state.outcome is not None  # tenacity calls this after at least one try
    response: requests.Response = state.outcome.result()
    return response


def _is_json(response: requests.Response) -> bool:
    """Whether a body is empty or parses as JSON (the parsed value is kept for :meth:`json_from`)."""
    if not response.content:
        return True
    try:
        response._parsed_json = response.json()  # type: ignore[attr-defined]
    except ValueError:
        return False
    return True


def error_message(response: requests.Response) -> str:
    """The server's own message from an error answer, redacted and cut to a readable length."""
    try:
        body = response.json()
    except ValueError:
        return redact(response.text[:200]).strip() or response.reason or ""
    if isinstance(body, dict):
        return redact(str(body.get("message") or body.get("error") or body)[:300])
    return redact(str(body)[:300])
