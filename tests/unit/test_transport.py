"""The shared rate gate, and the databricks-sdk seam it is attached through."""

from __future__ import annotations

import threading
import time
from typing import Any

from databricks.sdk.service.jobs import JobsAPI

from core.config.models import DatabricksConnection, OpenMetadataServerConfig
from core.databricks.client import build_workspace_client
from core.emulators.databricks import DatabricksEmulator
from core.emulators.http import FaultKind
from core.emulators.openmetadata import DEFAULT_JWT, OpenMetadataEmulator
from core.ratelimit import RateGate, retry_after_seconds
from core.sinks.openmetadata import OpenMetadataSink


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_gate_closes_for_retry_after_and_opens_again() -> None:
    clock = FakeClock()
    gate = RateGate(clock=clock, sleep=clock.sleep)
    gate.wait()
    assert clock.slept == []
    gate.observe(429, {"Retry-After": "3"})
    gate.wait()
    assert clock.slept == [3.0] and gate.throttled == 1
    gate.wait()
    assert clock.slept == [3.0]


def test_gate_ignores_success_and_plain_503_but_honours_503_with_retry_after() -> None:
    clock = FakeClock()
    gate = RateGate(clock=clock, sleep=clock.sleep)
    gate.observe(200, {})
    gate.observe(503, {})
    gate.wait()
    assert clock.slept == []
    gate.observe(503, {"retry-after": "2"})
    gate.wait()
    assert clock.slept == [2.0]


def test_retry_after_forms() -> None:
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert retry_after_seconds({}) == 1.0
    assert retry_after_seconds({"Retry-After": "garbage"}) == 1.0
    assert retry_after_seconds({"Retry-After": "99999"}) == 120.0
    http_date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 <= retry_after_seconds({"Retry-After": http_date}) <= 31


def test_sdk_seam_exists_and_is_wrapped(databricks: DatabricksEmulator) -> None:
    """Pins the private databricks-sdk attributes attach_transport relies on."""
    connection = DatabricksConnection.model_validate(
        {"hostPort": databricks.url, "authType": {"token": databricks.token}}
    )
    client = build_workspace_client(
        connection, retry_timeout_seconds=10, http_timeout_seconds=5, pool_size=24
    )
    session = client.api_client._api_client._session
    assert session.auth.__name__ == "gated_auth"
    assert session.get_adapter("http://x").poolmanager.connection_pool_kw["maxsize"] == 24
    first = next(iter(JobsAPI.list(client.jobs, limit=5)))  # still authenticates through the wrapper
    assert first.job_id == 1000


class ThreadClock:
    """A virtual clock per thread: sleeping advances only the sleeper's clock, and is recorded.

    With it a closed gate looks equally closed to every thread whatever the real scheduling, so whether a
    worker waited does not depend on how fast the machine is.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self.sleepers: list[str] = []

    def __call__(self) -> float:
        return float(getattr(self._local, "now", 100.0))

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleepers.append(threading.current_thread().name)
        self._local.now = self() + seconds


def test_one_429_pauses_every_databricks_worker(databricks: DatabricksEmulator) -> None:
    """Four workers; the first request gets a 429 and the other workers' first requests are held at the
    emulator until the gate has seen it, so every worker has calls left to make while the gate is closed."""
    connection = DatabricksConnection.model_validate(
        {"hostPort": databricks.url, "authType": {"token": databricks.token}}
    )
    clock = ThreadClock()
    gate = RateGate(clock=clock, sleep=clock.sleep)
    client = build_workspace_client(connection, retry_timeout_seconds=20, http_timeout_seconds=5, gate=gate)
    databricks.inject(
        kind=FaultKind.STATUS,
        status=429,
        retry_after=1,
        path="/jobs/runs/list",
        times=1,
        body={"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"},
    )
    errors: list[Exception] = []

    def worker(job_id: int) -> None:
        try:
            for _ in range(4):
                list(client.jobs.list_runs(job_id=job_id, limit=25))
        except Exception as err:  # noqa: BLE001 -- collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(1000 + i,), name=f"worker-{i}") for i in range(4)]
    with databricks.hold(r"/jobs/runs/list$", after=1):  # the first passes (and gets the 429)
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60  # a guard against a hang, not a timing
        while not gate.throttled and time.monotonic() < deadline:
            time.sleep(0.01)
    for thread in threads:
        thread.join()
    assert not errors
    assert gate.throttled == 1
    # every worker waited at the gate once (1 s each), not only the throttled one
    assert sorted(clock.sleepers) == sorted(thread.name for thread in threads)
    assert gate.waited_s == 4.0


def test_openmetadata_429_goes_through_the_gate(openmetadata: OpenMetadataEmulator) -> None:
    server = OpenMetadataServerConfig.model_validate(
        {"hostPort": f"{openmetadata.url}/api", "securityConfig": {"jwtToken": DEFAULT_JWT}}
    )
    gate = RateGate()
    sink = OpenMetadataSink(server, gate=gate)
    openmetadata.inject(
        kind=FaultKind.STATUS,
        status=429,
        retry_after=1,
        path="/api/v1/system/version",
        times=2,
        body={"code": 429, "message": "slow down"},
    )
    started = time.monotonic()
    assert sink.server_version() == "2.0.7"
    assert gate.throttled == 2 and time.monotonic() - started >= 1.9
    sink.close()


def test_workers_run_in_listing_order(databricks: Any, openmetadata: Any, config: dict) -> None:
    """The pool overlaps work but the report equals a sequential run's."""
    from core.workflow import Workflow

    sequential = Workflow.create(config, workers=1).execute().as_dict()
    openmetadata.reset()
    openmetadata.seed_from_workspace(databricks.workspace)
    parallel = Workflow.create(config, workers=16).execute().as_dict()
    for key in ("listed", "kept", "created", "statuses", "lineageEdges", "owners", "warnings", "failures"):
        assert parallel[key] == sequential[key], key


def test_a_rate_limit_the_sdk_gave_up_on_is_called_one_not_a_network_failure() -> None:
    from databricks.sdk.errors import TooManyRequests

    from core.databricks.errors import translate

    timeout = TimeoutError("timed out after 20s")
    timeout.__cause__ = TooManyRequests("Workspace request limit exceeded")
    err = translate(timeout, "listing runs")
    assert "rate limit (429)" in err.message and "did not answer" not in err.message
    assert err.field is None and err.hint and "workers" in err.hint
