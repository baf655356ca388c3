"""Quartz cron (Databricks) to the five-field cron OpenMetadata shows, keeping timezone and pause state.

Databricks schedules are Quartz: ``sec min hour day-of-month month day-of-week [year]``, ``?`` for "no
specific value", day-of-week 1-7 = SUN-SAT. Standard cron has no seconds, uses ``*`` and 0-6 = SUN-SAT.
OpenMetadata's connector copies the raw Quartz string and drops the timezone and the pause state; the
same "0 0 3 * * ?" then means 03:00 in an unknown zone on a possibly paused job. We convert when the
expression has a standard-cron equivalent, keep the Quartz text otherwise, and always append the zone
and the pause state: ``0 3 * * * (Europe/Berlin)`` or ``0 3 * * * (UTC, paused)``.
"""

from __future__ import annotations

import re

from core.databricks.records import ScheduleRecord, TriggerRecord

__all__ = ["quartz_to_cron", "schedule_interval", "start_mode", "trigger_interval"]

_QUARTZ_ONLY = re.compile(r"[LW#]", re.IGNORECASE)  # Quartz upper-cases the expression
#: day names are removed before looking for L/W/# ("WED" is not the nearest-weekday W)
_DAY_NAMES = re.compile(r"\b(?:SUN|MON|TUE|WED|THU|FRI|SAT)\b", re.IGNORECASE)
_DOW_NUMBER = re.compile(r"\d+")


def _shift_dow(field: str) -> str | None:
    """Quartz day-of-week (1=SUN..7=SAT) to cron (0=SUN..6=SAT); names pass unchanged."""

    def shift(match: re.Match[str]) -> str:
        value = int(match.group())
        return str(value - 1) if 1 <= value <= 7 else "?"

    if "/" in field:  # "1/2" style steps have no faithful translation once shifted
        return None
    shifted = _DOW_NUMBER.sub(shift, field)
    return None if "?" in shifted else shifted


_STEP = re.compile(r"^(\d+)/(\d+)$")


def _steps(field: str, lowest: int, highest: int) -> str:
    """Quartz ``start/step`` to cron ``*/step`` or ``start-highest/step`` (cron needs a range)."""
    match = _STEP.match(field)
    if not match:
        return field
    start, step = int(match.group(1)), match.group(2)
    return f"*/{step}" if start == lowest else f"{start}-{highest}/{step}"


def quartz_to_cron(expression: str) -> str | None:
    """The equivalent five-field cron, or None when standard cron cannot express it."""
    fields = expression.split()
    if len(fields) not in (6, 7):
        return None
    seconds, minutes, hours, day_of_month, month, day_of_week = fields[:6]
    if len(fields) == 7 and fields[6] not in ("*", "?"):
        return None  # a year restriction
    if seconds not in ("0", "00"):
        return None
    if any(_QUARTZ_ONLY.search(_DAY_NAMES.sub("", part)) for part in (day_of_month, day_of_week)):
        return None
    day_of_month = "*" if day_of_month == "?" else _steps(day_of_month, 1, 31)
    minutes, hours, month = _steps(minutes, 0, 59), _steps(hours, 0, 23), _steps(month, 1, 12)
    if day_of_week in ("?", "*"):
        day_of_week = "*"
    else:
        converted = _shift_dow(day_of_week)
        if converted is None:
            return None
        day_of_week = converted
    return " ".join((minutes, hours, day_of_month, month, day_of_week))


def schedule_interval(schedule: ScheduleRecord | None) -> str | None:
    """``scheduleInterval`` text for OpenMetadata, or None for unscheduled jobs."""
    if schedule is None:
        return None
    cron = quartz_to_cron(schedule.quartz_cron) or schedule.quartz_cron
    suffix = f"{schedule.timezone}, paused" if schedule.paused else schedule.timezone
    return f"{cron} ({suffix})"


def trigger_interval(trigger: TriggerRecord) -> str:
    """``scheduleInterval`` text for a job started by a trigger or running continuously.

    ``every 4 hours``, ``on file arrival in s3://landing/``, ``on table update of main.raw.orders``,
    ``continuous``; `` (paused)`` is appended when the trigger or continuous setting is paused. A cron
    entry of ``settings.triggers`` reads like a Quartz schedule (``0 3 * * * (UTC)``).
    """
    if trigger.schedule is not None:
        return schedule_interval(trigger.schedule) or trigger.text
    return f"{trigger.text} (paused)" if trigger.paused else trigger.text


def start_mode(
    schedule: ScheduleRecord | None,
    trigger: TriggerRecord | None,
    triggers: tuple[TriggerRecord, ...] = (),
) -> tuple[str, bool] | None:
    """``(scheduleInterval text, paused)`` for how a job starts, or None for a job started only by hand.

    A Quartz schedule wins (Databricks does not allow a schedule together with a trigger or continuous),
    then the trigger or continuous setting, then the ``triggers`` list: its entries joined with ``; ``,
    paused only when every one is paused.

    Args:
        schedule: ``settings.schedule`` (Quartz cron, timezone, pause status), or None.
        trigger: ``settings.trigger`` or ``settings.continuous``, or None.
        triggers: the entries of ``settings.triggers``.
    """
    if schedule is not None:
        return schedule_interval(schedule) or schedule.quartz_cron, schedule.paused
    if trigger is not None:
        return trigger_interval(trigger), trigger.paused
    if triggers:
        return "; ".join(trigger_interval(each) for each in triggers), all(each.paused for each in triggers)
    return None
