"""What route handlers see and return: :class:`Request`, :class:`Response`, :class:`HttpError`, :class:`Route`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    """One parsed HTTP request, as handed to a route handler."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    match: re.Match[str] | None = None

    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when the body is empty.

        Raises:
            HttpError: 400 when the body is not valid JSON.
        """
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError as err:
            raise HttpError(400, {"message": f"Malformed JSON body: {err}"}) from err

    def path_group(self, group: int | str) -> str:
        """One group of the route's path pattern: ``(...)`` by position, ``(?P<name>...)`` by name.

        Args:
            group: the group's 1-based position or its name.

        Returns:
            The group's text as it appears in the path (still percent-encoded).

        Raises:
            RuntimeError: the request was not routed (the server sets ``match`` before a handler runs).
        """
        if self.match is None:
            raise RuntimeError(f"{self.method} {self.path} reached a handler without a route match")
        return self.match.group(group)

    def query_list(self, name: str) -> list[str]:
        """All values of a repeated query parameter (``?a=1&a=2``)."""
        return self._raw_query.get(name, [])

    _raw_query: dict[str, list[str]] = field(default_factory=dict, repr=False)


@dataclass
class Response:
    """What a route handler returns."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None

    def encode(self) -> bytes:
        """The body as bytes: ``raw`` when given, else JSON (empty for ``None``)."""
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body, separators=(",", ":")).encode()


class HttpError(Exception):
    """Raised by handlers to answer with an error status and JSON body."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """The answer the server sends for this error.

        Args:
            status: the HTTP status, e.g. 400 or 404.
            body: the JSON body, in the emulated API's error shape.
            headers: extra response headers, e.g. ``Retry-After``.
        """
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = headers or {}


#: Unauthenticated control endpoints (not part of either real API): counters for ``dbx-pipeline bench``,
#: holds for tests whose emulator runs in another process (``EmulatorServer._stats``).
STATS_PATH = "/_emulator"

Handler = Callable[[Request], Response | dict | list | None]


@dataclass
class Route:
    """A method, a path pattern (full match) and the function that answers it."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    name: str
