"""Per-pipeline outcomes in the report, and the dry run as a diff, in memory.

Real runs record created / updated / unchanged / deleted / failed per pipeline, in listing order; a dry
run records would-create / would-change (with the fields, from the stored pipeline) / unchanged /
would-delete (with why: gone from the workspace or filtered out by which rule) and writes nothing.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.databricks.records import JobRecord
from core.engine import IngestionEngine
from core.errors import SinkRejectedError
from core.report import RunReport
from core.sinks.base import Sink
from core.sinks.dryrun import DryRunSink
from core.source import LineageEdge
from tests.engine.catalogue import OWNER, CatalogueSink
from tests.engine.fakes import NOW_MS, FakeLineage, FakeSource, config, job

DAY = 86_400_000


def _run(source: FakeSource, sink: Sink, *, dry_run: bool = False, **options: Any) -> RunReport:
    """One engine run (``options`` into ``sourceConfig.config``); the dry run wraps ``sink``."""
    options.setdefault("markDeletedPipelines", True)
    lineage = options.pop("lineage", None)
    target = DryRunSink(sink) if dry_run else sink
    engine = IngestionEngine(
        config(**options), source, target, lineage=lineage, workers=2, now_ms=NOW_MS, dry_run=dry_run
    )
    return engine.run()


def _jobs() -> list[dict[str, Any]]:
    two_tasks = [
        {"task_key": "extract", "notebook_task": {"notebook_path": "/e"}},
        {
            "task_key": "load",
            "sql_task": {"query": {"query_id": "q"}},
            "depends_on": [{"task_key": "extract"}],
        },
    ]
    return [
        job(
            1,
            "orders",
            tasks=two_tasks,
            schedule={"quartz_cron_expression": "0 0 3 * * ?", "timezone_id": "UTC"},
        ),
        job(2, "refunds", tags={"team": "data"}, description="Refunds"),
        job(3, "scratch_tmp"),
        {**job(4, "customers"), "creator_user_name": "ann@example.com"},
    ]


def _runs() -> dict[str, list[dict]]:
    start = NOW_MS - DAY
    state = {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"}
    return {"1": [{"run_id": 11, "start_time": start, "end_time": start + 60_000, "state": state}]}


def _outcomes(report: RunReport) -> list[tuple[str, str]]:
    return [(entry["pipeline"], entry["outcome"]) for entry in report.as_dict()["pipelines"]]


def _by_id(report: RunReport) -> dict[str, dict[str, Any]]:
    return {entry["pipeline"]: entry for entry in report.as_dict()["pipelines"]}


@pytest.fixture
def catalogue() -> CatalogueSink:
    """A catalogue that holds the four jobs as the first run wrote them."""
    sink = CatalogueSink()
    first = _run(FakeSource(_jobs(), _runs()), sink, includeOwners=True)
    assert first.ok, first.render()
    sink.writes.clear()
    return sink


def test_a_first_run_creates_each_pipeline_in_listing_order_then_a_rerun_leaves_them_unchanged() -> None:
    sink = CatalogueSink()
    dlt = [JobRecord(id="5a0c2e3f-1b2d-4c5e-8f90-a1b2c3d4e5f6", name="bronze", kind="dlt")]
    first = _run(FakeSource(_jobs(), _runs(), dlt=dlt), sink)
    assert _outcomes(first) == [
        ("1", "created"),
        ("2", "created"),
        ("3", "created"),
        ("4", "created"),
        (dlt[0].id, "created"),
    ]
    entries = first.as_dict()["pipelines"]
    assert entries[0] == {
        "pipeline": "1",
        "name": "orders",
        "kind": "job",
        "fqn": "svc.1",
        "outcome": "created",
        "fields": [],
        "reason": None,
    }
    assert entries[-1]["kind"] == "dlt" and entries[-1]["name"] == "bronze"
    again = _run(FakeSource(_jobs(), _runs(), dlt=dlt), sink)
    assert {outcome for _, outcome in _outcomes(again)} == {"unchanged"} and len(_outcomes(again)) == 5
    assert first.as_dict()["pipelinesOmitted"] == 0
    gone = _run(FakeSource(_jobs(), _runs()), sink)  # the DLT pipeline deleted: a UUID is a DLT id
    assert _by_id(gone)[dlt[0].id]["kind"] == "dlt" and _by_id(gone)[dlt[0].id]["outcome"] == "deleted"
    assert _by_id(gone)[dlt[0].id]["name"] == "bronze"  # the stored displayName


def test_a_changed_job_is_updated_and_a_failed_write_names_its_reason(catalogue: CatalogueSink) -> None:
    jobs = _jobs()
    jobs[1]["settings"]["description"] = "Refunds, daily"
    catalogue.fail["put_pipeline:3"] = SinkRejectedError("pipeline 3 (scratch_tmp): 400 name too long")
    report = _run(FakeSource(jobs, _runs()), catalogue, includeOwners=True)
    outcomes = _by_id(report)
    assert [outcomes[n]["outcome"] for n in "1234"] == ["unchanged", "updated", "unchanged", "unchanged"]
    jobs[2]["settings"]["description"] = "now it changed"
    report = _run(FakeSource(jobs, _runs()), catalogue, includeOwners=True)
    failed = _by_id(report)["3"]
    assert failed["outcome"] == "failed" and "400 name too long" in failed["reason"]
    assert failed["fqn"] == "svc.3"  # it is in OpenMetadata from the first run


def test_an_undecodable_job_is_a_failed_outcome_at_its_place() -> None:
    jobs = _jobs()
    jobs.insert(1, {"job_id": 9, "settings": {"name": "broken", "tasks": [{"notebook_task": {}}]}})
    report = _run(FakeSource(jobs), CatalogueSink())
    assert _outcomes(report)[:3] == [("1", "created"), ("9", "failed"), ("2", "created")]
    assert "task_key" in _by_id(report)["9"]["reason"]


def test_a_dry_run_on_an_empty_catalogue_would_create_everything_and_writes_nothing() -> None:
    sink = CatalogueSink()
    report = _run(FakeSource(_jobs(), _runs()), sink, dry_run=True)
    assert _outcomes(report) == [(str(n), "would-create") for n in range(1, 5)]
    assert sink.writes == [] and sink.entities == {}
    assert report.statuses == 1  # the one run of job 1: would be written
    assert report.as_dict()["pipelines"][0]["fqn"] == "svc.1"


def test_an_unchanged_dry_rerun_reads_no_stored_pipeline(catalogue: CatalogueSink) -> None:
    report = _run(FakeSource(_jobs(), _runs()), catalogue, dry_run=True, includeOwners=True)
    assert _outcomes(report) == [(str(n), "unchanged") for n in range(1, 5)]
    assert catalogue.reads == [] and catalogue.writes == []
    assert report.statuses == 0 and report.statuses_skipped == 1


def _edit(jobs: list[dict], job_id: int, **settings: Any) -> None:
    jobs[job_id - 1]["settings"].update(settings)


EDITS: dict[str, tuple[Any, list[str]]] = {
    "schedule": (
        lambda j: _edit(j, 1, schedule={"quartz_cron_expression": "0 0 4 * * ?", "timezone_id": "UTC"}),
        ["schedule"],
    ),
    "paused": (
        lambda j: _edit(
            j,
            1,
            schedule={
                "quartz_cron_expression": "0 0 3 * * ?",
                "timezone_id": "UTC",
                "pause_status": "PAUSED",
            },
        ),
        ["schedule"],
    ),
    "tasks": (
        lambda j: j[0]["settings"]["tasks"][0].update(
            notebook_task=None, python_wheel_task={"package_name": "p"}
        ),
        ["tasks"],
    ),
    "edges": (lambda j: j[0]["settings"]["tasks"][1].pop("depends_on"), ["edges"]),
    "tags": (lambda j: _edit(j, 1, tags={"team": "ml"}), ["tags"]),
    "description": (lambda j: _edit(j, 1, description="Orders, daily"), ["description"]),
    "displayName": (lambda j: _edit(j, 1, name="orders_v2"), ["displayName"]),
    "concurrency": (lambda j: _edit(j, 1, max_concurrent_runs=4), ["concurrency"]),
}


@pytest.mark.parametrize("what", sorted(EDITS))
def test_a_dry_run_names_the_one_field_that_changed(catalogue: CatalogueSink, what: str) -> None:
    jobs = _jobs()
    edit, fields = EDITS[what]
    edit(jobs)
    report = _run(FakeSource(jobs, _runs()), catalogue, dry_run=True, includeOwners=True)
    outcomes = _by_id(report)
    assert outcomes["1"]["outcome"] == "would-change" and outcomes["1"]["fields"] == fields
    assert [outcomes[n]["outcome"] for n in "234"] == ["unchanged"] * 3
    assert catalogue.reads == ["svc.1"] and catalogue.writes == []  # one read, for the changed one only


def test_a_dry_run_names_a_changed_owner_and_source_url(catalogue: CatalogueSink) -> None:
    jobs = _jobs()
    jobs[3]["creator_user_name"] = "nobody@example.com"  # no such user: no owner sent, the stored stays
    jobs[1]["creator_user_name"] = "ann@example.com"  # refunds now gets an owner
    source = FakeSource(jobs, _runs())
    source.host = "https://adb-2.azuredatabricks.net"  # every URL changes
    report = _run(source, catalogue, dry_run=True, includeOwners=True)
    outcomes = _by_id(report)
    assert outcomes["2"]["fields"] == ["tasks", "owners", "sourceUrl"]  # task URLs too
    assert outcomes["4"]["fields"] == ["tasks", "sourceUrl"]
    assert OWNER["id"] not in str(outcomes)  # ids are not part of the diff's text


def test_a_pipeline_stored_by_another_tool_with_nothing_different_says_so(catalogue: CatalogueSink) -> None:
    catalogue.entities["2"].pop("sourceHash")
    report = _run(FakeSource(_jobs(), _runs()), catalogue, dry_run=True, includeOwners=True)
    entry = _by_id(report)["2"]
    assert entry["outcome"] == "would-change" and entry["fields"] == []
    assert "another tool" in entry["reason"]
    assert "another tool" in report.render()


def test_a_dry_run_says_which_pipelines_would_be_deleted_and_why(catalogue: CatalogueSink) -> None:
    jobs = [j for j in _jobs() if j["job_id"] != 2]  # refunds deleted in Databricks
    report = _run(
        FakeSource(jobs, _runs()),
        catalogue,
        dry_run=True,
        includeOwners=True,
        pipelineFilterPattern={"excludes": [".*_tmp"]},
    )
    outcomes = report.as_dict()["pipelines"]
    assert [(e["pipeline"], e["outcome"]) for e in outcomes] == [
        ("1", "unchanged"),
        ("4", "unchanged"),
        ("2", "would-delete"),
        ("3", "would-delete"),
    ]  # deletes last
    gone, filtered = outcomes[2], outcomes[3]
    assert gone["reason"] == "gone from the workspace" and gone["name"] == "refunds" and gone["kind"] == "job"
    assert filtered["reason"] == "filtered out: excluded by #1 (.*_tmp)" and filtered["name"] == "scratch_tmp"
    assert report.would_delete == 2 and report.deleted == 0 and catalogue.writes == []
    text = report.render()
    assert "Would delete (2):" in text and "2 refunds: gone from the workspace" in text
    assert "3 scratch_tmp: filtered out: excluded by #1 (.*_tmp)" in text


def test_a_real_run_deletes_with_the_same_reasons(catalogue: CatalogueSink) -> None:
    jobs = [j for j in _jobs() if j["job_id"] != 2]
    catalogue.fail["soft_delete:3"] = SinkRejectedError("refused for the test")
    report = _run(FakeSource(jobs, _runs()), catalogue, pipelineFilterPattern={"excludes": [".*_tmp"]})
    outcomes = _by_id(report)
    assert outcomes["2"]["outcome"] == "deleted" and outcomes["2"]["reason"] == "gone from the workspace"
    assert outcomes["3"]["outcome"] == "failed"
    assert outcomes["3"]["reason"].startswith("filtered out: excluded by #1 (.*_tmp); the delete failed")


def test_deletes_are_not_evaluated_without_mark_deleted_pipelines_and_the_report_says_why(
    catalogue: CatalogueSink,
) -> None:
    report = _run(FakeSource(_jobs()[:1], _runs()), catalogue, dry_run=True, markDeletedPipelines=False)
    assert "would-delete" not in {outcome for _, outcome in _outcomes(report)}
    assert report.delete_skipped == "markDeletedPipelines is off"
    assert "Would delete: not evaluated (markDeletedPipelines is off)" in report.render()


def test_deletes_are_not_evaluated_when_the_listing_broke(catalogue: CatalogueSink) -> None:
    source = FakeSource(_jobs(), _runs(), explode_after=1, fail={"listing": SinkRejectedError("x")})
    report = _run(source, catalogue, dry_run=True)
    assert report.delete_skipped == "the listing did not complete" and report.would_delete == 0


def test_a_dry_run_counts_the_lineage_edges_it_would_write() -> None:
    sink = CatalogueSink()
    edges = [LineageEdge("1", "main.raw.orders", "main.gold.orders"), LineageEdge("2", "a.b.c", "a.b.d")]
    report = _run(
        FakeSource(_jobs(), _runs()), sink, dry_run=True, includeLineage=True, lineage=FakeLineage(edges)
    )
    assert report.lineage_edges == 2 and sink.edges == [] and sink.writes == []
    assert "Would write 1 statuses and 2 lineage edges" in report.render_diff()


def test_the_report_names_the_target_and_keeps_at_most_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    import core.report

    monkeypatch.setattr(core.report, "MAX_PIPELINE_OUTCOMES", 3)
    report = _run(FakeSource(_jobs(), _runs()), CatalogueSink(), dry_run=True)
    assert report.as_dict()["target"] == {"kind": "openmetadata", "location": "http://om.example:8585/api"}
    assert len(report.as_dict()["pipelines"]) == 3 and report.as_dict()["pipelinesOmitted"] == 1
    assert "... and 1 more pipelines not listed" in report.render_diff()


def test_long_groups_are_cut_with_and_n_more_and_unchanged_is_a_count_unless_verbose(
    catalogue: CatalogueSink,
) -> None:
    report = _run(FakeSource(_jobs(), _runs()), catalogue, dry_run=True, includeOwners=True)
    assert "Unchanged: 4 (-v lists them)" in report.render()
    verbose = report.render(verbose=True)
    assert "Unchanged (4):" in verbose and "  1 orders" in verbose
    cut = report.render_diff(verbose=True, limit=2)
    assert "  ... and 2 more (--json lists them all)" in cut and "  3 scratch_tmp" not in cut


def test_a_real_run_prints_no_list() -> None:
    report = _run(FakeSource(_jobs(), _runs()), CatalogueSink())
    text = report.render()
    assert "Would" not in text and "orders" not in text
    assert "Written to" in text and "OpenMetadata at http://om.example:8585/api" in text


def test_override_metadata_in_a_dry_run_says_why_each_pipeline_would_be_sent_and_reads_nothing(
    catalogue: CatalogueSink,
) -> None:
    report = _run(
        FakeSource(_jobs(), _runs()), catalogue, dry_run=True, includeOwners=True, overrideMetadata=True
    )
    outcomes = report.as_dict()["pipelines"]
    assert {entry["outcome"] for entry in outcomes} == {"would-change"}
    assert all("overrideMetadata" in entry["reason"] and entry["fields"] == [] for entry in outcomes)
    assert catalogue.reads == [] and catalogue.writes == []


def test_a_pipeline_that_failed_to_be_created_has_no_fqn() -> None:
    sink = CatalogueSink(fail={"put_pipeline:2": SinkRejectedError("pipeline 2 (refunds): 400 bad tag")})
    report = _run(FakeSource(_jobs(), _runs()), sink)
    failed = _by_id(report)["2"]
    assert failed["outcome"] == "failed" and failed["fqn"] is None and "400 bad tag" in failed["reason"]
    assert _by_id(report)["1"]["fqn"] == "svc.1"


# -- the per-pipeline list and the counters agree, however the run ends ----------------------------------


def _listed_counts(report: RunReport) -> dict[str, int]:
    """Rows per outcome in the report's list."""
    counts: dict[str, int] = {}
    for entry in report.as_dict()["pipelines"]:
        counts[entry["outcome"]] = counts.get(entry["outcome"], 0) + 1
    return counts


