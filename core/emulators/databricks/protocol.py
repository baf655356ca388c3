"""Databricks REST conventions the emulator follows: error bodies, page tokens, query parameters, array paging.

Shapes from the Jobs API 2.2 reference (``next_page_token``, 100-element task arrays) and the error body
``{"error_code", "message"}`` that ``databricks-sdk`` maps to its exception classes.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, overload
from urllib.parse import parse_qs

from core.emulators.http import HttpError, Request

ARRAY_PAGE = 100  # Jobs API 2.2 caps tasks/job_clusters/parameters/environments per response
JOB_ARRAYS = ("tasks", "job_clusters", "parameters", "environments")
RUN_ARRAYS = ("tasks", "job_clusters", "job_parameters", "repair_history")
OPEN_PATHS = ("/.well-known/databricks-config", "/oidc/")
TOKEN_TTL_S = 3600
MAX_STATEMENTS = 10_000
#: Statement Execution API: "If a given statement produces a result set with a size larger than 25 MiB,
#: that statement execution is aborted, and no result set will be available" (INLINE disposition; the
#: ExecuteStatementRequest reference, https://docs.databricks.com/api/workspace/statementexecution/
#: executestatement, read 2026-11-29). Rows per chunk are not documented (chunks are cut by bytes); the
#: emulator's ``statement_chunk_rows`` is a test knob, not a documented figure.
INLINE_RESULT_LIMIT_BYTES = 25 * 1024 * 1024


def inline_size(rows: list[list[str | None]]) -> int:
    """The bytes of ``rows`` as a JSON_ARRAY result, estimated without building it (quotes and commas)."""
    return sum(2 + sum(4 if value is None else len(value.encode()) + 3 for value in row) for row in rows)


def api_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> HttpError:
    """The standard Databricks error body; the SDK picks its exception class from ``error_code``."""
    return HttpError(status, {"error_code": code, "message": message}, headers)


def invalid_parameter(message: str) -> HttpError:
    """A 400 ``INVALID_PARAMETER_VALUE`` (the SDK raises ``InvalidParameterValue``) saying ``message``."""
    return api_error(400, "INVALID_PARAMETER_VALUE", message)


def encode_token(kind: str, offset: int) -> str:
    """An opaque page token; the kind stops a token of one listing being replayed on another."""
    raw = json.dumps({"k": kind, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(kind: str, token: str | None) -> int:
    """The offset a page token of :func:`encode_token` stands for.

    Args:
        kind: the listing the token must come from (``"jobs"``, ``"runs"``, ``"job:<id>"``...).
        token: the ``page_token`` query parameter; absent or empty means the first page.

    Returns:
        The offset into the listing (0 for the first page).

    Raises:
        HttpError: 400 ``INVALID_PARAMETER_VALUE`` for a token that does not decode, comes from another
            listing or has a negative offset.
    """
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError, binascii.Error) as err:
        raise invalid_parameter(f"Invalid page token: {token}") from err
    if data.get("k") != kind or offset < 0:
        raise invalid_parameter(f"Invalid page token: {token}")
    return offset


@overload
def int_param(request: Request, name: str, default: int) -> int: ...


@overload
def int_param(request: Request, name: str, default: None = None) -> int | None: ...


def int_param(request: Request, name: str, default: int | None = None) -> int | None:
    """An integer query parameter; absent or empty gives ``default``.

    Args:
        request: the request whose query string is read.
        name: the parameter, e.g. ``limit`` or ``job_id``.
        default: the value when the parameter is absent or empty (an int default gives an int).

    Returns:
        The parsed integer, or ``default``.

    Raises:
        HttpError: 400 ``INVALID_PARAMETER_VALUE`` when the value is not an integer.
    """
    raw = request.query.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as err:
        raise invalid_parameter(f"Invalid value for parameter {name}: {raw!r} is not an integer") from err


def bool_param(request: Request, name: str) -> bool:
    """A boolean query parameter as the SDK sends it (``true``/``false``); absent or empty is ``False``.

    Args:
        request: the request whose query string is read.
        name: the parameter, e.g. ``expand_tasks``.

    Returns:
        The flag.

    Raises:
        HttpError: 400 ``INVALID_PARAMETER_VALUE`` for any other value (case-insensitive).
    """
    raw = request.query.get(name, "").lower()
    if raw in ("", "false"):
        return False
    if raw == "true":
        return True
    raise invalid_parameter(f"Invalid value for parameter {name}: {raw!r} is not a boolean")


def page_links(kind: str, offset: int, limit: int, total_more: bool) -> dict[str, Any]:
    """``has_more`` plus next/prev tokens; ``next_page_token`` is omitted on the last page (SDK stops)."""
    links: dict[str, Any] = {"has_more": total_more}
    if total_more:
        links["next_page_token"] = encode_token(kind, offset + limit)
    if offset > 0:
        links["prev_page_token"] = encode_token(kind, max(0, offset - limit))
    return links


def slice_arrays(obj: dict[str, Any], names: tuple[str, ...], offset: int) -> bool:
    """Cut every present array to ``[offset:offset+100]`` in place; return whether any has more.

    Anything that is not a list (a recorded malformed item) is served as it is.
    """
    more = False
    for name in names:
        if isinstance(obj.get(name), list):
            more = more or len(obj[name]) > offset + ARRAY_PAGE
            obj[name] = obj[name][offset : offset + ARRAY_PAGE]
    return more


def parse_form(body: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the OAuth token request); a repeated key keeps its last value."""
    return {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}


def basic_credentials(header: str) -> tuple[str, str]:
    """The client id and secret of an HTTP Basic ``Authorization`` header (RFC 7617).

    Args:
        header: the header's value, e.g. ``"Basic <base64 of id:secret>"``.

    Returns:
        ``(client_id, client_secret)``, or ``("", "")`` for another scheme or an undecodable value.
    """
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(encoded.strip()).decode()
    except (ValueError, binascii.Error):
        return "", ""
    client_id, _, client_secret = decoded.partition(":")
    return client_id, client_secret
