"""Saved ingestions through the wizard (AppTest): autosave, ``?ingestion=`` restore in a new session, secrets in
memory only (and what a restart loses), the start page's actions, the refusals of a bad database, the
confirmations before wiping, and a sidebar that shows the state of the same action."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from ui.services.saved import clear_vault
from ui.state import WizardState
from ui.store import Store, open_store

TOKEN, JWT = "dapi-0123456789abcdef-SAVEDTEST", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QifQ.SAVEDTESTSIG"


def _state(at: AppTest) -> WizardState:
    state = at.session_state["wizard"]
    assert isinstance(state, WizardState)
    return state


def _fill(at: AppTest) -> str:
    """Fill several steps as a user would; returns the ingestion id the URL now carries."""
    at.text_input(key="dbx_service_name").input("prod_dbx").run()
    at.text_input(key="dbx_host").input("adb-1234567890123456.7.azuredatabricks.net").run()
    at.text_input(key="dbx_token").input(TOKEN).run()
    at.text_input(key="dbx_http_path").input("/sql/1.0/warehouses/abc123def456").run()
    at.switch_page("app_pages/filters.py").run()
    at.button(key="filter_add_include").click().run()
    rule_id = _state(at).filters.rules[0].id
    at.text_input(key=f"filter_value_{rule_id}").input("etl_").run()
    at.switch_page("app_pages/options.py").run()
    at.toggle(key="opt_tags").set_value(False).run()
    at.number_input(key="opt_lookback").set_value(5).run()
    at.switch_page("app_pages/sink.py").run()
    at.text_input(key="om_host").input("https://om.example.com/api").run()
    at.text_input(key="om_jwt").input(JWT).run()
    at.switch_page("app_pages/schedule.py").run()
    at.text_input(key="dag_id").input("nightly_dbx").run()
    at.text_input(key="dag_owner").input("data-eng").run()
    assert not at.exception, [e.value for e in at.exception]
    return str(at.query_params["ingestion"])


def _reopen(new_app: Callable[[], AppTest], ingestion_id: str) -> AppTest:
    """A new browser tab (or a reload) on ``?ingestion=<id>``."""
    at = new_app()
    at.query_params["ingestion"] = ingestion_id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _db_bytes(home: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(home.glob("wizard.sqlite3*")))


def test_autosave_then_a_new_session_on_the_url_restores_every_value(
    new_app: Callable[[], AppTest], data_home: Path
) -> None:
    first = new_app().run()
    ingestion_id = _fill(first)
    assert re.fullmatch(r"[A-Za-z0-9_-]{8}", ingestion_id)
    before = _state(first)

    again = _reopen(new_app, ingestion_id)
    state = _state(again)
    assert state.ingestion_id == ingestion_id
    assert again.text_input(key="dbx_host").value == "adb-1234567890123456.7.azuredatabricks.net"
    assert again.text_input(key="dbx_service_name").value == "prod_dbx"
    assert again.text_input(key="dbx_http_path").value == "/sql/1.0/warehouses/abc123def456"
    assert [(r.kind, r.operator, r.value) for r in state.filters.rules] == [("include", "starts", "etl_")]
    assert state.options.include_tags is False and state.options.lookback_days == 5
    assert state.sink.om_host == "https://om.example.com/api"
    assert state.schedule.dag_id == "nightly_dbx" and state.schedule.owner == "data-eng"
    assert state.visited == before.visited
    again.switch_page("app_pages/options.py").run()
    assert again.toggle(key="opt_tags").value is False
    assert again.number_input(key="opt_lookback").value == 5
    # secrets come back from this server's memory, and never touched the database
    assert state.databricks.token is not None and state.databricks.token.get_secret_value() == TOKEN
    assert state.sink.jwt is not None and state.sink.jwt.get_secret_value() == JWT
    stored = _db_bytes(data_home)
    assert b"prod_dbx" in stored and TOKEN.encode() not in stored and JWT.encode() not in stored


def test_after_a_restart_the_wizard_names_the_secrets_to_enter_again(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    ingestion_id = _fill(new_app().run())
    clear_vault()  # what a restart of the server does to the secrets kept in memory

    at = _reopen(new_app, ingestion_id)
    banner = h.find(at, r"server restarted since this ingestion was last open.*enter again (.*)\.")
    assert banner and banner.group(1) == "Personal access token (step 1), Ingestion bot JWT (step 5)"
    assert h.find(at, r"^Enter it again: the wizard's server restarted")  # at the field, on step 1
    at.text_input(key="dbx_token").input(TOKEN).run()
    banner = h.find(at, r"enter again (.*)\.")
    assert banner and banner.group(1) == "Ingestion bot JWT (step 5)"
    at.switch_page("app_pages/sink.py").run()
    at.text_input(key="om_jwt").input(JWT).run()
    assert not h.find(at, r"enter again")


def test_a_secret_given_as_an_environment_variable_saves_only_its_name(
    new_app: Callable[[], AppTest], h: SimpleNamespace, data_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROD_DBX_TOKEN", TOKEN)
    at = new_app().run()
    at.text_input(key="dbx_host").input("adb-1.azuredatabricks.net").run()
    at.checkbox(key="dbx_token_use_env").check().run()
    at.text_input(key="dbx_token_env").input("NOT SET").run()
    assert h.find(at, r"letters, digits and underscores only")
    at.text_input(key="dbx_token_env").input("MISSING_VAR").run()
    assert h.find(at, r"MISSING_VAR is not set in the environment of the wizard's server")
    at.text_input(key="dbx_token_env").input("PROD_DBX_TOKEN").run()
    assert h.find(at, r"Read from \$\{PROD_DBX_TOKEN\} on this server")
    token = _state(at).databricks.token
    assert token is not None and token.get_secret_value() == TOKEN
    stored = _db_bytes(data_home)
    assert b"PROD_DBX_TOKEN" in stored and TOKEN.encode() not in stored

    clear_vault()
    again = _reopen(new_app, str(at.query_params["ingestion"]))
    token = _state(again).databricks.token
    assert token is not None and token.get_secret_value() == TOKEN  # read again from the environment
    assert not h.find(again, r"enter again")


def _start_page(new_app: Callable[[], AppTest]) -> AppTest:
    at = new_app().run()  # with something saved and nothing open, a new tab lands on the start page
    assert [title.value for title in at.title] == ["Saved ingestions"]
    return at


def _names(at: AppTest) -> list[str]:
    return [m.value.split("**")[1] for m in at.markdown if m.value.startswith("**")]


def test_the_start_page_opens_duplicates_renames_and_deletes_after_confirming(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    ingestion_id = _fill(new_app().run())
    at = _start_page(new_app)
    assert _names(at) == ["prod_dbx on adb-1234567890123456.7.azuredatabricks.net"]
    assert h.find(at, r"Sink: OpenMetadata `?https://om\.example\.com/api`? .* Last run: never run")

    at.button(key=f"start_rename_{ingestion_id}").click().run()
    at.text_input(key=f"start_name_{ingestion_id}").input("Nightly prod")  # in a form: sent with its submit
    at.button(key=f"start_name_save_{ingestion_id}").click().run()
    assert _names(at) == ["Nightly prod"]

    at.button(key=f"start_copy_{ingestion_id}").click().run()
    assert sorted(_names(at)) == ["Copy of Nightly prod", "Nightly prod"]
    store = open_store()
    assert isinstance(store, Store)
    copy = next(saved for saved in store.list_ingestions() if saved.id != ingestion_id)

    at.button(key=f"start_delete_{ingestion_id}").click().run()
    assert h.find(at, r"^Delete Nightly prod and its run history\? This cannot be undone")
    at.button(key=f"start_delete_no_{ingestion_id}").click().run()
    assert sorted(_names(at)) == ["Copy of Nightly prod", "Nightly prod"]
    at.button(key=f"start_delete_{ingestion_id}").click().run()
    at.button(key=f"start_delete_yes_{ingestion_id}").click().run()
    assert _names(at) == ["Copy of Nightly prod"] and store.get_ingestion(ingestion_id) is None

    at.button(key=f"start_open_{copy.id}").click().run()
    state = _state(at)
    assert state.ingestion_id == copy.id and at.query_params["ingestion"] == copy.id
    assert state.ingestion_name == "Copy of Nightly prod" and state.schedule.dag_id == "nightly_dbx"
    assert state.databricks.token is not None  # the copy got the secrets kept in memory too
    assert [title.value for title in at.title] == ["Databricks"]


def test_an_unknown_id_in_the_url_says_so_and_starts_a_new_ingestion(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    at = _reopen(new_app, "nope1234")
    assert h.find(at, r"There is no saved ingestion 'nope1234'")
    assert _state(at).ingestion_id is None and "ingestion" not in at.query_params


@pytest.mark.parametrize("damage", ["corrupt", "newer"])
def test_a_bad_database_is_one_sentence_the_wizard_works_unsaved_and_the_file_is_untouched(
    new_app: Callable[[], AppTest], h: SimpleNamespace, data_home: Path, damage: str
) -> None:
    data_home.mkdir()
    path = data_home / "wizard.sqlite3"
    if damage == "corrupt":
        path.write_bytes(b"\x00garbage, not SQLite\n" * 300)
    else:
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE t (x)")
            db.execute("PRAGMA user_version = 7")
    before = path.read_bytes()
    at = new_app().run()
    expected = "is damaged" if damage == "corrupt" else "was written by a newer version of this wizard"
    assert h.find(at, rf"^The database {re.escape(str(path))} {expected}.*nothing is saved in this session")
    assert h.find(at, r"a reload or a new tab starts from empty settings and cannot reach a run started here")
    assert not at.exception
    at.text_input(key="dbx_host").input("adb-1.azuredatabricks.net").run()
    assert _state(at).databricks.host == "adb-1.azuredatabricks.net" and _state(at).ingestion_id is None
    assert at.sidebar.caption[0].value.startswith(":material/cloud_off: The database")
    assert path.read_bytes() == before


def test_an_unusable_data_directory_is_one_sentence(
    new_app: Callable[[], AppTest], h: SimpleNamespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("DBX_PIPELINE_HOME", str(tmp_path / "file" / "home"))
    at = new_app().run()
    assert h.find(
        at, r"^The data directory .* cannot be created \(.*\): the wizard works, but nothing is saved"
    )
    at.text_input(key="dbx_host").input("adb-1.azuredatabricks.net").run()
    assert not at.exception


def test_start_over_asks_first_and_keeps_the_saved_ingestion(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    at = new_app().run()
    ingestion_id = _fill(at)
    at.sidebar.button[0].click().run()  # "Start over"
    assert h.find(at, r"^Start a new ingestion\? prod_dbx on .* stays saved on the start page\.")
    assert _state(at).schedule.dag_id == "nightly_dbx"  # nothing wiped yet
    at.button(key="start_over_cancel").click().run()
    assert _state(at).ingestion_id == ingestion_id and _state(at).schedule.dag_id == "nightly_dbx"
    at.sidebar.button[0].click().run()
    at.button(key="start_over_confirm").click().run()
    state = _state(at)
    assert state.ingestion_id is None and state.schedule.dag_id == WizardState().schedule.dag_id
    assert "ingestion" not in at.query_params
    store = open_store()
    assert isinstance(store, Store) and store.get_ingestion(ingestion_id) is not None


def test_turning_demo_off_asks_before_clearing(new_app: Callable[[], AppTest], h: SimpleNamespace) -> None:
    at = new_app().run()
    at.toggle(key="demo_toggle").set_value(True).run()
    at.switch_page("app_pages/schedule.py").run()
    at.text_input(key="dag_id").input("my_demo_dag").run()
    at.switch_page("app_pages/databricks.py").run()
    at.toggle(key="demo_toggle").set_value(False).run()
    assert h.find(at, r"^Turn demo mode off\? Every step is cleared")
    assert _state(at).demo and _state(at).schedule.dag_id == "my_demo_dag"
    at.button(key="demo_off_cancel").click().run()
    assert at.toggle(key="demo_toggle").value is True and _state(at).demo
    assert not h.find(at, r"^Turn demo mode off")
    at.toggle(key="demo_toggle").set_value(False).run()
    at.button(key="demo_off_confirm").click().run()
    state = _state(at)
    assert (
        not state.demo
        and state.databricks.host == ""
        and state.schedule.dag_id == WizardState().schedule.dag_id
    )
    assert state.ingestion_id is not None  # the same ingestion, emptied (and saved so)


def _progress(at: AppTest) -> str:
    return str(at.sidebar.get("progress")[0].proto.text)


def test_the_sidebar_shows_the_state_change_of_the_same_action(new_app: Callable[[], AppTest]) -> None:
    at = new_app().run()
    assert _progress(at) == "0 of 8 steps done"
    at.switch_page("app_pages/options.py").run()  # seeing the options step with its defaults is done
    assert _progress(at) == "1 of 8 steps done"
    at.switch_page("app_pages/databricks.py").run()
    at.text_input(key="dbx_host").input("adb-1.azuredatabricks.net").run()
    at.text_input(key="dbx_token").input(TOKEN).run()  # step 1 is complete with this very input
    assert _progress(at) == "2 of 8 steps done"


def test_autosave_writes_only_when_a_setting_changed(new_app: Callable[[], AppTest]) -> None:
    at = new_app().run()
    at.text_input(key="dbx_host").input("adb-1.azuredatabricks.net").run()
    store = open_store()
    assert isinstance(store, Store)
    ingestion_id = str(at.query_params["ingestion"])
    first = store.get_ingestion(ingestion_id)
    assert first is not None
    for _ in range(3):
        at.run()  # reruns with nothing changed (a poll, a click elsewhere)
    at.switch_page("app_pages/databricks.py").run()
    unchanged = store.get_ingestion(ingestion_id)
    assert unchanged is not None and unchanged.updated_at == first.updated_at
    at.text_input(key="dbx_http_path").input("/sql/1.0/warehouses/abc").run()
    changed = store.get_ingestion(ingestion_id)
    assert changed is not None and changed.updated_at > first.updated_at
    assert '"http_path":"/sql/1.0/warehouses/abc"' in changed.settings


def test_settings_of_a_newer_wizard_open_with_a_note_on_what_was_ignored(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    store = open_store()
    assert isinstance(store, Store)
    settings = '{"version": 2, "databricks": {"host": "adb-9.azuredatabricks.net", "region": "eu"}}'
    saved = store.create_ingestion("From the future", settings, 2)
    at = _reopen(new_app, saved.id)
    assert at.text_input(key="dbx_host").value == "adb-9.azuredatabricks.net"
    assert at.expander[0].label == "Notes from opening this ingestion (2)"
    assert h.find(at, r"^Ignored databricks\.region: not a setting of this version of the wizard\.$")
    assert h.find(at, r"^Saved by a newer version of the wizard \(settings format 2")


def test_a_reload_of_a_demo_ingestion_keeps_the_secrets_typed_over_the_demo_s(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    """In demo mode a user may try their own token and JWT: a reload (same server) keeps them, never the demo's."""
    at = new_app().run()
    at.toggle(key="demo_toggle").set_value(True).run()
    ingestion_id = str(at.query_params["ingestion"])
    host, om_host = _state(at).databricks.host, _state(at).sink.om_host
    at.text_input(key="dbx_token").input(TOKEN).run()
    at.switch_page("app_pages/sink.py").run()
    at.text_input(key="om_jwt").input(JWT).run()
    again = _reopen(new_app, ingestion_id)
    state = _state(again)
    assert state.demo and (state.databricks.host, state.sink.om_host) == (host, om_host)
    assert state.databricks.token is not None and state.databricks.token.get_secret_value() == TOKEN
    assert state.sink.jwt is not None and state.sink.jwt.get_secret_value() == JWT
    clear_vault()  # a restart: nothing typed is left, so the demo's own credentials come back
    state = _state(_reopen(new_app, ingestion_id))
    assert state.databricks.token is not None and state.databricks.token.get_secret_value() != TOKEN
    assert state.sink.jwt is not None and state.sink.jwt.get_secret_value() != JWT
    assert state.secrets_to_reenter == []