def _assert_list_matches_counters(report: RunReport) -> None:
    data, rows = report.as_dict(), _listed_counts(report)
    for outcome, key in (("created", "created"), ("updated", "updated"), ("unchanged", "unchanged")):
        assert rows.get(outcome, 0) == data[key], (outcome, rows, data)
    assert rows.get("deleted", 0) == data["deleted"]
    failed_rows = {entry["pipeline"] for entry in data["pipelines"] if entry["outcome"] == "failed"}
    named = {f["pipeline"] for f in data["failures"] if f["phase"] in ("pipeline", "cleanup")}
    assert failed_rows <= named, (failed_rows, named)


def test_a_run_stopped_while_later_pipelines_finish_lists_every_write_it_counted() -> None:
    """Pipelines written after Stop, behind a slow first one, are listed and counted alike (none vanish)."""
    jobs = [job(n, f"job_{n}") for n in range(1, 21)]
    sink = CatalogueSink()
    engine = IngestionEngine(config(), FakeSource(jobs), sink, workers=4, now_ms=NOW_MS)

    def slow_first(key: str) -> None:
        if key != "put_pipeline:1":
            return
        deadline = threading.Event()
        for _ in range(1000):  # the other 7 in flight finish while the first is held (at most 10 s)
            if sum(engine.report.changes.values()) >= 7:
                break
            deadline.wait(0.01)
        engine.stop()

    sink.on_call = slow_first
    report = engine.run()
    assert report.interrupted
    assert report.changes["created"] == 8, report.render()
    assert _listed_counts(report) == {"created": 8}
    _assert_list_matches_counters(report)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stop_at=st.integers(min_value=1, max_value=30),
    failing=st.sets(st.integers(min_value=1, max_value=30), max_size=4),
    workers=st.integers(min_value=1, max_value=4),
)
def test_the_list_equals_the_counters_wherever_the_run_stops(
    stop_at: int, failing: set[int], workers: int
) -> None:
    jobs = [job(n, f"job_{n}") for n in range(1, 31)]
    fail: dict[str, BaseException] = {
        f"put_pipeline:{n}": SinkRejectedError(f"{n}: 400 refused") for n in failing
    }
    sink = CatalogueSink(fail=fail)
    engine = IngestionEngine(config(), FakeSource(jobs), sink, workers=workers, now_ms=NOW_MS)

    def stop_there(key: str) -> None:
        if key == f"put_pipeline:{stop_at}":
            engine.stop()

    sink.on_call = stop_there
    report = engine.run()
    _assert_list_matches_counters(report)
    assert len(report.failures) == _listed_counts(report).get("failed", 0)


