"""``dbx-pipeline ingest --dry-run`` as a diff, and per-pipeline outcomes, over both emulators.

A recorded workspace of four jobs is ingested for real; then one job's schedule changes, one job is
deleted in Databricks and an exclude rule drops a third: the dry run names exactly those three (text and
``--json``), sends OpenMetadata no write, and says how many statuses and lineage edges it would write.
The file sink's report names the absolute path it wrote, whatever the working directory.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.emulators.databricks import DatabricksEmulator
from core.emulators.openmetadata import OpenMetadataEmulator
from core.emulators.recorded import RecordedWorkspace
from core.workflow import Workflow

REPO = Path(__file__).resolve().parents[2]
NOW_MS = 1_795_000_900_000
HOUR = 3_600_000
WRITES = {"PUT", "POST", "PATCH", "DELETE"}


def _job(job_id: int, name: str, cron: str, **settings: Any) -> dict[str, Any]:
    tasks = [
        {"task_key": "extract", "notebook_task": {"notebook_path": f"/etl/{name}/extract"}},
        {
            "task_key": "load",
            "sql_task": {"warehouse_id": "wh", "query": {"query_id": "q1"}},
            "depends_on": [{"task_key": "extract"}],
        },
    ]
    return {
        "job_id": job_id,
        "creator_user_name": "ann@example.com",
        "created_time": NOW_MS - 90 * 24 * HOUR,
        "settings": {
            "name": name,
            "tasks": tasks,
            "schedule": {"quartz_cron_expression": cron, "timezone_id": "UTC", "pause_status": "UNPAUSED"},
            **settings,
        },
    }


def _run(job_id: int, run_id: int, hours_ago: int) -> dict[str, Any]:
    start = NOW_MS - hours_ago * HOUR
    return {
        "job_id": job_id,
        "run_id": run_id,
        "start_time": start,
        "end_time": start + 600_000,
        "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"},
        "tasks": [
            {"task_key": "extract", "run_id": run_id * 10, "start_time": start, "end_time": start + 300_000,
             "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"}},
        ],
    }  # fmt: skip


def _recorded() -> dict[str, Any]:
    return {
        "description": "four scheduled jobs for the dry-run diff",
        "source": "Jobs API 2.2 jobs/get and runs/get shapes",
        "now_ms": NOW_MS,
        "jobs": [
            _job(501, "orders_daily", "0 0 3 * * ?"),
            _job(502, "refunds_daily", "0 0 4 * * ?"),
            _job(503, "scratch_tmp", "0 0 5 * * ?"),
            _job(504, "customers_daily", "0 0 6 * * ?"),
        ],
        "runs": {str(job_id): [_run(job_id, job_id * 100 + 1, 30)] for job_id in (501, 502, 503, 504)},
        "lineage": [
            {"entity_id": "501", "source_table_full_name": "main.raw.orders",
             "target_table_full_name": "main.gold.orders"},
        ],
    }  # fmt: skip


@pytest.fixture
def servers() -> Iterator[tuple[dict[str, Any], RecordedWorkspace, DatabricksEmulator, OpenMetadataEmulator]]:
    """The recorded workspace's data (edit it to change a job), both emulators serving it."""
    data = _recorded()
    workspace = RecordedWorkspace(data, name="diff workspace")
    with DatabricksEmulator(workspace) as databricks, OpenMetadataEmulator() as openmetadata:
        openmetadata.seed_from_workspace(workspace)
        yield data, workspace, databricks, openmetadata


def _config(
    config_for: Any, databricks: DatabricksEmulator, openmetadata: OpenMetadataEmulator, **source: Any
) -> dict:
    config = config_for(
        databricks, openmetadata, source={"statusLookbackDays": 3, "includeOwners": True, **source}
    )
    config["workflowConfig"].pop("loggerLevel", None)
    return config


