"""A run's progress checkpoints, without Streamlit or servers: when they are saved, that a failing one never
breaks the run, that none replaces the end record, and how the database keeps a checkpoint's time.

Saves wait on events the test sets, so no assert depends on timing.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from ui.history import RunRecord
from ui.jobs import Checkpoints, RunJob, checkpoint_delay


def _event(phase: str, processed: int = 0) -> SimpleNamespace:
    return SimpleNamespace(phase=phase, listed=processed, kept=processed, processed=processed, failures=0)


def test_a_poke_saves_at_once_and_close_waits_for_a_save_in_progress_and_none_follows() -> None:
    entered, release = threading.Event(), threading.Event()

    def save() -> None:
        entered.set()
        assert release.wait(10)

    checkpoints = Checkpoints(save, every_s=3600)
    checkpoints.start()
    checkpoints.poke()
    assert entered.wait(10), "a poke saves without waiting for the timer"
    closing = threading.Thread(target=checkpoints.close)
    closing.start()
    closing.join(0.2)
    assert closing.is_alive(), "close waits for the save in progress (it cannot end before the save)"
    release.set()
    closing.join(10)
    assert not closing.is_alive()
    entered.clear()
    checkpoints.poke()
    assert checkpoints._thread is not None
    checkpoints._thread.join(10)
    assert not checkpoints._thread.is_alive() and not entered.is_set()
    assert checkpoints.saved == 1


def test_a_failing_save_is_logged_once_and_the_next_checkpoint_still_saves(
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts: list[int] = []
    attempted = threading.Semaphore(0)

    def save() -> None:
        attempts.append(1)
        attempted.release()
        if len(attempts) <= 2:
            raise OSError("disk full")

    checkpoints = Checkpoints(save, every_s=3600)
    caplog.set_level(logging.WARNING, logger="ui.jobs")
    checkpoints.start()
    for _ in range(3):
        checkpoints.poke()
        assert attempted.acquire(timeout=10)
    checkpoints.close()
    assert (checkpoints.failed, checkpoints.saved) == (2, 1)
    warnings = [r.getMessage() for r in caplog.records if r.name == "ui.jobs"]
    assert warnings == ["a run's progress could not be saved (OSError); the run goes on"]


def test_a_run_checkpoints_at_its_phase_changes_not_at_every_event_and_never_after_its_end() -> None:
    saved: list[str] = []
    first = threading.Event()
    job = RunJob(key="ing")

    def save() -> None:
        saved.append(job.event.phase if job.event is not None else "-")
        first.set()

    def work(j: RunJob) -> None:
        for phase in ("connecting", "listing"):
            j.on_event(_event(phase))
        for processed in range(1, 1001):
            j.on_event(_event("ingesting", processed))
        assert first.wait(10)
        j.on_event(_event("done", 1000))  # the end record comes next: no checkpoint for it
        j.end_checkpoints()
        saved.append("end")

    job.start(work, checkpoint=save, every_s=3600)
    assert job.wait(10)
    assert 1 <= len(saved) - 1 <= 3, saved  # 1,002 events, 3 phase changes (pokes coalesce)
    assert saved[-1] == "end" and "done" not in saved


def test_a_run_whose_work_raises_still_ends_its_checkpoints() -> None:
    job = RunJob(key="ing")

    def work(j: RunJob) -> None:
        raise RuntimeError("a bug")

    job.start(work, checkpoint=lambda: None, every_s=3600)
    assert job.wait(10)
    assert job.checkpoints is not None and job.checkpoints._thread is not None
    job.checkpoints._thread.join(10)
    assert not job.checkpoints._thread.is_alive()


def test_a_slow_save_spaces_the_next_ones_out() -> None:
    assert checkpoint_delay(0.01, 5.0, 0.05) == 5.0
    assert checkpoint_delay(1.0, 5.0, 0.05) == pytest.approx(20.0)
    assert checkpoint_delay(1.0, 5.0, 0.0) == 5.0


def test_the_database_keeps_a_running_records_checkpoint_and_the_end_record_clears_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.store import Store, close_stores, open_store

    monkeypatch.setenv("DBX_PIPELINE_HOME", str(tmp_path))
    store = open_store()
    assert isinstance(store, Store), store
    try:
        ingestion = store.create_ingestion("n", "{}", 1).id
        checkpoint = RunRecord(
            run_id="r1", ingestion_id=ingestion, started_at=100.0, mode="run",
            counts={"created": 3}, report={"created": 3, "pipelines": []}, log="so far\n", checkpoint_at=130.0,
        )  # fmt: skip
        store.runs.record(checkpoint)
        got = store.runs.get("r1")
        assert got is not None
        assert (got.outcome, got.finished_at, got.checkpoint_at, got.counts, got.log) == (
            "running",
            None,
            130.0,
            {"created": 3},
            "so far\n",
        )
        (listed,) = store.runs.list_runs(ingestion)
        assert listed.checkpoint_at == 130.0 and listed.log == ""
        assert store.runs.latest_by_ingestion()[ingestion].checkpoint_at == 130.0
        end = RunRecord(
            run_id="r1", ingestion_id=ingestion, started_at=100.0, finished_at=190.0, mode="run",
            outcome="ok", counts={"created": 9}, log="all\n",
        )  # fmt: skip
        store.runs.record(end)
        got = store.runs.get("r1")
        assert got is not None
        assert (got.outcome, got.finished_at, got.checkpoint_at, got.counts) == (
            "ok",
            190.0,
            None,
            {"created": 9},
        )
    finally:
        close_stores()
