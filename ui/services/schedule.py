"""Schedule presets, cron validation, plain-English descriptions and next runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.errors import ConfigError, IngestionError
from ui.fields import FIELD_LABELS, field_for_yaml_path
from ui.state import WizardState


def schedule_cron(state: WizardState) -> str | None:
    """The DAG's cron expression, or None for on demand.

    Raises:
        ConfigError: ``field="schedule"`` for an invalid custom expression.
    """
    from core.generate.schedule import PRESETS, validate_cron

    preset = state.schedule.preset
    if preset == "custom":
        return validate_cron(state.schedule.custom_cron)
    return PRESETS.get(preset, PRESETS["daily"])


def preset_cron(preset: str) -> str | None:
    """The cron expression of a preset (``daily`` -> ``0 2 * * *``); None for on demand, custom or unknown."""
    from core.generate.schedule import PRESETS

    return PRESETS.get(preset) if preset != "custom" else None


def choose_preset(state: WizardState, preset: str) -> None:
    """Switch the schedule to ``preset``; Custom cron starts from the preset it was chosen from.

    A custom expression the user wrote (one that is no preset's) is kept; otherwise the custom field takes
    the previous preset's cron, and that preset is remembered so the page can offer to go back to it.

    Args:
        state: the session's wizard state.
        preset: a key of ``core.generate.schedule.PRESETS``, or ``custom``.
    """
    sched = state.schedule
    previous = sched.preset
    if preset == "custom" and previous != "custom":
        from core.generate.schedule import PRESETS

        start = preset_cron(previous)
        if start and sched.custom_cron.strip() in {cron for cron in PRESETS.values() if cron}:
            sched.custom_cron = start
        sched.custom_from = previous
    sched.preset = preset


def describe_schedule(state: WizardState) -> tuple[str | None, str | None]:
    """(plain-English sentence, None) or (None, the error at the cron field)."""
    from core.generate.schedule import describe_cron

    try:
        return describe_cron(schedule_cron(state)), None
    except ConfigError as err:
        return None, _sentence(err)


def upcoming_runs(state: WizardState, count: int = 5) -> list[datetime]:
    """The next run times in the chosen timezone ([] when on demand or invalid)."""
    from core.generate.schedule import next_runs

    try:
        cron = schedule_cron(state)
        return next_runs(cron, state.schedule.timezone, count) if cron else []
    except ConfigError:
        return []


def timezones() -> list[str]:
    """Every IANA timezone name, UTC first, for the timezone picker."""
    from zoneinfo import available_timezones

    return ["UTC", *sorted(name for name in available_timezones() if name != "UTC")]


def _schedule_errors(state: WizardState) -> dict[str, str]:
    """The schedule step's field errors, each at its own field; ``DagOptions`` is the one set of checks.

    An invalid custom cron expression is reported at the cron field and the other fields are still
    checked (with the DAG on demand), so every wrong field shows at once.
    """
    errors: dict[str, str] = {}
    try:
        schedule = schedule_cron(state)
    except ConfigError as err:
        errors["sched_cron"] = _sentence(err)
        schedule = None
    try:
        _options(state, schedule)
    except ConfigError as err:
        for index, (field, message) in enumerate(err.problems):
            field_id = field_for_yaml_path(field) or "dag_id"
            subject = f"The {FIELD_LABELS.get(field_id, 'value').lower()}"
            problem = ConfigError(message, field=field, hint=err.hint if index == 0 else None)
            errors.setdefault(field_id, _sentence(problem, subject))
    return errors


def _sentence(err: IngestionError, subject: str = "The expression") -> str:
    text = err.message
    if err.message.startswith(("is ", "has ")):
        text = f"{subject} {err.message}"
    text = text[:1].upper() + text[1:]
    if err.hint:
        text = f"{text.rstrip('.')}. {err.hint.rstrip('.')}."
    return text if text.endswith(".") else text + "."


def openmetadata_release(state: WizardState) -> str:
    """The openmetadata-ingestion release the "openmetadata" engine installs.

    Returns:
        The release typed on the schedule step, else the tested server's, else the generator's default.
    """
    from core.generate.options import DEFAULT_OPENMETADATA_VERSION, is_openmetadata_release

    typed = state.schedule.openmetadata_version.strip()
    if typed:
        return typed
    tested = state.om_version
    return tested if tested and is_openmetadata_release(tested) else DEFAULT_OPENMETADATA_VERSION


def dag_options(state: WizardState) -> Any:
    """The generator's ``DagOptions`` from the schedule step.

    Raises:
        ConfigError: ``field="schedule"`` for an invalid custom cron expression, else ``field="dag.<name>"``
            for the first wrong value (every one in ``problems``).
    """
    return _options(state, schedule_cron(state))


def _options(state: WizardState, schedule: str | None) -> Any:
    from core.generate.options import DagOptions

    sched = state.schedule
    return DagOptions(
        dag_id=sched.dag_id.strip(),
        schedule=schedule,
        timezone=sched.timezone,
        start_date=sched.start_date,
        owner=sched.owner.strip(),
        retries=int(sched.retries),
        retry_delay_minutes=int(sched.retry_delay_minutes),
        execution_timeout_minutes=int(sched.execution_timeout_minutes),
        email=sched.email.split(","),  # DagOptions strips each address and drops blank ones
        email_on_failure=sched.email_on_failure,
        email_on_retry=False,
        tags=[t.strip() for t in sched.tags.split(",") if t.strip()],
        engine=sched.engine,
        secrets=sched.secrets,
        openmetadata_version=openmetadata_release(state),
    )
