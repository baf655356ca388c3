"""Bugs the property tests found in ``core/``, minimised and pinned: each test states the correct
behaviour and is ``xfail(strict=True)``, so the fix turns it into an XPASS failure that asks for the
xfail marker (and the matching predicate in ``known_bugs.py``) to be removed.
"""

from __future__ import annotations

import contextlib

import pytest

from core.databricks.decode import DecodeError, decode_dlt_update, decode_job, decode_run
from core.mapping.status import run_to_status
from tests.properties.fakes import NOW_MS, FakeWorkspace, MemoryJsonSink, run_engine
from tests.properties.known_bugs import KNOWN_BUGS

# -- BUG 1: digits that are not decimal ---------------------------------------------------------------------

BUG1 = (
    "BUG 1 (core/databricks/decode.py _as_int): str.isdigit() accepts '²', '①'; int() then raises ValueError"
)


@pytest.mark.xfail(strict=True, raises=ValueError, reason=BUG1)
@pytest.mark.parametrize(
    ("decoder", "raw"),
    [
        (decode_job, {"job_id": "²"}),
        (decode_job, {"job_id": 1, "settings": {"max_concurrent_runs": "①"}}),
        (decode_job, {"job_id": 1, "created_time": "³"}),
        (decode_run, {"run_id": 1, "start_time": "²"}),
        (decode_run, {"run_id": 1, "start_time": 5, "end_time": "²"}),
        (decode_run, {"run_id": 1, "start_time": 5, "tasks": [{"task_key": "t", "attempt_number": "²"}]}),
        (decode_dlt_update, {"update_id": "u", "creation_time": "²"}),
    ],
    ids=[
        "job_id",
        "max_concurrent_runs",
        "created_time",
        "start_time",
        "end_time",
        "attempt_number",
        "creation_time",
    ],
)
def test_non_decimal_digits_in_a_number_field_are_a_decode_error_or_ignored(
    decoder: object, raw: dict
) -> None:
    with contextlib.suppress(DecodeError):
        decoder(raw)  # type: ignore[operator]


@pytest.mark.xfail(strict=True, raises=ValueError, reason=BUG1 + "; it escapes IngestionEngine.run()")
def test_a_job_id_with_non_decimal_digits_costs_only_that_job() -> None:
    workspace = FakeWorkspace(jobs=[{"job_id": 1, "settings": {"name": "a"}}, {"job_id": "²"}, {"job_id": 3}])
    sink = MemoryJsonSink()
    report = run_engine(workspace, sink)
    assert report.listing_complete
    assert [failure.pipeline for failure in report.failures] == ["²"]
    assert set(sink.pipelines()) == {"1", "3"}


# -- BUG 2: repair_history[].task_run_ids not a list ------------------------------------------------------

BUG2 = (
    "BUG 2 (core/databricks/decode.py _repair_ranks): iterates repair_history[i].task_run_ids unchecked; "
    "a number raises TypeError"
)


@pytest.mark.xfail(strict=True, raises=TypeError, reason=BUG2)
def test_task_run_ids_that_are_not_a_list_are_ignored_with_a_warning() -> None:
    _, example = KNOWN_BUGS["repair_history task_run_ids not a list"]
    with contextlib.suppress(DecodeError):
        decode_run(example)


@pytest.mark.xfail(strict=True, reason=BUG2 + "; the whole job fails and none of its statuses is written")
def test_scalar_task_run_ids_cost_at_most_that_run() -> None:
    bad = {"run_id": 9, "start_time": NOW_MS - 1000, "repair_history": [{"task_run_ids": 7}]}
    good = {"run_id": 10, "start_time": NOW_MS - 2000, "state": {"life_cycle_state": "RUNNING"}}
    workspace = FakeWorkspace(jobs=[{"job_id": 1, "settings": {"name": "a"}}], runs={1: [bad, good]})
    sink = MemoryJsonSink()
    report = run_engine(workspace, sink)
    assert report.failures == []
    assert NOW_MS - 2000 in [status["timestamp"] for status in sink.statuses()["dbx_props.1"]]


# -- BUG 3: an ended run with an unfinished life cycle is Pending ------------------------------------------


@pytest.mark.xfail(
    strict=True,
    reason="BUG 3 (core/mapping/status.py _verdict, or the README): an unfinished life_cycle_state decides "
    "before the end time, so a run with end_time > 0 and life_cycle_state BLOCKED/RUNNING/... is Pending, "
    "against 'a run that has terminated (TERMINATED, or it has an end time) is never Pending'",
)
@pytest.mark.parametrize(
    "life", ["BLOCKED", "RUNNING", "TERMINATING", "PENDING", "QUEUED", "WAITING_FOR_RETRY"]
)
def test_a_run_with_an_end_time_is_never_pending(life: str) -> None:
    # minimised by Hypothesis from test_no_crash.py::test_a_terminated_or_ended_run_is_never_pending
    raw = {
        "run_id": 1,
        "start_time": 1_749_136_000_000,
        "end_time": 1_749_136_000_000,
        "state": {"life_cycle_state": life},
    }
    assert run_to_status(decode_run(raw), set(), detail=True).body["executionStatus"] != "Pending"
