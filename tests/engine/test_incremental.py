"""Incremental reruns: statuses OpenMetadata already holds are not sent again, and nothing is lost.

The catalogue here behaves as OpenMetadata's does (``PipelineRepository``): statuses are upserts keyed by
timestamp, and the listing with ``fields=pipelineStatus`` gives each pipeline's status with the greatest
timestamp, its task statuses re-ordered by start time and null values gone. Runs are Jobs API 2.2
``runs/list`` objects (``start_time``, ``end_time``, ``state``, ``tasks``), and time moves between
ingestions as it does in a workspace: a run that was going at one ingestion has ended at the next.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from core.databricks.decode import decode_run
from core.mapping.status import already_stored, run_to_status
from core.sinks.base import EntityRef
from core.source import LineageEdge
from tests.engine.fakes import FakeLineage, FakeSource, MemorySink, job, run_engine

MIN = 60_000
T0 = 1_795_000_000_000


def run(run_id: int, start_min: int, end_min: int | None, result: str = "SUCCESS") -> dict[str, Any]:
    """A ``runs/list`` run of job 5 (task ``t``): ended when ``end_min`` is given, else RUNNING."""
    start = T0 + start_min * MIN
    if end_min is None:
        state = {"life_cycle_state": "RUNNING"}
        end = 0  # the Jobs API's "still running"
    else:
        state = {"life_cycle_state": "TERMINATED", "result_state": result}
        end = T0 + end_min * MIN
    return {
        "run_id": run_id,
        "start_time": start,
        "end_time": end,
        "state": state,
        "tasks": [
            {"task_key": "t", "run_id": run_id * 10, "start_time": start, "end_time": end, "state": state},
            {"task_key": "u", "run_id": run_id * 10 + 1, "start_time": start + 1, "end_time": end, "state": state},
        ],
    }


TASKS = [
    {"task_key": "t", "notebook_task": {"notebook_path": "/t"}},
    {"task_key": "u", "notebook_task": {"notebook_path": "/u"}},
]


class Catalogue(MemorySink):
    """A MemorySink whose statuses are upserts by timestamp and whose listing serves the latest one."""

    def __init__(self, version: str | None = "2.0.7") -> None:
        super().__init__(version)
        self.stored: dict[str, dict[int, dict]] = {}
        self.puts: list[list[int]] = []  # timestamps of each status PUT, in the order sent
        self.listed_with_status: list[bool] = []

    def put_statuses(self, fqn: str, statuses: list[dict]) -> int:
        if statuses:
            self.puts.append([status["timestamp"] for status in statuses])
        by_ts = self.stored.setdefault(fqn, {})
        for status in statuses:
            by_ts[status["timestamp"]] = copy.deepcopy(status)
        return len(statuses)

    def iter_service_pipelines(self, service: str, *, with_status: bool = False) -> Iterator[EntityRef]:
        self.listed_with_status.append(with_status)
        for name in self.pipelines:
            fqn = f"{service}.{name}"
            yield EntityRef(id=fqn, fqn=fqn, type="pipeline", name=name, latest_status=self._latest(fqn))

    def _latest(self, fqn: str) -> dict | None:
        by_ts = self.stored.get(fqn)
        if not by_ts:
            return None
        latest = copy.deepcopy(by_ts[max(by_ts)])
        # the server's order: by startTime, latest first here to prove the order does not matter
        latest.get("taskStatus", []).sort(key=lambda task: -task.get("startTime", 0))
        return latest

    def sent(self) -> list[int]:
        """Start minutes of every status sent, in order."""
        return [(ts - T0) // MIN for batch in self.puts for ts in batch]


def ingest(catalogue: Catalogue, runs: list[dict], **options: Any) -> Any:
    catalogue.puts.clear()
    return run_engine(FakeSource([job(5, "j", tasks=TASKS)], {"5": runs}), catalogue, **options)


def test_a_rerun_with_nothing_new_sends_no_status() -> None:
    catalogue = Catalogue()
    runs = [run(2, 20, 30), run(1, 0, 10)]  # newest first, as runs/list returns them
    first = ingest(catalogue, runs)
    assert catalogue.listed_with_status[0]  # the first listing reads the latest statuses
    assert not any(catalogue.listed_with_status[1:])  # the cleanup listing does not
    assert (first.statuses, first.statuses_skipped) == (2, 0)
    second = ingest(catalogue, runs)
    assert (second.statuses, second.statuses_skipped) == (0, 2)
    assert catalogue.puts == []
    assert second.as_dict()["statusesSkipped"] == 2
    assert second.as_dict()["skipped"] == second.changes["unchanged"] + 2


def test_only_new_runs_are_sent() -> None:
    catalogue = Catalogue()
    ingest(catalogue, [run(2, 20, 30), run(1, 0, 10)])
    report = ingest(catalogue, [run(3, 40, None), run(2, 20, 30), run(1, 0, 10)])
    assert catalogue.sent() == [40]
    assert report.statuses_skipped == 2


def test_the_latest_run_pending_at_the_last_ingestion_is_sent_again_once_it_ends() -> None:
    catalogue = Catalogue()
    ingest(catalogue, [run(2, 20, None), run(1, 0, 10)])
    assert catalogue.stored["svc.5"][T0 + 20 * MIN]["executionStatus"] == "Pending"
    report = ingest(catalogue, [run(2, 20, 30, "FAILED"), run(1, 0, 10)])
    assert catalogue.sent() == [20]
    assert catalogue.stored["svc.5"][T0 + 20 * MIN]["executionStatus"] == "Failed"
    assert report.statuses_skipped == 1
    # and once it is stored in its final state, nothing more
    ingest(catalogue, [run(2, 20, 30, "FAILED"), run(1, 0, 10)])
    assert catalogue.sent() == []


def test_an_older_run_still_going_at_the_last_ingestion_is_sent_again() -> None:
    """Overlapping runs: run 1 started first and was still going when run 2 (the latest) had ended."""
    catalogue = Catalogue()
    ingest(catalogue, [run(2, 20, 30), run(1, 0, None)])  # read at minute 35, say
    assert catalogue.stored["svc.5"][T0]["executionStatus"] == "Pending"
    report = ingest(catalogue, [run(2, 20, 30), run(1, 0, 50)])  # run 1 ended after t = minute 20
    assert catalogue.sent() == [0]
    assert catalogue.stored["svc.5"][T0]["executionStatus"] == "Successful"
    assert report.statuses_skipped == 1


def test_an_older_run_that_ended_after_t_is_sent_even_if_it_may_be_stored() -> None:
    """Ended at minute 25, after t = 20: it may have been read going, so it is sent (never lost)."""
    catalogue = Catalogue()
    ingest(catalogue, [run(2, 20, 30), run(1, 0, 25)])
    ingest(catalogue, [run(2, 20, 30), run(1, 0, 25)])
    assert catalogue.sent() == [0]


def test_a_run_that_ended_exactly_at_t_is_sent() -> None:
    catalogue = Catalogue()
    ingest(catalogue, [run(2, 20, 30), run(1, 0, 20)])
    ingest(catalogue, [run(2, 20, 30), run(1, 0, 20)])
    assert catalogue.sent() == [0]


def test_statuses_are_written_oldest_first() -> None:
    catalogue = Catalogue()
    ingest(catalogue, [run(3, 40, 50), run(2, 20, 30), run(1, 0, 10)])
    assert catalogue.sent() == [0, 20, 40]


def test_a_finished_latest_status_that_differs_is_not_trusted() -> None:
    """Written by another tool, an earlier mapping, or the run was repaired: the whole window is sent."""
    catalogue = Catalogue()
    runs = [run(2, 20, 30), run(1, 0, 10)]
    ingest(catalogue, runs)
    catalogue.stored["svc.5"][T0 + 20 * MIN]["executionStatus"] = "Failed"
    report = ingest(catalogue, runs)
    assert catalogue.sent() == [0, 20]
    assert report.statuses_skipped == 0


def test_override_metadata_sends_every_status_and_does_not_read_them() -> None:
    catalogue = Catalogue()
    runs = [run(2, 20, 30), run(1, 0, 10)]
    ingest(catalogue, runs)
    catalogue.listed_with_status.clear()
    report = ingest(catalogue, runs, overrideMetadata=True)
    assert catalogue.sent() == [0, 20]
    assert report.statuses_skipped == 0
    assert catalogue.listed_with_status and not any(catalogue.listed_with_status)


def test_no_lookback_reads_no_status() -> None:
    catalogue = Catalogue()
    ingest(catalogue, [run(1, 0, 10)], statusLookbackDays=0)
    assert catalogue.listed_with_status and not any(catalogue.listed_with_status)


def test_an_older_server_without_run_detail_skips_the_same_way() -> None:
    """Before 1.13 the stored status has no endTime: the rule reads the run's end from Databricks."""
    catalogue = Catalogue(version="1.12.4")
    runs = [run(2, 20, 30), run(1, 0, 10)]
    ingest(catalogue, runs)
    assert "endTime" not in catalogue.stored["svc.5"][T0]
    report = ingest(catalogue, runs)
    assert (report.statuses, report.statuses_skipped) == (0, 2)


