"""The engine over a corpus of documented API shapes: every file's output must match its golden file exactly.

``tests/data/databricks/<name>.json`` are recorded workspaces (``core/emulators/recorded.py``) written from
the Jobs API 2.2 and Pipelines API reference shapes with every optional field present, plus one file of
malformed shapes. ``<name>.expected.json`` is what the ingestion must produce with the file sink: the
pipeline requests, the statuses, the tags and lineage records, and the report (failures, warnings and
counters). Run-dependent values are normalised: the emulator's URL becomes ``{databricks}``, ``sourceHash``
(which covers that URL) and ``durationSeconds`` are dropped.

``UPDATE_GOLDEN=1 python3 -m pytest tests/e2e/test_corpus.py`` rewrites the golden files. Only do that for
a change whose new output you have read and checked against the README's mapping table; a golden file is
only worth what that check was worth: never rewrite one to make a test pass.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest

import core.workflow
from core.emulators.databricks import DatabricksEmulator
from core.emulators.openmetadata import OpenMetadataEmulator
from core.emulators.recorded import RecordedWorkspace
from core.engine import IngestionEngine
from core.report import RunReport
from core.workflow import Workflow

DATA = Path(__file__).resolve().parents[1] / "data" / "databricks"
CORPUS = sorted(path.stem for path in DATA.glob("*.json") if not path.name.endswith(".expected.json"))
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
HOST = "{databricks}"

#: (file, path in the golden document) -> why the engine's value is wrong. The golden holds the right value.
# -- running the engine over one file -------------------------------------------------------------------


def _ingest(
    workspace: RecordedWorkspace,
    databricks: DatabricksEmulator,
    config_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    *,
    sink: dict[str, Any],
    openmetadata: OpenMetadataEmulator | None = None,
) -> RunReport:
    """One ``Workflow`` run at the file's clock (``now_ms``), 4 workers."""
    monkeypatch.setattr(
        core.workflow, "IngestionEngine", functools.partial(IngestionEngine, now_ms=workspace.now_ms)
    )
    config = config_for(databricks, openmetadata, sink=sink)
    workflow = Workflow.create(config, workers=4)
    report = workflow.execute()
    assert report is not None
    return report


def _normalise(value: Any, url: str) -> Any:
    if isinstance(value, str):
        return value.replace(url, HOST)
    if isinstance(value, list):
        return [_normalise(item, url) for item in value]
    if isinstance(value, dict):
        return {key: _normalise(item, url) for key, item in value.items() if key != "sourceHash"}
    return value


def _golden_document(name: str, records: list[dict], report: RunReport, url: str) -> dict[str, Any]:
    """The file sink's records grouped (workers make their order vary) plus the report, normalised."""
    document: dict[str, Any] = {"input": f"{name}.json", "service": None, "tags": [], "pipelines": {}}
    document["statuses"] = {}
    lineage = []
    tags: set[str] = set()
    for record in records:
        kind = record["kind"]
        if kind == "pipelineService":
            document["service"] = record["request"]
        elif kind == "tags":
            tags.update(f"{record['classification']}.{tag}" for tag in record["tags"])
        elif kind == "pipeline":
            document["pipelines"][record["request"]["name"]] = record["request"]
        elif kind == "pipelineStatus":
            document["statuses"][record["pipeline"]] = record["statuses"]
        elif kind == "lineage":
            lineage.append({"from": record["from"], "to": record["to"], "pipeline": record["pipeline"]})
        else:  # pragma: no cover - a new record kind must be added to the golden format on purpose
            raise AssertionError(f"unexpected record kind {kind!r}")
    document["tags"] = sorted(tags)
    document["lineage"] = sorted(lineage, key=lambda edge: (edge["pipeline"], edge["from"], edge["to"]))
    summary = report.as_dict()
    summary.pop("durationSeconds")
    summary.pop("target")  # the file's absolute path: a temporary folder (tests/e2e/test_diff.py checks it)
    document["report"] = summary
    return _normalise(document, url)


