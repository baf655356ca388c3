"""A small, real HTTP server that the Databricks and OpenMetadata emulators are built on.

Why not a mock library: the engine talks to Databricks through ``databricks-sdk`` and to OpenMetadata
through a pooled ``requests`` session, and both must be exercised over real sockets (retries, pooling,
timeouts, connection resets). Why not plain ``http.server``: it answers in several small writes, which
with Nagle's algorithm and delayed ACKs adds ~40 ms to every reply and would make every latency figure
wrong. This server sets ``TCP_NODELAY`` and writes each response in one ``sendall``.

Features shared by both emulators:
- routing by method + regular expression on the path;
- configurable latency per request (simulates a remote API);
- fault injection (status codes with optional ``Retry-After``, connection resets, slow replies that
  exceed the client's read timeout, truncated or non-JSON bodies), each fault matching a method/path
  pattern and firing a fixed number of times or with a seeded probability;
- per-route call counters for benchmarks and tests;
- holds (:meth:`EmulatorServer.hold`): matching requests wait at a gate until the test releases them, so a
  test can stop a run at a known point instead of guessing with sleeps.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "EmulatorServer",
    "Fault",
    "Hold",
    "HttpError",
    "Request",
    "Response",
    "Route",
]


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
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = headers or {}


#: Unauthenticated counters endpoint (not part of either real API; used by ``dbx-pipeline bench``).
STATS_PATH = "/_emulator"

Handler = Callable[[Request], Response | dict | list | None]


@dataclass
class Route:
    """A method, a path pattern (full match) and the function that answers it."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    name: str


@dataclass
class Fault:
    """One injected failure.

    Attributes:
        kind: ``status`` (answer ``status`` with ``body``), ``reset`` (close the socket without an
            answer), ``delay`` (sleep ``delay_s`` before answering normally; use it beyond the client's
            read timeout to cause timeouts), ``truncate`` (send a valid header and half the body),
            ``not_json`` (answer 200 with an HTML body).
        path: regular expression searched in the request path (``""`` matches every path).
        method: HTTP method, or ``None`` for all.
        times: how many matching requests it fires on; ``None`` for unlimited.
        probability: chance of firing on a matching request (seeded RNG, so runs are repeatable).
        status, body, retry_after: for ``kind == "status"``; ``retry_after`` adds a ``Retry-After`` header.
        delay_s: for ``kind == "delay"``.
    """

    kind: str = "status"
    path: str = ""
    method: str | None = None
    times: int | None = 1
    probability: float = 1.0
    status: int = 500
    body: Any = None
    retry_after: int | None = None
    delay_s: float = 0.0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request (ignoring ``times`` and ``probability``)."""
        if self.method and self.method != method:
            return False
        return re.search(self.path, path) is not None


class Hold:
    """A gate for requests: matching requests wait until :meth:`release`, so a run is held at a known point.

    The first ``after`` matching requests pass; every later one waits (before latency and faults apply)
    until the hold is released. A test waits with :meth:`wait_until_held` until the run is parked there,
    acts (stop, signal, inspect), then releases. Leaving the ``with`` block releases too, as does stopping
    the server, so a failing test never leaves server threads blocked.

    Example:
        >>> with server.hold(r"/jobs/list$", after=1) as gate:  # page 1 passes, page 2 waits
        ...     start_the_run()
        ...     gate.wait_until_held()  # the run is now between page 1 and page 2
        ...     stop_the_run()

    Attributes:
        path: regular expression searched in the request path (``""`` matches every path).
        method: HTTP method, or ``None`` for all.
        after: how many matching requests pass before the gate closes.
        seen: matching requests so far (passed and held).
        held: matching requests that waited, or are waiting, at the gate.
    """

    def __init__(self, path: str = "", method: str | None = None, after: int = 0) -> None:
        self.path = path
        self.method = method
        self.after = after
        self.seen = 0
        self.held = 0
        self._cond = threading.Condition()
        self._released = threading.Event()

    def matches(self, method: str, path: str) -> bool:
        """Whether this hold applies to a request (ignoring ``after``)."""
        if self.method and self.method != method:
            return False
        return re.search(self.path, path) is not None

    @property
    def released(self) -> bool:
        """True once :meth:`release` was called."""
        return self._released.is_set()

    def wait_until_held(self, count: int = 1, timeout_s: float = 60.0) -> None:
        """Block until ``count`` requests have reached the gate.

        ``timeout_s`` only guards against a hang (the run never got there); it is not a timing.

        Raises:
            TimeoutError: fewer than ``count`` requests arrived within ``timeout_s``.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self.held >= count, timeout_s):
                raise TimeoutError(
                    f"{self.held} of {count} requests held at {self.method or '*'} {self.path!r} "
                    f"after {timeout_s:.0f} s ({self.seen} matching requests seen)"
                )

    def release(self) -> None:
        """Let every held request (and every later one) through."""
        self._released.set()

    def _arrive(self, method: str, path: str) -> None:
        """Count a request and, when the gate is closed for it, wait until released (server threads)."""
        if self._released.is_set() or not self.matches(method, path):
            return
        with self._cond:
            self.seen += 1
            if self.seen <= self.after:
                return
            self.held += 1
            self._cond.notify_all()
        self._released.wait()

    def __enter__(self) -> Hold:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class _QuietThreadingServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or get reset are normal under fault injection; stay silent.
        return


