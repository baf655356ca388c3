"""Deleting a saved ingestion while its run goes (AppTest): the confirmation says a run is going and that
deleting stops it; the confirmed delete stops it, and its end is never recorded for the deleted ingestion."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import SimpleNamespace

from streamlit.testing.v1 import AppTest

from ui.jobs import RunJob
from ui.services import runs
from ui.store import Store, open_store


def test_deleting_an_ingestion_whose_run_goes_says_so_stops_it_and_records_nothing(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    store = open_store()
    assert isinstance(store, Store)
    saved = store.create_ingestion("Nightly", '{"version": 1}', 1)
    job = RunJob("fp", key=saved.id, owner="another tab")
    assert runs.RUNS.claim(saved.id, job) is None
    runs._record_start(job)
    stopped = threading.Event()

    def work(running: RunJob) -> None:  # a run that goes until it is stopped, then records its end
        while not running.stop_requested:
            running.wait(0.02)
        stopped.set()
        runs._finish(running, {"kind": "file", "location": "out.json"})

    job.start(work)
    try:
        at = new_app().run()
        at.button(key=f"start_delete_{saved.id}").click().run()
        assert h.find(
            at, r"^Delete Nightly and its run history\? A run of it is going now: deleting stops it\."
        )
        at.button(key=f"start_delete_yes_{saved.id}").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert stopped.wait(10) and job.wait(10)
        assert store.get_ingestion(saved.id) is None
        assert store.runs.get(job.run_id) is None and store.runs.list_runs(saved.id) == []
        assert runs.RUNS.get(saved.id) is None
    finally:
        job.stop()
        job.wait(10)
