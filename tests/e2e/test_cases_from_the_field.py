"""Cases found on inputs from real workspaces and bug reports, as the project's own tests.

Each case's inputs live in ``tests/data/cases/<case>/`` (see the README there): the Databricks responses as a
recorded workspace served by the emulator, the workflow templates and the case's ``expected.txt``. The
original cases run ``dbx-pipeline`` from a shell, and so do these tests (``python3 -m core.cli`` in a
subprocess) for each case's own input; the generalisations (``more.json`` and the other path forms) run the
same CLI entry point in-process to stay fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.cli import main
from core.emulators.databricks import DatabricksEmulator
from core.emulators.http import Request
from core.emulators.recorded import RecordedWorkspace

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "data" / "cases"
TOKEN = "dapi-test-token"  # what the case templates send
WAREHOUSE = "abc123def456"


class RecordingEmulator(DatabricksEmulator):
    """The emulator, remembering the body of every SQL statement sent to it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.statements: list[dict[str, Any]] = []
        super().__init__(*args, **kwargs)

    def _statement_execute(self, request: Request) -> dict[str, Any]:
        self.statements.append(request.json() or {})
        return super()._statement_execute(request)


def serve(case: str, name: str = "recorded.json") -> RecordingEmulator:
    workspace = RecordedWorkspace.load(CASES / case / name)
    return RecordingEmulator(workspace, token=TOKEN, warehouse_id=WAREHOUSE)


def render(case: str, template: str, port: int, out: Path) -> Path:
    """The case's template with ``@PORT@`` and ``@OUT@`` filled in, as its run.sh does."""
    text = (CASES / case / template).read_text().replace("@PORT@", str(port)).replace("@OUT@", str(out))
    path = out / template.removesuffix(".in")
    path.write_text(text)
    return path


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python3 -m core.cli ARGS`` from this checkout, as a user would run ``dbx-pipeline``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABRICKS_", "ARM_", "AZURE_"))}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def records(path: Path, kind: str) -> list[dict[str, Any]]:
    return [r for r in (json.loads(line) for line in path.read_text().splitlines()) if r["kind"] == kind]


def run_in_process(
    config: dict[str, Any], out: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict]:
    """``dbx-pipeline ingest --json`` through the CLI's own ``main``; returns the exit code and the report."""
    path = out / "workflow.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    capsys.readouterr()
    code = main(["ingest", "-c", str(path), "--workers", "1", "--json", *extra])
    printed = capsys.readouterr().out
    return code, json.loads(printed) if printed.strip().startswith("{") else {}


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path


# -- retry-attempts -------------------------------------------------------------------------------------


def _task_statuses(out_file: Path) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """execution id -> task key -> the task statuses written for it (a list, to catch duplicates)."""
    result: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for record in records(out_file, "pipelineStatus"):
        for status in record["statuses"]:
            tasks: dict[str, list[dict[str, Any]]] = {}
            for task in status.get("taskStatus", []):
                tasks.setdefault(task["name"], []).append(task)
            result[int(status["executionId"])] = tasks
    return result


