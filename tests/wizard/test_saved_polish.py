"""The start page and the frame, polished (AppTest): user text shown as typed (never as markdown), one clock
(UTC, relative first), a run orphaned by a killed server shown as stopped, the demo's stable name, no stray
"None", and step 8 done only after a real, current, successful run."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from streamlit.testing.v1 import AppTest

from ui.history import RunRecord
from ui.services.saved import md
from ui.state import WizardState
from ui.store import Store, open_store

EVIL = "prod *nightly* $x$ :red[HOT] [x](http://evil)"


def _store() -> Store:
    store = open_store()
    assert isinstance(store, Store)
    return store


def _start(new_app: Callable[[], AppTest]) -> AppTest:
    at = new_app().run()
    assert [title.value for title in at.title] == ["Saved ingestions"]
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_md_escapes_every_markdown_construct() -> None:
    escaped = md(EVIL + "\nnext :material/home:")
    assert "\n" not in escaped
    plain, code = re.sub(r"`[^`]*`", "", escaped), re.findall(r"`([^`]*)`", escaped)
    assert code == ["[x](http://evil)"]  # a word Streamlit would link even escaped: a code span
    assert not re.search(r"(?<!\\)[*$\[\]]|(?<!\\):[\w/]+:", plain)  # no markdown punctuation left unescaped
    unescaped = re.sub(r"\\(.)", r"\1", escaped.replace("&#58;", ":")).replace("`", "")
    assert unescaped == EVIL + " next :material/home:"


def test_names_are_shown_as_typed_on_the_start_page_and_in_the_sidebar(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    saved = _store().create_ingestion(EVIL, '{"version": 1, "databricks": {"host": "adb-1.net"}}', 1)
    at = _start(new_app)
    titles = [m.value for m in at.markdown if m.value.startswith("**")]
    assert titles == [f"**{md(EVIL)}**"]
    at.button(key=f"start_delete_{saved.id}").click().run()
    assert h.find(at, r"^Delete " + re.escape(md(EVIL)))
    at.button(key=f"start_delete_no_{saved.id}").click().run()
    at.button(key=f"start_open_{saved.id}").click().run()
    assert any(md(EVIL) in m.value for m in at.sidebar.markdown)


def test_duplicate_and_delete_leave_no_stray_none(new_app: Callable[[], AppTest]) -> None:
    saved = _store().create_ingestion("Nightly", '{"version": 1}', 1)
    at = _start(new_app)
    for key in (f"start_copy_{saved.id}", f"start_delete_{saved.id}", f"start_delete_yes_{saved.id}"):
        at.button(key=key).click().run()
        assert not at.exception, [e.value for e in at.exception]
        shown = [str(getattr(node, "value", "")).strip("` ") for node in at.main]
        assert "None" not in shown, (key, shown)


def test_times_are_utc_relative_first_and_an_orphaned_run_is_stopped(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    store = _store()
    saved = store.create_ingestion("Nightly", '{"version": 1}', 1)
    # the server was killed mid-run: a "running" record that no live run of this process owns
    store.runs.record(
        RunRecord(run_id="r-killed", ingestion_id=saved.id, started_at=time.time() - 600, mode="run")
    )
    at = _start(new_app)
    line = h.find(at, r"Last modified .*")
    assert line and re.search(r"Last modified just now \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)", line.group(0))
    assert re.search(r"Last run: stopped · run · started 10 min ago \(.* UTC\)", line.group(0))
    assert not h.find(at, r"Last run: running")


def test_a_demo_ingestion_is_named_demo_workspace_on_the_demo_emulator(
    new_app: Callable[[], AppTest],
) -> None:
    at = new_app().run()
    at.toggle(key="demo_toggle").set_value(True).run()
    at = _start(new_app)
    assert [m.value for m in at.markdown if m.value.startswith("**")] == [
        "**Demo workspace**  ·  :violet-badge[demo]"
    ]
    captions = [c.value for c in at.caption if "Databricks:" in c.value]
    assert captions and all("Databricks: demo emulator" in c and "127.0.0.1" not in c for c in captions), (
        captions
    )


def _progress(at: AppTest) -> str:
    return str(at.sidebar.get("progress")[0].proto.text)


def test_step_8_is_done_only_after_a_real_current_successful_run(new_app: Callable[[], AppTest]) -> None:
    from ui.services.runs import settings_fingerprints

    at = new_app().run()
    state = at.session_state["wizard"]
    assert isinstance(state, WizardState)
    base = _progress(at)
    fresh = settings_fingerprints(state)

    def run(**kw: object) -> SimpleNamespace:
        values = {"dry_run": False, "report": SimpleNamespace(ok=True), "settings": fresh} | kw
        return SimpleNamespace(**values)

    for job, done in (
        (run(), True),
        (run(dry_run=True), False),
        (run(report=SimpleNamespace(ok=False)), False),
        (run(report=None), False),
        (run(settings={**fresh, "sink": "older"}), False),
    ):
        state.run = job
        at.run()
        expected = int(base.split()[0]) + (1 if done else 0)
        assert _progress(at) == f"{expected} of 8 steps done", job


def test_an_empty_database_file_is_noted_on_the_start_page(
    new_app: Callable[[], AppTest], h: SimpleNamespace, data_home: Path
) -> None:
    data_home.mkdir()
    (data_home / "wizard.sqlite3").write_bytes(b"")
    at = new_app().run()
    at.switch_page("app_pages/start.py").run()
    assert h.find(
        at, r"was an empty file \(0 bytes, no saved ingestion in it\): it is now used as a new database"
    )


def test_no_page_has_an_expression_statement_streamlit_magic_would_render() -> None:
    """Streamlit's magic writes every bare expression statement that is not a call (``a() if c else b()``
    shows "None"): the app's scripts have none besides docstrings."""
    import ast

    root = Path(__file__).resolve().parents[2] / "ui"
    found = []
    for script in [root / "streamlit_app.py", *sorted((root / "app_pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Expr) and not isinstance(node.value, (ast.Call, ast.Await, ast.Constant)):
                found.append(f"{script.name}:{node.lineno}")
    assert found == []
