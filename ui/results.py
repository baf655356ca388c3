"""How a finished run reads on the run page: summary, per-pipeline outcomes with links, log, and history.

Everything here renders a :class:`ui.history.RunRecord` (the live run's, or one from the run history), so a
run seen right after it ended and the same run opened from the history a week later look the same. A record
with a checkpoint (``checkpoint_at``: a run still going, or one whose server was killed) shows what its last
checkpoint saved and says it is as of then. The report is ``core.report.RunReport.as_dict()``; its
``pipelines`` / ``pipelinesOmitted`` / ``target`` keys are optional (reports written before they existed still
render, with less detail).
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from ui.components import ago, at_time
from ui.history import RunRecord
from ui.services.runs import om_ui_address

__all__ = [
    "OUTCOME_LABELS",
    "ago",
    "at_time",
    "om_ui_url",
    "outcome_rows",
    "pipeline_link",
    "render_history",
    "render_run_result",
]

#: a pipeline's outcome in the report -> how the table says it
OUTCOME_LABELS = {
    "created": "created",
    "updated": "updated",
    "unchanged": "unchanged",
    "deleted": "deleted",
    "failed": "failed",
    "would-create": "would create",
    "would-change": "would change",
    "would-delete": "would delete",
}
_RUN_OUTCOMES = {
    "ok": "finished",
    "failed": "finished with failures",
    "stopped": "stopped",
    "error": "did not finish",
    "running": "running",
}


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"


#: OpenMetadata's UI address from its API URL (the sink's host without the ``/api`` suffix): one definition
om_ui_url = om_ui_address


def pipeline_link(row: dict[str, Any], target: dict[str, Any] | None) -> str | None:
    """``<UI>/pipeline/<fqn>`` for a pipeline that exists in OpenMetadata; None for a file sink or a would-create."""
    fqn = row.get("fqn")
    if not fqn or not target or target.get("kind") != "openmetadata" or row.get("outcome") == "would-create":
        return None
    return f"{om_ui_url(str(target.get('location', '')))}/pipeline/{fqn}"


def _details(row: dict[str, Any]) -> str:
    fields = [str(name) for name in row.get("fields") or []]
    reason = row.get("reason") or ""
    parts = [f"changes: {', '.join(fields)}"] if fields else []
    if reason:
        parts.append(str(reason))
    return "; ".join(parts)


def outcome_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-pipeline table of a report (empty when the report has no ``pipelines`` list)."""
    target = report.get("target")
    rows = []
    for row in report.get("pipelines") or []:
        outcome = str(row.get("outcome", ""))
        rows.append(
            {
                "outcome": OUTCOME_LABELS.get(outcome, outcome),
                "pipeline": row.get("name") or str(row.get("pipeline", "")),
                "kind": "DLT pipeline" if row.get("kind") == "dlt" else "job",
                "details": _details(row),
                "link": pipeline_link(row, target),
            }
        )
    return rows


def render_run_result(record: RunRecord, *, stale: list[str] | None = None, key: str = "run_result") -> None:
    """A finished run: what happened, when (stale or not), where it wrote, each pipeline, the log.

    Args:
        record: the run (its report may be None: it could not start).
        stale: the setting groups changed since the run (it is then marked stale).
        key: widget key prefix (two results on one page need different ones).
    """
    report = record.report
    _headline(record)
    _when(record)
    if stale:
        st.warning(
            f"Stale: the {_and(stale)} changed since this run. Run again to see what a run does now.",
            icon=":material/history:",
        )
    if report is not None:
        _numbers(record)
        _where(report, record)
        _pipelines(report, key)
        _warnings(report)
    if not record.log:
        st.caption("No log was kept for this run.")
        return
    st.download_button(
        "Download the log",
        data=record.log,
        file_name=f"run-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(record.started_at))}-{record.run_id[:8]}.log",
        mime="text/plain",
        key=f"{key}_log",
        icon=":material/download:",
    )


