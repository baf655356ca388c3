"""Display helpers shared by the pages: bound inputs, secret inputs, step results, tables, navigation.

Why bound inputs: a widget's own state is deleted when its page is not shown, so each input here is
seeded from the :class:`~ui.state.WizardState` when its key is absent and its value is copied back by the
page. Why a dedicated secret input: a stored secret must never be sent back to the browser, so the
password field is emptied as soon as its value is saved server-side and shows "saved" instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import streamlit as st
from pydantic import SecretStr

from ui.fields import FIELD_LABELS, STEPS, WIDGET_PREFIXES, Step, field_for_yaml_path, step_of_field
from ui.state import FiltersStep, get_state

__all__ = [
    "bind",
    "bound",
    "field_error",
    "fmt_count",
    "fmt_seconds",
    "made_when",
    "nav_buttons",
    "page_header",
    "render_checks",
    "render_missing",
    "render_preview",
    "render_report",
    "reseed_widgets",
    "rules_editor",
    "secret_input",
    "step_by_key",
    "step_of_field_key",
]


def step_by_key(key: str) -> Step:
    """The :class:`Step` with this key."""
    return next(step for step in STEPS if step.key == key)


def step_of_field_key(field_id: str) -> str:
    """The key of the step showing ``field_id``; problems no field holds belong to the review step."""
    try:
        return step_of_field(field_id).key
    except KeyError:
        return "review"


def page_header(key: str, intro: str) -> Step:
    """Title and one-line purpose of a step page."""
    step = step_by_key(key)
    st.title(step.title)
    st.caption(f"Step {step.number} of {len(STEPS)} · {intro}")
    return step


def bind(key: str, value: Any) -> None:
    """Seed a widget's key from the wizard state when the widget has no state of its own yet."""
    if key not in st.session_state:
        st.session_state[key] = value


def _target(path: str) -> tuple[Any, str]:
    """The object and attribute a dotted state path (``"databricks.host"``) names, in this session.

    A part after a mapping is its key: ``"workspaces.3.databricks.host"`` is the host of extra workspace 3.

    Raises:
        KeyError: the path names an extra workspace that was removed.
    """
    obj: Any = get_state()
    *parents, attr = path.split(".")
    for name in parents:
        obj = obj[int(name)] if isinstance(obj, dict) else getattr(obj, name)
    return obj, attr