class EmulatorServer:
    """A threaded HTTP server on 127.0.0.1 with routing, latency, faults and counters.

    Subclasses register routes in ``__init__`` with :meth:`add_route` and may override
    :meth:`authorize` to check credentials before a handler runs.

    Example:
        >>> server = EmulatorServer(latency_ms=5)
        >>> server.add_route("GET", r"/ping", lambda req: {"ok": True})
        >>> with server:
        ...     url = server.url
    """

    server_name = "emulator"

    def __init__(self, *, port: int = 0, latency_ms: float = 0.0, seed: int = 0) -> None:
        self.port = port
        self.latency_ms = latency_ms
        self.routes: list[Route] = []
        self.faults: list[Fault] = []
        self.calls: Counter[str] = Counter()
        self.holds: list[Hold] = []
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._httpd: _QuietThreadingServer | None = None
        self._thread: threading.Thread | None = None

    # -- configuration ------------------------------------------------------------------------------

    def add_route(self, method: str, pattern: str, handler: Handler, name: str | None = None) -> None:
        """Register ``handler`` for ``method`` on paths fully matching ``pattern``."""
        self.routes.append(Route(method, re.compile(pattern), handler, name or pattern))

    def inject(self, fault: Fault | None = None, **kwargs: Any) -> Fault:
        """Add a fault (an instance, or the keyword arguments of :class:`Fault`) and return it."""
        fault = fault or Fault(**kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    def hold(self, path: str = "", method: str | None = None, after: int = 0) -> Hold:
        """Make requests matching ``method``/``path`` wait until released; see :class:`Hold`.

        Use it as a context manager (releases on exit) or call :meth:`Hold.release`.
        """
        gate = Hold(path, method, after)
        with self._lock:
            self.holds.append(gate)
        return gate

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._lock:
            self.faults.clear()

    def reset_counters(self) -> None:
        """Forget the per-route call counts."""
        with self._lock:
            self.calls.clear()

    @property
    def total_calls(self) -> int:
        """Requests answered (or failed on purpose) since start or the last reset."""
        return sum(self.calls.values())

    def authorize(self, request: Request) -> None:
        """Check credentials; raise :class:`HttpError` to refuse. Default: everything is allowed."""

    # -- lifecycle ----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        if self._httpd is None:
            raise RuntimeError(f"{self.server_name} emulator is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> EmulatorServer:
        """Bind and serve in a daemon thread; returns ``self``."""
        handler_cls = _make_handler(self)
        self._httpd = _QuietThreadingServer(("127.0.0.1", self.port), handler_cls)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.server_name}-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (releasing every hold, so no handler stays blocked)."""
        with self._lock:
            holds, self.holds = self.holds, []
        for gate in holds:
            gate.release()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- dispatch -----------------------------------------------------------------------------------

    def _wait_at_holds(self, method: str, path: str) -> None:
        with self._lock:
            self.holds = [gate for gate in self.holds if not gate.released]
            holds = list(self.holds)
        for gate in holds:
            gate._arrive(method, path)

    def _pick_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times is not None and fault.fired >= fault.times:
                    continue
                if not fault.matches(method, path):
                    continue
                if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                    continue
                fault.fired += 1
                return fault
        return None

    def _route(self, method: str, path: str) -> tuple[Route | None, re.Match[str] | None]:
        for route in self.routes:
            if route.method != method:
                continue
            match = route.pattern.fullmatch(path)
            if match:
                return route, match
        return None, None

    def _stats(self, request: Request) -> Response:
        """``GET /_emulator/calls`` (counters) and ``POST /_emulator/reset``: for benchmarks in another process."""
        if request.method == "POST" and request.path == f"{STATS_PATH}/reset":
            self.reset_counters()
            return Response(200, {"reset": True})
        with self._lock:
            calls = dict(self.calls)
        return Response(200, {"calls": calls, "total": sum(calls.values())})

    def not_found(self, request: Request) -> Response:
        """Answer for a path no route serves (subclasses mimic their real API's shape)."""
        return Response(404, {"message": f"No API found for '{request.method} {request.path}'"})

    def dispatch(self, request: Request) -> Response:
        """Run auth and the matching handler; turn :class:`HttpError` into a response."""
        if request.path.startswith(STATS_PATH):
            return self._stats(request)
        route, match = self._route(request.method, request.path)
        name = route.name if route else "unrouted"
        with self._lock:
            self.calls[name] += 1
        if route is None:
            return self.not_found(request)
        request.match = match
        try:
            self.authorize(request)
            result = route.handler(request)
        except HttpError as err:
            return Response(err.status, err.body, dict(err.headers))
        except Exception as err:  # a handler bug must still answer, or clients retry a "reset" forever
            return Response(500, {"error_code": "INTERNAL_ERROR", "message": f"{type(err).__name__}: {err}"})
        if isinstance(result, Response):
            return result
        return Response(200, result)


def _make_handler(server: EmulatorServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = f"{server.server_name}-emulator"

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            raw_query = parse_qs(parts.query, keep_blank_values=True)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request(
                method=self.command,
                path=parts.path,
                query={k: v[-1] for k, v in raw_query.items()},
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            request._raw_query = raw_query
            server._wait_at_holds(request.method, request.path)
            if server.latency_ms:
                time.sleep(server.latency_ms / 1000.0)
            fault = server._pick_fault(request.method, request.path)
            if fault is not None:
                with server._lock:
                    server.calls[f"fault:{fault.kind}"] += 1
                if fault.kind == "reset":
                    self._reset()
                    return
                if fault.kind == "delay":
                    time.sleep(fault.delay_s)
                elif fault.kind == "status":
                    headers = {}
                    if fault.retry_after is not None:
                        headers["Retry-After"] = str(fault.retry_after)
                    body = fault.body if fault.body is not None else {"message": f"injected {fault.status}"}
                    self._send(Response(fault.status, body, headers))
                    return
                elif fault.kind == "not_json":
                    self._send(
                        Response(
                            200,
                            raw=b"<html><body>Bad gateway</body></html>",
                            headers={"Content-Type": "text/html"},
                        )
                    )
                    return
                elif fault.kind == "truncate":
                    response = server.dispatch(request)
                    self._send(response, truncate=True)
                    return
            self._send(server.dispatch(request))

        def _reset(self) -> None:
            with contextlib.suppress(OSError):
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.close()

        def _send(self, response: Response, truncate: bool = False) -> None:
            payload = response.encode()
            headers = {"Content-Type": "application/json"}
            headers.update(response.headers)
            status_line = f"HTTP/1.1 {response.status} {self.responses.get(response.status, ('',))[0]}\r\n"
            lines = [status_line]
            for key, value in headers.items():
                lines.append(f"{key}: {value}\r\n")
            lines.append(f"Content-Length: {len(payload)}\r\n")
            if truncate:
                lines.append("Connection: close\r\n")
                payload = payload[: max(1, len(payload) // 2)]
                self.close_connection = True
            lines.append("\r\n")
            try:
                self.wfile.write("".join(lines).encode("latin-1") + payload)
                self.wfile.flush()
            except OSError:
                self.close_connection = True

        do_GET = _handle
        do_POST = _handle
        do_PUT = _handle
        do_PATCH = _handle
        do_DELETE = _handle

    return _Handler