def dbx(*args: str) -> subprocess.CompletedProcess[str]:
    """``dbx-pipeline`` of this checkout in its own process, at the recorded workspace's clock."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    script = (
        "import functools, sys, core.engine, core.workflow, core.cli\n"
        f"core.workflow.IngestionEngine = functools.partial(core.engine.IngestionEngine, now_ms={NOW_MS})\n"
        "sys.exit(core.cli.main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120, env=env, cwd=REPO
    )


def _writes(openmetadata: OpenMetadataEmulator) -> list[tuple[str, str, int]]:
    return [call for call in openmetadata.received if call[0] in WRITES]


def test_the_dry_run_names_exactly_the_changed_the_deleted_and_the_filtered_job(
    servers: Any, config_for: Any, yaml_file: Any, between_checks: None
) -> None:
    data, workspace, databricks, openmetadata = servers
    config = _config(config_for, databricks, openmetadata)
    first = dbx("ingest", "--json", "-c", str(yaml_file(config)))
    assert first.returncode == 0, first.stdout + first.stderr
    report = json.loads(first.stdout)
    assert [(p["pipeline"], p["outcome"]) for p in report["pipelines"]] == [
        ("501", "created"), ("502", "created"), ("503", "created"), ("504", "created"),
    ]  # fmt: skip
    assert report["pipelines"][0]["fqn"] == "dbx_emulated.501" and report["pipelines"][0]["kind"] == "job"
    assert report["target"] == {"kind": "openmetadata", "location": f"{openmetadata.url}/api"}

    data["jobs"][0]["settings"]["schedule"]["quartz_cron_expression"] = "0 30 3 * * ?"  # orders: 03:30
    workspace.delete_job(502)  # refunds deleted in Databricks
    data["runs"]["504"].insert(0, _run(504, 50402, 2))  # customers ran again: one status to write
    lineage = {"entity_id": "504", "source_table_full_name": "main.raw.orders"}
    data["lineage"].append({**lineage, "target_table_full_name": "main.gold.orders"})  # one edge to write
    changed = copy.deepcopy(config)
    changed["source"]["sourceConfig"]["config"]["pipelineFilterPattern"] = {"excludes": [".*_tmp"]}
    openmetadata.reset_counters()

    text = dbx("ingest", "--dry-run", "-c", str(yaml_file(changed)))
    assert text.returncode == 0, text.stdout + text.stderr
    out = text.stdout
    assert "Would create: none" in out
    assert "Would change (1):\n  501 orders_daily: schedule\n" in out
    assert "Would delete (2):\n  502 refunds_daily: gone from the workspace\n" in out
    assert "  503 scratch_tmp: filtered out: excluded by #1 (.*_tmp)\n" in out
    assert "Unchanged: 1 (-v lists them)" in out
    assert "Would write 1 statuses and 1 lineage edges (2 statuses and 1 edges already stored)." in out
    assert _writes(openmetadata) == []
    reads = [path for method, path, _ in openmetadata.received if path.startswith("/api/v1/pipelines/name/")]
    assert reads == ["/api/v1/pipelines/name/dbx_emulated.501"]  # only the changed one is read

    verbose = dbx("ingest", "--dry-run", "-v", "-c", str(yaml_file(changed)))
    assert "Unchanged (1):\n  504 customers_daily\n" in verbose.stdout

    as_json = dbx("ingest", "--dry-run", "--json", "-c", str(yaml_file(changed)))
    report = json.loads(as_json.stdout)
    outcomes = {p["pipeline"]: p for p in report["pipelines"]}
    assert [(p["pipeline"], p["outcome"]) for p in report["pipelines"]] == [
        ("501", "would-change"), ("504", "unchanged"), ("502", "would-delete"), ("503", "would-delete"),
    ]  # fmt: skip
    assert outcomes["501"]["fields"] == ["schedule"]
    assert outcomes["502"]["reason"] == "gone from the workspace"
    assert outcomes["503"]["reason"] == "filtered out: excluded by #1 (.*_tmp)"
    assert report["wouldDelete"] == 2 and report["dryRun"] is True and report["pipelinesOmitted"] == 0
    assert _writes(openmetadata) == []
    assert len(openmetadata.pipelines) == 4  # nothing was deleted


def test_a_real_rerun_lists_every_pipeline_unchanged_and_the_text_report_lists_none(
    servers: Any, config_for: Any, between_checks: None
) -> None:
    _, _, databricks, openmetadata = servers
    config = _config(config_for, databricks, openmetadata)
    Workflow.create(copy.deepcopy(config)).execute()
    workflow = Workflow.create(config)
    report = workflow.execute()
    assert [entry["outcome"] for entry in report.as_dict()["pipelines"]] == ["unchanged"] * 4
    text = report.render()
    assert "orders_daily" not in text and "Would" not in text
    assert f"OpenMetadata at {openmetadata.url}/api" in text


def test_the_file_sink_reports_the_absolute_path_it_wrote(
    servers: Any, config_for: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, databricks, _ = servers
    monkeypatch.chdir(tmp_path)
    config = config_for(
        databricks, None, sink={"type": "file", "config": {"filename": "out/pipelines.jsonl"}}
    )
    dry = Workflow.create(copy.deepcopy(config), dry_run=True).execute()
    expected = str(tmp_path / "out" / "pipelines.jsonl")
    assert dry.as_dict()["target"] == {"kind": "file", "location": expected}
    assert f"file {expected}" in dry.render() and not (tmp_path / "out").exists()
    report = Workflow.create(config).execute()
    assert report.as_dict()["target"] == {"kind": "file", "location": expected}
    assert Path(expected).is_file() and f"file {expected}" in report.render()
    assert [entry["outcome"] for entry in report.as_dict()["pipelines"]] == ["created"] * 4


def test_the_server_url_in_the_report_never_carries_credentials() -> None:
    from core.sinks.openmetadata import public_url

    assert (
        public_url("https://bot:s3cret@om.example.com:8585/api?token=abc#x")
        == "https://om.example.com:8585/api"
    )
    assert public_url("http://[::1]:8585/api") == "http://[::1]:8585/api"


def test_the_stored_pipeline_the_dry_run_reads_has_tasks_tags_and_owners_and_follows_the_schema(
    servers: Any, config_for: Any
) -> None:
    """``OpenMetadataSink.stored_pipeline`` against the emulator: the Pipeline entity of
    ``entity/data/pipeline.json`` (OpenMetadata 1.13, ../shared/reference), with the fields the dry run
    compares, which a GET without ``fields`` leaves out (``PipelineRepository.clearFields``)."""
    from core.config import parse_workflow_config
    from core.sinks.openmetadata import OpenMetadataSink
    from tests.paths import SCHEMA_BASE
    from tests.unit.test_mapping import _validator

    data, _, databricks, openmetadata = servers
    data["jobs"][0]["settings"]["tags"] = {"team": "sales"}
    config = _config(config_for, databricks, openmetadata)
    assert Workflow.create(copy.deepcopy(config)).execute().ok
    server = parse_workflow_config(config).server
    assert server is not None
    sink = OpenMetadataSink(server)
    try:
        stored = sink.stored_pipeline("dbx_emulated.501")
        assert sink.stored_pipeline("dbx_emulated.999") is None
    finally:
        sink.close()
    assert stored is not None
    errors = [e.message for e in _validator(SCHEMA_BASE + "entity/data/pipeline.json").iter_errors(stored)]
    assert not errors, errors
    assert [task["name"] for task in stored["tasks"]] == ["extract", "load"]
    assert stored["tasks"][0]["downstreamTasks"] == ["load"]
    assert [tag["tagFQN"] for tag in stored["tags"]] == ["DatabricksTags.team:sales"]
    assert [owner["type"] for owner in stored["owners"]] == ["user"]
    assert stored["scheduleInterval"] == "0 3 * * * (UTC)" and stored["sourceHash"]
    plain = [path for method, path, _ in openmetadata.received if "/pipelines/name/dbx_emulated.501" in path]
    assert plain  # the read went to GET /v1/pipelines/name/{fqn}
