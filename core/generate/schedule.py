"""Cron schedules for the generated DAG: validate, describe in English, preview the next runs.

Airflow itself evaluates a cron ``schedule=`` with croniter (2.x and 3.x alike), so validating with
croniter here means an expression accepted by the wizard is one Airflow accepts, with the same
extensions (``L``, ``#``, month and day names). croniter's own errors do not say which of the five fields
is wrong, so each field is also checked on its own and the message names it: ``minute field '61' is out of
range 0-59``. The English text comes from cron-descriptor, the library Airflow's UI uses for the same job.
The next runs follow Airflow's own rule for cron timetables across daylight-saving changes (croniter on the
naive local time, then localised as Airflow does): see :func:`next_runs`.
"""

from __future__ import annotations

import difflib
import functools
import re
from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from cron_descriptor import ExpressionDescriptor, Options
from croniter import CroniterBadDateError, croniter

from core.errors import ConfigError

__all__ = [
    "ON_DEMAND",
    "PRESETS",
    "describe_cron",
    "next_runs",
    "resolve_schedule",
    "validate_cron",
    "validate_timezone",
]

#: The wizard's choices. ``None`` is "no schedule": the DAG runs only when triggered.
PRESETS: dict[str, str | None] = {
    "hourly": "0 * * * *",
    "daily": "0 2 * * *",
    "weekly": "0 2 * * 1",
    "monthly": "0 2 1 * *",
    "on demand": None,
}

ON_DEMAND = "On demand: runs only when triggered"

#: Other ways people write "no schedule" (CLI: ``--schedule none``).
_ON_DEMAND_WORDS = frozenset({"on demand", "on-demand", "on_demand", "none", "manual", "never"})

#: croniter's ``@`` aliases written out, so the DAG and the YAML show the real five fields.
_ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}

_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 7),
)
_SHAPE_HINT = "Use five fields: minute hour day-of-month month day-of-week, e.g. 0 2 * * * (02:00 every day)"
_NUMBER = re.compile(r"\d+")
_UTC = ZoneInfo("UTC")


def validate_cron(expression: str) -> str:
    """The expression with whitespace normalised and ``@daily``-style aliases written out.

    Raises:
        ConfigError: ``field="schedule"``, one line naming the field of the expression that is wrong.
    """
    if not isinstance(expression, str) or not expression.strip():
        raise ConfigError("is empty", field="schedule", hint=_SHAPE_HINT)
    text = " ".join(expression.split())
    text = _ALIASES.get(text.lower(), text)
    fields = text.split(" ")
    if len(fields) != len(_FIELDS):
        raise ConfigError(
            f"{text!r} has {len(fields)} field{'s' if len(fields) != 1 else ''}; a cron expression has 5",
            field="schedule",
            hint=_SHAPE_HINT,
        )
    for index, (name, low, high) in enumerate(_FIELDS):
        probe = ["*"] * len(_FIELDS)
        probe[index] = fields[index]
        if not croniter.is_valid(" ".join(probe)):
            raise ConfigError(_field_problem(name, fields[index], low, high), field="schedule")
    if not croniter.is_valid(text):
        raise ConfigError(f"{text!r} is not a valid cron expression", field="schedule", hint=_SHAPE_HINT)
    try:
        croniter(text, datetime(2000, 1, 1)).get_next(datetime)
    except CroniterBadDateError:
        raise ConfigError(
            f"{text!r} never matches a real date (day-of-month and month never meet)",
            field="schedule",
            hint="Pick a day that exists in that month",
        ) from None
    return text


def _field_problem(name: str, value: str, low: int, high: int) -> str:
    """Why one field failed: an out-of-range number when there is one, else the field as a whole."""
    for number in _NUMBER.findall(value):
        if not low <= int(number) <= high and not _is_step(value, number):
            return f"{name} field {number!r} is out of range {low}-{high}"
    return f"{name} field {value!r} is not valid"


def _is_step(value: str, number: str) -> bool:
    """``*/90``: the number after ``/`` is a step, not a value, so its range is not the field's."""
    return any(part.split("/", 1)[1] == number for part in value.split(",") if "/" in part)


def resolve_schedule(value: str | None) -> str | None:
    """A preset name (``daily``, ``on demand``...) or a cron expression, as the DAG's ``schedule``.

    ``None`` and the on-demand words mean no schedule. Used by the CLI's ``--schedule`` and ``DagOptions``.

    Raises:
        ConfigError: ``field="schedule"`` for an invalid cron expression.
    """
    if value is None:
        return None
    key = " ".join(value.split()).lower()
    if key in _ON_DEMAND_WORDS or key == "":
        return None
    if key in PRESETS:
        return PRESETS[key]
    return validate_cron(value)


def describe_cron(expression: str | None) -> str:
    """Plain English for a schedule: ``At 02:00 AM, every day``; ``None`` is on demand.

    Raises:
        ConfigError: for an invalid expression (the description of a wrong one would mislead).
    """
    if expression is None:
        return ON_DEMAND
    text = validate_cron(expression)
    options = Options()
    options.verbose = True
    description: str = ExpressionDescriptor(text, options).get_description()  # cron_descriptor has no types
    return description


