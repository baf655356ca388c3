"""What counts as an edit of a saved ingestion (AppTest): an edit in a tab whose ingestion was deleted in another
tab is saved as a new ingestion and says so once; opening a step changes nothing saved."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from streamlit.testing.v1 import AppTest

from ui.services.saved import md
from ui.store import Store, open_store


def _store() -> Store:
    store = open_store()
    assert isinstance(store, Store)
    return store


def _tab(new_app: Callable[[], AppTest], ingestion_id: str, page: str = "") -> AppTest:
    at = new_app()
    at.query_params["ingestion"] = ingestion_id
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_an_edit_after_another_tab_deleted_the_ingestion_says_it_is_saved_as_a_new_one(
    new_app: Callable[[], AppTest], h: SimpleNamespace
) -> None:
    first = new_app().run()
    first.text_input(key="dbx_service_name").input("prod_dbx").run()
    ingestion_id = str(first.query_params["ingestion"])
    assert _store().rename(ingestion_id, "Prod jobs")
    tab = _tab(new_app, ingestion_id, "app_pages/databricks.py")
    assert _store().delete(ingestion_id)  # the other tab deletes it

    tab.text_input(key="dbx_host").input("adb-1111.azuredatabricks.net").run()
    assert not tab.exception, [e.value for e in tab.exception]
    new_id = str(tab.query_params["ingestion"])
    assert new_id != ingestion_id and _store().get_ingestion(new_id) is not None
    assert h.find(
        tab,
        r"^This ingestion was deleted in another tab; your changes are saved as a new ingestion "
        + r"\*\*"
        + md("Prod jobs").replace(" ", r"\s")
        + r"\*\*\.$",
    )
    tab.text_input(key="dbx_http_path").input("/sql/1.0/warehouses/abc").run()  # said once
    assert not h.find(tab, r"was deleted in another tab")
    assert str(tab.query_params["ingestion"]) == new_id


def test_opening_a_step_changes_neither_the_revision_nor_last_modified(
    new_app: Callable[[], AppTest],
) -> None:
    first = new_app().run()
    first.text_input(key="dbx_service_name").input("prod_dbx").run()
    ingestion_id = str(first.query_params["ingestion"])
    before = _store().get_ingestion(ingestion_id)
    assert before is not None
    tab = _tab(new_app, ingestion_id)
    for page in (
        "app_pages/options.py",
        "app_pages/schedule.py",
        "app_pages/filters.py",
        "app_pages/review.py",
    ):
        tab.switch_page(page).run()
        assert not tab.exception, [e.value for e in tab.exception]
    after = _store().get_ingestion(ingestion_id)
    assert after is not None
    assert (after.revision, after.updated_at) == (before.revision, before.updated_at)


def test_the_rename_field_is_a_form_so_enter_saves_the_name(new_app: Callable[[], AppTest]) -> None:
    first = new_app().run()
    first.text_input(key="dbx_service_name").input("prod_dbx").run()
    ingestion_id = str(first.query_params["ingestion"])
    at = new_app().run()  # nothing open: the start page
    at.button(key=f"start_rename_{ingestion_id}").click().run()
    field = at.text_input(key=f"start_name_{ingestion_id}")
    assert field.proto.form_id == f"start_name_form_{ingestion_id}"  # Enter in a form's field submits it
    field.input("Nightly prod")
    at.button(key=f"start_name_save_{ingestion_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    saved = _store().get_ingestion(ingestion_id)
    assert saved is not None and saved.name == "Nightly prod"
    assert not at.text_input  # the form closed
    at.button(key=f"start_rename_{ingestion_id}").click().run()
    at.text_input(key=f"start_name_{ingestion_id}").input("Other")
    at.button(key=f"start_name_cancel_{ingestion_id}").click().run()
    saved = _store().get_ingestion(ingestion_id)
    assert saved is not None and saved.name == "Nightly prod" and not at.text_input