def test_a_demo_ingestion_reopens_on_this_server_s_emulators_with_no_secret_to_enter(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    at = new_app().run()
    at.toggle(key="demo_toggle").set_value(True).run()
    ingestion_id = str(at.query_params["ingestion"])
    host = _state(at).databricks.host
    clear_vault()  # a restart: the demo's credentials are the emulators' own, so they come back by themselves
    again = _reopen(new_app, ingestion_id)
    state = _state(again)
    assert state.demo and state.databricks.host == host and state.databricks.token is not None
    assert state.sink.jwt is not None and state.secrets_to_reenter == []
    assert not h.find(again, r"enter again")
    assert again.toggle(key="demo_toggle").value is True


def test_a_demo_ingestion_pointed_at_another_local_emulator_keeps_it_while_it_listens(
    new_app: Callable[[], AppTest],
) -> None:
    """Seen in a review: a second tab of a demo ingestion whose step 1 named another emulator on 127.0.0.1
    swapped it for the demo's, and the next run read the demo workspace. Only an address where nothing
    listens any more (an emulator of an earlier server) is replaced."""
    from core.emulators.databricks import DatabricksEmulator
    from core.emulators.workspace import Workspace, WorkspaceSpec

    at = new_app().run()
    at.toggle(key="demo_toggle").set_value(True).run()
    ingestion_id = str(at.query_params["ingestion"])
    demo_host = _state(at).databricks.host
    other = DatabricksEmulator(Workspace(WorkspaceSpec(jobs=3, seed=5))).start()
    try:
        at.switch_page("app_pages/databricks.py").run()
        at.text_input(key="dbx_host").input(other.url).run()
        assert _state(_reopen(new_app, ingestion_id)).databricks.host == other.url
    finally:
        other.stop()
    assert _state(_reopen(new_app, ingestion_id)).databricks.host == demo_host  # gone: the demo's again
