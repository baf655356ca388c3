"""The shared HTTP policy (one backoff, the SDK's budgets), the dry-run sink, and import weight."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from tenacity import RetryCallState

from core.http_policy import (
    BACKOFF_BASE_S,
    BACKOFF_JITTER_S,
    BACKOFF_MAX_S,
    backoff,
    databricks_timeouts,
)
from core.sinks.base import Change, EntityRef, Sink
from core.sinks.dryrun import DryRunSink
from tests.paths import REPO


def _after_failure(number: int) -> RetryCallState:
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = number
    return state


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5, 9])
def test_one_backoff_doubles_from_half_a_second_up_to_eight_plus_jitter(number: int) -> None:
    floor = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (number - 1))
    pauses = [backoff()(_after_failure(number)) for _ in range(50)]
    assert all(floor <= pause <= floor + BACKOFF_JITTER_S for pause in pauses), pauses


@pytest.mark.parametrize(
    ("connection_s", "retry_s", "http_s", "expected"),
    [
        (120, None, None, (122, 60)),  # per request capped at 60 s; room for two requests and a pause
        (10, None, None, (22, 10)),
        (300, None, None, (300, 60)),
        (20, 20, 20, (20, 20)),  # a connection check gives both
        (0.2, None, 0.2, (3, 1)),  # whole seconds, never 0 (the SDK reads 0 as its 300 s default)
    ],
)
def test_databricks_budgets(
    connection_s: float, retry_s: float | None, http_s: float | None, expected: tuple[int, int]
) -> None:
    timeouts = databricks_timeouts(connection_s, retry_timeout_s=retry_s, http_timeout_s=http_s)
    assert (timeouts.retry_timeout_seconds, timeouts.http_timeout_seconds) == expected


class Catalogue(Sink):
    """A catalogue holding one pipeline; every write fails the test."""

    kind = "metadata-rest"
    table_lookups = 3

    def server_version(self) -> str | None:
        return "2.0.7"

    def iter_service_pipelines(self, service: str, *, with_status: bool = False) -> Iterator[EntityRef]:
        yield EntityRef(id="u1", fqn=f"{service}.1000", type="pipeline", name="1000", source_hash="old")

    def find_user(self, email: str) -> EntityRef | None:
        return EntityRef(id="u", fqn="ann", type="user", name="ann")

    def put_pipeline(self, request: dict) -> tuple[EntityRef, Change]:  # type: ignore[override]
        raise AssertionError("a dry run wrote a pipeline")

    def put_statuses(self, fqn: str, statuses: list) -> int:  # type: ignore[override]
        raise AssertionError("a dry run wrote statuses")

    def put_lineage(self, source: EntityRef, target: EntityRef, pipeline: EntityRef) -> None:
        raise AssertionError("a dry run wrote lineage")

    def soft_delete_pipeline(self, ref: EntityRef) -> None:
        raise AssertionError("a dry run deleted")

    def ensure_tags(self, classification: str, description: str, tags: dict[str, str]) -> None:
        raise AssertionError("a dry run wrote tags")


def test_dry_run_reads_through_and_says_what_each_write_would_do() -> None:
    sink = DryRunSink(Catalogue())
    assert sink.kind == "metadata-rest" and sink.server_version() == "2.0.7"
    assert sink.find_user("ann@example.com") == EntityRef(id="u", fqn="ann", type="user", name="ann")
    assert [ref.name for ref in sink.iter_service_pipelines("svc")] == ["1000"]
    service = sink.ensure_service({"name": "svc", "serviceType": "DatabricksPipeline"})
    assert service.fqn == "svc"
    known = {"name": "1000", "displayName": "a", "service": "svc", "sourceUrl": "", "tasks": []}
    new = {"name": "a.b", "displayName": "b", "service": "svc", "sourceUrl": "", "tasks": []}
    assert sink.put_pipeline(known)[1] == "would-update"  # type: ignore[arg-type]
    ref, change = sink.put_pipeline(new)  # type: ignore[arg-type]
    assert change == "would-create" and ref.fqn == 'svc."a.b"'
    assert sink.put_statuses(ref.fqn, [{"timestamp": 1, "executionStatus": "Successful"}]) == 1
    sink.ensure_tags("DatabricksTags", "d", {"team:x": "t"})
    sink.put_lineage(ref, ref, ref)
    sink.soft_delete_pipeline(ref)
    assert sink.table_lookups == 3


def test_what_the_engine_imports_from_the_openmetadata_side_loads_no_http_client() -> None:
    """The sink interface, the dry-run sink, the payloads, the service request and the version check
    load neither ``requests`` nor the OpenMetadata client (``core.sinks`` imports that on first use)."""
    code = (
        "import sys, core.sinks, core.sinks.base, core.sinks.dryrun, core.mapping.service, "
        "core.openmetadata.versions; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'requests' or m in "
        "('core.openmetadata.client', 'core.sinks.openmetadata')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout
