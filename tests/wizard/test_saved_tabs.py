"""Two tabs on one saved ingestion (AppTest, two sessions): autosave never overwrites a change it did not
see. Each tab saves over the revision it last loaded or saved; when the other tab saved meanwhile, the two
are merged leaf by leaf (theirs plus my changes; a setting both changed keeps mine and says so), and the
tab then shows the merged values with a toast naming what came from the other tab."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace

from streamlit.testing.v1 import AppTest

from ui.services.saved import merge_settings
from ui.store import Store, open_store


def _tab(new_app: Callable[[], AppTest], ingestion_id: str) -> AppTest:
    at = new_app()
    at.query_params["ingestion"] = ingestion_id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _saved(ingestion_id: str) -> dict[str, object]:
    store = open_store()
    assert isinstance(store, Store)
    row = store.get_ingestion(ingestion_id)
    assert row is not None
    data = json.loads(row.settings)
    assert isinstance(data, dict)
    databricks = data["databricks"]
    assert isinstance(databricks, dict)
    return databricks


def test_merge_takes_theirs_plus_my_changes_and_names_the_leaves_both_changed() -> None:
    base = {"databricks": {"host": "a", "service_name": "s", "http_path": "p"}, "filters": {"rules": []}}
    mine = {
        "databricks": {"host": "a", "service_name": "mine", "http_path": "mine"},
        "filters": {"rules": []},
    }
    theirs = {
        "databricks": {"host": "theirs", "service_name": "s", "http_path": "theirs"},
        "filters": {"rules": [1]},
    }
    merged, taken, both = merge_settings(base, mine, theirs)
    assert merged == {
        "databricks": {"host": "theirs", "service_name": "mine", "http_path": "mine"},
        "filters": {"rules": [1]},
    }
    assert taken == ["databricks.host", "filters.rules"] and both == ["databricks.http_path"]


def test_two_tabs_on_one_ingestion_merge_instead_of_overwriting(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    first = new_app().run()
    first.text_input(key="dbx_service_name").input("prod_dbx").run()
    ingestion_id = str(first.query_params["ingestion"])
    tab_a, tab_b = _tab(new_app, ingestion_id), _tab(new_app, ingestion_id)

    tab_a.text_input(key="dbx_host").input("adb-1111.azuredatabricks.net").run()
    assert _saved(ingestion_id)["host"] == "adb-1111.azuredatabricks.net"

    tab_b.text_input(key="dbx_service_name").input("finance_dbx").run()  # B never saw A's host
    saved = _saved(ingestion_id)
    assert saved["host"] == "adb-1111.azuredatabricks.net" and saved["service_name"] == "finance_dbx"
    # B now shows the merged values and says what came from A
    assert tab_b.text_input(key="dbx_host").value == "adb-1111.azuredatabricks.net"
    assert tab_b.text_input(key="dbx_service_name").value == "finance_dbx"
    assert [t.value for t in tab_b.toast] and "Databricks: host" in tab_b.toast[0].value
    assert not tab_b.exception

    # both change the same setting: the later writer's value is kept and the page says so
    tab_a.text_input(key="dbx_http_path").input("/sql/1.0/warehouses/aaa").run()
    tab_b.text_input(key="dbx_http_path").input("/sql/1.0/warehouses/bbb").run()
    saved = _saved(ingestion_id)
    assert saved["http_path"] == "/sql/1.0/warehouses/bbb"
    assert saved["host"] == "adb-1111.azuredatabricks.net" and saved["service_name"] == "finance_dbx"
    assert h.find(
        tab_b, r"^Also changed in another tab of this ingestion: Databricks: http path\. Your value"
    )

    # A's next change brings B's service name in, and keeps everything
    tab_a.text_input(key="dbx_host").input("adb-2222.azuredatabricks.net").run()
    saved = _saved(ingestion_id)
    assert saved["host"] == "adb-2222.azuredatabricks.net" and saved["service_name"] == "finance_dbx"
    assert tab_a.text_input(key="dbx_service_name").value == "finance_dbx"
    assert not tab_a.exception


def _token(at: AppTest) -> str | None:
    token = at.session_state["wizard"].databricks.token
    return None if token is None else str(token.get_secret_value())


def test_a_token_typed_in_one_tab_is_not_undone_by_another_tab_opening_a_step(
    new_app: Callable[[], AppTest],
) -> None:
    """Secrets are exchanged with the server's memory path by path: a tab writes back only what it changed.

    Seen in a review: tab B typed a new token, tab A merely clicked a step, and after a reload both tabs had
    A's old token again, silently (every rerun of a tab wrote all its secrets back).
    """
    first = new_app().run()
    first.text_input(key="dbx_host").input("adb-1111.azuredatabricks.net").run()
    first.text_input(key="dbx_token").input("dapi-first").run()
    ingestion_id = str(first.query_params["ingestion"])
    tab_a, tab_b = _tab(new_app, ingestion_id), _tab(new_app, ingestion_id)
    assert _token(tab_a) == _token(tab_b) == "dapi-first"

    tab_b.text_input(key="dbx_token").input("dapi-second").run()
    tab_a.switch_page("app_pages/test_connection.py").run()  # no edit: only a step opened
    assert _token(tab_a) == "dapi-second"  # and the other tab's newer token comes into this one
    assert _token(_tab(new_app, ingestion_id)) == "dapi-second"  # a reload

    tab_a.switch_page("app_pages/databricks.py").run()
    tab_a.text_input(key="dbx_token").input("dapi-third").run()  # the newest edit wins, whichever tab
    tab_b.run()
    assert _token(tab_b) == "dapi-third" and _token(_tab(new_app, ingestion_id)) == "dapi-third"
    assert not tab_a.exception and not tab_b.exception


def test_a_token_typed_again_with_the_value_its_tab_held_is_still_the_newest_edit(
    new_app: Callable[[], AppTest],
) -> None:
    """Seen in a second review: B held the good token, A typed a wrong one, B typed the good one again; B's
    edit was taken for no change (same value as B last had) and A's wrong token won in every tab."""
    first = new_app().run()
    first.text_input(key="dbx_host").input("adb-1111.azuredatabricks.net").run()
    first.text_input(key="dbx_token").input("dapi-good").run()
    ingestion_id = str(first.query_params["ingestion"])
    tab_a, tab_b = _tab(new_app, ingestion_id), _tab(new_app, ingestion_id)
    tab_a.text_input(key="dbx_token").input("dapi-wrong").run()
    tab_b.text_input(key="dbx_token").input("dapi-good").run()
    tab_a.run()
    assert _token(tab_a) == _token(tab_b) == _token(_tab(new_app, ingestion_id)) == "dapi-good"
