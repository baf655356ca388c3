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

from core.emulators.http.faults import FaultKind
from core.emulators.http.messages import Request, Response

if TYPE_CHECKING:
    from core.emulators.http.server import EmulatorServer


def make_handler(server: EmulatorServer) -> type[BaseHTTPRequestHandler]:
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
                kind = FaultKind.parse(fault.kind)
                with server._lock:
                    server.calls[f"fault:{kind.value}"] += 1
                if kind is FaultKind.RESET:
                    self._reset()
                    return
                if kind is FaultKind.STATUS:
                    headers = {}
                    if fault.retry_after is not None:
                        headers["Retry-After"] = str(fault.retry_after)
                    answer = fault.body if fault.body is not None else {"message": f"injected {fault.status}"}
                    self._send(Response(fault.status, answer, headers))
                    return
                if kind is FaultKind.NOT_JSON:
                    self._send(
                        Response(
                            200,
                            raw=b"<html><body>Bad gateway</body></html>",
                            headers={"Content-Type": "text/html"},
                        )
                    )
                    return
                if kind is FaultKind.TRUNCATE:
                    self._send(server.dispatch(request), truncate=True)
                    return
                time.sleep(fault.delay_s)  # FaultKind.DELAY: then answer normally
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
