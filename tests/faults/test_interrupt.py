"""Ctrl-C and SIGTERM (Airflow stopping a task) during ``dbx-pipeline ingest``: a clean stop with a report,
no delete, and a rerun that converges to exactly what one uninterrupted run produces.

The CLI runs as a real subprocess against emulators in this process. The signal is sent while the run is
parked at a known point, not after a guessed delay: the Databricks emulator holds the DLT pipeline listing
(the request that follows the last page of jobs), so every job is under way or written and the listing
cannot complete until the test releases it. Both catalogues start with the same stale pipeline (a job
deleted long ago): a complete run must soft-delete it, an interrupted one must not.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.config import parse_workflow_config
from core.emulators.databricks import DatabricksEmulator
from core.emulators.openmetadata import OpenMetadataEmulator
from core.emulators.workspace import Workspace, WorkspaceSpec
from core.mapping.service import service_request
from core.sinks.openmetadata import OpenMetadataSink
from core.workflow import Workflow

REPO = Path(__file__).resolve().parents[2]
SERVICE = "dbx_emulated"
STALE = f"{SERVICE}.999999"
DLT_LISTING = r"/api/2\.0/pipelines$"  # GET: the listing of DLT pipelines, after the last page of jobs


@contextlib.contextmanager
def children_get_default_sigint() -> Iterator[None]:
    """Make processes started inside the block get Ctrl-C like an interactive command does.

    A command started with ``&`` from a non-interactive shell (CI, ``pytest ... &``) has SIGINT ignored,
    and an ignored signal stays ignored across fork and exec, so the child would not see the Ctrl-C under
    test. A handled signal is reset to its default on exec (and Python then installs its own handler),
    so SIGINT is handled here while the child is started. (``Popen(restore_signals=True)`` only restores
    SIGPIPE, SIGXFZ and SIGXFSZ; ``preexec_fn`` is unsafe with the emulators' threads running.)
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


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

        with databricks.hold(DLT_LISTING, method="GET") as dlt_listing:
            with children_get_default_sigint():
                process = subprocess.Popen(
                    [sys.executable, "-m", "core.cli", "ingest", "-c", str(path), "--workers", "2"],
                    cwd=REPO,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            try:
                # Parked: every job listed and submitted, the DLT listing (and so the run) cannot finish.
                dlt_listing.wait_until_held()
                assert process.poll() is None, "the run finished before it could be interrupted"
                process.send_signal(signum)
                # SIGINT interrupts the parked request at once; SIGTERM only sets the stop flag, which the
                # run checks as soon as the listing answers. When kill() returns, the signal is pending on
                # the child's main thread (Linux picks it for a process-wide signal), which runs Python's
                # handler before any more of its own code: releasing now cannot outrun the signal.
                dlt_listing.release()
                out, err = process.communicate(timeout=60)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.communicate()

        assert process.returncode in (1, 130), (process.returncode, out, err)
        assert "Traceback" not in out + err, err
        assert "The run was interrupted before it finished." in out
        assert "markDeletedPipelines skipped: the run was interrupted" in out
        assert soft_deleted(openmetadata) == set()  # the stale one too: the listing was not complete
        assert openmetadata.counters["pipeline.soft_deleted"] == 0
        landed = len(openmetadata.pipelines) - 1
        assert 4 <= landed < total, landed

        rerun = Workflow.create(config).execute()  # in-process
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
