"""Building a ``databricks-sdk`` ``WorkspaceClient`` from our config, and nothing else.

Why so careful: the SDK's ``Config`` silently fills anything not passed explicitly from ``DATABRICKS_*``
environment variables and ``~/.databrickscfg`` (a host-only config picks up an ambient token; a
``DATABRICKS_CONFIG_PROFILE`` can make construction fail). An ingestion must use exactly the credentials
in its YAML, so the client is built with an explicit ``auth_type`` and with the environment hidden from
the SDK while ``Config`` resolves. Retry and time budgets are bounded (:mod:`core.http_policy`): the
SDK's defaults (300 s retry budget, 60 s per request) block for five minutes on an unreachable host.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.core import Config
from requests.adapters import HTTPAdapter

from core.config.models import AzureAdSetup, DatabricksConnection, DatabricksOAuth
from core.databricks.errors import source_errors
from core.http_policy import before_attempt, databricks_timeouts, failed_attempt
from core.ratelimit import RateGate

__all__ = ["PRODUCT", "PRODUCT_VERSION", "attach_transport", "build_workspace_client"]

PRODUCT = "dbx-pipeline"
PRODUCT_VERSION = "0.1.0"

_ENV_LOCK = threading.Lock()
_AMBIENT_PREFIXES = ("DATABRICKS_", "ARM_", "AZURE_")


@contextlib.contextmanager
def _isolated_environment() -> Iterator[None]:
    """Hide ambient Databricks/Azure variables and config files from the SDK while a Config resolves."""
    with _ENV_LOCK:
        saved = {key: value for key, value in os.environ.items() if key.startswith(_AMBIENT_PREFIXES)}
        for key in saved:
            del os.environ[key]
        os.environ["DATABRICKS_CONFIG_FILE"] = os.devnull
        try:
            yield
        finally:
            os.environ.pop("DATABRICKS_CONFIG_FILE", None)
            os.environ.update(saved)


def build_workspace_client(
    connection: DatabricksConnection,
    *,
    retry_timeout_seconds: float | None = None,
    http_timeout_seconds: float | None = None,
    pool_size: int = 16,
    gate: RateGate | None = None,
) -> WorkspaceClient:
    """A ``WorkspaceClient`` for exactly the credentials in ``connection``.

    Args:
        connection: the validated ``serviceConnection.config``.
        retry_timeout_seconds: total budget for the SDK's retries of one call (429/503/connection
            errors, read timeouts); default: see :func:`core.http_policy.databricks_timeouts`.
        http_timeout_seconds: per-request socket timeout; default: see
            :func:`core.http_policy.databricks_timeouts`.
        pool_size: connections kept open to the workspace (the engine overlaps requests).
        gate: the rate gate every request waits at (one per run, shared by all workers).
    """
    timeouts = databricks_timeouts(
        float(connection.connection_timeout),
        retry_timeout_s=retry_timeout_seconds,
        http_timeout_s=http_timeout_seconds,
    )
    kwargs: dict[str, Any] = {  # Config's keyword arguments, each of its own type
        "host": connection.base_url,
        "auth_type": connection.auth_kind,
        "retry_timeout_seconds": timeouts.retry_timeout_seconds,
        "http_timeout_seconds": timeouts.http_timeout_seconds,
        "max_connection_pools": pool_size,
        "max_connections_per_pool": pool_size,
        "product": PRODUCT,
        "product_version": PRODUCT_VERSION,
    }
    auth = connection.auth
    if isinstance(auth, DatabricksOAuth):
        kwargs.update(client_id=auth.client_id, client_secret=auth.client_secret.get_secret_value())
    elif isinstance(auth, AzureAdSetup):
        kwargs.update(
            azure_client_id=auth.azure_client_id,
            azure_client_secret=auth.azure_client_secret.get_secret_value(),
            azure_tenant_id=auth.azure_tenant_id,
        )
    else:
        kwargs.update(token=auth.token.get_secret_value())
    with _isolated_environment(), source_errors("connecting to the workspace"):
        config = Config(**kwargs)
    client = WorkspaceClient(config=config)
    attach_transport(client, gate or RateGate(), pool_size)
    return client


def attach_transport(client: WorkspaceClient, gate: RateGate, pool_size: int) -> None:
    """Share ``gate`` across every request of ``client`` and size its pool for http:// as well.

    databricks-sdk retries a 429 inside each call by sleeping in that thread only, and mounts its sized
    connection pool for https:// only (plain-http hosts get requests' default pool of 10). It offers no
    public hook for either, so this reaches its private session: the per-request ``auth`` callable (run
    before every attempt, retries included) waits at the gate, and a response hook reports 429s to it.
    Each try also reports to :func:`core.http_policy.before_attempt` and ``failed_attempt`` (the
    connection check's deadline).
    ``tests/unit/test_transport.py`` pins this seam so an SDK upgrade that moves it fails loudly.
    """
    session = client.api_client._api_client._session  # private seam; see docstring
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    authenticate = session.auth

    def gated_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
        gate.wait()
        return authenticate(request) if callable(authenticate) else request

    def observe(response: requests.Response, *args: object, **kwargs: object) -> None:
        gate.observe(response.status_code, response.headers)

    send = session.send

    def watched_send(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        # a connection check that gave up stops its thread here, and sees the failures the SDK retried
        before_attempt()
        try:
            return send(request, **kwargs)
        except requests.RequestException as err:
            failed_attempt(err)
            raise

    session.auth = gated_auth
    session.send = watched_send  # type: ignore[method-assign]
    session.hooks["response"].append(observe)
