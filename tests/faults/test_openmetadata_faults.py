"""OpenMetadata misbehaving: refused JWTs abort clearly, one rejected write fails one pipeline, server errors
and timeouts are retried with backoff, a version outside 1.x/2.x is reported."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.cli import main
from core.config.models import WorkflowConfig
from core.emulators.databricks import DatabricksEmulator
from core.emulators.http import FaultKind
from core.emulators.openmetadata import EXPIRED_JWT, OpenMetadataEmulator
from core.emulators.workspace import Workspace
from core.sinks.openmetadata import OpenMetadataSink

SERVICE = "dbx_emulated"
JWT_FIELD = "workflowConfig.openMetadataServerConfig.securityConfig.jwtToken"
UNKNOWN_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.bm90LWEtcmVhbC1zaWduYXR1cmU"
PUT_PIPELINE = r"^/api/v1/pipelines(/bulk)?$"  # a single PUT, or a bulk one of several pipelines
PUT_STATUSES = r"/status/bulk$"

FAULTS_TRIED: list[str] = []


def live(openmetadata: OpenMetadataEmulator) -> set[str]:
    return {fqn for fqn, entity in openmetadata.pipelines.items() if not entity.get("deleted")}


def everything_in(workspace: Workspace) -> set[str]:
    ids = [str(job_id) for job_id in workspace.job_ids()] + workspace.pipeline_ids()
    return {f"{SERVICE}.{entity_id}" for entity_id in ids}


@pytest.fixture
def quick_sink(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's sink with a 1 s read timeout and 2 retries (defaults: 30 s and 5), so timeouts and
    persistent errors show in seconds. The retry and backoff logic is the product's own."""

    def create(config: WorkflowConfig, *, workers: int = 8, dry_run: bool = False) -> OpenMetadataSink:
        assert config.server is not None
        return OpenMetadataSink(config.server, pool_size=max(4, workers * 2), timeout_s=1.0, retries=2)

    monkeypatch.setattr("core.workflow.create_sink", create)


def assert_a_clean_rerun_changes_nothing(openmetadata: OpenMetadataEmulator, config: dict, cli: Any) -> None:
    """The faulted run already wrote everything: a clean rerun creates, updates and deletes nothing."""
    before = openmetadata.snapshot()
    openmetadata.reset_counters()
    code, report, _ = cli(config)
    assert code == 0 and report["ok"], report
    counters = openmetadata.counters
    assert counters["pipeline.created"] == counters["pipeline.updated"] == counters["lineage.created"] == 0
    assert report["deleted"] == 0
    assert openmetadata.snapshot() == before


# -- refused JWTs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jwt", "said"),
    [(EXPIRED_JWT, "401 Expired token!"), (UNKNOWN_JWT, "401 Invalid token")],
    ids=["expired", "wrong"],
)
def test_refused_jwt_aborts_before_writing_with_the_field_to_fix(
    jwt: str,
    said: str,
    openmetadata: OpenMetadataEmulator,
    config: dict,
    cli_ingest: Callable[..., tuple[int, dict, str]],
    request: pytest.FixtureRequest,
) -> None:
    FAULTS_TRIED.append(f"jwt-{request.node.callspec.id}")
    config["workflowConfig"]["openMetadataServerConfig"]["securityConfig"]["jwtToken"] = jwt

    code, report, err = cli_ingest(config)

    assert code == 2
    [failure] = report["failures"]
    assert failure["phase"] == "connecting"
    assert failure["reason"].startswith(f"{JWT_FIELD}: OpenMetadata refused the JWT"), failure
    assert said in failure["reason"] and "Copy a fresh token" in failure["reason"]
    assert report["listed"] == report["written"] == 0 and not report["listingComplete"]
    assert not openmetadata.pipelines and not openmetadata.services  # nothing was written
    assert jwt not in json.dumps(report) + err


