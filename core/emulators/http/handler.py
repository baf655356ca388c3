"""The per-connection request handler: parses a request, applies holds, latency and faults, writes the answer.

Each response is written in one ``sendall`` on a ``TCP_NODELAY`` socket (see the package docstring for why).
"""

from __future__ import annotations

import contextlib
import socket
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from core.emulators.http.faults import Fault, FaultKind
from core.emulators.http.messages import STATS_PATH, Request, Response

if TYPE_CHECKING:
    from core.emulators.http.server import EmulatorServer


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    """One connection's handler: parse, wait at holds, add latency, inject a fault or dispatch, answer.

    ``emulator`` is the :class:`EmulatorServer` answering; :func:`make_handler` binds it in a subclass
    (``self.server`` is the standard library's socket server, not the emulator).
    """

    protocol_version = "HTTP/1.1"
    emulator: EmulatorServer

    def setup(self) -> None:
        """Set ``TCP_NODELAY``, so each one-``sendall`` answer leaves at once (see the package docstring)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing: tests and benchmarks send thousands of requests."""
        return

    def _handle(self) -> None:
        server = self.emulator
        request = self._read_request()
        if request.path.startswith(STATS_PATH):  # the control endpoints: never held, delayed or faulted
            self._send(server.dispatch(request))
            return
        server._wait_at_holds(request.method, request.path)
        if server.latency_ms:
            time.sleep(server.latency_ms / 1000.0)
        fault = server._pick_fault(request.method, request.path)
        if fault is not None and self._answer_fault(fault, request):
            return
        self._send(server.dispatch(request))

    def _read_request(self) -> Request:
        """The request line, headers and body as a :class:`Request` (header names lower-cased)."""
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
        return request

    def _answer_fault(self, fault: Fault, request: Request) -> bool:
        """Count and apply an injected fault; ``False`` when the request is still to be answered normally.

        Only :attr:`FaultKind.DELAY` returns ``False``, after sleeping ``fault.delay_s`` seconds.
        """
        server = self.emulator
        kind = FaultKind.parse(fault.kind)
        with server._lock:
            server.calls[f"fault:{kind.value}"] += 1
        if kind is FaultKind.RESET:
            self._reset()
        elif kind is FaultKind.STATUS:
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(fault.retry_after)
            answer = fault.body if fault.body is not None else {"message": f"injected {fault.status}"}
            self._send(Response(fault.status, answer, headers))
        elif kind is FaultKind.NOT_JSON:
            self._send(
                Response(
                    200,
                    raw=b"<html><body>Bad gateway</body></html>",
                    headers={"Content-Type": "text/html"},
                )
            )
        elif kind is FaultKind.TRUNCATE:
            self._send(server.dispatch(request), truncate=True)
        else:
            time.sleep(fault.delay_s)  # FaultKind.DELAY: then answer normally
            return False
        return True

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


def make_handler(server: EmulatorServer) -> type[BaseHTTPRequestHandler]:
    """The request handler class for ``server``, to give to the standard library's ``ThreadingHTTPServer``.

    Args:
        server: the emulator whose routes, faults, holds and counters the handler uses.

    Returns:
        A subclass of :class:`EmulatorRequestHandler` bound to ``server``; its ``Server`` header is
        ``<server_name>-emulator``.
    """

    class _Handler(EmulatorRequestHandler):
        emulator = server
        server_version = f"{server.server_name}-emulator"

    return _Handler
