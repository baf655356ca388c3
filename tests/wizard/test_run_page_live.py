"""The run page of the tab that started a run: its controls, history and wording stay true while it goes.

After Run now (or Run anyway) the whole page reruns: the question is gone, Run now is disabled, Stop shows,
and the history's running row never says "None". A run whose ingestion is deleted mid-run says so once,
without a Stop button. A dry run its server stopped has nothing to pick up, and the history tells a dry
run's foreseen counts from a real run's.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from core.checks import CheckStep
from ui import results, services
from ui.history import MemoryRunHistory, RunRecord
from ui.services import runs, saved
from ui.state import CheckResult, WizardState
from ui.store import Store, open_store

RUN_PAGE = "app_pages/run.py"
LIST = r"/jobs/list$"
COUNTS = ("created", "updated", "deleted", "unchanged", "failed")


@pytest.fixture
def ingestion() -> str:
    store = open_store()
    assert isinstance(store, Store), store
    state = WizardState()
    services.apply_demo(state)
    return store.create_ingestion("", saved.settings_text(state), saved.SETTINGS_VERSION).id


@pytest.fixture
def history(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryRunHistory]:
    fresh = MemoryRunHistory()
    monkeypatch.setattr(runs, "_HISTORY", [fresh])
    yield fresh


def _session(new_app: Callable[[], AppTest], ingestion: str) -> AppTest:
    state = WizardState()
    services.apply_demo(state)
    state.ingestion_id = ingestion
    at = new_app()
    at.session_state["wizard"] = state
    at.session_state[saved.BOUND_KEY] = ingestion
    at.run()
    at.switch_page(RUN_PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _state(at: AppTest) -> WizardState:
    state = at.session_state["wizard"]
    assert isinstance(state, WizardState)
    return state


def _history(at: AppTest) -> Any:
    return next(frame.value for frame in at.dataframe if "started" in frame.value.columns)


def _buttons(at: AppTest) -> set[str]:
    return {str(button.key) for button in at.button}


def _failed_check(state: WizardState) -> CheckResult:
    step = CheckStep("Databricks", "Token accepted", ok=False, error="the token was refused")
    return CheckResult([step], services.databricks_fingerprint(state), 20, time.time())


@pytest.mark.parametrize("confirm", [False, True], ids=["run-now", "run-anyway"])
def test_the_tab_that_started_a_run_shows_it_running_at_once(
    new_app: Callable[[], AppTest],
    h: SimpleNamespace,
    ingestion: str,
    history: MemoryRunHistory,
    confirm: bool,
) -> None:
    at = _session(new_app, ingestion)
    databricks = services.start_demo()["databricks"]
    if confirm:
        _state(at).checks["databricks"] = _failed_check(_state(at))
    with databricks.hold(LIST, method="GET") as gate:
        at.button(key="run_start").click().run()
        if confirm:
            assert h.find(at, r"^Run anyway\?")
            at.button(key="run_confirm").click().run()
        gate.wait_until_held()
        assert not at.exception, [e.value for e in at.exception]
        job = _state(at).run
        assert job is not None and not job.done
        # the page of the click itself, no other rerun: the controls of a running run
        assert h.find(at, r"^Run anyway") is None and "run_confirm" not in _buttons(at)
        assert at.button(key="run_start").disabled
        assert "run_stop" in _buttons(at)
        assert h.find(at, r"from this browser session")
        assert h.find(at, r"^No run yet") is None
        row = _history(at).to_dict("records")[0]
        assert row["outcome"] == "running" and row["duration"].endswith(" so far"), row
        for column in COUNTS:  # no checkpoint yet: an en dash; after one: its counts. Never "None".
            assert row[column] == results.NO_COUNT or re.fullmatch(r"[\d,]+", row[column]), row
        at.button(key="run_stop").click().run()
    assert job.wait(60)


def test_a_run_whose_ingestion_is_deleted_mid_run_says_so_without_a_stop_button(
    new_app: Callable[[], AppTest], h: SimpleNamespace, ingestion: str, history: MemoryRunHistory
) -> None:
    at = _session(new_app, ingestion)
    databricks = services.start_demo()["databricks"]
    with databricks.hold(LIST, method="GET") as gate:
        at.button(key="run_start").click().run()
        gate.wait_until_held()
        job = _state(at).run
        assert job is not None and "run_stop" in _buttons(at)
        store = open_store()
        assert isinstance(store, Store)
        runs.RUNS.forget(ingestion)  # as saved.delete_ingestion does from another tab
        store.delete(ingestion)
        runs._HISTORY[0] = MemoryRunHistory()  # the store deletes the ingestion's runs with it
        at.run()
    assert job.wait(60)
    assert not at.exception, [e.value for e in at.exception]
    assert h.find(
        at, r"^The run this tab showed was stopped and its history removed: its ingestion was deleted"
    )
    assert "run_stop" not in _buttons(at) and not at.button(key="run_start").disabled
    assert h.find(at, r"is going, started at") is None
    assert h.find(at, r"^No run yet") is None


def test_no_run_yet_is_said_only_when_there_is_no_history(
    new_app: Callable[[], AppTest], h: SimpleNamespace, ingestion: str, history: MemoryRunHistory
) -> None:
    at = _session(new_app, ingestion)
    assert h.find(at, r"^No run yet\.$")
    started = time.time() - 60
    history.record(
        RunRecord(
            run_id=uuid.uuid4().hex, ingestion_id=ingestion, started_at=started, finished_at=started + 3,
            mode="run", outcome="ok", report={"pipelines": []}, counts={"created": 2},
        )
    )  # fmt: skip
    at.run()
    assert h.find(at, r"^No run yet") is None
    assert len(_history(at)) == 1


def _running(ingestion: str, *, dry: bool, checkpoint: bool) -> RunRecord:
    started = time.time() - 120
    counts = {"created": 3, "wouldCreate": 3, "listed": 300, "kept": 300}
    return RunRecord(
        run_id=uuid.uuid4().hex,
        ingestion_id=ingestion,
        started_at=started,
        mode="dry-run" if dry else "run",
        counts=counts if checkpoint else {},
        report={"pipelines": []} if checkpoint else None,
        log="log\n" if checkpoint else "",
        checkpoint_at=started + 30 if checkpoint else None,
    )


@pytest.mark.parametrize("checkpoint", [True, False])
def test_a_dry_run_its_server_stopped_has_nothing_to_pick_up(
    new_app: Callable[[], AppTest],
    h: SimpleNamespace,
    ingestion: str,
    history: MemoryRunHistory,
    checkpoint: bool,
) -> None:
    record = _running(ingestion, dry=True, checkpoint=checkpoint)
    history.record(record)
    orphan = runs.run_record(record.run_id)
    assert orphan is not None and orphan.outcome == "stopped"
    assert "picks up" not in (orphan.error or "") and "dry run" in (orphan.error or ""), orphan.error
    at = _session(new_app, ingestion)
    at.selectbox(key="run_history_open").set_value(record.run_id).run()
    headline = h.find(at, r"^Stopped: (.*)$")
    assert headline is not None, h.texts(at)
    assert "picks up where it left off" not in headline.group(1)
    assert headline.group(1).endswith("a new dry run reads every pipeline again. Nothing was written.")
    # a real run still picks up where it left off
    assert runs.orphaned_message(None) == runs.ORPHANED and "picks up" in runs.orphaned_message(time.time())


def test_the_history_tells_a_dry_runs_foreseen_counts_and_fits_its_outcomes(
    new_app: Callable[[], AppTest], ingestion: str, history: MemoryRunHistory
) -> None:
    history.record(_running(ingestion, dry=True, checkpoint=True))
    at = _session(new_app, ingestion)
    row = _history(at).to_dict("records")[0]
    assert row["outcome"] == "server stopped"
    assert (row["created"], row["unchanged"], row["failed"]) == ("would 3", "0", "0"), row
    table = next(frame for frame in at.dataframe if "started" in frame.value.columns)
    columns = json.loads(table.proto.columns)
    assert columns["outcome"]["width"] >= 150, "wide enough for 'server stopped' and 'finished with failures'"
