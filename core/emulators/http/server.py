"""The threaded emulator server: routing, latency, faults, holds, counters and its lifecycle."""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from http.server import ThreadingHTTPServer
from typing import Any

from core.emulators.http.faults import Fault, FaultKind, Hold
from core.emulators.http.handler import make_handler
from core.emulators.http.messages import STATS_PATH, Handler, HttpError, Request, Response, Route
from core.emulators.http.ratelimit import RateLimiter, retry_after_header


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

    def __init__(
        self,
        *,
        port: int = 0,
        latency_ms: float = 0.0,
        seed: int = 0,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        """A server with no routes, faults or holds yet; :meth:`start` binds it.

        Args:
            port: the TCP port on 127.0.0.1; 0 picks a free one.
            latency_ms: the delay before each answer, in milliseconds (simulates a remote API).
            seed: the seed of the RNG that decides probabilistic faults.
            rate_limiter: per-route request rate limits (see :mod:`core.emulators.http.ratelimit`); a
                refused request is answered by :meth:`too_many_requests` and counted as
                ``throttled:<route>``, not as a call of the route. ``None``: no limits.
        """
        self.port = port
        self.latency_ms = latency_ms
        self.rate_limiter = rate_limiter
        self.routes: list[Route] = []
        self.faults: list[Fault] = []
        self.calls: Counter[str] = Counter()
        self.holds: list[Hold] = []
        self._remote: list[Hold] = []  # holds added over HTTP (``/_emulator/holds``), kept to be listed
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._httpd: _QuietThreadingServer | None = None
        self._thread: threading.Thread | None = None

    # -- configuration ------------------------------------------------------------------------------

    def add_route(self, method: str, pattern: str, handler: Handler, name: str | None = None) -> None:
        """Register ``handler`` for ``method`` on paths fully matching ``pattern``."""
        self.routes.append(Route(method, re.compile(pattern), handler, name or pattern))

    def inject(self, fault: Fault | None = None, **kwargs: Any) -> Fault:
        """Add a fault (an instance, or the keyword arguments of :class:`Fault`) and return it.

        Raises:
            ValueError: the fault's ``kind`` is no :class:`FaultKind` (the message names the valid kinds).
        """
        fault = fault or Fault(**kwargs)
        fault.kind = FaultKind.parse(fault.kind)  # an instance's kind may have been reassigned since
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
        handler_cls = make_handler(self)
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
        """The control endpoints, for benchmarks and tests in another process (never held, delayed or faulted).

        ``GET /_emulator/calls`` (counters), ``POST /_emulator/reset`` (forget them), and the holds of
        :meth:`_remote_holds`.
        """
        if request.path.startswith(f"{STATS_PATH}/holds"):
            return self._remote_holds(request)
        if request.method == "POST" and request.path == f"{STATS_PATH}/reset":
            self.reset_counters()
            return Response(200, {"reset": True})
        with self._lock:
            calls = dict(self.calls)
        return Response(200, {"calls": calls, "total": sum(calls.values()), "model": self.model()})

    def _remote_holds(self, request: Request) -> Response:
        """:meth:`hold` over HTTP, for a test whose emulator runs in another process (the wizard's demo).

        ``POST /_emulator/holds`` with ``{"path": regex, "method": "GET", "after": 0}`` adds a hold;
        ``GET /_emulator/holds`` lists the holds added this way (``seen``, ``held``, ``released``), so a
        test can wait until a run is parked; ``POST /_emulator/holds/release`` releases them all.
        """
        if request.method == "POST" and request.path == f"{STATS_PATH}/holds":
            spec = request.json() or {}
            if not isinstance(spec, dict):
                return Response(400, {"message": "a hold is a JSON object: path, method, after"})
            path, method = str(spec.get("path", "")), spec.get("method")
            try:
                re.compile(path)
                after = int(spec.get("after", 0))
            except (TypeError, ValueError, re.error) as err:
                return Response(400, {"message": f"not a hold: {err}"})
            gate = self.hold(path, str(method).upper() if method else None, after)
            with self._lock:
                self._remote.append(gate)
                number = len(self._remote)
            return Response(200, {"hold": number})
        if request.method == "POST" and request.path == f"{STATS_PATH}/holds/release":
            with self._lock:
                gates = list(self._remote)
            for gate in gates:
                gate.release()
            return Response(200, {"released": len(gates)})
        with self._lock:
            gates = list(self._remote)
        listed = [
            {"path": gate.path, "method": gate.method, "after": gate.after, "seen": gate.seen,
             "held": gate.held, "released": gate.released}
            for gate in gates
        ]  # fmt: skip
        return Response(200, {"holds": listed})

    def model(self) -> dict[str, Any]:
        """What this server models, for ``dbx-pipeline bench`` to print next to its figures.

        ``latency_ms`` per request, ``rate_limits`` (route -> requests per second; empty when off) and
        ``cost_ms_per_entity`` (``None`` unless the server defines such a cost).
        """
        return {
            "latency_ms": self.latency_ms,
            "rate_limits": dict(self.rate_limiter.limits) if self.rate_limiter else {},
            "cost_ms_per_entity": getattr(self, "cost_ms_per_entity", None),
        }

    def too_many_requests(self, request: Request, route: str, wait_s: float) -> Response:
        """The answer to a request over its route's rate limit: 429 with ``Retry-After``.

        Subclasses shape the body like their real API.
        """
        message = f"Too many requests to {route}: retry in {wait_s:.2f} s"
        return Response(429, {"message": message}, {"Retry-After": retry_after_header(wait_s)})

    def not_found(self, request: Request) -> Response:
        """Answer for a path no route serves (subclasses mimic their real API's shape)."""
        return Response(404, {"message": f"No API found for '{request.method} {request.path}'"})

    def dispatch(self, request: Request) -> Response:
        """Run auth and the matching handler; turn :class:`HttpError` into a response."""
        if request.path.startswith(STATS_PATH):
            return self._stats(request)
        route, match = self._route(request.method, request.path)
        name = route.name if route else "unrouted"
        wait_s = self.rate_limiter.check(name) if self.rate_limiter and route else 0.0
        with self._lock:
            self.calls[f"throttled:{name}" if wait_s else name] += 1
        if route is None:
            return self.not_found(request)
        if wait_s:
            return self.too_many_requests(request, name, wait_s)
        request.match = match
        try:
            self.authorize(request)
            result = route.handler(request)
        except HttpError as err:
            return Response(err.status, err.body, dict(err.headers))
        except Exception as err:  # noqa: BLE001 -- a handler bug must still answer (a 500), or clients retry a "reset" forever
            return Response(500, {"error_code": "INTERNAL_ERROR", "message": f"{type(err).__name__}: {err}"})
        if isinstance(result, Response):
            return result
        return Response(200, result)