def test_retry_attempts_one_task_status_per_key_from_the_latest_attempt(out: Path) -> None:
    with serve("retry-attempts") as databricks:
        config = render("retry-attempts", "workflow.yaml.in", databricks.port, out)
        result = cli("ingest", "-c", str(config), "--workers", "1", cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    statuses = records(out / "out.jsonl", "pipelineStatus")
    assert [s["executionStatus"] for r in statuses for s in r["statuses"]] == ["Successful"]
    tasks = _task_statuses(out / "out.jsonl")[9001]
    assert {key: len(entries) for key, entries in tasks.items()} == {"extract": 1, "load": 1}
    extract, load = tasks["extract"][0], tasks["load"][0]
    assert extract["executionStatus"] == "Successful"
    assert (extract["startTime"], extract["endTime"]) == (1795000120000, 1795000300000)
    assert extract["logLink"].endswith("/runs/9102")
    assert load["executionStatus"] == "Successful" and load["logLink"].endswith("/runs/9103")


# (execution id, task key) -> (status, startTime, endTime, task run id) of the attempt that must be written
RETRY_SHAPES = {
    # three attempts listed newest first
    (9201, "extract"): ("Successful", 1795036720000, 1795036960000, 9213),
    # a repair listed before the original it replaces (both attempt 0)
    (9301, "load"): ("Successful", 1795034800000, 1795035400000, 9332),
    # two repairs of the same task, out of order, all attempt 0: the latest repair wins
    (9401, "load"): ("Successful", 1795027600000, 1795028200000, 9433),
    # the retry is still running: Pending, with the retry's start and no end
    (9501, "extract"): ("Pending", 1795018300000, None, 9512),
    # only the newer status object on every attempt
    (9601, "extract"): ("Successful", 1795012300000, 1795012540000, 9612),
    # a task that retried inside a repair
    (9701, "extract"): ("Successful", 1795009000000, 1795009300000, 9713),
}


def test_retry_attempts_more_shapes(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serve("retry-attempts", "more.json") as databricks:
        config = yaml.safe_load(
            render("retry-attempts", "workflow.yaml.in", databricks.port, out).read_text()
        )
        code, report = run_in_process(config, out, capsys)
    assert code == 0 and report["ok"] and report["warningCount"] == 0, report
    written = _task_statuses(out / "out.jsonl")
    assert sorted(written) == [9201, 9301, 9401, 9501, 9601, 9701]
    for execution, tasks in written.items():
        assert sorted(tasks) == ["extract", "load", "transform"], execution
        assert all(len(entries) == 1 for entries in tasks.values()), (execution, tasks)
    for (execution, key), (status, start, end, task_run) in RETRY_SHAPES.items():
        task = written[execution][key][0]
        assert task["executionStatus"] == status, (execution, key)
        assert task.get("startTime") == start and task.get("endTime") == end, (execution, key, task)
        assert task["logLink"].endswith(f"/runs/{task_run}") and task["taskId"] == str(task_run)


# -- trigger-kinds --------------------------------------------------------------------------------------


def test_trigger_kinds_schedule_interval_and_state(out: Path) -> None:
    with serve("trigger-kinds") as databricks:
        config = render("trigger-kinds", "workflow.yaml.in", databricks.port, out)
        result = cli("ingest", "-c", str(config), "--workers", "1", cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    written = {r["request"]["name"]: r["request"] for r in records(out / "out.jsonl", "pipeline")}
    assert {name: (q.get("scheduleInterval"), q.get("state")) for name, q in written.items()} == {
        "601": ("continuous", "Active"),
        "602": ("on file arrival in s3://landing-bucket/orders/ (paused)", "Inactive"),
        "603": ("every 4 hours", "Active"),
        "604": ("on table update of main.raw.orders", "Active"),
        "605": ("*/15 * * * * (Europe/Berlin, paused)", "Inactive"),
    }


TRIGGER_TEXT = {
    "file_arrival": "on file arrival in s3://landing-bucket/orders/",
    "periodic": "every 2 days",
    "table_update": "on table update of main.raw.orders",
    "job_completion": "on completion of job 601",
    "model": "on model update of main.ml.churn",
    "sql_condition": "on SQL condition",
    "continuous": "continuous",
    "schedule": "0 12 * * * (UTC)",
}


def _expected_start(kind: str, pause: str) -> tuple[str, str]:
    text = TRIGGER_TEXT[kind]
    if pause == "paused":
        text = "0 12 * * * (UTC, paused)" if kind == "schedule" else f"{text} (paused)"
    return text, "Inactive" if pause == "paused" else "Active"


@pytest.fixture(scope="module")
def more_triggers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The requests written for trigger-kinds/more.json, by job name (one ingestion for all parameters)."""
    out = tmp_path_factory.mktemp("triggers")
    with serve("trigger-kinds", "more.json") as databricks:
        config = render("trigger-kinds", "workflow.yaml.in", databricks.port, out)
        result = cli("ingest", "-c", str(config), "--workers", "4", "--json", cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["warningCount"] == 0 and report["written"] == 25
    return {r["request"]["displayName"]: r["request"] for r in records(out / "out.jsonl", "pipeline")}


@pytest.mark.parametrize(
    ("kind", "pause"),
    [(kind, pause) for kind in TRIGGER_TEXT for pause in ("unpaused", "paused", "default")],
)
def test_trigger_kinds_every_kind_paused_and_unpaused(
    kind: str, pause: str, more_triggers: dict[str, dict[str, Any]]
) -> None:
    request = more_triggers[f"{kind}_{pause}"]
    assert (request.get("scheduleInterval"), request.get("state")) == _expected_start(kind, pause)


def test_trigger_kinds_state_follows_the_pause_status_for_every_kind(
    more_triggers: dict[str, dict[str, Any]],
) -> None:
    """The pause state is right even where the start-mode text is not (job_completion)."""
    for kind in TRIGGER_TEXT:
        for pause in ("unpaused", "paused", "default"):
            assert more_triggers[f"{kind}_{pause}"]["state"] == _expected_start(kind, pause)[1], (kind, pause)
    assert (
        "scheduleInterval" not in more_triggers["manual_only"] and "state" not in more_triggers["manual_only"]
    )


# -- http-path-forms ------------------------------------------------------------------------------------


@pytest.fixture
def http_case() -> Iterator[RecordingEmulator]:
    with serve("http-path-forms") as databricks:
        yield databricks


def test_http_path_legacy_connection_arguments_reach_the_lineage_statement(
    http_case: RecordingEmulator, out: Path
) -> None:
    config = render("http-path-forms", "legacy-1x.yaml.in", http_case.port, out)
    result = cli("ingest", "-c", str(config), "--workers", "1", cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    lineage_statements = [s for s in http_case.statements if "table_lineage" in s.get("statement", "")]
    assert [s["warehouse_id"] for s in lineage_statements] == [WAREHOUSE]
    edges = records(out / "out-legacy.jsonl", "lineage")
    assert [(e["from"], e["to"], e["pipeline"]) for e in edges] == [
        ("uc_prod.main.raw.orders", "uc_prod.main.silver.orders", "dbx_case.901")
    ]


def test_http_path_cluster_path_with_lineage_off_runs(http_case: RecordingEmulator, out: Path) -> None:
    config = render("http-path-forms", "cluster-path-no-lineage.yaml.in", http_case.port, out)
    result = cli("ingest", "-c", str(config), "--workers", "1", "--json", cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["written"] == 1
    assert [r["request"]["name"] for r in records(out / "out-cluster.jsonl", "pipeline")] == ["901"]
    assert len(report["warnings"]) == 1
    assert "httpPath" in report["warnings"][0] and "/sql/1.0/warehouses/<id>" in report["warnings"][0]
    assert http_case.statements == []

    checked = cli("test-connection", "-c", str(config), cwd=out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "FAIL" not in checked.stdout


def _http_config(databricks: RecordingEmulator, out: Path, **connection: Any) -> dict[str, Any]:
    """The case's 2.x template with other connection settings; ``None`` removes a key."""
    config = yaml.safe_load(
        render("http-path-forms", "cluster-path-no-lineage.yaml.in", databricks.port, out).read_text()
    )
    settings = config["source"]["serviceConnection"]["config"]
    for key, value in connection.items():
        if value is None:
            settings.pop(key, None)
        else:
            settings[key] = value
    return config


def _with_lineage(config: dict[str, Any]) -> dict[str, Any]:
    source = config["source"]["sourceConfig"]["config"]
    source["includeLineage"] = True
    source["lineageInformation"] = {"dbServiceNames": ["uc_prod"]}
    return config


@pytest.mark.parametrize(
    ("connection", "field", "problem"),
    [
        (
            {"httpPath": "/sql/1.0/warehouses/"},
            "httpPath",
            "must look like /sql/1.0/warehouses/<warehouse-id>",
        ),
        ({"httpPath": "jdbc:spark://adb-1.azuredatabricks.net:443/default"}, "httpPath", "must look like"),
        (
            {
                "httpPath": None,
                "connectionArguments": {
                    "http_path": "sql/protocolv1/o/1234567890123456/0123-456789-abcdefgh"
                },
            },
            "connectionArguments.http_path",
            "points at an all-purpose cluster",
        ),
    ],
    ids=["warehouse-without-id", "jdbc-url", "legacy-cluster-path"],
)
def test_http_path_malformed_with_lineage_off_is_one_warning(
    http_case: RecordingEmulator,
    out: Path,
    capsys: pytest.CaptureFixture[str],
    connection: dict[str, Any],
    field: str,
    problem: str,
) -> None:
    code, report = run_in_process(_http_config(http_case, out, **connection), out, capsys)
    assert code == 0 and report["ok"] and report["written"] == 1, report
    assert len(report["warnings"]) == 1
    warning = report["warnings"][0]
    assert f"source.serviceConnection.config.{field}" in warning and problem in warning
    assert "includeLineage is false" in warning
    assert http_case.statements == []

    path = out / "workflow.yaml"
    assert main(["test-connection", "-c", str(path)]) == 0
    assert "FAIL" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "connection",
    [
        {"httpPath": f"/sql/1.0/endpoints/{WAREHOUSE}"},
        {"httpPath": f"sql/1.0/warehouses/{WAREHOUSE}/"},
        {"httpPath": None, "connectionArguments": {"http_path": f"/sql/1.0/endpoints/{WAREHOUSE}"}},
    ],
    ids=["endpoints-form", "no-leading-slash-trailing-slash", "legacy-endpoints-form"],
)
def test_http_path_other_warehouse_forms_reach_the_lineage_statement(
    http_case: RecordingEmulator, out: Path, capsys: pytest.CaptureFixture[str], connection: dict[str, Any]
) -> None:
    code, report = run_in_process(_with_lineage(_http_config(http_case, out, **connection)), out, capsys)
    assert code == 0 and report["ok"] and report["lineageEdges"] == 1 and report["warnings"] == [], report
    assert {s["warehouse_id"] for s in http_case.statements if "table_lineage" in s["statement"]} == {
        WAREHOUSE
    }


def test_http_path_cluster_path_with_lineage_on_names_the_field(
    http_case: RecordingEmulator, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _with_lineage(_http_config(http_case, out))
    path = out / "workflow.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    capsys.readouterr()
    assert main(["ingest", "-c", str(path)]) == 2
    error = capsys.readouterr().err
    assert "source.serviceConnection.config.httpPath" in error and "all-purpose cluster" in error
    assert http_case.total_calls == 0  # stopped before reading anything
