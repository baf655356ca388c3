"""Small wizard faults a new-user review found: one relative-time wording, a run's result in its own tense.

(The names typed by users, the router's URLs and the secret fields have tests of their own in this folder.)
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import components, results
from ui.history import RunRecord

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
        ("run", "running", WROTE, "Writes", "written"),
        ("dry-run", "running", WROTE, "Would write", "would be written"),
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