def _when(record: RunRecord) -> None:
    """The caption under the headline: when it ended and how long it took (for a checkpoint: so far)."""
    what = "Dry run" if record.mode == "dry-run" else "Run"
    checkpoint = record.checkpoint_at
    if checkpoint is not None:  # running, or stopped with its server: known up to its last checkpoint
        if record.outcome == "running":
            state = f"{what} started {ago(record.started_at)}, still running"
        else:
            state = f"{what} stopped with its server · started {ago(record.started_at)}"
        st.caption(
            f"{state} · last checkpoint {ago(checkpoint)}, after {_duration(checkpoint - record.started_at)}",
            help=f"Started {at_time(record.started_at)}, last checkpoint {at_time(checkpoint)}.",
        )
        return
    if record.outcome == "running":
        st.caption(
            f"{what} started {ago(record.started_at)}, still running",
            help=f"Started {at_time(record.started_at)}.",
        )
        return
    finished = record.finished_at or record.started_at
    st.caption(
        f"{what} {_RUN_OUTCOMES.get(record.outcome, record.outcome)} "
        f"{ago(finished)} · took {_duration(record.duration_s)}",
        help=f"Started {at_time(record.started_at)}, finished {at_time(finished)}.",
    )


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def _to_file(record: RunRecord) -> bool:
    """True for a run of the file sink (its report counts lines written, not creates and updates)."""
    target = (record.report or {}).get("target")
    return isinstance(target, dict) and target.get("kind") == "file"


def _headline(record: RunRecord) -> None:
    """The result's first sentence: what the run did, or why it ended early (never "finished" then)."""
    dry = record.mode == "dry-run"
    what = "Dry run" if dry else "Run"
    nothing = " Nothing was written." if dry else ""
    if record.outcome == "running":
        if record.checkpoint_at is None:
            st.info("Still running: its live progress shows above.", icon=":material/autorenew:")
        else:
            st.info(
                "Still running: the numbers, pipelines and log below are as of its last checkpoint at "
                f"{at_time(record.checkpoint_at)}; its live progress shows above.",
                icon=":material/autorenew:",
            )
        return
    if record.outcome == "stopped":
        if record.error:  # stopped with its server: the record says so
            st.warning(f"Stopped: {record.error.rstrip('.')}.{nothing}", icon=":material/stop_circle:")
        elif dry:
            st.warning(f"Stopped before the end.{nothing}", icon=":material/stop_circle:")
        else:
            st.warning(
                "Stopped before the end: a rerun picks up where it left off.", icon=":material/stop_circle:"
            )
        return
    report = record.report
    if report is None:
        reason = record.error or "no reason was recorded"
        st.error(f"The {what.lower()} could not start: {reason}", icon=":material/error:")
        return
    if record.outcome == "error":
        reason = str(report.get("fatal") or record.error or "see the log").rstrip(".")
        st.error(f"The {what.lower()} stopped on an error: {reason}.{nothing}", icon=":material/error:")
        return
    mode = "Dry run finished: nothing was written." if dry else "Run finished."
    if record.outcome == "failed":
        failed = record.counts.get("failed", 0)
        st.warning(f"{mode} {failed:,} failure{'s' * (failed != 1)}: the reasons are in the table below.")
    else:
        st.success(f"{mode} {_changes_sentence(record)}.")


def _written(record: RunRecord) -> str:
    """The participle of writing: a real run's "written"; a dry run's "would be written", once over "would have been"."""
    if record.mode != "dry-run":
        return "written"
    return "would be written" if record.outcome == "running" else "would have been written"


def _changes_sentence(record: RunRecord) -> str:
    counts = record.counts
    if _to_file(record):
        verb = _written(record)
        return f"{counts.get('kept', 0) - counts.get('failed', 0):,} pipelines {verb} to the file"
    if record.mode == "dry-run":
        return (
            f"{counts.get('wouldCreate', 0):,} would be created, {counts.get('wouldChange', 0):,} would "
            f"change, {counts.get('wouldDelete', 0):,} would be deleted, {counts.get('unchanged', 0):,} unchanged"
        )
    return (
        f"{counts.get('created', 0):,} created, {counts.get('updated', 0):,} updated, "
        f"{counts.get('unchanged', 0):,} unchanged, {counts.get('deleted', 0):,} deleted"
    )


def _headline_counts(record: RunRecord) -> list[tuple[str, str]]:
    """(label, count key) of the numbers a run shows first."""
    if _to_file(record):
        return [("Written" if record.mode == "run" else "Would write", "written"), ("Failures", "failed")]
    if record.mode == "dry-run":
        headline = [
            ("Would create", "wouldCreate"),
            ("Would change", "wouldChange"),
            ("Would delete", "wouldDelete"),
        ]
    else:
        headline = [("Created", "created"), ("Updated", "updated"), ("Deleted", "deleted")]
    return [*headline, ("Unchanged", "unchanged"), ("Failures", "failed")]