def test_a_pool_refusing_work_at_interpreter_shutdown_interrupts_the_run() -> None:
    """At interpreter shutdown a pool raises RuntimeError on submit: an interruption, not an internal error."""
    jobs = [job(n, f"job_{n}") for n in range(1, 7)]
    refusal = RuntimeError("cannot schedule new futures after interpreter shutdown")
    sink = CatalogueSink(fail={"put_pipeline:3": refusal})
    report = IngestionEngine(config(), FakeSource(jobs), sink, workers=2, now_ms=NOW_MS).run()
    assert report.interrupted and report.fatal is None, report.render()
    assert not any("RuntimeError" in failure.reason for failure in report.failures)
    _assert_list_matches_counters(report)


def test_the_report_is_read_under_the_lock_its_writers_take() -> None:
    """The wizard checkpoints a live run from another thread: ``as_dict`` must not read while a write is half
    done (iterating ``changes`` while a first ``created`` is inserted raised "dictionary changed size")."""
    report = RunReport(service="svc")
    report.change("created")
    read: list[dict[str, Any]] = []
    reader = threading.Thread(target=lambda: read.append(report.as_dict()))
    with report._lock:  # a writer in the middle of its step
        reader.start()
        reader.join(timeout=0.2)
        assert reader.is_alive() and not read, "as_dict read the report while a writer held its lock"
        report.changes["would-create"] += 1
    reader.join()
    assert read[0]["created"] == 1 and read[0]["wouldCreate"] == 1
    assert report.as_dict()["written"] == 1  # and the owning thread reads it too: the lock is reentrant