_OUTPUTS: dict[str, dict[str, Any]] = {}


@pytest.fixture
def corpus_output(
    config_for: Any, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """``corpus_output(name)``: the file's golden document as produced now (computed once per session)."""

    def produce(name: str) -> dict[str, Any]:
        if name not in _OUTPUTS:
            workspace = RecordedWorkspace.load(DATA / f"{name}.json")
            out = tmp_path_factory.mktemp("corpus") / f"{name}.jsonl"
            with DatabricksEmulator(workspace) as databricks:
                sink = {"type": "file", "config": {"filename": str(out)}}
                report = _ingest(workspace, databricks, config_for, monkeypatch, sink=sink)
                records = [json.loads(line) for line in out.read_text().splitlines()]
                _OUTPUTS[name] = _golden_document(name, records, report, databricks.url)
        return copy.deepcopy(_OUTPUTS[name])

    return produce


def _expected(name: str, actual: dict[str, Any]) -> dict[str, Any]:
    path = DATA / f"{name}.expected.json"
    if UPDATE:
        path.write_text(json.dumps(actual, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return json.loads(path.read_text())


# -- the golden comparisons -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", CORPUS)
def test_output_matches_golden_file(name: str, corpus_output: Any) -> None:
    actual = corpus_output(name)
    expected = _expected(name, copy.deepcopy(actual))
    for section in ("service", "tags", "pipelines", "statuses", "lineage", "report"):
        if section == "pipelines":
            assert sorted(actual[section]) == sorted(expected[section]), f"{name}: pipelines written"
            for pipeline, request in expected[section].items():
                assert actual[section][pipeline] == request, f"{name}: pipeline {pipeline}"
        elif section == "statuses":
            assert sorted(actual[section]) == sorted(expected[section]), f"{name}: pipelines with statuses"
            for pipeline, statuses in expected[section].items():
                assert actual[section][pipeline] == statuses, f"{name}: statuses of {pipeline}"
        else:
            assert actual[section] == expected[section], f"{name}: {section}"


def test_every_corpus_file_has_a_golden_file_and_follows_the_format() -> None:
    assert len(CORPUS) >= 5
    for name in CORPUS:
        assert (DATA / f"{name}.expected.json").exists(), f"{name}: no golden file (UPDATE_GOLDEN=1)"
        workspace = RecordedWorkspace.load(DATA / f"{name}.json")
        assert workspace.description and workspace.source, (
            f"{name}: say what it covers and where it comes from"
        )
        assert workspace.now_ms > 0


# -- invariants -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CORPUS)
def test_a_rerun_against_openmetadata_changes_nothing(
    name: str, config_for: Any, monkeypatch: pytest.MonkeyPatch, between_checks: None
) -> None:
    workspace = RecordedWorkspace.load(DATA / f"{name}.json")
    with DatabricksEmulator(workspace) as databricks, OpenMetadataEmulator() as openmetadata:
        openmetadata.seed_from_workspace(workspace)
        sink = {"type": "metadata-rest", "config": {}}
        first = _ingest(workspace, databricks, config_for, monkeypatch, sink=sink, openmetadata=openmetadata)
        pipelines, statuses = openmetadata.pipelines, openmetadata.statuses
        edges = sorted(map(str, openmetadata.lineage_edges))
        second = _ingest(workspace, databricks, config_for, monkeypatch, sink=sink, openmetadata=openmetadata)

        assert first.changes["created"] == first.written > 0
        assert second.changes["unchanged"] == second.written == first.written
        assert second.changes["created"] == second.changes["updated"] == 0
        # statuses OpenMetadata provably holds are not sent again; the rest are (and change nothing)
        assert first.statuses_skipped == 0
        assert second.statuses + second.statuses_skipped == first.statuses
        assert second.statuses_skipped > 0
        assert [(f.pipeline, f.reason) for f in second.failures] == [
            (f.pipeline, f.reason) for f in first.failures
        ]
        # a run already stored in its final state is neither mapped nor reported again
        assert set(second.warnings) <= set(first.warnings)
        assert openmetadata.pipelines == pipelines
        assert openmetadata.statuses == statuses
        assert sorted(map(str, openmetadata.lineage_edges)) == edges
        # one edge per table pair: two pipelines writing the same pair count twice but store one edge (the
        # last writer's). Each pipeline's sourceHash vouches for its edge set once every edge was written
        # or found, so the rerun sends no edge at all, not even the pair the other pipeline won
        shared = first.lineage_edges - len(edges)
        assert shared >= 0 and first.lineage_stored == 0
        assert second.lineage_edges == 0 and second.lineage_stored == first.lineage_edges
        assert second.lineage_edges + second.lineage_stored == first.lineage_edges


ODD = "odd-shapes"
ODD_UNDECODABLE = {
    # (failure pipeline id, name, field path in the reason)
    ("?", "job-without-job-id", "job_id"),
    ("3604", "task-without-task-key", "settings.tasks[1].task_key"),
    ("?", "dlt-without-pipeline-id", "pipeline_id"),
}

#: (who, what) of each warning the odd shapes must cause: a field, a run or an update lost, never more
ODD_WARNINGS = [
    ("job 3602", "settings.tags is a list"),
    ("job 3605", "settings.tasks[2].depends_on[1] names no task_key"),
    ("job 3605", "depends on 'ghost'"),
    ("run 860000006400", "start_time is missing"),
    ("run 860000006500", "'WAITING_FOR_COMPUTE'"),
    ("run 860000006300", "'Succes '"),
    ("run 860000006200", "tasks is an object"),
    ("run 860000006099", "same millisecond"),
    ("DLT update u-no-time", "creation_time is missing"),
]


def test_odd_shapes_cost_at_most_themselves(corpus_output: Any) -> None:
    document = corpus_output(ODD)
    report = document["report"]
    data = json.loads((DATA / f"{ODD}.json").read_text())

    # every other job and pipeline is written, with all its tasks
    decodable = {str(job["job_id"]) for job in data["jobs"] if "job_id" in job} - {"3604"}
    pipeline_ids = {item["pipeline_id"] for item in data["pipelines"] if "pipeline_id" in item}
    assert set(document["pipelines"]) == decodable | pipeline_ids
    for job in data["jobs"]:
        if str(job.get("job_id")) in decodable:
            written = [task["name"] for task in document["pipelines"][str(job["job_id"])]["tasks"]]
            assert written == [task["task_key"] for task in job["settings"]["tasks"]]
    assert report["listed"] == len(data["jobs"]) + len(data["pipelines"])

    failures = {(f["pipeline"], f["name"]) for f in report["failures"]}
    assert failures == {(pipeline, name) for pipeline, name, _ in ODD_UNDECODABLE}
    for pipeline, name, field in ODD_UNDECODABLE:
        reason = next(
            f["reason"] for f in report["failures"] if (f["pipeline"], f["name"]) == (pipeline, name)
        )
        assert field in reason
    assert report["ok"] is False

    for who, what in ODD_WARNINGS:
        assert any(who in warning and what in warning for warning in report["warnings"]), (who, what)
    assert report["warningCount"] == len(ODD_WARNINGS)


def test_odd_shapes_without_the_undecodable_items_is_a_clean_run(
    tmp_path: Path, config_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's ``ok`` is False only because of the three items that cannot be decoded."""
    data = json.loads((DATA / f"{ODD}.json").read_text())
    data["jobs"] = [job for job in data["jobs"] if "job_id" in job and job["job_id"] != 3604]
    data["pipelines"] = [item for item in data["pipelines"] if "pipeline_id" in item]
    workspace = RecordedWorkspace(data)
    with DatabricksEmulator(workspace) as databricks:
        out = tmp_path / "out.jsonl"
        report = _ingest(
            workspace,
            databricks,
            config_for,
            monkeypatch,
            sink={"type": "file", "config": {"filename": str(out)}},
        )
    assert report.ok and not report.failures, report.render()
    assert report.warning_count == len(ODD_WARNINGS)