def _numbers(record: RunRecord) -> None:
    counts, report = record.counts, record.report or {}
    headline = _headline_counts(record)
    for col, (label, name) in zip(st.columns(len(headline)), headline, strict=True):
        col.metric(label, f"{counts.get(name, 0):,}")
    verb = _written(record) + (" so far" if record.outcome == "running" else "")
    st.markdown(
        f"Listed **{counts.get('listed', 0):,}** pipelines, **{counts.get('kept', 0):,}** kept by the filters, "
        f"**{int(report.get('filtered', 0)):,}** filtered out. **{counts.get('statuses', 0):,}** pipeline statuses "
        f"and **{counts.get('lineageEdges', 0):,}** lineage edges {verb}."
    )


#: the counts of what a real run wrote (any of them above zero: it wrote something)
_WRITE_COUNTS = ("created", "updated", "deleted", "written", "statuses", "lineageEdges")


def _where_verb(record: RunRecord) -> str:
    """Where-it-writes in the run's tense: a live run in the present, a finished or stopped one in the past.

    A dry run "would write" while it goes and "would have written" once over; a real run "writes", then
    "wrote", or "wrote nothing" when it ended early with no write counted ("was writing" when it counted
    nothing at all: it may have written before it ended).
    """
    dry = record.mode == "dry-run"
    if record.outcome == "running":
        return "Would write" if dry else "Writes"
    if dry:
        return "Would have written"
    if record.outcome in ("ok", "failed") or any(record.counts.get(name, 0) for name in _WRITE_COUNTS):
        return "Wrote"
    return "Wrote nothing" if record.counts else "Was writing"


def _where(report: dict[str, Any], record: RunRecord) -> None:
    target = report.get("target")
    if not isinstance(target, dict) or not target.get("location"):
        return
    verb = _where_verb(record)
    service = f" as service `{report['service']}`" if report.get("service") else ""
    if target.get("kind") == "file":
        st.markdown(f":material/description: {verb} to the file `{target['location']}`.")
    else:
        ui_url = om_ui_url(str(target["location"]))
        st.markdown(f":material/hub: {verb} to OpenMetadata at [{ui_url}]({ui_url}){service}.")


def _pipelines(report: dict[str, Any], key: str) -> None:
    rows = outcome_rows(report)
    if "pipelines" not in report:
        st.caption("This report has no per-pipeline list (it was made by an older version).")
        _failures(report)
        return
    if not rows:
        st.caption("No pipeline was processed.")
        return
    present = [label for label in OUTCOME_LABELS.values() if any(row["outcome"] == label for row in rows)]
    counts = {label: sum(1 for row in rows if row["outcome"] == label) for label in present}
    show = st.selectbox(
        "Show",
        ["all", *present],
        format_func=lambda o: f"All outcomes ({len(rows):,})" if o == "all" else f"{o} ({counts[o]:,})",
        key=f"{key}_filter",
    )
    shown = rows if show == "all" else [row for row in rows if row["outcome"] == show]
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        key=f"{key}_pipelines",
        column_config={
            # pixel widths that fit "would change" and "DLT pipeline", and keep the link in view on a
            # laptop screen (named widths put it past the right edge, behind a horizontal scroll)
            "outcome": st.column_config.TextColumn("Outcome", width=110),
            "pipeline": st.column_config.TextColumn("Pipeline", width=260),
            "kind": st.column_config.TextColumn("Kind", width=100),
            "details": st.column_config.TextColumn("Changes or reason", width=300),
            "link": st.column_config.LinkColumn("In OpenMetadata", display_text="Open", width=110),
        },
    )
    omitted = int(report.get("pipelinesOmitted") or 0)
    if omitted:
        st.caption(f"{omitted:,} more pipelines are not listed (the report keeps the first {len(rows):,}).")


def _failures(report: dict[str, Any]) -> None:
    failures = report.get("failures") or []
    if failures:
        st.dataframe(
            [
                {
                    "pipeline": f.get("name") or f.get("pipeline") or "(whole run)",
                    "phase": f.get("phase"),
                    "reason": f.get("reason"),
                }
                for f in failures
            ],
            hide_index=True,
            width="stretch",
        )


def _warnings(report: dict[str, Any]) -> None:
    warnings = report.get("warnings") or []
    if warnings:
        with st.expander(f"Warnings ({int(report.get('warningCount', len(warnings))):,})"):
            for warning in warnings[:200]:
                st.markdown(f"- {warning}")


