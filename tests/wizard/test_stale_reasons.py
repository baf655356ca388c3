"""A stale connection test names its real reason: after a restart, a typed secret (gone, or typed again) says so;
a setting that changed is named ("the host has changed since"), also in demo mode, whose emulators move."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from pydantic import SecretStr
from streamlit.testing.v1 import AppTest

from core.check_steps import CheckStep
from ui import services
from ui.services import checks
from ui.services.config import setting_fingerprints
from ui.services.saved import clear_vault, settings_text
from ui.state import CheckResult, WizardState
from ui.store import Store, open_store

TYPED = r"^\*\*Stale\*\*: Databricks was tested just now .*, and it used a secret typed before the wizard's server restarted"


def test_after_a_restart_a_test_with_a_typed_token_says_so_whether_or_not_it_is_typed_again(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    demo = services.start_demo()["databricks"]
    at = new_app().run()
    at.switch_page("app_pages/databricks.py").run()
    at.text_input(key="dbx_host").input(demo.url).run()
    at.text_input(key="dbx_token").input(str(demo.token)).run()
    at.text_input(key="dbx_http_path").input(f"/sql/1.0/warehouses/{demo.warehouse_id}").run()
    at.switch_page("app_pages/test_connection.py").run()
    at.button(key="test_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["wizard"].checks["databricks"].ok
    ingestion_id = str(at.query_params["ingestion"])

    clear_vault()  # a restart: the typed token is gone
    again = new_app()
    again.query_params["ingestion"] = ingestion_id
    again.run()
    again.switch_page("app_pages/test_connection.py").run()
    assert h.find(again, TYPED) and not h.find(again, r"a setting it used has changed")
    again.switch_page("app_pages/databricks.py").run()
    again.text_input(key="dbx_token").input(str(demo.token)).run()
    again.switch_page("app_pages/test_connection.py").run()
    assert h.find(again, TYPED) and not h.find(again, r"a setting it used has changed")
    third = new_app()  # another tab of the same server: the same reason
    third.query_params["ingestion"] = ingestion_id
    third.run()
    third.switch_page("app_pages/test_connection.py").run()
    assert h.find(third, TYPED)


def _kept_and_restored(state: WizardState, change: Callable[[WizardState], None]) -> str:
    store = open_store()
    assert isinstance(store, Store)
    saved = store.create_ingestion("", settings_text(state), 1)
    state.ingestion_id = saved.id
    state.checks["databricks"] = CheckResult(
        [CheckStep("Databricks", "Host reachable", ok=True)], "fp", 20.0, 9.0
    )
    checks.keep_tests(state, ["databricks"])
    checks.forget_tests()  # a restart
    change(state)
    state.checks.clear()
    checks.restore_tests(store, state, saved.id)
    return state.checks["databricks"].stale_reason


def _pat(host: str = "adb-1.azuredatabricks.net", *, demo: bool = False) -> WizardState:
    state = WizardState(demo=demo)
    state.databricks.host, state.databricks.auth = host, "pat"
    state.databricks.token = SecretStr("dapi-typed")
    state.databricks.http_path = "/sql/1.0/warehouses/abc"
    return state


def test_a_restart_names_the_settings_that_changed() -> None:
    def moved(state: WizardState) -> None:
        state.databricks.host = "127.0.0.1:2"

    def moved_and_gone(state: WizardState) -> None:
        moved(state)
        state.databricks.token = None

    def path_and_timeout(state: WizardState) -> None:
        state.databricks.http_path, state.databricks.timeout_s = "/sql/1.0/warehouses/x", 99

    assert _kept_and_restored(_pat("127.0.0.1:1", demo=True), moved) == "the host has changed since"
    assert _kept_and_restored(_pat(), moved_and_gone) == (
        f"the host has changed since, and {checks._TYPED_BEFORE}"
    )
    assert _kept_and_restored(_pat(), path_and_timeout) == "the HTTP path and the timeout have changed since"
    assert _kept_and_restored(_pat(), lambda state: None) == checks._TYPED_BEFORE
    from_env = _pat()
    from_env.secret_env["databricks.token"] = "DBX_TOKEN"
    assert _kept_and_restored(from_env, lambda state: None) == ""  # current: nothing typed, nothing changed
    assert checks._TESTED  # and the fingerprint is this process's


def test_in_the_same_server_a_stale_test_names_the_setting_that_changed(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    """No restart: the test's own in-memory fingerprints name what changed, a secret's value included, also
    after a reload (a new session of the same server) and for each side."""
    demo = services.start_demo()["databricks"]
    at = new_app().run()
    at.switch_page("app_pages/databricks.py").run()
    at.text_input(key="dbx_host").input(demo.url).run()
    at.text_input(key="dbx_token").input(str(demo.token)).run()
    at.switch_page("app_pages/test_connection.py").run()
    at.button(key="test_run").click().run()
    assert at.session_state["wizard"].checks["databricks"].ok
    stale = r"^\*\*Stale\*\*: Databricks was tested just now .*, and {} changed since"
    at.switch_page("app_pages/databricks.py").run()
    at.text_input(key="dbx_token").input("dapi-another-token").run()
    at.switch_page("app_pages/test_connection.py").run()
    assert h.find(at, stale.format("the token has")) and not h.find(at, r"a setting it used has changed")
    at.switch_page("app_pages/databricks.py").run()
    at.text_input(key="dbx_host").input(demo.url.replace("127.0.0.1", "localhost")).run()
    at.switch_page("app_pages/test_connection.py").run()
    assert h.find(at, stale.format("the host and the token have"))
    again = new_app()  # a reload: the same server remembers the test's fingerprints
    again.query_params["ingestion"] = str(at.query_params["ingestion"])
    again.run()
    again.switch_page("app_pages/test_connection.py").run()
    assert h.find(again, stale.format("the host and the token have")), h.texts(again)


def test_a_changed_setting_is_named_for_each_side_and_an_extra_workspace() -> None:
    state = _pat()
    state.checks["databricks"] = CheckResult(
        [], "fp", 20.0, 9.0, settings=setting_fingerprints(state, "databricks")
    )
    state.sink.om_host = "http://om:8585"
    state.checks["sink"] = CheckResult([], "fp", 20.0, 9.0, settings=setting_fingerprints(state, "sink"))
    assert checks.stale_reason(state, "databricks") == checks.stale_reason(state, "sink") == ""
    state.databricks.timeout_s = 99
    state.sink.verify_ssl = "ignore"
    assert checks.stale_reason(state, "databricks") == "the timeout has changed since"
    assert checks.stale_reason(state, "sink") == "the SSL verification has changed since"
    state.checks["sink"].stale_reason = "its own reason"
    assert checks.stale_reason(state, "sink") == "its own reason"
    assert checks.stale_reason(state, "workspace:7") == ""
