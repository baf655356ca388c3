"""An untrusted certificate is named as such by the connection check, never reported as a timeout.

The server here is a local TLS server on 127.0.0.1 with a self-signed certificate generated in the test
(``cryptography``). The check judges the certificate the way each client will: the default trust store
(or ``REQUESTS_CA_BUNDLE``) for Databricks, ``verifySSL``/``sslConfig`` for OpenMetadata.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.checks import _within, check_databricks, check_openmetadata, check_tls
from core.cli import main
from core.config import parse_workflow_config
from core.config.models import WorkflowConfig
from core.databricks.errors import translate
from core.errors import SourceUnavailableError
from core.http_policy import (
    DATABRICKS_CERT_HINT,
    OPENMETADATA_CERT_HINT,
    AttemptAbandonedError,
    before_attempt,
    failed_attempt,
)

HOST_FIELD = "source.serviceConnection.config.hostPort"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, written to ``folder``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dbx-pipeline test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class SelfSignedServer:
    """An https server on 127.0.0.1 with a self-signed certificate; answers every request with ``{}``."""

    def __init__(self, folder: Path) -> None:
        self.cert, key = self_signed(folder)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.cert, key)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = self.sock.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.stopped = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            with self.context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(65536)
                tls.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                )
        except OSError:  # the client refused the certificate: the handshake fails here too
            conn.close()

    def close(self) -> None:
        self.stopped = True
        self.sock.close()


@pytest.fixture
def untrusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SelfSignedServer]:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    server = SelfSignedServer(tmp_path)
    yield server
    server.close()


def databricks_config(url: str) -> dict[str, Any]:
    return {
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


def _parsed(data: dict[str, Any]) -> WorkflowConfig:
    return parse_workflow_config(data, environ={})


def _certificate_sentence(port: int) -> str:
    return f"the server's certificate is not trusted: self-signed certificate (127.0.0.1:{port})"


def test_the_databricks_check_names_an_untrusted_certificate_in_its_first_step(
    untrusted: SelfSignedServer,
) -> None:
    """Field report: "completed a TLS handshake", then a 5.5 s "timed out" at the credentials."""
    steps = check_databricks(_parsed(databricks_config(untrusted.url)), 5.0)
    first = steps[0]
    assert first.name == "Host reachable" and first.ok is False
    assert first.error == _certificate_sentence(untrusted.port)
    assert first.hint == DATABRICKS_CERT_HINT and "REQUESTS_CA_BUNDLE" in first.hint
    assert first.field == HOST_FIELD
    assert first.duration_ms < 5000
    assert [step.ok for step in steps[1:]] == [None, None]


def test_the_check_trusts_what_the_client_trusts_a_ca_bundle_in_requests_ca_bundle(
    untrusted: SelfSignedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(untrusted.cert))
    detail = check_tls(untrusted.url, 5.0, HOST_FIELD)
    assert detail.startswith(f"127.0.0.1:{untrusted.port} completed a TLS handshake")
    assert requests.get(untrusted.url, timeout=5).json() == {}  # and so does requests, as the SDK uses it


def _om_config(url: str, **server: Any) -> WorkflowConfig:
    data = databricks_config("https://adb-1.azuredatabricks.net")
    data["sink"] = {"type": "metadata-rest", "config": {}}
    data["workflowConfig"] = {
        "openMetadataServerConfig": {
            "hostPort": f"{url}/api",
            "authProvider": "openmetadata",
            "securityConfig": {"jwtToken": "not-a-real-jwt"},
            **server,
        }
    }
    return _parsed(data)


def test_the_openmetadata_check_judges_the_certificate_as_its_verifyssl_says(
    untrusted: SelfSignedServer,
) -> None:
    steps = check_openmetadata(_om_config(untrusted.url), 5.0)
    assert steps[0].name == "Server reachable" and steps[0].ok is False
    assert steps[0].error == _certificate_sentence(untrusted.port)
    assert steps[0].hint == OPENMETADATA_CERT_HINT
    # the CA given as the client would use it: the handshake passes (the next step fails on the fake answer)
    trusted = _om_config(
        untrusted.url, verifySSL="validate", sslConfig={"caCertificate": str(untrusted.cert)}
    )
    assert check_openmetadata(trusted, 5.0)[0].ok is True
    assert check_openmetadata(_om_config(untrusted.url, verifySSL="ignore"), 5.0)[0].ok is True


def test_test_connection_on_the_cli_names_the_untrusted_certificate(
    untrusted: SelfSignedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps(databricks_config(untrusted.url)))
    code = main(["test-connection", "-c", str(path), "--timeout", "5"])
    out = capsys.readouterr().out
    assert code == 2
    assert _certificate_sentence(untrusted.port) in out
    assert "REQUESTS_CA_BUNDLE" in out
    assert "timed out" not in out and "Traceback" not in out


def test_an_untrusted_certificate_the_sdk_retried_is_one_sentence_with_the_certificate_hint() -> None:
    raw = requests.exceptions.SSLError(
        "HTTPSConnectionPool(host='adb-1.net', port=443): Max retries exceeded with url: /api/2.0/x (Caused by "
        "SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "self-signed certificate in certificate chain (_ssl.c:1006)')))"
    )
    err = translate(TimeoutError("Timed out after 0:00:05").with_traceback(None), "listing jobs")
    assert "did not answer" in err.message  # a bare timeout stays a timeout
    timeout = TimeoutError("Timed out after 0:00:05")
    timeout.__cause__ = raw
    err = translate(timeout, "listing jobs")
    assert isinstance(err, SourceUnavailableError)
    assert err.message == (
        "the server's certificate is not trusted: self-signed certificate in certificate chain (adb-1.net:443)"
    )
    assert err.hint == DATABRICKS_CERT_HINT


def test_a_step_that_runs_out_of_time_reports_the_last_failure_its_client_retried() -> None:
    """The SDK retries a failed try until its own budget; past the step's deadline that try is the error."""
    release = threading.Event()
    stopped: list[BaseException] = []

    def retries_forever() -> str:
        failed_attempt(
            requests.exceptions.SSLError(
                "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
                "failed: self-signed certificate (_ssl.c:1006)"
            )
        )
        release.wait(10)
        try:
            before_attempt()  # the next try of the abandoned step
        except AttemptAbandonedError as err:
            stopped.append(err)
        return "late"

    def explain(err: BaseException) -> Exception:
        return translate(err, "checking the connection")

    with pytest.raises(SourceUnavailableError) as caught:
        _within(retries_forever, 0.2, explain)
    assert caught.value.message.startswith("the server's certificate is not trusted: self-signed certificate")
    release.set()
    for _ in range(100):
        if stopped:
            break
        threading.Event().wait(0.05)
    assert stopped, "the abandoned step's next try must stop it"


def test_an_abandoned_step_no_longer_logs(caplog: pytest.LogCaptureFixture) -> None:
    """After the deadline, the SDK's warnings from the abandoned thread ("Failed to ... host metadata") are dropped."""
    release, done = threading.Event(), threading.Event()

    def hangs_then_logs() -> str:
        logging.getLogger("databricks.sdk.config").warning("before the deadline")
        release.wait(10)
        logging.getLogger("databricks.sdk.config").warning("Failed to automatically resolve config")
        done.set()
        return "late"

    caplog.set_level(logging.WARNING)
    with pytest.raises(Exception, match="timed out"):
        _within(hangs_then_logs, 0.2)
    release.set()
    assert done.wait(5)
    messages = [record.getMessage() for record in caplog.records]
    assert "before the deadline" in messages
    assert "Failed to automatically resolve config" not in messages
    logging.getLogger("databricks.sdk.config").warning("another check's record")
    assert "another check's record" in [record.getMessage() for record in caplog.records]