#: the run history's number columns: (column, header, a real run's count key, a dry run's, tooltip)
_HISTORY_NUMBERS = (
    (
        "created",
        "Created",
        "created",
        "wouldCreate",
        'Pipelines created (a dry run: "would", that it would create; a file sink: written).',
    ),
    (
        "updated",
        "Updated",
        "updated",
        "wouldChange",
        'Pipelines updated (a dry run: "would", that would change).',
    ),
    (
        "deleted",
        "Deleted",
        "deleted",
        "wouldDelete",
        'Pipelines soft-deleted (a dry run: "would", that it would delete).',
    ),
    ("unchanged", "Unchanged", "unchanged", "unchanged", "Pipelines OpenMetadata already held as they are."),
    (
        "failed",
        "Failures",
        "failed",
        "failed",
        "Pipelines (or phases) that failed, with reasons in the run's report.",
    ),
)
#: the columns a dry run only foresees (its counts read "would …"); the others it knows as a real run does
_WOULD_COLUMNS = ("created", "updated", "deleted")
#: a count the run did not record (it could not start, or runs and has no checkpoint yet)
NO_COUNT = "\u2013"


def _history_row(record: RunRecord) -> dict[str, Any]:
    """One run in the history table: counts as text, a dry run's foreseen ones as "would …".

    A run that recorded no numbers (it could not start, or it runs and saved no checkpoint yet) shows an en
    dash in each; a running one with a checkpoint shows the numbers as of then.
    """
    counts = record.counts
    known = record.report is not None or bool(counts)
    dry = record.mode == "dry-run"
    row: dict[str, Any] = {
        "started": f"{at_time(record.started_at)} ({ago(record.started_at)})",
        "duration": _duration(record.duration_s),
        "mode": "dry run" if dry else "run",
        "outcome": _RUN_OUTCOMES.get(record.outcome, record.outcome),
    }
    if record.checkpoint_at is not None:  # numbers as of its last checkpoint: it went on after it
        row["duration"] = f"≥ {_duration(record.checkpoint_at - record.started_at)}"
        if record.outcome == "stopped":
            row["outcome"] = "server stopped"
    if record.outcome == "running":
        row["duration"] = f"{_duration(max(0.0, time.time() - record.started_at))} so far"
    keys = {column: dry_key if dry else real for column, _, real, dry_key, _ in _HISTORY_NUMBERS}
    if _to_file(record):  # a file is written anew each run: every pipeline written is a create
        keys["created"] = "written"
    for column, key in keys.items():
        if not known:
            row[column] = NO_COUNT
            continue
        count = f"{int(counts.get(key, 0)):,}"
        row[column] = f"would {count}" if dry and column in _WOULD_COLUMNS else count
    return row


def render_history(records: list[RunRecord], *, key: str = "run_history") -> str | None:
    """The ingestion's runs, newest first, and a choice to open one; returns the chosen run's id.

    Args:
        records: the runs (from ``RunHistory.list_runs``).
        key: widget key prefix.
    """
    if not records:
        st.caption("No finished run of this ingestion yet.")
        return None
    # text, right-aligned: a count, "would <count>" for a dry run, or an en dash when none was recorded
    numbers = {
        column: st.column_config.TextColumn(header, help=tooltip, alignment="right", width=95)
        for column, header, _, _, tooltip in _HISTORY_NUMBERS
    }
    st.dataframe(
        [_history_row(record) for record in records],
        hide_index=True,
        width="stretch",
        key=f"{key}_table",
        column_config={
            "started": st.column_config.TextColumn("Started", width="medium"),
            "duration": st.column_config.TextColumn("Duration", width=120),
            "mode": st.column_config.TextColumn("Mode", width="small"),
            # wide enough for its longest value, "finished with failures"
            "outcome": st.column_config.TextColumn("Outcome", width=170),
            **numbers,
        },
    )
    by_id = {record.run_id: record for record in records}
    chosen: str | None = st.selectbox(
        "Open a run",
        list(by_id),
        index=None,
        placeholder="Choose a run to see its full report and log",
        format_func=lambda run_id: (
            f"{at_time(by_id[run_id].started_at)} · {'dry run' if by_id[run_id].mode == 'dry-run' else 'run'} · "
            f"{_RUN_OUTCOMES.get(by_id[run_id].outcome, by_id[run_id].outcome)} · {run_id[:8]}"
        ),
        key=f"{key}_open",
    )
    return chosen