def test_a_dry_run_counts_what_it_would_skip() -> None:
    from core.sinks.dryrun import DryRunSink

    catalogue = Catalogue()
    runs = [run(3, 40, 50), run(2, 20, 30), run(1, 0, 10)]
    ingest(catalogue, runs[1:])
    catalogue.puts.clear()
    dry = DryRunSink(catalogue)
    report = run_engine(FakeSource([job(5, "j", tasks=TASKS)], {"5": runs}), dry)  # type: ignore[arg-type]
    assert (report.statuses, report.statuses_skipped) == (1, 2)
    assert catalogue.puts == []


# -- the rule alone ---------------------------------------------------------------------------------------


def _mapped(raw: dict) -> tuple[Any, dict]:
    record = decode_run(raw)
    return record, dict(run_to_status(record, {"t", "u"}, detail=True).body)


def test_nothing_stored_means_nothing_skipped() -> None:
    record, body = _mapped(run(1, 0, 10))
    assert not already_stored(record, body, None)
    assert not already_stored(record, body, {"executionStatus": "Successful"})  # no timestamp
    assert not already_stored(record, body, {"timestamp": True, "executionStatus": "Successful"})


@pytest.mark.parametrize(
    ("raw", "skipped"),
    [
        (run(1, 0, 10), True),  # started and ended before t
        (run(1, 0, 20), False),  # ended at t
        (run(1, 0, 25), False),  # overlapped t
        (run(1, 0, None), False),  # still going
        (run(3, 40, 50), False),  # newer
    ],
)
def test_runs_around_the_stored_latest(raw: dict, skipped: bool) -> None:
    _, stored = _mapped(run(2, 20, 30))
    record, body = _mapped(raw)
    assert already_stored(record, body, stored) is skipped


