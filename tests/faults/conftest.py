"""Fixtures for the fault tests: a seeded catalogue, multi-page listings, and outcome checks.

The seeded catalogue is the key to catching wrongful deletes: a first clean run fills OpenMetadata,
then one job is deleted in the workspace. A later run that completes its listing must soft-delete exactly
that job; a run whose listing breaks must delete nothing at all, so a wrongful delete is visible.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import core.databricks.source as source_module
from core.cli import main
from core.emulators.openmetadata import OpenMetadataEmulator
from core.emulators.workspace import Workspace
from core.workflow import Workflow

SERVICE = "dbx_emulated"
DELETED_JOB = 1003  # on the first page of jobs
PAGE_SIZE = 10  # jobs per listing page in these tests, so 30 jobs take three pages


@pytest.fixture(autouse=True)
def _small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten jobs per ``jobs/list`` page (the API allows 1..100), so small workspaces page too."""
    monkeypatch.setattr(source_module, "JOBS_PAGE_SIZE", PAGE_SIZE)


def live_fqns(openmetadata: OpenMetadataEmulator) -> set[str]:
    return {fqn for fqn, entity in openmetadata.pipelines.items() if not entity.get("deleted")}


def deleted_fqns(openmetadata: OpenMetadataEmulator) -> set[str]:
    return {fqn for fqn, entity in openmetadata.pipelines.items() if entity.get("deleted")}


def expected_fqns(workspace: Workspace) -> set[str]:
    """Every job and DLT pipeline the workspace has now, as pipeline FQNs."""
    ids = [str(job_id) for job_id in workspace.job_ids()] + workspace.pipeline_ids()
    return {f"{SERVICE}.{entity_id}" for entity_id in ids}


@dataclass
class Seeded:
    """The catalogue after a clean first run, before the run under test (one job gone since)."""

    before: dict[str, Any]  # openmetadata.snapshot() after the clean run
    deleted_fqn: str  # the job deleted in the workspace after the clean run

    def unchanged_except_the_deleted_job(self, after: dict[str, Any]) -> None:
        """Nothing lost and nothing rewritten: every pipeline, status and edge as the clean run left it."""
        keep = {fqn for fqn in self.before["pipelines"] if fqn != self.deleted_fqn}
        assert {fqn: after["pipelines"][fqn] for fqn in keep} == {
            fqn: self.before["pipelines"][fqn] for fqn in keep
        }
        assert {fqn: s for fqn, s in after["statuses"].items() if fqn in keep} == {
            fqn: s for fqn, s in self.before["statuses"].items() if fqn in keep
        }
        assert after["lineage"] == self.before["lineage"]


@pytest.fixture
def seeded(
    workspace: Workspace, openmetadata: OpenMetadataEmulator, config: dict[str, Any]
) -> Callable[..., Seeded]:
    """``seeded(config=None)``: a clean run on ``config`` (default: the shared one), then job 1003 deleted
    in the workspace. Asserts the clean run really was clean."""

    def seed(run_config: dict[str, Any] | None = None) -> Seeded:
        report = Workflow.create(run_config or config).execute()
        assert report.ok, report.render()
        assert live_fqns(openmetadata) == expected_fqns(workspace)
        workspace.delete_job(DELETED_JOB)
        return Seeded(before=openmetadata.snapshot(), deleted_fqn=f"{SERVICE}.{DELETED_JOB}")

    return seed


@pytest.fixture
def cli_ingest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, dict[str, Any], str]]:
    """``cli_ingest(config, *args) -> (exit code, report dict, stderr)`` through ``core.cli.main``."""
    import yaml

    def run(config: dict[str, Any], *args: str) -> tuple[int, dict[str, Any], str]:
        path = tmp_path / "workflow.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        code = main(["ingest", "-c", str(path), "--json", *args])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, json.loads(out), err

    return run


@pytest.fixture
def workspace() -> Workspace:
    """Smaller than the shared one, still complete: 25 jobs on three pages (one with 120+ tasks),
    2 DLT pipelines, 3 runs each."""
    from core.emulators.workspace import WorkspaceSpec

    return Workspace(WorkspaceSpec(jobs=25, tasks=3, runs=3, pipelines=2, big_jobs=1, seed=7))
