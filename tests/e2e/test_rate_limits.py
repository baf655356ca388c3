"""A whole run against a Databricks emulator holding Databricks' documented rate limits: the engine's shared
rate gate honours the 429s and the run writes exactly what an unlimited run writes."""

from __future__ import annotations

from typing import Any

from core.emulators.databricks import DatabricksEmulator
from core.emulators.databricks.limits import DOCUMENTED
from core.emulators.openmetadata import OpenMetadataEmulator
from core.emulators.workspace import Workspace, WorkspaceSpec
from core.report import RunReport
from core.workflow import Workflow


def _ingest(
    workspace: Workspace, config_for: Any, rate_limits: str
) -> tuple[RunReport, OpenMetadataEmulator, DatabricksEmulator]:
    with DatabricksEmulator(workspace, rate_limits=rate_limits) as databricks, OpenMetadataEmulator() as om:
        om.seed_from_workspace(workspace)
        config = config_for(databricks, om)
        config["workflowConfig"]["config"] = {"statusSource": "rest"}  # one runs/list per job: the limited path
        workflow = Workflow.create(config, workers=16)
        workflow.execute()
        assert workflow.report is not None
        return workflow.report, om, databricks


def test_documented_limits_slow_the_run_but_every_pipeline_and_status_is_written(config_for: Any) -> None:
    # 60 jobs: three times the burst of runs/list (20 a second), so a run at local speed must be refused
    workspace = Workspace(WorkspaceSpec(jobs=60, tasks=3, runs=5, pipelines=2, seed=11))
    free, free_om, _ = _ingest(workspace, config_for, "off")
    limited, om, databricks = _ingest(workspace, config_for, "documented")

    assert limited.ok, limited.render()
    assert limited.kept == free.kept == workspace.job_count + len(workspace.pipeline_ids())

    def tasks(emulator: OpenMetadataEmulator) -> dict[str, list[str]]:  # URLs differ: each run has its ports
        return {fqn: sorted(t["name"] for t in p["tasks"]) for fqn, p in emulator.pipelines.items()}

    assert tasks(om) == tasks(free_om)
    assert om.statuses.keys() == free_om.statuses.keys()
    assert {fqn: sorted(by_ts) for fqn, by_ts in om.statuses.items()} == {
        fqn: sorted(by_ts) for fqn, by_ts in free_om.statuses.items()
    }
    assert limited.statuses == free.statuses > 0

    throttled = databricks.calls["throttled:jobs/runs/list"]
    answered = databricks.calls["jobs/runs/list"]
    assert throttled > 0, "the run never met the limit: the test proves nothing"
    assert answered == free_runs_lists(workspace)  # every job's runs were read once, none given up
    # Honoured: after a 429 every worker waits out Retry-After at the shared gate, so each refusal episode
    # costs at most one 429 per worker in flight, not a storm of retries.
    episodes = -(-answered // int(DOCUMENTED["jobs/runs/list"]))
    assert throttled <= 16 * episodes


def free_runs_lists(workspace: Workspace) -> int:
    """``runs/list`` calls of one run: one page per job (5 runs fit a page)."""
    return workspace.job_count