def test_the_run_at_t_compares_its_body_whatever_the_order_of_its_tasks_and_nulls() -> None:
    record, body = _mapped(run(2, 20, 30))
    stored = copy.deepcopy(body)
    stored["taskStatus"].reverse()
    stored["taskStatus"][0]["logLink"] = None
    stored["endTime"] = body["endTime"]
    assert already_stored(record, body, stored)
    stored["taskStatus"][0]["executionStatus"] = "Failed"
    assert not already_stored(record, body, stored)


def test_a_dlt_update_has_no_end_time_so_only_the_one_at_t_is_skipped() -> None:
    """The Pipelines API's UpdateInfo has creation_time and no end: an older update may have ended late."""
    _, stored = _mapped(run(2, 20, 30))
    record, body = _mapped(run(1, 0, 10))
    update = record.__class__(**{**record.__dict__, "end_ms": None})
    assert not already_stored(update, body, stored)


# -- lineage ----------------------------------------------------------------------------------------------


def test_a_lineage_edge_the_source_repeats_is_sent_once() -> None:
    edge = LineageEdge("5", "main.raw.a", "main.gold.b")
    other = LineageEdge("5", "main.raw.c", "main.gold.b")
    sink = MemorySink()
    report = run_engine(
        FakeSource([job(5, "j")]), sink, lineage=FakeLineage([edge, other, edge, edge]), includeLineage=True
    )
    assert sorted(sink.edges) == [("main.raw.a", "main.gold.b", "5"), ("main.raw.c", "main.gold.b", "5")]
    assert (report.lineage_edges, report.lineage_repeated) == (2, 2)
    assert report.as_dict()["lineageRepeated"] == 2