def next_runs(expression: str, timezone: str, count: int = 5, now: datetime | None = None) -> list[datetime]:
    """The next ``count`` run times after ``now`` that Airflow schedules, timezone-aware in ``timezone``.

    The cron fields are read in that timezone, as Airflow does for a DAG whose ``start_date`` carries it:
    ``0 2 * * *`` in Europe/Berlin is 02:00 Berlin time in winter and in summer. A naive ``now`` is taken
    to be in ``timezone``. Each run is the one after the previous, by the rule of Airflow's cron timetables
    (``CronMixin._get_next`` in ``airflow/timetables/_cron.py``, the same in 2.10 and 3.x, used by
    ``CronTriggerTimetable``, what ``schedule="<cron>"`` gives on 3.x, and ``CronDataIntervalTimetable``,
    what it gives on 2.x); see :func:`_next_run`. Across daylight-saving changes this means:

    - a daily (fixed-hour) time that happens twice when clocks go back runs once, at the second (standard
      time) occurrence: ``0 2 * * *`` in Berlin on 2025-10-26 is 02:00+01:00 only;
    - a time that does not exist when clocks go forward runs that much later: ``30 2 * * *`` in Chicago on
      2024-03-10 is 03:30-05:00;
    - an expression with ``*`` hours (``0 * * * *``, ``*/30 * * * *``) runs in the repeated hour twice and
      skips the missing one.

    Args:
        expression: a five-field cron expression.
        timezone: an IANA timezone name (``Europe/Berlin``).
        count: how many runs; fewer than 1 gives none.
        now: the instant to start after (the current time when None).

    Returns:
        ``count`` aware datetimes in ``timezone``, strictly increasing.

    Raises:
        ConfigError: invalid expression (``schedule``) or unknown timezone (``timezone``).
    """
    text = validate_cron(expression)
    zone = ZoneInfo(validate_timezone(timezone))
    if count < 1:
        return []
    start = datetime.now(zone) if now is None else now
    current = start.replace(tzinfo=zone) if start.tzinfo is None else start.astimezone(zone)
    every_hour = croniter(text).expanded[1] == ["*"]
    runs = []
    for _ in range(count):
        current = _next_run(text, zone, current, every_hour=every_hour)
        runs.append(current)
    return runs


def _next_run(expression: str, zone: ZoneInfo, current: datetime, *, every_hour: bool) -> datetime:
    """The first run after the aware ``current``, as Airflow's ``CronMixin._get_next`` computes it.

    Airflow (``airflow/timetables/_cron.py``; ``airflow-core/src/airflow/timetables/_cron.py`` on 3.x):
    croniter finds the next match on the NAIVE local wall clock of ``current`` (``make_naive`` drops the
    ``fold``, so a run at the repeated 02:00 is followed by the next day's, not by a second 02:00). Then:

    - hour field not ``*`` (``_covers_every_hour`` false): the naive match is localised with ``make_aware``,
      which sets ``fold=1`` and calls pendulum's ``Timezone.convert``: a repeated wall time is taken at its
      second occurrence, a skipped one is moved forward by the size of the gap;
    - hour field ``*``: the wall-clock distance from ``current`` to the match is added to ``current`` as
      elapsed time (pendulum adds a ``timedelta`` in UTC). This keeps hourly runs in a repeated hour; for a
      match days away across a change it is an hour off, and Airflow runs then too (``0 * 1 * *`` in Berlin
      from 2 March 2025: first run 1 April 01:00, not 00:00).
    """
    naive = current.replace(tzinfo=None, fold=0)
    scheduled = croniter(expression, naive).get_next(datetime)
    if every_hour:
        return (current.astimezone(_UTC) + (scheduled - naive)).astimezone(zone)
    return _localise(scheduled, zone)


def _localise(naive: datetime, zone: ZoneInfo) -> datetime:
    """A local wall time as Airflow's ``make_aware`` reads it (``fold=1``, then pendulum's ``convert``)."""
    before = naive.replace(fold=0, tzinfo=zone).utcoffset()
    after = naive.replace(fold=1, tzinfo=zone).utcoffset()
    if before is not None and after is not None and after > before:  # skipped by clocks going forward
        naive += after - before
    return naive.replace(fold=1, tzinfo=zone)


@functools.lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """Lower-cased IANA name -> canonical name (reading the zone database takes tens of ms)."""
    return {name.lower(): name for name in available_timezones()}


def validate_timezone(name: str) -> str:
    """The canonical IANA name (``europe/berlin`` -> ``Europe/Berlin``).

    Raises:
        ConfigError: ``field="timezone"``, with a did-you-mean for a near miss.
    """
    zones = _zones()
    text = name.strip() if isinstance(name, str) else ""
    if text.lower() in zones:
        return zones[text.lower()]
    if not text:
        raise ConfigError("is empty", field="timezone", hint="Give an IANA name such as UTC or Europe/Berlin")
    close = difflib.get_close_matches(text.lower(), list(zones), n=1, cutoff=0.6)
    hint = f"Did you mean {zones[close[0]]!r}?" if close else "Give an IANA name such as UTC or Europe/Berlin"
    raise ConfigError(f"unknown timezone {text!r}", field="timezone", hint=hint)