def bound(
    widget: Callable[..., Any],
    label: str,
    key: str,
    path: str,
    *,
    to_widget: Callable[[Any], Any] | None = None,
    from_widget: Callable[[Any], Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Render ``widget`` (st.text_input, st.toggle, ...) as a view of the state value at ``path``.

    The widget is seeded from the state and its ``on_change`` copies the value back, so the state is
    current before the page script runs (errors computed at the top of a page see the latest input) and
    survives page switches. The target is looked up when the callback runs, so replacing parts of the
    state (demo mode, import) never leaves a callback writing into an orphaned object.

    Args:
        widget: the Streamlit widget function; called as ``widget(label, key=key, on_change=..., **kwargs)``.
        label: the widget's label.
        key: the widget's session-state key (its prefix names the step, see ``ui.fields.WIDGET_PREFIXES``).
        path: the dotted attribute path in :class:`ui.state.WizardState` (``"databricks.host"``).
        to_widget: converts the state value to what the widget shows (e.g. None -> the default dialect).
        from_widget: converts the widget's value back before it is stored.
        **kwargs: passed to ``widget`` (``help``, ``options``, ``placeholder``...).

    Returns:
        What ``widget`` returns (the value shown).
    """
    obj, attr = _target(path)
    value = getattr(obj, attr)
    bind(key, to_widget(value) if to_widget else value)

    def copy() -> None:
        try:
            target, name = _target(path)
        except KeyError:  # its workspace was removed in the same rerun
            return
        raw = st.session_state.get(key)
        setattr(target, name, from_widget(raw) if from_widget else raw)

    return widget(label, key=key, on_change=copy, **kwargs)


def reseed_widgets() -> None:
    """Forget every wizard widget's own state so all of them show the wizard state again.

    Called from callbacks that change the state wholesale (demo mode, import, start over).
    """
    for key in list(st.session_state):
        if isinstance(key, str) and key.startswith(tuple(WIDGET_PREFIXES)):
            del st.session_state[key]


def field_error(message: str | None) -> None:
    """The one message at a field, right under it."""
    if message:
        st.error(message, icon=":material/error:")


def _store_secret(path: str, value: SecretStr | None) -> None:
    """Set (or forget, with None) the secret at ``path``; a set secret no longer needs entering again."""
    try:
        target, name = _target(path)
    except KeyError:  # its workspace was removed in the same rerun
        return
    setattr(target, name, value)
    state = get_state()
    if value is not None and path in state.secrets_to_reenter:
        state.secrets_to_reenter.remove(path)


def _commit_secret(key: str, path: str) -> None:
    """The password field's callback: keep the typed value server-side and empty the field."""
    typed = str(st.session_state.get(key) or "").strip()
    st.session_state[key] = ""
    if typed:
        _store_secret(path, SecretStr(typed))


def _use_env(key: str, path: str) -> None:
    """Callback of the environment-variable choice and name: save the name, read the value here."""
    state = get_state()
    if not st.session_state.get(f"{key}_use_env"):
        if state.secret_env.pop(path, None) is not None:
            _store_secret(path, None)
        return
    name = str(st.session_state.get(f"{key}_env") or "").strip()
    if not name:
        return
    from ui.services.saved import resolve_env_secret

    state.secret_env[path] = name
    if resolve_env_secret(state, path) and path in state.secrets_to_reenter:
        state.secrets_to_reenter.remove(path)


def _env_field(label: str, key: str, path: str, help: str, env_name: str) -> None:
    st.text_input(
        f"{label}: environment variable",
        key=f"{key}_env",
        on_change=_use_env,
        args=(key, path),
        help=help + " The variable is read on the wizard's server; only its name is saved.",
        placeholder="e.g. DATABRICKS_TOKEN, then press Enter",
    )
    if env_name:
        from ui.services.saved import env_name_error

        problem = env_name_error(env_name)
        if problem:
            field_error(problem)
        else:
            st.caption(f":material/lock: Read from ${{{env_name}}} on this server; only the name is saved.")


#: Streamlit's password fields have a show-password button inside the field; Tab from the field moves to it,
#: and a value is committed on leaving the field only when focus leaves the whole widget (Streamlit 1.67's
#: TextInput), so a token typed, then Tab, then a click elsewhere was lost. Without the button, Tab leaves
#: the widget and commits like a click elsewhere does.
_NO_PASSWORD_REVEAL = (
    "<style>[data-testid='stTextInputRootElement'] button[aria-label='Show password'],"
    "[data-testid='stTextInputRootElement'] button[aria-label='Hide password']{display:none}</style>"
)


def page_style() -> None:
    """The app's few style rules, once per run (an ``st.html`` of only a style takes no room on the page)."""
    st.html(_NO_PASSWORD_REVEAL)


def _password_field(label: str, key: str, path: str, help: str, *, stored: bool, reenter: bool) -> None:
    bind(key, "")
    st.text_input(
        label,
        key=key,
        type="password",
        on_change=_commit_secret,
        args=(key, path),
        help=help,
        placeholder="saved — leave empty to keep" if stored else "paste it here, then press Enter",
        autocomplete="off",
    )
    if stored:
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.caption(
            ":material/lock: Saved on the server only (in its memory, never on disk), never shown again. "
            "Leave the field empty to keep it."
        )
        right.button(
            "Forget", key=f"{key}_forget", on_click=_store_secret, args=(path, None), type="tertiary"
        )
    elif reenter:
        st.warning(
            "Enter it again: the wizard's server restarted since this ingestion was saved, and secrets are "
            "kept in its memory only.",
            icon=":material/key:",
        )


def secret_input(label: str, key: str, path: str, *, help: str, error: str | None = None) -> None:
    """A password field whose value moves to server-side state on submit and is never shown again.

    The field's own callback stores the typed value as a ``SecretStr`` at ``path`` and empties the field,
    so the browser holds the value only while the user types it; a stored secret is never rendered into
    the page. With a value stored, the placeholder says so and leaving the field empty keeps it.

    Instead of a value, the user may name an environment variable of the wizard's server: its name is
    saved with the ingestion (``state.secret_env``), its value is read on this server and kept in memory
    only. A secret the server lost in a restart says so here (``state.secrets_to_reenter``).

    Args:
        label: the field's label.
        key: the widget's session-state key (emptied after each submit).
        path: the dotted attribute path of the ``SecretStr | None`` in the wizard state (``"sink.jwt"``).
        help: the tooltip: where to find the secret.
        error: the message to show under the field, if any.
    """
    state = get_state()
    obj, attr = _target(path)
    env_name = state.secret_env.get(path, "")
    bind(f"{key}_use_env", bool(env_name))
    bind(f"{key}_env", env_name)
    if st.session_state.get(f"{key}_use_env"):
        _env_field(label, key, path, help, env_name)
    else:
        stored = getattr(obj, attr) is not None
        _password_field(label, key, path, help, stored=stored, reenter=path in state.secrets_to_reenter)
    st.checkbox(
        "Read it from an environment variable of this server",
        key=f"{key}_use_env",
        on_change=_use_env,
        args=(key, path),
        help="For a secret you do not want to paste: name a variable set where the wizard runs.",
    )
    field_error(error)


#: Help of each kind of filter rule.
RULE_KIND_HELP = {
    "include": "Keep only pipelines matching one of these. No include rule = every pipeline is a candidate.",
    "exclude": "Drop pipelines matching any of these, even when an include matches.",
}


def _filters_at(path: str) -> FiltersStep | None:
    """The rules at a state path (``"filters"``, ``"workspaces.3.filters"``), None when gone."""
    try:
        obj, attr = _target(path)
    except KeyError:
        return None
    value = getattr(obj, attr)
    return value if isinstance(value, FiltersStep) else None


def _copy_rule(path: str, rule_id: int, attr: str, key: str) -> None:
    filters = _filters_at(path)
    rule = next((r for r in filters.rules if r.id == rule_id), None) if filters else None
    if rule is not None:
        setattr(rule, attr, st.session_state.get(key) or "")


def _remove_rule(path: str, rule_id: int) -> None:
    filters = _filters_at(path)
    if filters is not None:
        filters.rules[:] = [r for r in filters.rules if r.id != rule_id]


def _add_rule(path: str, kind: Literal["include", "exclude"]) -> None:
    filters = _filters_at(path)
    if filters is not None:
        filters.add(kind)


def rules_editor(
    kind: Literal["include", "exclude"],
    path: str,
    key_prefix: str,
    errors: dict[int, str],
    labels: dict[Any, str],
    regex_of: Callable[[Any, str], str],
) -> None:
    """The include or exclude rules of one filter set: operator, value, the regex written, remove, add.

    Args:
        kind: which rules to edit.
        path: the dotted state path of the :class:`ui.state.FiltersStep` (``"filters"``).
        key_prefix: the widgets' key prefix (``"filter_"``: ``filter_value_3``, ``filter_add_include``).
        errors: rule id -> what is wrong with it (shown under the rule).
        labels: operator -> its label (``services.operator_labels()``).
        regex_of: (operator, value) -> the regex written to the YAML (``services.rule_regex``).
    """
    st.markdown(f"**{kind.title()} rules**", help=RULE_KIND_HELP[kind])
    filters = _filters_at(path)
    rules = [r for r in filters.rules if r.kind == kind] if filters else []
    if not rules:
        st.caption("None: every pipeline is a candidate." if kind == "include" else "None.")
    for number, rule in enumerate(rules, start=1):
        op_key, value_key = f"{key_prefix}op_{rule.id}", f"{key_prefix}value_{rule.id}"
        bind(op_key, rule.operator)
        bind(value_key, rule.value)
        op_col, value_col, remove_col = st.columns([2, 4, 1], vertical_alignment="bottom")
        op_col.selectbox(
            f"{kind.title()} #{number}",
            options=list(labels),
            format_func=labels.__getitem__,
            key=op_key,
            on_change=_copy_rule,
            args=(path, rule.id, "operator", op_key),
        )
        value_col.text_input(
            "Value",
            key=value_key,
            on_change=_copy_rule,
            args=(path, rule.id, "value", value_key),
            placeholder="e.g. etl_" if rule.operator != "regex" else r"e.g. (etl|elt)_\d+",
            help="Plain text for the first four operators (no wildcards needed); a Python regular "
            "expression for 'matches regex'.",
        )
        remove_col.button(
            "", key=f"{key_prefix}remove_{rule.id}", icon=":material/delete:", on_click=_remove_rule,
            args=(path, rule.id), help="Remove this rule",
        )  # fmt: skip
        if rule.value.strip() and rule.id not in errors:
            st.caption(f"Written to the YAML as `{regex_of(rule.operator, rule.value)}`")
        field_error(errors.get(rule.id))
    st.button(
        f"Add {kind} rule",
        key=f"{key_prefix}add_{kind}",
        icon=":material/add:",
        on_click=_add_rule,
        args=(path, kind),
    )


def render_missing(missing: Sequence[str]) -> None:
    """A calm list of the required fields still empty on this step."""
    if missing:
        names = ", ".join(FIELD_LABELS.get(field_id, field_id) for field_id in missing)
        st.info(f"Still needed on this step: {names}.", icon=":material/edit_note:")


def _fix_link(field: str | None) -> None:
    field_id = field_for_yaml_path(field)
    if not field_id:
        return
    try:
        step = step_of_field(field_id)
    except KeyError:
        return
    label = FIELD_LABELS.get(field_id, field_id)
    st.page_link(step.path, label=f"Fix it in step {step.number}: {label}", icon=":material/arrow_forward:")


def render_checks(
    title: str,
    result: Any,
    *,
    stale: bool,
    why: str = "",
    extra: str | None = None,
    fix_links: bool = True,
) -> None:
    """One side's connection test as OpenMetadata-style rows: pass/fail/skip, duration, error, hint.

    Args:
        title: the side tested (``"Databricks"``, ``"OpenMetadata"``).
        result: a :class:`ui.state.CheckResult` (``steps`` with ``ok`` True/False/None), or None if untested.
        stale: True when the settings changed since the test (the result is shown collapsed, marked).
        why: why it is stale (``services.stale_reason``: "the host has changed since"); "" says a setting did.
        extra: Markdown shown under the rows.
        fix_links: link a failed step to the field to fix (off for an extra workspace, whose fields are
            on the review step, not on step 1).
    """
    if result is None:
        st.caption(f"{title}: not tested yet.")
        return
    failed = [step for step in result.steps if step.ok is False]
    state: Literal["error", "complete"] = "error" if failed else "complete"
    passed = sum(1 for step in result.steps if step.ok)
    label = f"{title}: {passed} of {len(result.steps)} checks passed"
    when = made_when(result.finished_at)
    if stale:
        why = why or getattr(result, "stale_reason", "")
        label += " (stale — test again)" if why else " (settings changed since — test again)"
        why = why or "a setting it used has changed since"
        st.warning(
            f"**Stale**: {title} was {when}, and {why}, so this result may no longer hold. Test again.",
            icon=":material/history:",
        )
    else:
        st.caption(f":material/schedule: {title} {when}")
    with st.status(label, state=state, expanded=bool(failed) or not stale):
        for step in result.steps:
            icon = {True: ":green[:material/check_circle:]", False: ":red[:material/cancel:]"}.get(
                step.ok, ":gray[:material/skip_next:]"
            )
            took = fmt_seconds(step.duration_ms / 1000) if step.ok is not None else "didn't run"
            st.markdown(f"{icon} **{step.name}** · {took}  \n{step.detail or ''}")
            if step.ok is False:
                st.error(step.error or "failed", icon=":material/error:")
                if step.hint:
                    st.caption(f":material/lightbulb: {step.hint}")
                if fix_links:
                    _fix_link(step.field)
        if extra:
            st.markdown(extra)


def fmt_count(value: Any) -> str:
    """A count as every table and metric shows it: ``12,345`` (anything else as text)."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def fmt_seconds(seconds: float) -> str:
    """A duration as every page shows it: ``1,234.5 s``, one decimal (``< 0.1 s`` below that)."""
    return "< 0.1 s" if seconds < 0.05 else f"{seconds:,.1f} s"


def ago(epoch: float, now: float | None = None) -> str:
    """How long ago ``epoch`` was, in the wizard's one wording (every relative time on every page uses it).

    ``just now`` (under 10 s), ``42 s ago``, ``3 min ago``, ``2 h ago``, ``1 day ago``, ``3 days ago``: each
    unit counts whole units passed, so a time never reads as later than it was.

    Args:
        epoch: the moment (``time.time()``).
        now: the present (``time.time()`` when None), for tests.
    """
    seconds = max(0.0, (time.time() if now is None else now) - epoch)
    if seconds < 10:
        return "just now"
    if seconds < 60:
        return f"{int(seconds)} s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return f"{days:,} day{'s' * (days != 1)} ago"


def made_when(epoch_s: float, now: float | None = None, verb: str = "tested") -> str:
    """When something was made, relative first, then in UTC: ``tested 3 min ago (2026-11-29 14:03:12 UTC)``.

    The wizard's one clock convention (test results, the start page, the save line): the server's and the
    browser's zones may differ, so absolute times are always UTC and labelled so.

    Args:
        epoch_s: when it finished (``time.time()``).
        now: the present (``time.time()`` when None), for tests.
        verb: the word before the relative time (``"saved"``, ``"modified"``; empty for none).
    """
    return f"{verb} {ago(epoch_s, now)} ({at_time(epoch_s)})".lstrip()


def at_time(epoch: float) -> str:
    """An absolute time for a tooltip or a table, always UTC and labelled: ``2026-11-29 17:55:03 UTC``."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def render_preview(view: Any, height: int = 420) -> None:
    """The preview table: will ingest, name, id, why, kind, tasks, schedule, link."""
    if not view.rows:
        st.caption("No pipelines match the search." if view.total else "Nothing listed yet.")
        return
    st.dataframe(
        view.rows,
        hide_index=True,
        height=height,
        width="stretch",
        column_order=("ingest", "name", "id", "why", "kind", "tasks", "schedule", "link"),
        column_config={
            "ingest": st.column_config.CheckboxColumn(
                "Ingest", width=80, help="Kept by the rules: it will be ingested"
            ),
            "name": st.column_config.TextColumn(
                "Name", width="large", help="The job's name as in Databricks: what the filter rules test"
            ),
            "id": st.column_config.TextColumn("ID", width=110, help="Job id, or DLT pipeline id"),
            "why": st.column_config.TextColumn(
                "Why", width="large", help="Which rule kept or dropped it, or why it cannot be read"
            ),
            "kind": st.column_config.TextColumn("Kind", width=60, help="job, or dlt (a DLT pipeline)"),
            "tasks": st.column_config.TextColumn(
                "Tasks", width=70, help="Task count; 100+ when the listing stops at 100 (the graph reads all)"
            ),
            "schedule": st.column_config.TextColumn(
                "Schedule", width="medium", help="Quartz cron with its timezone, a trigger, or none"
            ),
            "link": st.column_config.LinkColumn(
                "Link", display_text="open", width=60, help="Open it in Databricks"
            ),
        },
    )


def render_report(report: dict[str, Any]) -> None:
    """A run's results: headline numbers, the full table, failures with reasons, warnings."""
    cols = st.columns(6)
    headline = (
        ("Created", report["created"]),
        ("Updated", report["updated"]),
        ("Unchanged", report["unchanged"]),
        ("Statuses", report["statuses"]),
        ("Lineage edges", report["lineageEdges"]),
        ("Failures", len(report["failures"])),
    )
    for col, (label, value) in zip(cols, headline, strict=True):
        col.metric(label, fmt_count(value))
    rows = [
        ("Mode", "dry run: nothing written" if report["dryRun"] else "written"),
        ("Listed", report["listed"]),
        ("Kept by the filters", report["kept"]),
        ("Filtered out", report["filtered"]),
        ("Created", report["created"]),
        ("Updated", report["updated"]),
        ("Unchanged", report["unchanged"]),
        ("Pipeline statuses", report["statuses"]),
        ("Lineage edges", report["lineageEdges"]),
        ("Owners set", report["owners"]),
        ("Tags", report["tags"]),
        ("Soft-deleted", report["deleted"]),
        ("Warnings", report["warningCount"]),
        ("Failures", len(report["failures"])),
        ("Time", fmt_seconds(report["durationSeconds"])),
    ]
    if report.get("deleteSkipped"):
        rows.append(("Deletion skipped", report["deleteSkipped"]))
    st.dataframe(
        [{"what": label, "value": fmt_count(value)} for label, value in rows],
        hide_index=True,
        width="stretch",
        height="content",
        key="run_results_table",
        column_config={
            "what": st.column_config.TextColumn("Result", width="medium"),
            "value": st.column_config.TextColumn("Value", width="large"),
        },
    )
    if report["failures"]:
        st.subheader("Failures")
        st.dataframe(
            [
                {
                    "pipeline": f["pipeline"] or "(whole run)",
                    "name": f["name"] or "",
                    "phase": f["phase"],
                    "reason": f["reason"],
                }
                for f in report["failures"]
            ],
            hide_index=True,
            width="stretch",
            column_config={
                "pipeline": st.column_config.TextColumn("Pipeline", width="small"),
                "name": st.column_config.TextColumn("Name", width="medium"),
                "phase": st.column_config.TextColumn("Phase", width="small"),
                "reason": st.column_config.TextColumn("Reason", width="large", help="What failed, and why"),
            },
        )
    if report["warnings"]:
        with st.expander(f"Warnings ({report['warningCount']:,})"):
            for warning in report["warnings"][:200]:
                st.markdown(f"- {warning}")


def nav_buttons(key: str, *, next_label: str | None = None) -> None:
    """Back / Next at the bottom of a step (the sidebar reaches any step too)."""
    index = next(i for i, step in enumerate(STEPS) if step.key == key)
    st.divider()
    left, _, right = st.columns([1, 3, 1])
    if index > 0:
        previous = STEPS[index - 1]
        if left.button(f"← {previous.title}", key=f"{WIDGET_PREFIXES_BY_STEP[key]}nav_back", width="stretch"):
            st.switch_page(previous.path)
    if index < len(STEPS) - 1:
        following = STEPS[index + 1]
        if right.button(
            next_label or f"{following.title} →",
            key=f"{WIDGET_PREFIXES_BY_STEP[key]}nav_next",
            type="primary",
            width="stretch",
        ):
            st.switch_page(following.path)


#: The first widget prefix of each step, for keys of widgets every page has (the nav buttons).
WIDGET_PREFIXES_BY_STEP = {step: prefix for prefix, step in reversed(list(WIDGET_PREFIXES.items()))}
