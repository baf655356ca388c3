"""Ctrl-C and SIGTERM (Airflow stopping a task) during ``dbx-pipeline ingest``: a clean stop with a report,
no delete, and a rerun that converges to exactly what one uninterrupted run produces.

The CLI runs as a real subprocess against emulators in this process (with latency, so the signal lands
mid-run). Both catalogues start with the same stale pipeline (a job deleted long ago): a complete run must
soft-delete it, an interrupted one must not.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.config import parse_workflow_config
from core.emulators.databricks import DatabricksEmulator
from core.emulators.openmetadata import OpenMetadataEmulator
from core.emulators.workspace import Workspace, WorkspaceSpec
from core.engine import service_request
from core.sinks.openmetadata import OpenMetadataSink
from core.workflow import Workflow

REPO = Path(__file__).resolve().parents[2]
SERVICE = "dbx_emulated"
STALE = f"{SERVICE}.999999"
LATENCY_MS = 40


def soft_deleted(openmetadata: OpenMetadataEmulator) -> set[str]:
    return {fqn for fqn, entity in openmetadata.pipelines.items() if entity.get("deleted")}


def add_stale_pipeline(openmetadata: OpenMetadataEmulator, config: dict[str, Any]) -> None:
    """The service as the run creates it, plus one pipeline whose job no longer exists."""
    parsed = parse_workflow_config(config)
    assert parsed.server is not None
    sink = OpenMetadataSink(parsed.server)
    try:
        sink.ensure_service(service_request(parsed))
        sink.put_pipeline(
            {
                "name": "999999",
                "service": SERVICE,
                "displayName": "deleted long ago",
                "tasks": [{"name": "t"}],
            }
        )
    finally:
        sink.close()


@pytest.fixture(scope="module")
def workspace_and_databricks() -> Iterator[tuple[Workspace, DatabricksEmulator]]:
    """One workspace and one Databricks emulator for every catalogue here (links contain its URL)."""
    workspace = Workspace(WorkspaceSpec(jobs=30, tasks=2, runs=3, pipelines=2, seed=3))
    with DatabricksEmulator(workspace) as databricks:
        yield workspace, databricks


_REFERENCE: dict[str, Any] = {}


@pytest.fixture
def reference(
    workspace_and_databricks: tuple[Workspace, DatabricksEmulator], config_for: Any
) -> dict[str, Any]:
    """The catalogue one clean, uninterrupted run produces on a fresh server (same workspace, same stale
    pipeline). Computed once for the module."""
    if not _REFERENCE:
        workspace, databricks = workspace_and_databricks
        with OpenMetadataEmulator() as openmetadata:
            openmetadata.seed_from_workspace(workspace)
            config = config_for(databricks, openmetadata)
            add_stale_pipeline(openmetadata, config)
            report = Workflow.create(config).execute()
            assert report.ok and report.deleted == 1, report.render()
            _REFERENCE.update(
                snapshot=openmetadata.snapshot(),
                statuses={fqn: len(s) for fqn, s in openmetadata.statuses.items()},
                edges=len(openmetadata.lineage_edges),
            )
    return _REFERENCE


@pytest.mark.timeout(120)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_signal_stops_cleanly_and_rerun_converges(
    signum: signal.Signals,
    workspace_and_databricks: tuple[Workspace, DatabricksEmulator],
    reference: dict[str, Any],
    config_for: Any,
    tmp_path: Path,
) -> None:
    workspace, databricks = workspace_and_databricks
    total = workspace.job_count + len(workspace.pipeline_ids())
    with OpenMetadataEmulator() as openmetadata:
        openmetadata.seed_from_workspace(workspace)
        config = config_for(databricks, openmetadata)
        add_stale_pipeline(openmetadata, config)
        path = tmp_path / "workflow.yaml"
        path.write_text(yaml.safe_dump(config))

        databricks.latency_ms = openmetadata.latency_ms = LATENCY_MS
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "core.cli", "ingest", "-c", str(path), "--workers", "2"],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            deadline = time.monotonic() + 60
            while len(openmetadata.pipelines) < 5 and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)  # wait until a few pipelines have landed: the run is under way
            assert process.poll() is None, "the run finished before it could be interrupted"
            process.send_signal(signum)
            out, err = process.communicate(timeout=60)
        finally:
            databricks.latency_ms = openmetadata.latency_ms = 0

        assert process.returncode in (1, 130), (process.returncode, out, err)
        assert "Traceback" not in out + err, err
        assert "The run was interrupted before it finished." in out
        assert "markDeletedPipelines skipped: the run was interrupted" in out
        assert soft_deleted(openmetadata) == set()  # the stale one too: the listing was not complete
        assert openmetadata.counters["pipeline.soft_deleted"] == 0
        landed = len(openmetadata.pipelines) - 1
        assert 4 <= landed < total, landed

        rerun = Workflow.create(config).execute()  # in-process, no latency
        assert rerun.ok and rerun.deleted == 1, rerun.render()
        assert openmetadata.snapshot() == reference["snapshot"]
        # statuses are keyed by start time, edges by (from, to): same counts = no duplicates, none lost
        assert {fqn: len(s) for fqn, s in openmetadata.statuses.items()} == reference["statuses"]
        assert len(openmetadata.lineage_edges) == reference["edges"]


def test_stop_before_the_run_starts_writes_nothing(
    databricks: DatabricksEmulator, openmetadata: OpenMetadataEmulator, config: dict
) -> None:
    """A SIGTERM that arrives while the clients are still being built must not be forgotten."""
    workflow = Workflow.create(config)
    workflow.stop()
    report = workflow.execute()
    assert report.interrupted and not report.ok and workflow.result_status() == 1
    assert report.written == report.deleted == 0 and report.delete_skipped == "the run was interrupted"
    assert not openmetadata.pipelines and not openmetadata.services
