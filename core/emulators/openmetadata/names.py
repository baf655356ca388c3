"""Fully qualified names (OM's ``FullyQualifiedName`` quoting) and cursor paging of list endpoints."""

from __future__ import annotations

import base64
import binascii
import bisect
from typing import Any

from core.emulators.openmetadata.errors import bad_request


def quote_name(name: str) -> str:
    """Quote one FQN part the way OM does: wrap it in double quotes when it contains a dot."""
    if '"' not in name and "." in name:
        return f'"{name}"'
    return name


def fqn_add(parent: str, name: str) -> str:
    """``FullyQualifiedName.add``: append a quoted child name to a parent FQN."""
    return f"{parent}.{quote_name(name)}"


def split_fqn(fqn: str) -> list[str]:
    """Split an FQN on dots outside double quotes, unquoting the parts (``a."b.c"`` -> ``["a", "b.c"]``)."""
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    for char in fqn:
        if char == '"':
            in_quotes = not in_quotes
        elif char == "." and not in_quotes:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def encode_cursor(key: str) -> str:
    """A paging cursor (``before``/``after``) for the sort key ``key``: URL-safe base64, as OM's are."""
    return base64.urlsafe_b64encode(key.encode()).decode()


def decode_cursor(cursor: str, param: str) -> str:
    """The sort key a cursor of :func:`encode_cursor` stands for.

    Args:
        cursor: the ``before`` or ``after`` query parameter.
        param: that parameter's name, for the error message.

    Returns:
        The key the page starts after (``after``) or ends before (``before``).

    Raises:
        HttpError: 400 ``Invalid cursor in query param <param>`` when the cursor does not decode.
    """
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as err:
        raise bad_request(f"Invalid cursor in query param {param}: {cursor}") from err


def page_keys(
    keys: list[str], limit: int, before: str | None, after: str | None
) -> tuple[list[str], dict[str, Any]]:
    """Cursor paging over sorted ``keys``: OM's ``{"before", "after", "total"}`` paging block."""
    total = len(keys)
    if before is not None:
        end = bisect.bisect_left(keys, decode_cursor(before, "before"))
        start = max(0, end - limit)
    else:
        start = bisect.bisect_right(keys, decode_cursor(after, "after")) if after is not None else 0
        end = min(total, start + limit)
    chosen = keys[start:end]
    paging: dict[str, Any] = {"total": total}
    if chosen and start > 0:
        paging["before"] = encode_cursor(chosen[0])
    if chosen and end < total:
        paging["after"] = encode_cursor(chosen[-1])
    return chosen, paging
