"""Connection-test results kept with the saved ingestion (AppTest): a reload, a new tab or a restart shows each
side's last test with its time and whether it is stale; Run now still asks after a reload when the kept test
failed; delete removes them and duplicate does not copy them; nothing secret reaches the database."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from streamlit.testing.v1 import AppTest

from ui.services.saved import clear_vault
from ui.state import WizardState
from ui.store import SCHEMA_VERSION, KeptCheck, Store, connect, open_store

WRONG_TOKEN = "dapi0123456789abcdef0123456789abcdef-KEPTCHECKS"


def _state(at: AppTest) -> WizardState:
    state = at.session_state["wizard"]
    assert isinstance(state, WizardState)
    return state


def _reopen(
    new_app: Callable[[], AppTest], ingestion_id: str, page: str = "app_pages/test_connection.py"
) -> AppTest:
    """A reload (or a new tab) on ``?ingestion=<id>``, then the page asked for."""
    at = new_app()
    at.query_params["ingestion"] = ingestion_id
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _progress(at: AppTest) -> str:
    return str(at.sidebar.get("progress")[0].proto.text)


def _tested_demo(new_app: Callable[[], AppTest]) -> AppTest:
    at = new_app().run()
    at.toggle(key="demo_toggle").set_value(True).run()
    at.switch_page("app_pages/test_connection.py").run()
    at.button(key="test_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _labels(at: AppTest) -> dict[str, str]:
    return {str(status.label): str(status.state) for status in at.status}


def _store() -> Store:
    store = open_store()
    assert isinstance(store, Store), store
    return store


def test_a_reload_shows_the_last_test_of_each_side_with_its_time_and_the_sidebar_keeps_it(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    first = _tested_demo(new_app)
    ingestion_id = str(first.query_params["ingestion"])
    tested = _state(first)
    assert set(tested.checks) == {"databricks", "sink"} and _labels(first) == {
        "Databricks: 5 of 5 checks passed": "complete",
        "OpenMetadata: 4 of 4 checks passed": "complete",
    }
    progress = _progress(first)

    again = _reopen(new_app, ingestion_id)
    state = _state(again)
    assert _labels(again) == _labels(first)
    for side, result in tested.checks.items():
        kept = state.checks[side]
        assert kept.finished_at == result.finished_at and kept.timeout_s == result.timeout_s
        assert [(s.name, s.ok, s.duration_ms) for s in kept.steps] == [
            (s.name, s.ok, s.duration_ms) for s in result.steps
        ]
    assert h.find(
        again, r"^:material/schedule: Databricks tested just now \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$"
    )
    assert not h.find(again, r"Stale")
    assert state.om_version == tested.om_version == "2.0.7"  # the dialect the test found comes back too
    assert h.find(again, r"OpenMetadata \*\*2\.0\.7\*\* found")
    assert _progress(again) == progress  # step 2 is still done in the sidebar


def test_a_setting_changed_after_the_reload_marks_the_kept_test_stale(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    ingestion_id = str(_tested_demo(new_app).query_params["ingestion"])
    again = _reopen(new_app, ingestion_id, "app_pages/databricks.py")
    host = _state(again).databricks.host
    again.text_input(key="dbx_host").input(host.replace("127.0.0.1", "localhost")).run()
    again.switch_page("app_pages/test_connection.py").run()
    assert h.find(again, r"^\*\*Stale\*\*: Databricks was tested just now .*, and the host has changed since")
    assert "Databricks: 5 of 5 checks passed (stale — test again)" in _labels(again)
    assert not any(label.startswith("OpenMetadata") and "Stale" in label for label in _labels(again))
    # and a third session on the URL still sees it stale: the host it was made with is not the saved one
    third = _reopen(new_app, ingestion_id)
    assert h.find(third, r"^\*\*Stale\*\*: Databricks was tested")
    assert not h.find(third, r"^\*\*Stale\*\*: OpenMetadata")


def test_run_now_asks_after_a_reload_when_the_kept_test_failed(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    at = new_app().run()
    at.toggle(key="demo_toggle").set_value(True).run()
    at.text_input(key="dbx_token").input(WRONG_TOKEN).run()
    at.switch_page("app_pages/test_connection.py").run()
    at.button(key="test_run").click().run()
    failed = _state(at).checks["databricks"]
    assert not failed.ok
    ingestion_id = str(at.query_params["ingestion"])

    again = _reopen(new_app, ingestion_id)
    assert not _state(again).checks["databricks"].ok
    assert h.find(again, r"^Fix what the failed step says")  # the page offers to try again
    again.switch_page("app_pages/run.py").run()
    again.button(key="run_start").click().run()
    warning = h.find(again, r"^Run anyway\? (.*)$")
    assert warning is not None and "The last Databricks connection test failed" in warning.group(1)


def test_after_a_restart_a_test_with_a_typed_secret_is_stale_and_says_why(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    ingestion_id = str(_tested_demo(new_app).query_params["ingestion"])
    clear_vault()  # what a restart does: the typed secrets and the tests' salted fingerprints are gone
    again = _reopen(new_app, ingestion_id)
    assert h.find(
        again, r"^\*\*Stale\*\*: Databricks was tested just now .*typed before the wizard's server restarted"
    )
    assert "Databricks: 5 of 5 checks passed (stale — test again)" in _labels(again)
    assert not again.exception


def test_after_a_restart_a_test_with_no_typed_secret_stays_current(
    new_app: Callable[[], AppTest], h: SimpleNamespace, tmp_path: Path
) -> None:
    """A file sink has no secret: the same settings after a restart mean the same test."""
    at = new_app().run()
    at.switch_page("app_pages/sink.py").run()
    at.radio(key="sink_kind").set_value("file").run()
    at.text_input(key="sink_filename").input(str(tmp_path / "out.jsonl")).run()
    at.switch_page("app_pages/test_connection.py").run()
    at.button(key="test_run").click().run()
    ingestion_id = str(at.query_params["ingestion"])
    assert _state(at).checks["sink"].ok
    clear_vault()
    again = _reopen(new_app, ingestion_id)
    assert _state(again).checks["sink"].ok and not h.find(again, r"Stale")
    assert h.find(again, r"^:material/schedule: File tested just now")


def test_delete_removes_the_kept_tests_and_duplicate_does_not_copy_them(
    new_app: Callable[[], AppTest], data_home: Path
) -> None:
    ingestion_id = str(_tested_demo(new_app).query_params["ingestion"])
    store = _store()
    assert set(store.checks(ingestion_id)) == {"databricks", "sink"}
    copy = store.duplicate(ingestion_id, "copy")
    assert copy is not None and store.checks(copy.id) == {}
    assert _state(_reopen(new_app, copy.id)).checks == {}
    store.delete(ingestion_id)
    with sqlite3.connect(data_home / "wizard.sqlite3") as db:
        assert db.execute(
            "SELECT COUNT(*) FROM checks WHERE ingestion_id = ?", (ingestion_id,)
        ).fetchone() == (0,)


def test_a_kept_test_holds_no_secret(new_app: Callable[[], AppTest], data_home: Path) -> None:
    at = new_app().run()
    at.toggle(key="demo_toggle").set_value(True).run()
    at.text_input(key="dbx_token").input(WRONG_TOKEN).run()
    at.switch_page("app_pages/test_connection.py").run()
    at.button(key="test_run").click().run()
    state = _state(at)
    secrets = [WRONG_TOKEN.encode()]
    assert state.sink.jwt is not None
    secrets.append(state.sink.jwt.get_secret_value().encode())
    stored = b"".join(path.read_bytes() for path in sorted(data_home.glob("wizard.sqlite3*")))
    assert b"Databricks" in stored and not any(secret in stored for secret in secrets)
    kept = _store().checks(str(at.query_params["ingestion"]))
    assert all(
        re.fullmatch(r"(typed:)?[0-9a-f]{16};(\w+:[0-9a-f]{8},?)+", check.basis) for check in kept.values()
    )


def _kept(finished_at: float, error: str = "") -> KeptCheck:
    step = {"side": "Databricks", "name": "Token accepted", "ok": not error, "error": error or None}
    return KeptCheck("databricks", finished_at, 20.0, "0123456789abcdef", [step])


def test_a_version_3_database_migrates_and_keeps_tests_from_then_on(data_home: Path) -> None:
    path = data_home / "wizard.sqlite3"
    old = connect(path, migrate_to=3)
    old.execute("INSERT INTO ingestions VALUES ('abc', 'old one', 1.0, 2.0, '{}', 1, 5)")
    old.close()
    store = _store()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    saved = store.get_ingestion("abc")
    assert saved is not None and saved.revision == 5 and store.checks("abc") == {}
    assert store.save_check("abc", _kept(10.0))
    assert store.checks("abc") == {"databricks": _kept(10.0)}


def test_an_older_test_never_replaces_a_newer_one_and_a_deleted_ingestion_keeps_none(data_home: Path) -> None:
    store = _store()
    saved = store.create_ingestion("", "{}", 1)
    assert store.save_check(saved.id, _kept(20.0, "refused"))
    assert not store.save_check(saved.id, _kept(10.0))  # a tab that tested earlier saves after
    assert store.checks(saved.id)["databricks"].steps[0]["error"] == "refused"
    assert store.save_check(saved.id, _kept(30.0))
    assert store.checks(saved.id)["databricks"].finished_at == 30.0
    assert store.delete(saved.id)
    assert not store.save_check(saved.id, _kept(40.0))  # its test ends after the delete: dropped
    assert store.checks(saved.id) == {}


def test_an_added_workspace_s_test_is_kept_too(new_app: Callable[[], AppTest], h: SimpleNamespace) -> None:
    from ui import services

    at = new_app().run()
    at.toggle(key="demo_toggle").set_value(True).run()
    at.switch_page("app_pages/review.py").run()
    state = _state(at)
    number = state.next_workspace_id
    at.button(key="review_add_workspace").click().run()
    at.text_input(key=f"review_ws{number}_service_name").input("finance_dbx").run()
    at.text_input(key=f"review_ws{number}_host").input(state.databricks.host).run()
    at.text_input(key=f"review_ws{number}_token").input(str(services.start_demo()["databricks"].token)).run()
    at.button(key=f"review_ws{number}_test").click().run()
    tested = state.workspaces[number].check
    assert tested is not None and tested.ok
    ingestion_id = str(at.query_params["ingestion"])

    again = _reopen(new_app, ingestion_id, "app_pages/review.py")
    kept = _state(again).workspaces[number].check
    assert kept is not None and kept.finished_at == tested.finished_at and kept.ok
    label = f"Databricks: {len(tested.steps)} of {len(tested.steps)} checks passed"
    assert label in _labels(again)  # current: the same server's memory
    again.text_input(key=f"review_ws{number}_token").input(WRONG_TOKEN).run()
    assert f"{label} (stale — test again)" in _labels(again)
    assert h.find(again, r"^\*\*Stale\*\*: Databricks was tested .*, and the token has changed since")


def test_a_secret_in_a_step_s_sentence_is_masked_and_the_basis_never_depends_on_a_secret_s_value() -> None:
    from pydantic import SecretStr

    from core.checks import CheckStep
    from ui.services import checks
    from ui.services.saved import settings_text
    from ui.state import CheckResult

    secret = "s3cr3t-typed-client-secret-value"
    state = WizardState()
    state.databricks.host, state.databricks.auth = "adb-1.azuredatabricks.net", "oauth"
    state.databricks.client_secret = SecretStr(secret)
    saved = _store().create_ingestion("", settings_text(state), 1)
    state.ingestion_id = saved.id
    step = CheckStep(
        "Databricks", "Credentials accepted", ok=False, error=f"refused {secret} (Bearer abcdefghijkl)"
    )
    state.checks["databricks"] = CheckResult([step], "fp", 20.0, 100.0)
    checks.keep_tests(state)
    kept = _store().checks(saved.id)["databricks"]
    assert kept.steps[0]["error"] == "refused ********** (Bearer **********)"
    assert kept.basis.startswith("typed:")

    target = checks._targets(state)["databricks"]
    before = checks._basis(state, target)
    state.databricks.client_secret = SecretStr("another-value-entirely")
    assert checks._basis(state, target) == before  # only where a secret came from, never its value
    state.secret_env["databricks.client_secret"] = "DBX_CLIENT_SECRET"
    from_env = checks._basis(state, target)
    assert from_env != before
    state.databricks.host = "adb-2.azuredatabricks.net"
    assert checks._basis(state, target) not in (before, from_env)
