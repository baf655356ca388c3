"""Step-by-step connection tests for both sides, as the CLI's ``test-connection`` and the wizard show them.

OpenMetadata's own test has one opaque step with a fixed 3-minute timeout. Here each side is a short
chain of steps that each say what was checked, how long it took, and on failure what to do. A failed
step skips the ones after it on the same side (they could only fail the same way).
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from core.check_steps import CheckStep
from core.config.models import WorkflowConfig
from core.errors import (
    ConfigError,
    ConnectionCheckError,
    DecodeError,
    IngestionError,
    SinkAuthError,
    SourceError,
)
from core.http_policy import (
    CHECK_RETRIES,
    CHECK_STEP_TIMEOUT_S,
    DATABRICKS_CERT_HINT,
    OPENMETADATA_CERT_HINT,
    TLS_HINT,
    AttemptWatch,
    certificate_message,
    watching_attempts,
)
from core.mapping.service import service_request
from core.openmetadata.client import OpenMetadataClient
from core.openmetadata.versions import version_warning
from core.secrets import redact
from core.sinks.openmetadata import OpenMetadataSink

HOST_FIELD = "source.serviceConnection.config.hostPort"
SERVER_FIELD = "workflowConfig.openMetadataServerConfig.hostPort"

if TYPE_CHECKING:
    from core.factory import Sources

__all__ = ["CheckStep", "check_databricks", "check_openmetadata", "check_tcp", "check_tls"]

#: Seconds a step may run past its timeout before it is abandoned (the step's own bookkeeping).
STEP_GRACE_S = 0.5


def _run(
    side: str,
    steps: list[tuple[str, Callable[[], str]]],
    deadline_s: float | None = None,
    explain: Callable[[BaseException], Exception] | None = None,
) -> list[CheckStep]:
    """Run ``steps`` in order; each gets ``deadline_s`` seconds (None: no deadline), a failure skips the rest.

    ``explain`` turns the last failed try of a step that ran out of time into its error (see :func:`_within`).
    """
    results: list[CheckStep] = []
    failed = False
    for name, action in steps:
        step = CheckStep(side, name)
        results.append(step)
        if failed:
            step.detail = "skipped: an earlier step failed"
            continue
        started = time.perf_counter()
        try:
            step.detail = _within(action, deadline_s, explain) if deadline_s is not None else action()
            step.ok = True
        except IngestionError as err:
            step.ok, failed = False, True
            step.error, step.hint, step.field = redact(err.message), err.hint, err.field
            if err.field:  # printed before the error by `test-connection`: the setting to fix
                step.detail = f"check {err.field}"
        except Exception as err:  # noqa: BLE001 -- an unexpected failure is still a failed step, never a traceback
            step.ok, failed = False, True
            step.error = redact(f"{type(err).__name__}: {err}")
        step.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return results


def _within(
    action: Callable[[], str], deadline_s: float, explain: Callable[[BaseException], Exception] | None = None
) -> str:
    """``action()``, or an error once ``deadline_s`` seconds have passed without an answer.

    databricks-sdk retries inside one call (and reads the host's metadata before the first one), so a
    step may otherwise take several times its per-request timeout. The action runs on a daemon thread;
    past the deadline it is abandoned and the step fails at once. A client's tries report to an
    :class:`~core.http_policy.AttemptWatch`: when one failed without an answer (an untrusted certificate,
    a refused connection) and was being retried, that failure, through ``explain``, is the step's error,
    not "timed out". The abandoned thread sends nothing more and its SDK log records are dropped.

    Raises:
        ConnectionCheckError: the deadline passed with no failed try to report.
        Exception: whatever ``action`` raised, or ``explain`` of the last failed try.
    """
    answers: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)
    watch = AttemptWatch()

    def work() -> None:
        with watching_attempts(watch):
            try:
                answers.put((True, action()))
            except BaseException as err:  # noqa: BLE001 -- handed to the waiting thread, which re-raises it
                answers.put((False, err))

    worker = threading.Thread(target=work, name="check-step", daemon=True)
    worker.start()
    try:
        ok, value = answers.get(timeout=deadline_s + STEP_GRACE_S)
    except queue.Empty:
        watch.abandoned = True
        _silence(worker)
        if watch.errors and explain is not None:
            raise explain(watch.errors[-1]) from None
        raise ConnectionCheckError(
            f"timed out: no answer within the {deadline_s:g} s per-step timeout",
            hint="The server is slow or unreachable from here (VPN, firewall, proxy); raise the timeout "
            "to wait longer",
        ) from None
    if not ok:
        raise value
    return str(value)


class _AbandonedThreads(logging.Filter):
    """Drops the log records of check threads that were abandoned (the SDK's retries still winding down)."""

    def __init__(self) -> None:
        super().__init__("abandoned-check-steps")
        self.idents: set[int] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread not in self.idents


_ABANDONED = _AbandonedThreads()


def _silence(worker: threading.Thread) -> None:
    """From now on, the databricks-sdk and urllib3 loggers drop what ``worker`` logs."""
    if worker.ident is not None:
        _ABANDONED.idents.add(worker.ident)
    names = [
        name
        for name in list(logging.Logger.manager.loggerDict)
        if name.startswith(("databricks.sdk", "urllib3"))
    ]
    for name in {"databricks.sdk", "urllib3", *names}:
        logger = logging.getLogger(name)
        if _ABANDONED not in logger.filters:
            logger.addFilter(_ABANDONED)


def check_tcp(url: str, timeout_s: float, field: str) -> str:
    """Resolve and connect to the host of ``url``; the cheapest proof the address is right.

    Args:
        url: ``scheme://host[:port]``; the port defaults to 443 for https, else 80.
        timeout_s: seconds for each connect attempt (one per address the name resolves to).
        field: the dotted config path of the address, named in the error.

    Returns:
        ``host:port accepts connections``.

    Raises:
        ConnectionCheckError: the name does not resolve, or no address accepts a connection.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise ConnectionCheckError(
            f"cannot resolve host {host}",
            field=field,
            hint="Check the spelling of the host name and your DNS",
        ) from None
    last: OSError | None = None
    for family, kind, proto, _name, address in infos:
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(timeout_s)
                sock.connect(address)
            return f"{host}:{port} accepts connections"
        except OSError as err:
            last = err
    reason = "timed out" if isinstance(last, TimeoutError) else (last.strerror if last else "unknown")
    raise ConnectionCheckError(
        f"cannot connect to {host}:{port} ({reason})",
        field=field,
        hint="Check the host and port, and that this machine may reach it (VPN, firewall, proxy)",
    )


def check_tls(
    url: str,
    timeout_s: float,
    field: str,
    verify: bool | str = True,
    cert_hint: str = DATABRICKS_CERT_HINT,
) -> str:
    """Complete a TLS handshake with the host of an https ``url``, judging its certificate as the client will.

    A server that accepts the connection but never answers the handshake (or answers in plain HTTP)
    would otherwise fail later, after the client's retries, with urllib3's raw message; an untrusted
    certificate would be retried by the SDK until it looked like a timeout.

    Args:
        url: ``https://host[:port]``.
        timeout_s: seconds for the connect and the handshake together.
        field: the dotted config path of the address, named in the error.
        verify: ``requests``' ``verify`` as the client uses it: True (the default trust store, or
            ``REQUESTS_CA_BUNDLE``), a CA bundle path, or False (the certificate is not judged).
        cert_hint: what to do when the certificate is not trusted.

    Returns:
        ``host:port completed a TLS handshake (TLSv1.3)``.

    Raises:
        ConnectionCheckError: no handshake within ``timeout_s``, the server does not speak TLS, or its
            certificate is not trusted.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or 443
    context = _client_context(url, verify)
    deadline = time.monotonic() + timeout_s
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as raw:
            raw.settimeout(max(0.05, deadline - time.monotonic()))
            with context.wrap_socket(raw, server_hostname=host) as tls:
                return f"{host}:{port} completed a TLS handshake ({tls.version()})"
    except TimeoutError:
        reason = f"did not complete a TLS handshake within {timeout_s:g} s"
    except ssl.SSLCertVerificationError as err:
        untrusted = (err.verify_message or err.reason or "certificate verify failed").rstrip(".")
        raise ConnectionCheckError(
            certificate_message(untrusted, f"{host}:{port}"), field=field, hint=cert_hint
        ) from None
    except ssl.SSLError as err:
        reason = f"did not complete a TLS handshake ({err.reason or 'not TLS'}: it may speak plain http)"
    except OSError as err:
        reason = f"closed the connection during the TLS handshake ({err.strerror or type(err).__name__})"
    raise ConnectionCheckError(f"the server at {host}:{port} {reason}", field=field, hint=TLS_HINT)


def _client_context(url: str, verify: bool | str) -> ssl.SSLContext:
    """The SSL context ``requests`` would verify ``url`` with, given its ``verify`` setting.

    True means ``REQUESTS_CA_BUNDLE`` (or ``CURL_CA_BUNDLE``) when set, else requests' own bundle.
    """
    import requests
    from requests.utils import DEFAULT_CA_BUNDLE_PATH

    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    resolved = requests.Session().merge_environment_settings(url, {}, None, verify, None)["verify"]
    if resolved is True or not isinstance(resolved, str):
        return ssl.create_default_context(cafile=DEFAULT_CA_BUNDLE_PATH)
    if os.path.isdir(resolved):
        return ssl.create_default_context(capath=resolved)
    return ssl.create_default_context(cafile=resolved)


def _tls_too(
    url: str,
    checked: str,
    timeout_s: float,
    field: str,
    verify: bool | str = True,
    cert_hint: str = DATABRICKS_CERT_HINT,
) -> str:
    """For an https ``url`` that accepts connections, also the TLS handshake; else what TCP found."""
    if urlsplit(url).scheme != "https":
        return checked
    return check_tls(url, min(timeout_s, 10.0), field, verify=verify, cert_hint=cert_hint)


def _check_timeout(timeout_s: float) -> None:
    """A per-step timeout must be a positive number of seconds (``--timeout``, the wizard's field)."""
    if not 0 < timeout_s <= 3600:  # also False for NaN
        raise ConfigError(
            f"the per-step timeout must be more than 0 and at most 3600 seconds, got {timeout_s}",
            field="--timeout",
            hint="Give the seconds each step may take, e.g. --timeout 20",
        )


def check_databricks(config: WorkflowConfig, timeout_s: float = CHECK_STEP_TIMEOUT_S) -> list[CheckStep]:
    """Host reachable, credentials accepted, jobs listable, and the SQL warehouse when httpPath is set.

    The source is built by :func:`core.factory.create_source` with ``timeout_s`` for each request and its
    retries, so a step takes at most about ``timeout_s`` seconds.

    Raises:
        ConfigError: ``timeout_s`` is not in (0, 3600]. Every other failure is a failed step.
    """
    from core.databricks.decode import decode_job
    from core.databricks.retry import pages
    from core.factory import create_source, preflight

    _check_timeout(timeout_s)
    connection = config.source.connection
    state: dict[str, Sources] = {}

    def reachable() -> str:
        (checked,) = preflight(config, sink=False, timeout_s=timeout_s)
        return _tls_too(connection.base_url, checked, timeout_s, HOST_FIELD)

    def credentials() -> str:
        state["sources"] = create_source(config, timeout_s=timeout_s, lineage=True, preflight_check=False)
        return f"signed in as {state['sources'].source.current_user()} ({connection.auth_kind})"

    def jobs() -> str:
        source = state["sources"].source
        page = next(pages(source.client, "/api/2.2/jobs/list", {"limit": 1}, "jobs", "listing jobs"), [])
        if not page:
            return "jobs can be listed (none yet)"
        try:
            example = f" (e.g. {decode_job(page[0])[0].name!r})"
        except DecodeError:
            example = ""
        return f"jobs can be listed{example}"

    steps = [("Host reachable", reachable), ("Credentials accepted", credentials), ("Jobs listable", jobs)]
    if connection.warehouse_id:

        def warehouse() -> str:
            reader = state["sources"].lineage
            assert reader is not None  # lineage=True and httpPath names a warehouse
            reader.check()
            return f"SQL warehouse {connection.warehouse_id} runs queries"

        steps.append(("SQL warehouse reachable", warehouse))
    elif config.http_path_warning():
        steps.append(("SQL warehouse", lambda: f"not checked: {config.http_path_warning()}"))
    status_source = config.workflow_config.status_source
    if status_source == "systemTables" or (status_source == "auto" and connection.warehouse_id):
        # systemTables without a warehouse fails here as ingest would, naming httpPath
        steps.append(("System tables for run statuses", _system_tables_check(config, state, timeout_s)))
    return _run("Databricks", steps, deadline_s=timeout_s, explain=_explain_databricks)


def _explain_databricks(err: BaseException) -> Exception:
    """The error of a Databricks try the SDK was still retrying at the step's deadline."""
    from core.databricks.errors import translate

    return translate(err, "checking the connection")


def _system_tables_check(
    config: WorkflowConfig, state: dict[str, Sources], timeout_s: float
) -> Callable[[], str]:
    """The step that reads one row of each ``system.lakeflow`` timeline table (``statusSource`` not rest).

    With ``statusSource: auto`` a table that cannot be read passes with a note (the run then reads
    statuses over REST and says so); with ``systemTables`` it fails, naming the field.
    """

    def step() -> str:
        from core.factory import STATUS_SOURCE_FIELD, system_table_statuses

        try:
            return system_table_statuses(config, state["sources"], timeout_s=timeout_s).probe()
        except IngestionError as err:
            if config.workflow_config.status_source == "auto":
                return f"not readable, so run statuses will be read over REST: {redact(err.message)}"
            raise SourceError(err.message, field=err.field or STATUS_SOURCE_FIELD, hint=err.hint) from err

    return step


def check_openmetadata(config: WorkflowConfig, timeout_s: float = CHECK_STEP_TIMEOUT_S) -> list[CheckStep]:
    """Server reachable, its version, JWT accepted, and the bot may write (the service is ensured).

    Args:
        config: the validated workflow config.
        timeout_s: per-request timeout of each step, in seconds (more than 0, at most 3600).

    Returns:
        One step each, in order; a failed step skips the rest. The passed "Version" step carries the
        server's version as data in :attr:`CheckStep.server_version`.

    Raises:
        ConfigError: when ``timeout_s`` is out of range.
    """
    _check_timeout(timeout_s)
    server = config.server
    if server is None:
        return [
            CheckStep("OpenMetadata", "Sink", ok=True, detail=f"{config.sink.type} sink: no server needed")
        ]
    client = OpenMetadataClient(server, timeout_s=timeout_s, retries=CHECK_RETRIES)
    state: dict[str, str] = {}

    def reachable() -> str:
        checked = check_tcp(server.host_port, min(timeout_s, 10.0), SERVER_FIELD)
        return _tls_too(
            server.host_port,
            checked,
            timeout_s,
            SERVER_FIELD,
            verify=server.verify,
            cert_hint=OPENMETADATA_CERT_HINT,
        )

    def version() -> str:
        state["version"] = client.server_version()
        dialect = "1.x (token:)" if state["version"].startswith(("0.", "1.")) else "2.x (authType:)"
        unsupported = version_warning(state["version"])
        warning = f"; warning: {unsupported}" if unsupported else ""
        return f"OpenMetadata {state['version']}; YAML dialect {dialect}{warning}"

    def jwt() -> str:
        return f"JWT accepted for {client.whoami()}"

    def write() -> str:
        ref = OpenMetadataSink(server, client=client).ensure_service(service_request(config))
        # An existing service is only read above, so a read-only bot would pass: ask the server.
        refused = client.refused_operations("pipeline", ("Create", "EditAll"))
        if refused:
            raise SinkAuthError(
                f"the bot may not write pipelines to OpenMetadata (refused: {', '.join(refused)})",
                status_code=403,
                field="workflowConfig.openMetadataServerConfig.securityConfig.jwtToken",
                hint="Use the ingestion-bot's JWT, or give this bot the Ingestion Bot role",
            )
        return f"pipeline service {ref.fqn} is ready"

    try:
        steps = _run(
            "OpenMetadata",
            [
                ("Server reachable", reachable),
                ("Version", version),
                ("JWT accepted", jwt),
                ("Bot may write", write),
            ],
            deadline_s=timeout_s,
        )
    finally:
        client.close()
    for step in steps:
        if step.name == "Version" and step.ok:
            step.server_version = state.get("version")
    return steps
