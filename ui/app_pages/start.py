"""The start page: saved ingestions (open, duplicate, rename, delete after a confirmation) and "New ingestion"."""

from __future__ import annotations

import streamlit as st

from ui.services import saved
from ui.state import get_state
from ui.store import StoreError, database_path, open_store

_FIRST_STEP = "app_pages/databricks.py"
_RENAMING, _DELETING, _MESSAGE = "start_renaming", "start_deleting", "start_message"


def _say(kind: str, text: str | None) -> None:
    if text:
        st.session_state[_MESSAGE] = (kind, text)


def _duplicate(ingestion_id: str) -> None:
    problem = saved.duplicate_ingestion(ingestion_id)
    _say("error", problem or "")
    if not problem:
        _say("success", "Duplicated: the copy is at the top of the list.")


def _rename(ingestion_id: str) -> None:
    problem = saved.rename_ingestion(
        ingestion_id, str(st.session_state.get(f"start_name_{ingestion_id}", ""))
    )
    _say("error", problem)
    if not problem:
        st.session_state.pop(_RENAMING, None)


def _delete(ingestion_id: str, name: str) -> None:
    problem = saved.delete_ingestion(ingestion_id)
    st.session_state.pop(_DELETING, None)
    _say("error", problem or "")
    if not problem:
        _say("success", f"Deleted {saved.md(name)} and its run history.")


def _set(key: str, value: str | None) -> None:
    if value is None:
        st.session_state.pop(key, None)
    else:
        st.session_state[key] = value


def _row_actions(row: dict[str, str], current: bool) -> None:
    ingestion_id = row["id"]
    open_col, copy_col, rename_col, delete_col = st.columns(4)
    if open_col.button(
        "Continue" if current else "Open", key=f"start_open_{ingestion_id}", type="primary", width="stretch"
    ):
        problem = None if current else saved.open_ingestion(ingestion_id)
        if problem:
            _say("error", problem)
        else:
            st.switch_page(_FIRST_STEP)
    copy_col.button(
        "Duplicate",
        key=f"start_copy_{ingestion_id}",
        on_click=_duplicate,
        args=(ingestion_id,),
        width="stretch",
    )
    rename_col.button(
        "Rename",
        key=f"start_rename_{ingestion_id}",
        on_click=_set,
        args=(_RENAMING, ingestion_id),
        width="stretch",
    )
    delete_col.button(
        "Delete",
        key=f"start_delete_{ingestion_id}",
        on_click=_set,
        args=(_DELETING, ingestion_id),
        width="stretch",
    )


def _rename_form(row: dict[str, str]) -> None:
    key = f"start_name_{row['id']}"
    if key not in st.session_state:
        st.session_state[key] = row["given_name"] or row["name"]
    with st.form(f"start_name_form_{row['id']}", border=False):  # a form: Enter in the field saves the name
        st.text_input(
            "New name", key=key, max_chars=120, help="Leave empty to name it after its service and host."
        )
        save_col, cancel_col, _ = st.columns([1, 1, 4])
        save_col.form_submit_button(
            "Save name",
            key=f"start_name_save_{row['id']}",
            on_click=_rename,
            args=(row["id"],),
            type="primary",
        )
        cancel_col.form_submit_button(
            "Cancel", key=f"start_name_cancel_{row['id']}", on_click=_set, args=(_RENAMING, None)
        )


def _delete_confirmation(row: dict[str, str]) -> None:
    running = saved.live_run(row["id"])
    going = ""
    if running is not None:
        kind = "A dry run" if running.dry_run else "A run"
        going = f" {kind} of it is going now: deleting stops it."
    st.warning(
        f"Delete {saved.md(row['name'])} and its run history?{going} This cannot be undone; Airflow DAGs "
        "already exported from it are not touched.",
        icon=":material/delete_forever:",
    )
    yes_col, no_col, _ = st.columns([1, 1, 4])
    yes_col.button(
        "Delete for good", key=f"start_delete_yes_{row['id']}", type="primary", on_click=_delete,
        args=(row["id"], row["name"]),
    )  # fmt: skip
    no_col.button("Keep it", key=f"start_delete_no_{row['id']}", on_click=_set, args=(_DELETING, None))


def _row(row: dict[str, str], current: bool) -> None:
    with st.container(border=True):
        title = f"**{saved.md(row['name'])}**" + ("  ·  :blue-badge[open in this tab]" if current else "")
        title += "  ·  :violet-badge[demo]" if row["demo"] else ""
        st.markdown(title)
        st.caption(
            f"Databricks: {saved.md(row['host']) or '—'}  ·  Sink: {saved.md(row['sink']) or '—'}  ·  "
            f"Last modified {row['modified']}  ·  Last run: {row['last_run']}"
        )
        if st.session_state.get(_DELETING) == row["id"]:
            _delete_confirmation(row)
        elif st.session_state.get(_RENAMING) == row["id"]:
            _rename_form(row)
        else:
            _row_actions(row, current)


st.title("Saved ingestions")
st.caption(
    "Every setting is saved as you type, without its secrets: those stay in this server's memory (or are "
    "read from an environment variable you name) and are never written to disk."
)
if st.button("New ingestion", key="start_new", type="primary", icon=":material/add:"):
    saved.start_new()
    st.switch_page(_FIRST_STEP)

message = st.session_state.pop(_MESSAGE, None)
if message:
    kind, text = message
    (st.error if kind == "error" else st.success)(text)

store = open_store()
if isinstance(store, StoreError):
    st.warning(str(store), icon=":material/cloud_off:")
else:
    if store.notice:
        st.info(store.notice, icon=":material/info:")
    rows = saved.listing(store)
    if not rows:
        st.info(
            "Nothing saved yet: start a new ingestion, or try the demo on its first step.",
            icon=":material/info:",
        )
    bound = get_state().ingestion_id
    for row in rows:
        _row(row, row["id"] == bound)
    st.caption(f":material/database: {database_path()}")