def test_jwt_expiring_mid_run_aborts_and_deletes_nothing(
    openmetadata: OpenMetadataEmulator,
    config: dict,
    seeded: Callable[..., Any],
    cli_ingest: Callable[..., tuple[int, dict, str]],
) -> None:
    FAULTS_TRIED.append("jwt-expires-mid-run")
    seed = seeded()
    openmetadata.inject(
        kind=FaultKind.STATUS, status=401, method="PUT", path=PUT_STATUSES, times=None,
        body={"code": 401, "message": "Expired token!"},
    )  # fmt: skip

    code, report, _ = cli_ingest(config)

    assert code == 2 and not report["ok"]
    assert not report["listingComplete"] and report["deleted"] == 0
    assert report["deleteSkipped"] == "the listing did not complete"
    [failure] = report["failures"]
    assert f"{JWT_FIELD}: OpenMetadata refused the JWT while statuses of" in failure["reason"]
    assert "Expired token!" in failure["reason"]
    assert openmetadata.snapshot() == seed.before  # no delete, nothing half-written


# -- one payload rejected ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 409])
@pytest.mark.parametrize("target", ["pipeline", "statuses"])
def test_rejected_write_fails_that_pipeline_only(
    status: int,
    target: str,
    workspace: Workspace,
    openmetadata: OpenMetadataEmulator,
    config: dict,
    cli_ingest: Callable[..., tuple[int, dict, str]],
    request: pytest.FixtureRequest,
) -> None:
    FAULTS_TRIED.append(f"rejected-{request.node.callspec.id}")
    openmetadata.inject(
        kind=FaultKind.STATUS, status=status, method="PUT", times=1,
        path=PUT_PIPELINE if target == "pipeline" else PUT_STATUSES,
        body={"code": status, "message": f"rejected by the test ({status})"},
    )  # fmt: skip

    code, report, _ = cli_ingest(config)

    assert code == 1
    [failure] = report["failures"]
    assert failure["phase"] == "pipeline" and failure["pipeline"]
    assert (
        "OpenMetadata rejected" in failure["reason"]
        and f"({status} rejected by the test" in failure["reason"]
    )
    assert report["listingComplete"] and report["deleted"] == 0
    rejected = f"{SERVICE}.{failure['pipeline']}"
    if target == "pipeline":
        assert live(openmetadata) == everything_in(workspace) - {rejected}  # the rest landed
    else:
        assert live(openmetadata) == everything_in(workspace)
        assert not openmetadata.statuses.get(rejected)
        assert all(openmetadata.statuses.get(fqn) for fqn in everything_in(workspace) - {rejected})

    code, report, _ = cli_ingest(config)  # the next run lands the one that failed
    assert code == 0 and report["ok"]
    assert live(openmetadata) == everything_in(workspace) and openmetadata.statuses.get(rejected)


# -- server errors, resets, timeouts, garbled answers: retried ------------------------------------------------

RETRIED = [
    pytest.param({"kind": FaultKind.STATUS, "status": 500, "times": 2, "path": r"/system/version$"}, 1.0, id="500"),
    pytest.param({"kind": FaultKind.STATUS, "status": 502, "times": 2, "path": r"/system/version$"}, 1.0, id="502"),
    pytest.param({"kind": FaultKind.STATUS, "status": 503, "times": 2, "path": r"/system/version$"}, 1.0, id="503"),
    pytest.param({"kind": FaultKind.STATUS, "status": 504, "times": 2, "path": r"/system/version$"}, 1.0, id="504"),
    pytest.param({"kind": FaultKind.STATUS, "status": 429, "retry_after": 1, "times": 2, "probability": 0.5}, 1.0, id="429"),
    pytest.param({"kind": FaultKind.RESET, "times": 2, "method": "PUT", "path": PUT_PIPELINE}, 0.0, id="reset"),
    pytest.param({"kind": FaultKind.DELAY, "delay_s": 1.5, "times": 2, "path": r"/system/version$"}, 2.0, id="read-timeout"),
    pytest.param({"kind": FaultKind.TRUNCATE, "times": 1, "method": "PUT", "path": PUT_PIPELINE}, 0.0, id="truncated"),
    pytest.param({"kind": FaultKind.NOT_JSON, "times": 1, "method": "PUT", "path": PUT_STATUSES}, 0.0, id="non-json"),
]  # fmt: skip


