"""The failure policy, cell by cell: every (error class, place) of ``FAILURE_POLICY`` provoked in memory.

Each case injects one error of the row's class at the place of the column (through the fakes in
``tests/engine/fakes.py``) into a run of three jobs with lineage and one stale pipeline in the catalogue,
and asserts the report the table promises: fatal or not, which failures, what was written, what was
deleted, ``delete_skipped``. The cases are generated from the table itself, so a new row or a changed
cell is tested without editing this file. Then the same rules in the situations they are for.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

import core.errors as errors_module
from core.errors import (
    FAILURE_POLICY,
    DecodeError,
    IngestionError,
    InvalidPatternError,
    Outcome,
    Place,
    RunInterrupted,
    SinkAuthError,
    SinkError,
    SinkRejectedError,
    SourceAuthError,
    SourceError,
    SourceUnavailableError,
    failure_policy,
    outcome_of,
)
from core.report import RunReport
from core.source import LineageEdge
from tests.engine.fakes import FakeLineage, FakeSource, MemorySink, job, run_engine

JOBS = ["1", "2", "3"]
EDGES = [LineageEdge(entity_id, f"c.s.in_{entity_id}", f"c.s.out_{entity_id}") for entity_id in JOBS]


def example(cls: type[BaseException]) -> BaseException:
    """One error of ``cls`` with a recognisable message."""
    if cls is Exception:
        return RuntimeError("a bug nobody expected")
    if cls is KeyboardInterrupt:
        return KeyboardInterrupt()
    if cls is DecodeError:
        return DecodeError("job", "2", "settings.tasks[0].task_key", "is missing")
    if cls is InvalidPatternError:
        return InvalidPatternError("(etl", "missing ), unterminated subpattern")
    if issubclass(cls, SinkError):
        return cls(f"injected {cls.__name__}", status_code=500)
    return cls(f"injected {cls.__name__}")


def provoke(err: BaseException, place: Place) -> tuple[RunReport, MemorySink]:
    """A run of jobs 1, 2, 3 (with lineage; pipeline 77 is stale) with ``err`` raised at ``place``.

    The item places fail on the second item: completing job 2 (its write, for sink errors), the edge of
    pipeline 2, the delete of pipeline 77 (78 is stale too and comes after it).
    """
    source_fail: dict[str, BaseException] = {}
    sink_fail: dict[str, BaseException] = {}
    explode_after = None
    lineage = FakeLineage(EDGES)
    if place is Place.SETUP:
        sink_fail["ensure_service"] = err
    elif place is Place.LISTING:
        source_fail["listing"], explode_after = err, 1
    elif place is Place.PIPELINE and isinstance(err, SinkError):
        sink_fail["put_pipeline:2"] = err
    elif place is Place.PIPELINE:
        source_fail["get_job:2"] = err
    elif place is Place.LINEAGE:
        lineage = FakeLineage(EDGES, fail_after=1, error=err)
    elif place is Place.EDGE:
        sink_fail["put_lineage:2"] = err
    elif place is Place.CLEANUP:
        sink_fail["iter_service_pipelines#2"] = err  # the first listing is setup's
    elif place is Place.DELETE:
        sink_fail["soft_delete:77"] = err
    source = FakeSource(
        [job(int(job_id), f"job_{job_id}") for job_id in JOBS],
        explode_after=explode_after,
        fail=source_fail,
        incomplete={"2"},
    )
    sink = MemorySink(existing=["77", "78"], fail=sink_fail)
    return run_engine(source, sink, lineage=lineage, includeLineage=True), sink


def expected_writes(place: Place, outcome: Outcome) -> tuple[list[str], int, list[str]]:
    """(pipelines written, lineage edges written, pipelines deleted) for ``outcome`` at ``place``."""
    everything = (JOBS, 3, ["77", "78"])
    if outcome is Outcome.COSTS_ONE:
        return {
            Place.PIPELINE: (["1", "3"], 2, ["77", "78"]),  # no edge for a pipeline that was not written
            Place.EDGE: (JOBS, 2, ["77", "78"]),
            Place.DELETE: (JOBS, 3, ["78"]),
        }.get(place, everything)
    if outcome is Outcome.ENDS_PHASE:
        return JOBS, 1, ["77", "78"]  # the edge before the failure, then straight on to the deletes
    return {  # aborted or interrupted: whatever was done before, nothing after
        Place.SETUP: ([], 0, []),
        Place.LISTING: (["1"], 0, []),
        Place.PIPELINE: (["1"], 0, []),
        Place.LINEAGE: (JOBS, 0, []),  # the edges are read whole before any is written
        Place.EDGE: (JOBS, 1, []),
        Place.CLEANUP: (JOBS, 3, []),
        Place.DELETE: (JOBS, 3, []),
    }[place]


CELLS = [
    pytest.param(cls, place, row.at(place), id=f"{cls.__name__}-{place.value}")
    for cls, row in FAILURE_POLICY.items()
    for place in Place
]


@pytest.mark.parametrize(("cls", "place", "outcome"), CELLS)
def test_each_cell_of_the_policy_table_is_what_the_run_does(
    cls: type[BaseException], place: Place, outcome: Outcome
) -> None:
    err = example(cls)
    assert outcome_of(err, place) is outcome  # the example really is read from this row
    report, sink = provoke(err, place)

    written, edges, deleted = expected_writes(place, outcome)
    assert (sink.written, len(sink.edges), sink.deleted) == (written, edges, deleted)
    message = str(err) or type(err).__name__
    if outcome is Outcome.INTERRUPTS:
        assert report.interrupted and report.fatal is None and report.failures == []
        assert report.delete_skipped == "the run was interrupted"
    elif outcome is Outcome.ABORT:
        assert report.fatal is not None and not report.interrupted
        (failure,) = report.failures
        assert message in failure.reason
        # raised by one pipeline's work, the failure names that pipeline; elsewhere, the phase
        who = ("2", "pipeline") if place is Place.PIPELINE else (None, failure.phase)
        assert (failure.pipeline, failure.phase) == who
        if not isinstance(err, IngestionError):
            assert f"internal error while {failure.phase}: RuntimeError" in failure.reason
        listing_done = place not in (Place.SETUP, Place.LISTING, Place.PIPELINE)
        assert report.listing_complete is listing_done
        stopped_during = "cleanup" if place in (Place.CLEANUP, Place.DELETE) else "lineage"
        assert report.delete_skipped == (
            f"the run stopped during {stopped_during}" if listing_done else "the listing did not complete"
        )
    elif outcome is Outcome.ENDS_PHASE:
        assert report.fatal is None and report.listing_complete and report.delete_skipped is None
        (failure,) = report.failures
        assert failure.phase == "lineage" and failure.reason.startswith("lineage: ")
        assert message in failure.reason
    else:
        assert outcome is Outcome.COSTS_ONE
        assert report.fatal is None and report.listing_complete and report.delete_skipped is None
        (failure,) = report.failures
        who, phase = {Place.PIPELINE: ("2", "pipeline"), Place.EDGE: ("2", "lineage")}.get(
            place, ("77", "cleanup")
        )
        assert (failure.pipeline, failure.phase) == (who, phase)
        assert message in failure.reason
        if not isinstance(err, IngestionError):
            assert "internal error: RuntimeError" in failure.reason
    assert report.render()  # whatever happened, the report prints


def test_every_engine_error_class_has_its_own_row() -> None:
    """A new error class must be placed in the table on purpose, not inherit a row by accident."""
    classes = {
        value
        for value in vars(errors_module).values()
        if isinstance(value, type) and issubclass(value, IngestionError)
    }
    assert classes - set(FAILURE_POLICY) == set()


def test_the_rows_that_matter_most_read_as_the_readme_says() -> None:
    pipeline = Place.PIPELINE
    assert outcome_of(SourceUnavailableError("x"), pipeline) is Outcome.COSTS_ONE
    assert outcome_of(SourceAuthError("x"), pipeline) is Outcome.ABORT
    assert outcome_of(SinkAuthError("x"), pipeline) is Outcome.ABORT
    assert outcome_of(SinkRejectedError("x"), pipeline) is Outcome.COSTS_ONE  # not SinkError's row
    assert outcome_of(RuntimeError("bug"), pipeline) is Outcome.COSTS_ONE
    assert all(
        outcome_of(example(cls), Place.LISTING) in (Outcome.ABORT, Outcome.INTERRUPTS)
        for cls in FAILURE_POLICY
    )
    assert (
        failure_policy(SourceUnavailableError("x")).retried
        and not failure_policy(SourceAuthError("x")).retried
    )


def test_a_subclass_without_a_row_gets_its_nearest_ancestors() -> None:
    class QuotaExceeded(SourceUnavailableError):
        pass

    assert failure_policy(QuotaExceeded("x")) is FAILURE_POLICY[SourceUnavailableError]
    assert failure_policy(ValueError("x")) is FAILURE_POLICY[Exception]


def test_fatal_is_read_from_the_table() -> None:
    assert SourceAuthError("x").fatal and SinkAuthError("x").fatal
    assert not SourceUnavailableError("x").fatal and not SinkRejectedError("x").fatal


# -- the situations the rules are for ---------------------------------------------------------------------


def _jobs(count: int) -> list[dict[str, Any]]:
    return [job(index, f"job_{index}") for index in range(1, count + 1)]


@pytest.mark.parametrize("workers", [1, 4])
def test_credentials_refused_by_databricks_mid_run_stop_it_and_delete_nothing(workers: int) -> None:
    refused = SourceAuthError("Databricks refused the credentials while listing runs of job 5")
    sink = MemorySink(existing=["999"])
    report = run_engine(FakeSource(_jobs(20), fail={"runs:5": refused}), sink, workers=workers)
    assert report.fatal is refused
    assert report.delete_skipped == "the listing did not complete" and sink.deleted == []
    assert "5" in sink.written  # written before its runs were read: the PUT is not undone
    assert len(sink.written) < 20


@pytest.mark.parametrize("workers", [1, 4])
def test_a_jwt_refused_by_openmetadata_mid_run_stops_it(workers: int) -> None:
    refused = SinkAuthError("OpenMetadata refused the JWT", status_code=401)
    sink = MemorySink(existing=["999"], fail={"put_pipeline:7": refused})
    report = run_engine(FakeSource(_jobs(20)), sink, workers=workers)
    assert report.fatal is refused and report.failures[-1].reason.startswith("OpenMetadata refused the JWT")
    assert "7" not in sink.written and sink.deleted == []


def test_databricks_unavailable_for_one_pipeline_costs_that_pipeline() -> None:
    gone = SourceUnavailableError("Databricks did not answer while listing runs of job 3")
    sink = MemorySink(existing=["999"])
    report = run_engine(FakeSource(_jobs(5), fail={"runs:3": gone}), sink, workers=4)
    assert report.fatal is None and [(f.pipeline, f.phase) for f in report.failures] == [("3", "pipeline")]
    assert sorted(sink.written) == ["1", "2", "3", "4", "5"] and sink.deleted == ["999"]


def test_an_internal_error_in_one_pipeline_costs_that_pipeline_only() -> None:
    sink = MemorySink(existing=["999"])
    report = run_engine(
        FakeSource(_jobs(4), fail={"get_job:2": ZeroDivisionError("division by zero")}, incomplete={"2"}),
        sink,
        workers=4,
    )
    assert report.fatal is None
    assert [(f.pipeline, f.reason) for f in report.failures] == [
        ("2", "internal error: ZeroDivisionError: division by zero.")
    ]
    assert sorted(sink.written) == ["1", "3", "4"] and sink.deleted == ["999"]


def test_an_internal_error_in_the_listing_ends_the_run_with_a_report() -> None:
    sink = MemorySink(existing=["999"])
    report = run_engine(FakeSource(_jobs(4), explode_after=2), sink, workers=4)
    assert report.fatal is not None and "internal error while listing" in report.failures[-1].reason
    assert report.delete_skipped == "the listing did not complete" and sink.deleted == []
    assert set(sink.written) <= {"1", "2"}  # pipelines in flight when the listing broke may be cancelled


def test_a_listing_that_fails_part_way_skips_the_deletes() -> None:
    broken = SourceUnavailableError("Databricks failed while listing jobs")
    sink = MemorySink(existing=["999"])
    report = run_engine(FakeSource(_jobs(6), explode_after=3, fail={"listing": broken}), sink, workers=4)
    assert report.fatal is broken and not report.listing_complete
    assert report.delete_skipped == "the listing did not complete" and sink.deleted == []


def test_a_lineage_query_the_warehouse_refuses_ends_lineage_but_not_the_run() -> None:
    refused = SourceAuthError("PERMISSION_DENIED on system.access.table_lineage")
    lineage = FakeLineage(EDGES, fail_after=0, error=refused)
    sink = MemorySink(existing=["999"])
    report = run_engine(FakeSource(_jobs(3)), sink, lineage=lineage, workers=4, includeLineage=True)
    assert report.fatal is None and sink.edges == [] and sink.deleted == ["999"]
    assert [(f.pipeline, f.phase) for f in report.failures] == [(None, "lineage")]
    assert lineage.asked == ["1", "2", "3"]


def test_a_rejected_lineage_edge_costs_that_edge() -> None:
    sink = MemorySink(fail={"put_lineage:1": SinkRejectedError("unknown table", status_code=404)})
    report = run_engine(
        FakeSource(_jobs(3)), sink, lineage=FakeLineage(EDGES), workers=4, includeLineage=True
    )
    assert [edge[2] for edge in sink.edges] == ["2", "3"] and report.lineage_edges == 2
    assert [(f.pipeline, f.phase) for f in report.failures] == [("1", "lineage")]


def test_stop_mid_run_interrupts_at_a_pipeline_boundary_and_deletes_nothing() -> None:
    engines: list[Any] = []
    stopped = threading.Event()

    def stop_at(key: str) -> None:
        if key == "runs:4" and not stopped.is_set():
            stopped.set()
            engines[0].stop()

    sink = MemorySink(existing=["999"])
    report = run_engine(FakeSource(_jobs(30), on_call=stop_at), sink, workers=4, engine_hook=engines.append)
    assert report.interrupted and report.fatal is None and report.failures == []
    assert report.delete_skipped == "the run was interrupted" and sink.deleted == []
    assert 4 <= len(sink.written) < 30


def test_ctrl_c_in_a_worker_interrupts_the_run() -> None:
    sink = MemorySink(existing=["999"])
    report = run_engine(FakeSource(_jobs(10), fail={"runs:3": KeyboardInterrupt()}), sink, workers=4)
    assert report.interrupted and report.fatal is None and sink.deleted == []


def test_run_interrupted_raised_inside_a_pipeline_is_not_a_failure() -> None:
    sink = MemorySink()
    report = run_engine(FakeSource(_jobs(3), fail={"runs:2": RunInterrupted("stopped")}), sink)
    assert report.interrupted and report.failures == [] and sink.written == ["1", "2"]


def test_a_bare_source_error_in_one_pipeline_costs_it_and_the_run_goes_on() -> None:
    sink = MemorySink()
    report = run_engine(FakeSource(_jobs(3), fail={"runs:1": SourceError("no such object")}), sink)
    assert report.fatal is None and [f.pipeline for f in report.failures] == ["1"]
    assert sink.written == ["1", "2", "3"]
