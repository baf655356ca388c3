"""The connection check honours its per-step timeout, and TLS failures are one sentence with the right hint.

The servers here are deterministic fakes on 127.0.0.1: one accepts and never answers (a TLS handshake or an
HTTP request that hangs), one answers a TLS hello with plain HTTP. Durations are the step's own clock
(``CheckStep.duration_ms``), never a sleep.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import requests

from core.checks import STEP_GRACE_S, _run, _within, check_databricks, check_tls
from core.config import parse_workflow_config
from core.config.models import WorkflowConfig
from core.databricks.errors import translate
from core.errors import ConnectionCheckError, SourceUnavailableError
from core.http_policy import TLS_HINT

#: what a step may take past its timeout on a busy 2-core machine (thread start, socket close)
MARGIN_S = 1.5


class FakeServer:
    """A TCP server on 127.0.0.1 that either never answers or answers everything with plain HTTP."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.stopped = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)  # "silent": kept open, never read, never answered
            if self.mode == "plain-http":
                try:
                    conn.recv(4096)
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass

    def close(self) -> None:
        self.stopped = True
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def silent() -> Iterator[FakeServer]:
    server = FakeServer("silent")
    yield server
    server.close()


@pytest.fixture
def plain_http() -> Iterator[FakeServer]:
    server = FakeServer("plain-http")
    yield server
    server.close()


def _config(url: str) -> WorkflowConfig:
    data = {
        "source": {
            "type": "databrickspipeline",
            "serviceName": "svc",
            "serviceConnection": {
                "config": {
                    "type": "DatabricksPipeline",
                    "hostPort": url,
                    "authType": {"token": "dapi-not-real"},
                }
            },
            "sourceConfig": {"config": {"type": "PipelineMetadata"}},
        },
        "sink": {"type": "console", "config": {}},
        "workflowConfig": {},
    }
    return parse_workflow_config(data, environ={})


def test_a_server_that_never_answers_the_tls_handshake_fails_the_first_step_within_its_timeout(
    silent: FakeServer,
) -> None:
    """The field report: a TLS failure took 49 s with a 20 s timeout, with a raw urllib3 message."""
    timeout_s = 1.0
    steps = check_databricks(_config(f"https://127.0.0.1:{silent.port}"), timeout_s)
    first = steps[0]
    assert first.name == "Host reachable" and first.ok is False
    assert first.duration_ms <= (timeout_s + MARGIN_S) * 1000
    assert first.error == f"the server at 127.0.0.1:{silent.port} did not complete a TLS handshake within 1 s"
    assert first.hint == TLS_HINT and "Is it https?" in first.hint
    assert first.field == "source.serviceConnection.config.hostPort"
    assert all(step.ok is None for step in steps[1:])


def test_a_plain_http_server_on_an_https_address_says_it_may_speak_plain_http(plain_http: FakeServer) -> None:
    steps = check_databricks(_config(f"https://127.0.0.1:{plain_http.port}"), 5.0)
    assert steps[0].ok is False
    assert steps[0].duration_ms <= 5000
    assert "did not complete a TLS handshake" in (steps[0].error or "")
    assert "it may speak plain http" in (steps[0].error or "")
    assert "HTTPSConnectionPool" not in (steps[0].error or "")
    assert steps[0].hint == TLS_HINT


def test_a_step_whose_server_hangs_ends_at_the_timeout_despite_the_sdks_retries(silent: FakeServer) -> None:
    """http:// passes the TCP step; the credentials step then hangs inside the SDK (metadata, retries)."""
    timeout_s = 1.0
    steps = check_databricks(_config(f"http://127.0.0.1:{silent.port}"), timeout_s)
    assert steps[0].ok is True
    credentials = steps[1]
    assert credentials.name == "Credentials accepted" and credentials.ok is False
    assert credentials.duration_ms <= (timeout_s + STEP_GRACE_S + MARGIN_S) * 1000
    assert credentials.error == "timed out: no answer within the 1 s per-step timeout"
    assert "raise the timeout" in (credentials.hint or "")


def test_check_tls_on_a_port_that_refuses_is_one_sentence_never_an_oserror() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(ConnectionCheckError) as caught:
            check_tls(f"https://127.0.0.1:{port}", 1.0, "field.path")
    assert caught.value.field == "field.path"
    assert caught.value.message.startswith(f"the server at 127.0.0.1:{port} closed the connection")


def test_within_returns_the_answer_and_reraises_the_actions_own_error() -> None:
    assert _within(lambda: "fine", 1.0) == "fine"

    def boom() -> str:
        raise ConnectionCheckError("refused", field="x")

    with pytest.raises(ConnectionCheckError, match="refused"):
        _within(boom, 1.0)


def test_a_step_past_its_deadline_fails_and_skips_the_rest() -> None:
    release = threading.Event()

    def hangs() -> str:
        release.wait(10)
        return "late"

    try:
        steps = _run("Side", [("First", hangs), ("Second", lambda: "never")], deadline_s=0.2)
    finally:
        release.set()
    assert steps[0].ok is False and "timed out" in (steps[0].error or "")
    assert steps[0].duration_ms <= (0.2 + STEP_GRACE_S + MARGIN_S) * 1000
    assert steps[1].ok is None and steps[1].detail == "skipped: an earlier step failed"


def test_an_ssl_error_from_the_sdk_is_one_sentence_with_the_tls_hint() -> None:
    raw = requests.exceptions.SSLError(
        "HTTPSConnectionPool(host='h', port=443): Max retries exceeded with url: /api/2.0/preview/scim/v2/Me "
        "(Caused by SSLError(SSLError(1, '[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)')))"
    )
    err = translate(raw, "checking the credentials")
    assert isinstance(err, SourceUnavailableError)
    assert err.message == (
        "the server did not complete a TLS handshake while checking the credentials "
        "(WRONG_VERSION_NUMBER wrong version number)"
    )
    assert err.hint == TLS_HINT
    verify = translate(
        requests.exceptions.SSLError(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed"
        ),
        "listing jobs",
    )
    assert verify.message == "the server's certificate is not trusted: self-signed"


def test_an_openmetadata_server_that_hangs_ends_each_step_at_the_timeout(silent: FakeServer) -> None:
    from core.checks import check_openmetadata

    data = {
        "source": {
            "type": "databrickspipeline",
            "serviceName": "svc",
            "serviceConnection": {
                "config": {
                    "type": "DatabricksPipeline",
                    "hostPort": "https://adb-1.azuredatabricks.net",
                    "authType": {"token": "dapi-not-real"},
                }
            },
            "sourceConfig": {"config": {"type": "PipelineMetadata"}},
        },
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {
            "openMetadataServerConfig": {
                "hostPort": f"http://127.0.0.1:{silent.port}/api",
                "authProvider": "openmetadata",
                "securityConfig": {"jwtToken": "not-a-real-jwt"},
            }
        },
    }
    timeout_s = 1.0
    steps = check_openmetadata(parse_workflow_config(data, environ={}), timeout_s)
    assert [step.ok for step in steps] == [True, False, None, None]
    assert steps[1].name == "Version"
    assert steps[1].duration_ms <= (timeout_s + STEP_GRACE_S + MARGIN_S) * 1000
    assert steps[1].error == "timed out: no answer within the 1 s per-step timeout"
