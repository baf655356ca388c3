"""Normalising the two kinds of server address found in a workflow YAML.

OpenMetadata's own connector keeps only the text before the first ``:`` of ``hostPort`` and always
prepends ``https://``: the port is dropped and a value with a scheme breaks. We accept what users
actually paste (``host``, ``host:port``, a URL with a scheme, even a browser URL with ``?o=`` or
``#job/..``) and turn it into one canonical base URL, or fail with a message saying what to type.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["normalize_databricks_host", "normalize_openmetadata_url", "warehouse_id_from_http_path"]

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_IPV6 = re.compile(r"^\[[0-9A-Fa-f:.]+\]$")
_HTTP_PATH = re.compile(r"^/?sql/1\.0/(?:warehouses|endpoints)/(?P<id>[A-Za-z0-9]+)/?$")
_CLUSTER_PATH = re.compile(r"^/?sql/protocolv1/o/\d+/[\w-]+/?$")


def _split(value: str, default_scheme: str) -> tuple[str, str, int | None, str, str]:
    """(scheme, host, port, path, query) of ``value``, with ``default_scheme`` when it has none."""
    text = value.strip()
    if not text:
        raise ValueError("is empty; give the server address, e.g. adb-1234567890123456.7.azuredatabricks.net")
    has_scheme = "://" in text
    if has_scheme:
        scheme = text.split("://", 1)[0].lower()
        if scheme not in ("http", "https"):
            raise ValueError(f"has scheme {scheme!r}; use https:// (or http:// for a local server)")
    else:
        text = f"{default_scheme}://{text}"
    parts = urlsplit(text)
    # Before anything that quotes the address back: the user info may be a password.
    if "@" in parts.netloc:
        raise ValueError("must not contain a user name or password; put credentials in their own fields")
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError as err:
        raise ValueError(
            f"has an invalid port ({err}); use host or host:port with a port from 1 to 65535"
        ) from err
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("has an invalid port; use a port from 1 to 65535")
    netloc_host = parts.netloc.rsplit("@", 1)[-1]
    if netloc_host.startswith("["):
        host_display = netloc_host.split("]")[0] + "]"
        if not _IPV6.match(host_display):
            raise ValueError(f"has an invalid host {host_display!r}")
        host = host_display
    elif not host or not _HOSTNAME.match(host):
        raise ValueError(
            f"has an invalid host name {host or parts.netloc!r}; use a name like my-workspace.cloud.databricks.com"
        )
    return parts.scheme.lower(), host.lower(), port, parts.path, parts.query


def _join(scheme: str, host: str, port: int | None) -> str:
    default_port = 443 if scheme == "https" else 80
    if port is None or port == default_port:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def normalize_databricks_host(value: str) -> str:
    """Canonical workspace base URL (``https://host`` or ``scheme://host:port``).

    A browser URL's query (``?o=123``) and fragment (``#job/1``) are ignored; any other path is refused
    because the SDK would prepend it to every API path.

    Raises:
        ValueError: with a sentence saying what is wrong and what to type instead.
    """
    scheme, host, port, path, _query = _split(value, "https")
    if path not in ("", "/"):
        raise ValueError(f"has a path {path!r}; give only the workspace address, e.g. https://{host}")
    return _join(scheme, host, port)


def normalize_openmetadata_url(value: str) -> str:
    """Canonical OpenMetadata API base URL, always ending in ``/api`` (no trailing slash).

    Raises:
        ValueError: when there is no ``/api`` path, a bad scheme, host or port.
    """
    scheme, host, port, path, _query = _split(value, "http")
    clean_path = path.rstrip("/")
    if clean_path.endswith("/v1"):
        clean_path = clean_path[: -len("/v1")]
    if not clean_path.endswith("/api"):
        suggestion = _join(scheme, host, port) + (clean_path or "") + "/api"
        raise ValueError(f"must end with /api (OpenMetadata's API root), e.g. {suggestion}")
    return _join(scheme, host, port) + clean_path


def warehouse_id_from_http_path(value: str) -> str:
    """The SQL warehouse id in an HTTP path like ``/sql/1.0/warehouses/abc123``.

    Raises:
        ValueError: for a cluster path (the Statement Execution API needs a SQL warehouse) or any
            other shape.
    """
    text = value.strip()
    match = _HTTP_PATH.match(text)
    if match:
        return match.group("id")
    if _CLUSTER_PATH.match(text):
        raise ValueError(
            "points at an all-purpose cluster; lineage needs a SQL warehouse path like /sql/1.0/warehouses/<id>"
        )
    raise ValueError(
        "must look like /sql/1.0/warehouses/<warehouse-id> (copy it from the warehouse's Connection details)"
    )