class LineageCatalogue(MemorySink):
    """Tables known by name, each with the edges into it that the catalogue holds (as find_table reads them)."""

    def __init__(self, held: dict[str, set[tuple[str, str]]]) -> None:
        super().__init__()
        self.held = held
        self.lookups: list[str] = []

    def find_table(self, fqn: str) -> EntityRef | None:
        self.lookups.append(fqn)
        return EntityRef(id=fqn, fqn=fqn, type="table", lineage_from=frozenset(self.held.get(fqn, set())))


def test_with_one_database_service_a_held_edge_costs_only_its_target_lookup() -> None:
    edge = LineageEdge("5", "main.raw.a", "main.gold.b")
    sink = LineageCatalogue({"uc.main.gold.b": {("uc.main.raw.a", "svc.5")}})
    report = run_engine(
        FakeSource([job(5, "j")]),
        sink,
        lineage=FakeLineage([edge, LineageEdge("5", "main.raw.c", "main.gold.b")]),
        includeLineage=True,
        lineageInformation={"dbServiceNames": ["uc"]},
    )
    assert (report.lineage_edges, report.lineage_stored) == (1, 1)
    assert sorted(sink.lookups) == ["uc.main.gold.b", "uc.main.gold.b", "uc.main.raw.c"]


def test_a_lineage_edge_the_catalogue_holds_for_the_same_pipeline_is_not_sent() -> None:
    stored = LineageEdge("5", "main.raw.a", "main.gold.b")
    other_pipeline = LineageEdge("5", "main.raw.c", "main.gold.b")  # held, but for pipeline 6
    new = LineageEdge("5", "main.raw.d", "main.gold.b")
    held = {"main.gold.b": {("main.raw.a", "svc.5"), ("main.raw.c", "svc.6")}}
    sink = LineageCatalogue(held)
    report = run_engine(
        FakeSource([job(5, "j")]), sink, lineage=FakeLineage([stored, other_pipeline, new]), includeLineage=True
    )
    assert sorted(sink.edges) == [("main.raw.c", "main.gold.b", "5"), ("main.raw.d", "main.gold.b", "5")]
    assert (report.lineage_edges, report.lineage_stored) == (2, 1)
    assert report.as_dict()["lineageStored"] == 1
    assert report.skipped == report.changes["unchanged"] + report.statuses_skipped + 1


def test_override_metadata_sends_every_lineage_edge() -> None:
    edge = LineageEdge("5", "main.raw.a", "main.gold.b")
    sink = LineageCatalogue({"main.gold.b": {("main.raw.a", "svc.5")}})
    report = run_engine(
        FakeSource([job(5, "j")]), sink, lineage=FakeLineage([edge]), includeLineage=True, overrideMetadata=True
    )
    assert (report.lineage_edges, report.lineage_stored) == (1, 0)
