"""Step 4: what is ingested besides the pipelines themselves (``sourceConfig.config``)."""

from __future__ import annotations

import streamlit as st

from ui import components as ui
from ui import services
from ui.state import get_state


def _names(text: str) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


state = get_state()
options = state.options
ui.page_header("options", "What is ingested with each pipeline. OpenMetadata's defaults are preselected.")
errors = services.field_errors(state)

left, right = st.columns(2, gap="large")
with left:
    ui.bound(
        st.toggle,
        "Include lineage (includeLineage)",
        "opt_lineage",
        "options.include_lineage",
        help="Table-to-table lineage from Unity Catalog's system.access.table_lineage, attributed to the job.",
    )
    st.caption("Adds table → table edges written by each kept job (needs the SQL warehouse path, step 1).")
    if options.include_lineage and not state.databricks.http_path.strip():
        st.warning(
            "No SQL warehouse HTTP path in step 1: lineage will be skipped until you add one.",
            icon=":material/warning:",
        )
    ui.bound(
        st.text_input,
        "Database services for lineage (dbServiceNames)",
        "opt_db_services",
        "options.db_service_names",
        to_widget=", ".join,
        from_widget=_names,
        placeholder="unity_catalog",
        help="Comma-separated names of the OpenMetadata database services holding your Databricks tables; "
        "lineage edges are only drawn between tables found there.",
    )
    st.caption("Where the tables of the lineage are looked up in OpenMetadata.")
    ui.field_error(errors.get("opt_db_services"))
    ui.bound(
        st.toggle,
        "Include tags (includeTags)",
        "opt_tags",
        "options.include_tags",
        help="Databricks job tags become OpenMetadata tags under the DatabricksTags classification.",
    )
    st.caption("Copies each job's `key: value` tags as `DatabricksTags.key:value`.")
    ui.bound(
        st.toggle,
        "Include owners (includeOwners)",
        "opt_owners",
        "options.include_owners",
        help="The job creator's e-mail is matched to an OpenMetadata user; unknown e-mails are skipped.",
    )
    st.caption("Sets the pipeline owner to the OpenMetadata user with the creator's e-mail.")
with right:
    ui.bound(
        st.toggle,
        "Mark deleted pipelines (markDeletedPipelines)",
        "opt_mark_deleted",
        "options.mark_deleted",
        help="Only after a complete listing; pipelines the filters now exclude count as gone too.",
    )
    st.caption(
        "Soft-deletes pipelines of this service that are no longer in the workspace (or filtered out)."
    )
    ui.bound(
        st.number_input,
        "Status lookback days (statusLookbackDays)",
        "opt_lookback",
        "options.lookback_days",
        min_value=0,
        max_value=3650,
        step=1,
        help="0 skips run statuses. Statuses are upserts keyed by start time, so reruns never duplicate.",
    )
    st.caption("How many days of run history become pipeline statuses on each run.")
    ui.field_error(errors.get("opt_lookback"))
    ui.bound(
        st.toggle,
        "Override metadata (overrideMetadata)",
        "opt_override",
        "options.override_metadata",
        help="Off keeps descriptions and names edited by people in OpenMetadata; on replaces them.",
    )
    st.caption("Replaces descriptions and display names edited in OpenMetadata with Databricks' values.")

ui.nav_buttons("options")
