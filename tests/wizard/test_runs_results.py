"""How an ended run reads: stopped (by Stop or with its server) never says "finished" or "could not start",
an orphaned run shows no empty tables, the history's numbers have their own columns, and the demo
catalogue's reset is offered only when the run writes to the demo OpenMetadata.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from ui import services
from ui.history import MemoryRunHistory, RunRecord
from ui.services import runs, saved
from ui.state import WizardState
from ui.store import Store, open_store

RUN_PAGE = "app_pages/run.py"
INGESTION = ""


@pytest.fixture
def history(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryRunHistory]:
    """A fresh history, and a saved ingestion of the demo's settings (its id in :data:`INGESTION`)."""
    store = open_store()
    assert isinstance(store, Store), store
    state = WizardState()
    services.apply_demo(state)
    ingestion = store.create_ingestion("", saved.settings_text(state), saved.SETTINGS_VERSION).id
    monkeypatch.setitem(globals(), "INGESTION", ingestion)
    fresh = MemoryRunHistory()
    monkeypatch.setattr(runs, "_HISTORY", [fresh])
    yield fresh


def _page(new_app: Callable[[], AppTest], *, file_sink: Path | None = None) -> AppTest:
    state = WizardState()
    services.apply_demo(state)
    state.ingestion_id = INGESTION
    if file_sink is not None:
        state.sink.kind, state.sink.filename = "file", str(file_sink)
    at = new_app()
    at.session_state["wizard"] = state
    at.session_state[saved.BOUND_KEY] = INGESTION
    at.run()
    at.switch_page(RUN_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open(at: AppTest, record: RunRecord) -> AppTest:
    at.selectbox(key="run_history_open").set_value(record.run_id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _stopped_report(created: int) -> dict[str, object]:
    rows = [
        {"pipeline": str(n), "name": f"job_{n}", "kind": "job", "outcome": "created"} for n in range(created)
    ]
    return {
        "listed": 40,
        "kept": 40,
        "created": created,
        "interrupted": True,
        "fatal": None,
        "failures": [],
        "pipelines": rows,
        "pipelinesOmitted": 0,
        "target": {"kind": "openmetadata", "location": "http://om/api"},
    }


def test_an_orphaned_run_reads_stopped_with_its_server_and_shows_no_empty_tables(
    new_app: Callable[[], AppTest], h: SimpleNamespace, history: MemoryRunHistory
) -> None:
    record = RunRecord(
        run_id=uuid.uuid4().hex, ingestion_id=INGESTION, started_at=time.time() - 60, mode="run"
    )
    history.record(record)  # "running", and no live run of this process owns it
    at = _open(_page(new_app), record)
    assert h.find(
        at, r"^Stopped: the wizard's server stopped during this run; a rerun picks up where it left off\.$"
    )
    assert h.find(at, r"could not start") is None and h.find(at, r"Run finished") is None
    assert not at.metric and len(at.dataframe) == 1  # only the history table: no empty result tables
    assert h.find(at, r"^No log was kept for this run\.$")


def test_a_run_stopped_by_the_server_or_by_stop_says_stopped_not_finished(
    new_app: Callable[[], AppTest], h: SimpleNamespace, history: MemoryRunHistory
) -> None:
    started = time.time() - 120
    by_server = RunRecord(
        run_id=uuid.uuid4().hex, ingestion_id=INGESTION, started_at=started, finished_at=started + 5, mode="run",
        outcome="stopped", report=_stopped_report(7), counts=runs.run_counts(_stopped_report(7)),
        error=runs.ORPHANED, log="log\n",
    )  # fmt: skip
    by_stop = RunRecord(
        **{**by_server.__dict__, "run_id": uuid.uuid4().hex, "error": None, "started_at": started - 60}
    )
    history.record(by_server)
    history.record(by_stop)
    at = _open(_page(new_app), by_server)
    assert h.find(
        at, r"^Stopped: the wizard's server stopped during this run; a rerun picks up where it left off\.$"
    )
    assert h.find(at, r"Run finished") is None
    assert next(m.value for m in at.metric if m.label == "Created") == "7"
    at = _open(at, by_stop)
    assert h.find(at, r"^Stopped before the end: a rerun picks up where it left off\.$")
    assert h.find(at, r"Run finished") is None
    dry = RunRecord(
        **{**by_stop.__dict__, "run_id": uuid.uuid4().hex, "mode": "dry-run", "started_at": started - 120}
    )
    history.record(dry)
    at = _open(_page(new_app), dry)
    assert h.find(at, r"^Stopped before the end\. Nothing was written\.$")


def test_the_history_shows_each_number_in_its_own_column(
    new_app: Callable[[], AppTest], history: MemoryRunHistory
) -> None:
    report = {**_stopped_report(2), "interrupted": False, "created": 1_234, "unchanged": 146}
    started = time.time() - 60
    history.record(
        RunRecord(
            run_id=uuid.uuid4().hex, ingestion_id=INGESTION, started_at=started, finished_at=started + 3,
            mode="run", outcome="ok", report=report, counts=runs.run_counts(report),
        )
    )  # fmt: skip
    at = _page(new_app)
    table = next(frame for frame in at.dataframe if "unchanged" in frame.value.columns)
    row = table.value.to_dict("records")[0]
    assert (row["created"], row["unchanged"], row["failed"]) == ("1,234", "146", "0")
    assert "changes" not in table.value.columns
    columns = json.loads(table.proto.columns)
    alignments = {
        columns[name]["alignment"] for name in ("created", "updated", "deleted", "unchanged", "failed")
    }
    assert alignments == {"right"}, "every number column reads as numbers"


def test_the_demo_catalogue_reset_is_offered_only_for_the_demo_openmetadata(
    new_app: Callable[[], AppTest], history: MemoryRunHistory, tmp_path: Path
) -> None:
    keys = {button.key for button in _page(new_app).button}
    assert "run_reset_demo" in keys
    keys = {button.key for button in _page(new_app, file_sink=tmp_path / "out.jsonl").button}
    assert "run_reset_demo" not in keys
