"""A run checkpoints its progress into the history while it goes, so a server killed mid-run leaves the
numbers, the pipelines written and the log up to its last checkpoint, and says they are as of then.

The run is parked at a known point with the emulators' ``hold`` (the second page of the job listing waits),
and checkpoints are asked for (``poke``) rather than waited for, so no assert depends on the machine's speed.
A server that died is played by an empty run registry: no live run of "this process" owns the record.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from ui import services
from ui.history import MemoryRunHistory, RunRecord
from ui.jobs import RunJob, RunRegistry
from ui.services import runs, saved
from ui.state import WizardState
from ui.store import Store, open_store

RUN_PAGE = "app_pages/run.py"
LIST = r"/jobs/list$"
#: the orphaned record's reason, and the page's headline that says it
ORPHANED_AS_OF = (
    r"the wizard's server stopped during this run; its numbers, pipelines and log are as of the "
    r"last checkpoint at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, and a rerun picks up where it left off"
)
AS_OF = rf"^Stopped: {ORPHANED_AS_OF}\.$"


@pytest.fixture
def state() -> WizardState:
    """The demo's settings, saved as an ingestion in this test's data directory."""
    store = open_store()
    assert isinstance(store, Store), store
    fresh = WizardState()
    services.apply_demo(fresh)
    fresh.ingestion_id = store.create_ingestion("", saved.settings_text(fresh), saved.SETTINGS_VERSION).id
    return fresh


def _session(new_app: Callable[[], AppTest], ingestion: str) -> AppTest:
    """A new browser session of the demo on the run page, bound to the saved ingestion."""
    fresh = WizardState()
    services.apply_demo(fresh)
    fresh.ingestion_id = ingestion
    at = new_app()
    at.session_state["wizard"] = fresh
    at.session_state[saved.BOUND_KEY] = ingestion
    at.run()
    at.switch_page(RUN_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open(at: AppTest, run_id: str) -> AppTest:
    at.selectbox(key="run_history_open").set_value(run_id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _until(predicate: Callable[[], bool], poke: Callable[[], None], what: str) -> None:
    """Ask for a checkpoint until ``predicate`` holds (a generous deadline: only a broken run reaches it)."""
    deadline = time.monotonic() + 60
    while not predicate():
        assert time.monotonic() < deadline, what
        poke()
        threading.Event().wait(0.05)


def _checkpointed(job: RunJob) -> RunRecord:
    """Wait until the parked run's checkpoint holds every pipeline of the listing's first page."""

    def complete() -> bool:
        record = runs.get_history().get(job.run_id)
        report = record.report if record is not None else None
        if record is None or record.checkpoint_at is None or not report or not report.get("pipelines"):
            return False
        settled = len(report["pipelines"])
        return settled == report["kept"] and record.counts.get("created", 0) == settled

    assert job.checkpoints is not None
    _until(complete, job.checkpoints.poke, "no checkpoint with the first page's pipelines")
    record = runs.get_history().get(job.run_id)
    assert record is not None
    return record


def test_a_killed_servers_run_keeps_its_checkpointed_numbers_pipelines_and_log_and_says_as_of_when(
    new_app: Callable[[], AppTest], h: SimpleNamespace, state: WizardState, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingestion = state.ingestion_id
    assert ingestion is not None
    databricks = services.start_demo()["databricks"]
    services.reset_demo_catalogue()  # an earlier test's run may have written the demo's pipelines
    with databricks.hold(LIST, method="GET", after=1) as gate:  # the listing's second page waits
        job = services.start_run(state, dry_run=False)
        gate.wait_until_held()
        checkpoint = _checkpointed(job)
        assert checkpoint.outcome == "running" and checkpoint.finished_at is None
        report = checkpoint.report
        assert report is not None and not report["listingComplete"]
        created = checkpoint.counts["created"]
        assert created > 0 and [row["outcome"] for row in report["pipelines"]] == ["created"] * created
        assert report["target"]["kind"] == "openmetadata"
        assert f"run {job.run_id} started" in checkpoint.log and "phase listing" in checkpoint.log

        # this server's page: the run is live, and opening it from the history does not say it finished
        at = _open(_session(new_app, ingestion), job.run_id)
        assert h.find(
            at, r"^Still running: the numbers, pipelines and log below are as of its last checkpoint"
        )
        assert h.find(at, r"Run finished|could not start") is None

        # the server is gone (a new process knows no live run): the record reads stopped with its server
        with monkeypatch.context() as restarted:
            restarted.setattr(runs, "RUNS", RunRegistry())
            orphan = runs.run_record(job.run_id)
            assert orphan is not None and orphan.outcome == "stopped"
            assert orphan.finished_at == orphan.checkpoint_at == checkpoint.checkpoint_at
            assert re.fullmatch(ORPHANED_AS_OF, orphan.error or ""), orphan.error
            assert orphan.counts == checkpoint.counts and orphan.report == checkpoint.report
            assert orphan.log.startswith(checkpoint.log)
            assert orphan.log.endswith(": the server stopped after it)\n")

            at = _open(_session(new_app, ingestion), job.run_id)
            assert h.find(at, AS_OF), h.texts(at)
            assert h.find(at, r"^Run stopped with its server · started .* · last checkpoint .*, after ")
            assert next(m.value for m in at.metric if m.label == "Created") == f"{created:,}"
            history = next(frame.value for frame in at.dataframe if "started" in frame.value.columns)
            assert list(history["outcome"]) == ["server stopped"]
            assert list(history["created"]) == [f"{created:,}"]
            assert str(history["duration"][0]).startswith("≥ ")
            pipelines = next(frame.value for frame in at.dataframe if "pipeline" in frame.value.columns)
            assert len(pipelines) == created and set(pipelines["outcome"]) == {"created"}
            assert at.get("download_button"), "the log so far downloads"
    # the server lived after all: the run ends, and its end record replaces the checkpoint
    assert job.wait(60)
    end = runs.get_history().get(job.run_id)
    assert end is not None and end.outcome == "ok" and end.checkpoint_at is None
    assert end.finished_at is not None and end.counts["created"] >= created
    assert end.report is not None and end.report["listingComplete"]


class _CheckpointsFail(MemoryRunHistory):
    """A history that cannot take a checkpoint (a full disk, a locked database), only a start and an end."""

    def record(self, run: RunRecord) -> None:
        if run.checkpoint_at is not None:
            raise OSError("disk full")
        super().record(run)


def test_a_checkpoint_that_cannot_be_written_is_logged_once_and_the_run_goes_on(
    state: WizardState, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    history = _CheckpointsFail()
    monkeypatch.setattr(runs, "_HISTORY", [history])
    caplog.set_level(logging.WARNING)
    databricks: Any = services.start_demo()["databricks"]
    with databricks.hold(LIST, method="GET", after=1) as gate:
        job = services.start_run(state, dry_run=False)
        gate.wait_until_held()
        assert job.checkpoints is not None
        checkpoints = job.checkpoints
        _until(lambda: checkpoints.failed >= 2, checkpoints.poke, "no checkpoint was attempted")
    assert job.wait(60)
    record = history.get(job.run_id)
    assert record is not None and record.outcome == "ok" and record.counts["kept"] > 0
    assert record.counts["failed"] == 0 and record.checkpoint_at is None
    warned = [r.getMessage() for r in caplog.records if "progress could not be saved" in r.getMessage()]
    assert warned == ["a run's progress could not be saved (OSError); the run goes on"]
    assert "disk full" not in caplog.text
