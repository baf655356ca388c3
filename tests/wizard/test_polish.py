"""Small wizard faults a new-user review found: one relative-time wording, a run's result in its own tense.

(The names typed by users, the router's URLs and the secret fields have tests of their own in this folder.)
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from ui import components, results, services
from ui.history import RunRecord
from ui.services import runs
from ui.state import WizardState

UI = Path(__file__).resolve().parents[2] / "ui"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "just now"),
        (9.9, "just now"),
        (10, "10 s ago"),
        (44, "44 s ago"),
        (59.9, "59 s ago"),
        (60, "1 min ago"),
        (185, "3 min ago"),
        (3599, "59 min ago"),
        (3600, "1 h ago"),
        (7300, "2 h ago"),
        (86399, "23 h ago"),
        (86400, "1 day ago"),
        (3 * 86400, "3 days ago"),
        (1500 * 86400, "1,500 days ago"),
    ],
)
def test_one_relative_time_wording_for_every_page(seconds: float, words: str) -> None:
    now = 1_700_000_000.0
    assert components.ago(now - seconds, now=now) == words
    assert (
        components.made_when(now - seconds, now=now)
        == f"tested {words} ({components.at_time(now - seconds)})"
    )
    assert components.ago(now + 30, now=now) == "just now"  # a clock a little ahead never reads "-30 s ago"


def test_no_page_words_relative_times_of_its_own() -> None:
    """``components.ago`` is the only place that words "… ago": the run page and the history use it too."""
    assert results.ago is components.ago
    wording = re.compile(r"""["'][^"'\n]*(just now|less than a minute|min ago|s ago)""")
    own = [
        f"{path.relative_to(UI)}:{number}"
        for path in sorted(UI.rglob("*.py"))
        if path.name != "components.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if wording.search(line) and not line.lstrip().startswith("#")
    ]
    assert not own, f"relative times worded outside ui.components.ago: {own}"


def _record(mode: str, outcome: str, counts: dict[str, int]) -> RunRecord:
    started = time.time() - 600
    return RunRecord(
        run_id=uuid.uuid4().hex,
        ingestion_id="i1",
        started_at=started,
        finished_at=None if outcome == "running" else started + 30,
        mode=mode,  # type: ignore[arg-type]
        outcome=outcome,  # type: ignore[arg-type]
        counts=counts,
        report={
            "service": "svc",
            "filtered": 0,
            "pipelines": [],
            "target": {"kind": "openmetadata", "location": "https://om.example.com/api"},
        },
        log="",
    )


def _show(record: "RunRecord") -> None:  # noqa: UP037 -- AppTest runs the source without its imports
    from ui import results as shown

    shown.render_run_result(record)


WROTE = {"listed": 3, "kept": 3, "created": 2, "statuses": 4}
NOTHING = {"listed": 3, "kept": 3, "created": 0, "statuses": 0}


@pytest.mark.parametrize(
    ("mode", "outcome", "counts", "where", "written"),
    [
        # over: the past
        ("run", "ok", WROTE, "Wrote", "written"),
        ("run", "failed", WROTE, "Wrote", "written"),
        ("run", "stopped", WROTE, "Wrote", "written"),  # the reviewer's: Stop, then "Writes to"
        ("run", "stopped", NOTHING, "Wrote nothing", "written"),
        (
            "run",
            "error",
            {},
            "Was writing",
            "written",
        ),  # nothing counted: it may have written before it ended
        ("dry-run", "ok", WROTE, "Would have written", "would have been written"),
        ("dry-run", "stopped", WROTE, "Would have written", "would have been written"),
        ("dry-run", "error", {}, "Would have written", "would have been written"),
        # going: the present
        ("run", "running", WROTE, "Writes", "written so far"),
        ("dry-run", "running", WROTE, "Would write", "would be written so far"),
    ],
)
def test_a_runs_result_speaks_in_its_tense(
    mode: str, outcome: str, counts: dict[str, int], where: str, written: str
) -> None:
    at = AppTest.from_function(_show, args=(_record(mode, outcome, counts),), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    text = [str(element.value) for kind in ("markdown", "caption") for element in getattr(at, kind)]
    assert any(
        line.startswith(f":material/hub: {where} to OpenMetadata at [https://om.example.com]")
        for line in text
    ), text
    assert any(line.endswith(f"lineage edges {written}.") for line in text), text
    what = "Dry run" if mode == "dry-run" else "Run"
    caption = next(line for line in text if line.startswith(what))
    if outcome == "running":
        assert caption == f"{what} started 10 min ago, still running"
    else:
        assert caption.endswith("ago · took 30.0 s") and " still " not in caption


@pytest.mark.parametrize("mode", ["run", "dry-run"])
def test_a_running_result_with_a_checkpoint_says_it_still_runs_and_counts_so_far(mode: str) -> None:
    """Not "Run running · started …": when it started, that it still runs, then its last checkpoint."""
    record = _record(mode, "running", WROTE)
    record = RunRecord(**{**record.__dict__, "checkpoint_at": record.started_at + 24})
    at = AppTest.from_function(_show, args=(record,), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    text = [str(element.value) for kind in ("markdown", "caption") for element in getattr(at, kind)]
    what = "Dry run" if mode == "dry-run" else "Run"
    caption = next(line for line in text if line.startswith(what))
    assert caption.startswith(f"{what} started 10 min ago, still running · last checkpoint "), caption
    assert caption.endswith(", after 24.0 s"), caption
    assert "running ·" not in caption.replace("still running ·", "")
    assert any(line.endswith(" so far.") for line in text), text


def test_the_run_summary_says_a_dry_run_would_write_and_shows_the_url_as_the_result_does() -> None:
    state = WizardState()
    services.apply_demo(state)
    state.sink.kind, state.sink.om_host = "openmetadata", "https://om.example.com/api"
    live = runs.run_summary(state)
    assert " and writes to OpenMetadata at `https://om.example.com` as service " in live, live
    state.dry_run = True
    dry = runs.run_summary(state)
    assert " and would write (a dry run writes nothing) to OpenMetadata at `https://om.example.com` " in dry
    assert "/api" not in dry


@pytest.mark.parametrize("with_saved", [True, False])
def test_a_link_to_a_missing_ingestion_says_so_on_the_page_it_lands_on(
    new_app: Callable[[], AppTest], h: SimpleNamespace, with_saved: bool
) -> None:
    """``?ingestion=`` of a deleted id, or of garbage: one sentence, then the start page (or step 1)."""
    from ui.store import Store, open_store

    store = open_store()
    assert isinstance(store, Store)
    gone = store.create_ingestion("Gone", '{"version": 1}', 1).id
    store.delete(gone)
    if with_saved:
        store.create_ingestion("Kept", '{"version": 1}', 1)
    for wanted, shown in (
        (gone, gone),
        ("a_b-c_d", "a_b-c_d"),
        ("-NnUtQiN", "-NnUtQiN"),
        ("**x** https://e.vil/" + "y" * 60, None),
    ):
        at = new_app()
        at.query_params["ingestion"] = wanted
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert [t.value for t in at.title] == ["Saved ingestions" if with_saved else "Databricks"]
        (warning,) = [w.value for w in at.warning if "There is no saved ingestion" in w.value]
        assert warning.endswith("(it was deleted, or the link is mistyped): nothing was opened.")
        if shown:  # an id may hold "_" or "-": shown through md(), like every user-typed text
            from ui.services.saved import md

            assert md(f"'{shown}'") in warning  # escaped as inside the sentence: a leading "-" is not
        else:  # shown as typed (never as markdown), and cut short
            assert (
                "\\*\\*x\\*\\* `https://e.vil/yyy" in warning and "…" in warning and "y" * 60 not in warning
            )
        assert "ingestion" not in at.query_params  # a reload starts clean
        at.run()
        assert [w.value for w in at.warning] == [warning]  # it stays until this tab edits an ingestion
    at.switch_page("app_pages/databricks.py").run()
    at.text_input(key="dbx_service_name").input("prod_dbx").run()
    assert at.query_params["ingestion"] and not h.find(at, "There is no saved ingestion")


def test_every_page_hides_the_show_password_button_that_swallowed_a_tabbed_secret(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    """Tab from a password field went to this button, inside the widget, and Streamlit then never committed
    the value (tests/browser/test_polish_browser.py types, tabs and clicks in Chromium)."""
    at = new_app().run()
    for page in ["app_pages/start.py", *h.pages]:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        styles = [str(node.proto.body) for node in at.get("html")]
        assert any(
            "button[aria-label='Show password']" in style and "display:none" in style for style in styles
        )
