"""Step 3: include/exclude rules with friendly operators, and a live preview of what they keep."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from ui import components as ui
from ui import services
from ui.state import get_state

RULE_STATEMENT = (
    "**How filters decide.** A pipeline is ingested when its **name** matches **at least one include** "
    "(if there are any) **and no exclude** — an exclude always wins. Matching ignores case and starts at "
    "the **beginning** of the name, so `starts with prod` also keeps `production`; use *contains* to match "
    "anywhere. The name tested is the job's name as shown in Databricks, not its id. This is exactly "
    "OpenMetadata's rule (2.x)."
)
KIND_HELP = {
    "include": "Keep only pipelines matching one of these. No include rule = every pipeline is a candidate.",
    "exclude": "Drop pipelines matching any of these, even when an include matches.",
}


def _rule(rule_id: int):
    return next((r for r in get_state().filters.rules if r.id == rule_id), None)


def _copy(rule_id: int, attr: str, key: str) -> None:
    rule = _rule(rule_id)
    if rule is not None:
        setattr(rule, attr, st.session_state.get(key) or "")


def _remove(rule_id: int) -> None:
    rules = get_state().filters.rules
    rules[:] = [r for r in rules if r.id != rule_id]


def _add(kind: Literal["include", "exclude"]) -> None:
    get_state().filters.add(kind)


def _rules_editor(kind: Literal["include", "exclude"], errors: dict[int, str]) -> None:
    labels = services.operator_labels()
    st.markdown(f"**{kind.title()} rules**", help=KIND_HELP[kind])
    rules = [r for r in get_state().filters.rules if r.kind == kind]
    if not rules:
        st.caption("None: every pipeline is a candidate." if kind == "include" else "None.")
    for number, rule in enumerate(rules, start=1):
        op_key, value_key = f"filter_op_{rule.id}", f"filter_value_{rule.id}"
        ui.bind(op_key, rule.operator)
        ui.bind(value_key, rule.value)
        op_col, value_col, remove_col = st.columns([2, 4, 1], vertical_alignment="bottom")
        op_col.selectbox(
            f"{kind.title()} #{number}",
            options=list(labels),
            format_func=labels.__getitem__,
            key=op_key,
            on_change=_copy,
            args=(rule.id, "operator", op_key),
        )
        value_col.text_input(
            "Value",
            key=value_key,
            on_change=_copy,
            args=(rule.id, "value", value_key),
            placeholder="e.g. etl_" if rule.operator != "regex" else r"e.g. (etl|elt)_\d+",
            help="Plain text for the first four operators (no wildcards needed); a Python regular "
            "expression for 'matches regex'.",
        )
        remove_col.button(
            "", key=f"filter_remove_{rule.id}", icon=":material/delete:", on_click=_remove, args=(rule.id,),
            help="Remove this rule",
        )  # fmt: skip
        if rule.value.strip() and rule.id not in errors:
            regex = services.rule_regex(rule.operator, rule.value)
            st.caption(f"Written to the YAML as `{regex}`")
        ui.field_error(errors.get(rule.id))
    st.button(
        f"Add {kind} rule", key=f"filter_add_{kind}", icon=":material/add:", on_click=_add, args=(kind,)
    )


state = get_state()
ui.page_header("filters", "Choose which jobs and DLT pipelines are ingested, and see the result live.")
st.info(RULE_STATEMENT, icon=":material/rule:")

rule_errors = services.filter_rule_errors(state)
includes = sum(1 for r in state.filters.rules if r.kind == "include" and r.value.strip())
excludes = sum(1 for r in state.filters.rules if r.kind == "exclude" and r.value.strip())
summary = (
    "Scanning everything: no rules yet."
    if not includes and not excludes
    else f"{includes} include rule{'s' * (includes != 1)}, {excludes} exclude rule{'s' * (excludes != 1)}."
)
st.markdown(f":blue-badge[:material/filter_alt: {summary}]")

include_col, exclude_col = st.columns(2, gap="large")
with include_col:
    _rules_editor("include", rule_errors)
with exclude_col:
    _rules_editor("exclude", rule_errors)
if rule_errors:
    st.warning(
        "Rules marked in red are left out of the preview until they are fixed.", icon=":material/warning:"
    )

st.subheader("Live preview")
missing = services.missing_fields(state)
errors = services.field_errors(state)
if "databricks" in missing or any(key.startswith("dbx_") for key in errors):
    st.info("The preview lists your workspace once step 1 is complete.", icon=":material/edit_note:")
    st.page_link("app_pages/databricks.py", label="Go to step 1: Databricks", icon=":material/arrow_back:")
else:
    job = services.start_preview(state)
    listing = job is not None and not job.done

    @st.fragment(run_every=1.0 if listing else None)
    def preview_panel() -> None:
        """Re-rendered every second while the workspace is listed, so rows appear as they arrive."""
        search_col, show_col, action_col = st.columns([3, 3, 1], vertical_alignment="bottom")
        search = search_col.text_input(
            "Search", key="preview_search", placeholder="name or id", help="Case-insensitive substring."
        )
        show = show_col.segmented_control(
            "Show",
            options=["all", "kept", "filtered"],
            format_func={"all": "All", "kept": "Will ingest", "filtered": "Filtered out"}.__getitem__,
            default="all",
            key="preview_show",
        )
        view = services.decide_preview(get_state(), search=search, show=show or "all")
        if view.listing:
            if action_col.button("Stop", key="preview_stop", icon=":material/stop:", width="stretch"):
                services.stop_preview(get_state())
                st.rerun()
        elif action_col.button("Refresh", key="preview_refresh", icon=":material/refresh:", width="stretch"):
            services.restart_preview(get_state())
            st.rerun()
        if view.error:
            st.error(f"Listing failed: {view.error}", icon=":material/error:")
        if view.listing:
            st.markdown(f"### {view.kept:,} of {view.total:,} listed so far will be ingested")
            st.caption(
                f":material/progress_activity: Listing the workspace… {view.total:,} so far after "
                f"{view.elapsed_s:.1f} s. The table fills in as pages arrive; you can keep editing rules."
            )
        else:
            st.markdown(f"### {view.kept:,} of {view.total:,} will be ingested")
            stopped = (
                " (stopped early: the list is incomplete)" if services.preview_stopped(get_state()) else ""
            )
            first = f", first rows after {view.first_row_s:.1f} s" if view.first_row_s is not None else ""
            st.caption(f"Listed {view.total:,} pipelines in {view.elapsed_s:.1f} s{first}{stopped}.")
        ui.render_preview(view)
        if len(view.rows) >= 5000:
            st.caption("Showing the first 5,000 matches; search to narrow down.")
        if listing and not view.listing:
            st.rerun()  # the listing ended: a full rerun stops this fragment's timer

    preview_panel()

ui.nav_buttons("filters")