@pytest.mark.usefixtures("quick_sink")
@pytest.mark.parametrize(("fault", "at_least_s"), RETRIED)
def test_transient_failure_is_retried_with_backoff(
    fault: dict[str, Any],
    at_least_s: float,
    workspace: Workspace,
    openmetadata: OpenMetadataEmulator,
    config: dict,
    cli_ingest: Callable[..., tuple[int, dict, str]],
    request: pytest.FixtureRequest,
) -> None:
    FAULTS_TRIED.append(f"retried-{request.node.callspec.id}")
    openmetadata.inject(**fault)

    code, report, _ = cli_ingest(config)

    assert openmetadata.calls[f"fault:{fault['kind']}"] == fault["times"], "the fault did not fire"
    assert code == 0 and report["ok"] and report["failures"] == [], report
    assert report["durationSeconds"] >= at_least_s  # it waited before trying again (backoff / Retry-After)
    assert live(openmetadata) == everything_in(workspace)  # nothing lost
    assert_a_clean_rerun_changes_nothing(openmetadata, config, cli_ingest)


@pytest.mark.usefixtures("quick_sink")
@pytest.mark.parametrize(
    "fault", [{"kind": FaultKind.STATUS, "status": 500}, {"kind": FaultKind.RESET}], ids=["500", "reset"]
)
def test_persistent_server_failure_aborts_clearly_and_deletes_nothing(
    fault: dict[str, Any],
    openmetadata: OpenMetadataEmulator,
    config: dict,
    seeded: Callable[..., Any],
    cli_ingest: Callable[..., tuple[int, dict, str]],
    request: pytest.FixtureRequest,
) -> None:
    FAULTS_TRIED.append(f"persistent-{request.node.callspec.id}")
    seed = seeded()
    openmetadata.inject(**fault, method="PUT", path=PUT_STATUSES, times=None)

    code, report, _ = cli_ingest(config)

    assert code == 1 and not report["ok"]
    assert not report["listingComplete"] and report["deleted"] == 0
    [failure] = report["failures"]
    assert "OpenMetadata" in failure["reason"] and (
        "(500 injected 500)" in failure["reason"] or "did not answer" in failure["reason"]
    ), failure
    assert openmetadata.snapshot() == seed.before


# -- versions ------------------------------------------------------------------------------------------


@pytest.fixture
def om_version(workspace: Workspace, request: pytest.FixtureRequest) -> Iterator[OpenMetadataEmulator]:
    with OpenMetadataEmulator(version=request.param) as server:
        server.seed_from_workspace(workspace)
        yield server


@pytest.mark.parametrize(
    ("om_version", "supported"),
    [("0.13.2", False), ("3.0.0", False), ("1.5.6", True), ("2.0.7", True)],
    indirect=["om_version"],
)
def test_server_version_outside_1x_2x_is_reported(
    om_version: OpenMetadataEmulator,
    supported: bool,
    databricks: DatabricksEmulator,
    config_for: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cli_ingest: Callable[..., tuple[int, dict, str]],
) -> None:
    if not supported:
        FAULTS_TRIED.append(f"version-{om_version.version}")
    config = config_for(databricks, om_version)
    path = tmp_path / "versions.yaml"
    path.write_text(yaml.safe_dump(config))

    code = main(["test-connection", "-c", str(path), "--json"])
    steps = {step["name"]: step for step in json.loads(capsys.readouterr().out)}
    assert code == 0  # a warning, not a failure: the connection works
    version = steps["Version"]
    assert version["ok"] is True and version["detail"].startswith(f"OpenMetadata {om_version.version};")
    assert ("not a supported version" in version["detail"]) is not supported
    main(["test-connection", "-c", str(path)])
    [line] = [line for line in capsys.readouterr().out.splitlines() if "OpenMetadata: Version" in line]
    assert ("warning: OpenMetadata" in line) is not supported

    code, report, _ = cli_ingest(config)
    assert code == 0 and report["serverVersion"] == om_version.version
    warned = [w for w in report["warnings"] if "not a supported version" in w]
    if supported:
        assert not warned
    else:
        [warning] = warned
        assert om_version.version in warning and "supports 1.x and 2.x" in warning


@pytest.fixture(scope="module", autouse=True)
def _count_faults() -> Iterator[None]:
    yield
    print(f"\nOpenMetadata faults tried: {len(FAULTS_TRIED)} ({', '.join(FAULTS_TRIED)})")
