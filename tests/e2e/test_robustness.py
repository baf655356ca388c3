"""Auth variants, chunking, secrets, interruption and the emulate command, end to end."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from typing import Any

import pytest
import requests

from core.cli import main
from core.emulators.databricks import DatabricksEmulator
from core.emulators.openmetadata import DEFAULT_JWT, OpenMetadataEmulator
from core.emulators.workspace import Workspace, WorkspaceSpec
from core.report import ProgressEvent
from core.sinks.openmetadata import OpenMetadataSink
from core.workflow import Workflow


def test_oauth_m2m_ingests(
    databricks: DatabricksEmulator, openmetadata: OpenMetadataEmulator, config_for: Any
) -> None:
    config = config_for(
        databricks,
        openmetadata,
        connection={"authType": {"clientId": databricks.client_id, "clientSecret": databricks.client_secret}},
    )
    workflow = Workflow.create(config)
    report = workflow.execute()
    assert report.ok, report.render()
    assert databricks.calls["oidc/token"] >= 1
    assert report.changes["created"] == report.kept > 0


def test_oauth_bad_secret_is_an_auth_error(
    capsys: Any, databricks: Any, openmetadata: Any, config_for: Any, yaml_file: Any
) -> None:
    config = config_for(
        databricks,
        openmetadata,
        connection={"authType": {"clientId": databricks.client_id, "clientSecret": "wrong-secret-value"}},
    )
    code = main(["ingest", "-c", str(yaml_file(config))])
    out, err = capsys.readouterr()
    assert code == 2
    assert "clientSecret" in out + err and "wrong-secret-value" not in out + err


def test_classic_token_form_ingests(
    databricks: DatabricksEmulator, openmetadata: OpenMetadataEmulator, config_for: Any
) -> None:
    config = config_for(databricks, openmetadata)
    connection = config["source"]["serviceConnection"]["config"]
    connection.pop("authType")
    connection.pop("httpPath")
    connection["token"] = databricks.token
    connection["connectionArguments"] = {"http_path": f"/sql/1.0/warehouses/{databricks.warehouse_id}"}
    report = Workflow.create(config).execute()
    assert report.ok and report.lineage_edges > 0


def test_statuses_are_sent_in_chunks_of_at_most_1000(openmetadata: OpenMetadataEmulator) -> None:
    from core.config.models import OpenMetadataServerConfig

    server = OpenMetadataServerConfig.model_validate(
        {"hostPort": f"{openmetadata.url}/api", "securityConfig": {"jwtToken": DEFAULT_JWT}}
    )
    sink = OpenMetadataSink(server)
    sink.ensure_service({"name": "svc", "serviceType": "DatabricksPipeline"})
    ref, change = sink.put_pipeline({"name": "p1", "service": "svc", "tasks": [{"name": "t"}]})
    statuses = [{"timestamp": 1_700_000_000_000 + i, "executionStatus": "Successful"} for i in range(2500)]
    openmetadata.reset_counters()
    assert sink.put_statuses(ref.fqn, statuses) == 2500
    bulk_calls = [r for r in openmetadata.received if r[0] == "PUT" and r[1].endswith("/status/bulk")]
    assert [status for _, _, status in bulk_calls] == [200, 200, 200]  # 1000 + 1000 + 500
    assert len(openmetadata.statuses[ref.fqn]) == 2500
    assert change == "created"
    sink.close()


def test_no_secret_in_logs_reports_or_file_sink_at_debug(
    tmp_path: Any,
    databricks: DatabricksEmulator,
    openmetadata: OpenMetadataEmulator,
    config_for: Any,
    caplog: Any,
) -> None:
    config = config_for(databricks, openmetadata)
    config["workflowConfig"]["loggerLevel"] = "DEBUG"
    caplog.set_level(logging.DEBUG)
    workflow = Workflow.create(config)
    workflow.execute()
    file_config = config_for(
        databricks, None, sink={"type": "file", "config": {"filename": str(tmp_path / "out.jsonl")}}
    )
    Workflow.create(file_config).execute()
    texts = [
        caplog.text,
        "\n".join(r.getMessage() for r in caplog.records),
        json.dumps(workflow.report.as_dict()),
        workflow.report.render(),
        repr(workflow.config),
        (tmp_path / "out.jsonl").read_text(),
        json.dumps(openmetadata.services),
    ]
    assert any("databricks.sdk" in r.name for r in caplog.records)  # the SDK's request logs were captured
    for text in texts:
        assert databricks.token not in text
        assert DEFAULT_JWT not in text


def test_stop_interrupts_cleanly_and_deletes_nothing(config_for: Any) -> None:
    """stop() from another thread at a known point: after the first progress event (50 pipelines written)
    while the second page of jobs is held, so the run cannot get past the first 100 of 400 jobs."""
    workspace = Workspace(WorkspaceSpec(jobs=400, tasks=2, runs=2, pipelines=0, seed=3))
    with DatabricksEmulator(workspace) as databricks, OpenMetadataEmulator() as openmetadata:
        config = config_for(databricks, openmetadata)
        events: list[ProgressEvent] = []
        mid_way = threading.Event()

        def on_event(event: ProgressEvent) -> None:
            events.append(event)
            if event.phase == "ingesting":
                mid_way.set()

        workflow = Workflow.create(config, on_event=on_event, workers=4)
        page_2 = databricks.hold(r"/jobs/list$", method="GET", after=1)  # pages are fetched ahead

        def stop_mid_way() -> None:
            try:
                if mid_way.wait(timeout=60):  # a guard against a hang, not a timing
                    workflow.stop()
            finally:
                page_2.release()

        stopper = threading.Thread(target=stop_mid_way, name="stopper", daemon=True)
        stopper.start()
        report = workflow.execute()
        stopper.join(timeout=60)
        assert page_2.held >= 1, "the second page of jobs was not held"  # a retried page may be held twice
        assert report.interrupted and not report.ok
        assert 0 < report.written < 400
        assert report.deleted == 0 and report.delete_skipped
        assert workflow.result_status() == 1
        assert any(e.phase == "ingesting" for e in events) and events[-1].phase == "done"
        rerun = Workflow.create(config).execute()  # converges: everything lands, earlier ones unchanged
        assert rerun.ok and rerun.changes["created"] + rerun.changes["unchanged"] == 400


@pytest.mark.timeout(60)
def test_emulate_command_serves_both_apis(tmp_path: Any) -> None:
    processes = []
    try:
        urls = {}
        for target in ("databricks", "openmetadata"):
            process = subprocess.Popen(
                [sys.executable, "-m", "core.cli", "emulate", target, "--jobs", "5"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            processes.append(process)
            line = process.stdout.readline()
            urls[target] = line.split(" on ", 1)[1].split(" ", 1)[0]
        version = requests.get(f"{urls['openmetadata']}/api/v1/system/version", timeout=5).json()
        assert version["version"]
        jobs = requests.get(
            f"{urls['databricks']}/api/2.2/jobs/list",
            headers={"Authorization": "Bearer dapi-emulator-token"},
            timeout=5,
        ).json()
        assert len(jobs["jobs"]) == 5
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
