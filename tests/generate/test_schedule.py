"""Cron validation, English descriptions, next runs and timezones (core.generate.schedule)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from core.errors import ConfigError
from core.generate.schedule import (
    ON_DEMAND,
    PRESETS,
    describe_cron,
    next_runs,
    resolve_schedule,
    validate_cron,
    validate_timezone,
)


def test_presets_are_the_wizard_choices_and_all_valid() -> None:
    assert PRESETS == {
        "hourly": "0 * * * *",
        "daily": "0 2 * * *",
        "weekly": "0 2 * * 1",
        "monthly": "0 2 1 * *",
        "on demand": None,
    }
    for expression in PRESETS.values():
        if expression is not None:
            assert validate_cron(expression) == expression


@pytest.mark.parametrize(
    ("expression", "normalised"),
    [
        ("0 2 * * *", "0 2 * * *"),
        ("  */15   9-17 * *  mon-fri ", "*/15 9-17 * * mon-fri"),
        ("@daily", "0 0 * * *"),
        ("@HOURLY", "0 * * * *"),
        ("30 6 1,15 * *", "30 6 1,15 * *"),
        ("0 0 L * *", "0 0 L * *"),  # croniter's last-day-of-month, which Airflow accepts too
        ("0 0 * * 7", "0 0 * * 7"),
    ],
)
def test_valid_expressions_are_normalised(expression: str, normalised: str) -> None:
    assert validate_cron(expression) == normalised


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("61 * * * *", "minute field '61' is out of range 0-59"),
        ("0 24 * * *", "hour field '24' is out of range 0-23"),
        ("0 2 32 * *", "day-of-month field '32' is out of range 1-31"),
        ("0 2 0 * *", "day-of-month field '0' is out of range 1-31"),
        ("0 2 * 13 *", "month field '13' is out of range 1-12"),
        ("0 2 * * 8", "day-of-week field '8' is out of range 0-7"),
        ("5,70 * * * *", "minute field '70' is out of range 0-59"),
        ("10-70 * * * *", "minute field '70' is out of range 0-59"),
        ("*/0 * * * *", "minute field '*/0' is not valid"),
        ("0 two * * *", "hour field 'two' is not valid"),
        ("0 2 * *", "has 4 fields; a cron expression has 5"),
        ("0 0 2 * * *", "has 6 fields; a cron expression has 5"),
        ("0 0 30 2 *", "never matches a real date"),
        ("", "is empty"),
    ],
)
def test_invalid_expressions_name_the_field(expression: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_cron(expression)
    assert caught.value.field == "schedule"
    assert message in caught.value.message
    line = caught.value.one_line()
    assert line.startswith("schedule: ") and "\n" not in line


def test_descriptions_are_plain_english() -> None:
    assert describe_cron("0 2 * * *") == "At 02:00 AM, every day"
    assert describe_cron("0 * * * *") == "Every hour, every day"
    assert describe_cron("0 2 * * 1") == "At 02:00 AM, only on Monday"
    assert describe_cron("0 2 1 * *") == "At 02:00 AM, on day 1 of the month"
    assert describe_cron(None) == ON_DEMAND == "On demand: runs only when triggered"
    with pytest.raises(ConfigError):
        describe_cron("0 25 * * *")


def test_next_runs_are_aware_and_follow_the_timezone_across_dst() -> None:
    now = datetime(2026, 3, 27, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    runs = next_runs("0 3 * * *", "Europe/Berlin", now=now)
    assert len(runs) == 5
    assert all(run.tzinfo is not None and run.hour == 3 and run.minute == 0 for run in runs)
    assert [run.day for run in runs] == [28, 29, 30, 31, 1]
    # Summer time starts on 29 March: 03:00 local is 02:00 UTC before and 01:00 UTC after.
    assert runs[0].astimezone(timezone.utc).hour == 2
    assert runs[1].astimezone(timezone.utc).hour == 1
    assert all(later > earlier for earlier, later in itertools.pairwise(runs))


#: (expression, timezone, after this local time, the runs Airflow's cron timetable schedules). The first four
#: are the reported cases (shared/cases/dst-next-runs); all were checked against Airflow 3.3's
#: CronTriggerTimetable (tests/airflow/test_next_runs.py compares with it for real).
DST_RUNS = [
    # clocks go back: a fixed time that happens twice runs once, at the second (standard time) occurrence
    ("0 2 * * *", "Europe/Berlin", "2025-10-24T12:00",
     ["2025-10-25T02:00+02:00", "2025-10-26T02:00+01:00", "2025-10-27T02:00+01:00", "2025-10-28T02:00+01:00"]),
    ("30 1 * * *", "America/Chicago", "2024-11-01T12:00",
     ["2024-11-02T01:30-05:00", "2024-11-03T01:30-06:00", "2024-11-04T01:30-06:00", "2024-11-05T01:30-06:00"]),
    # clocks go forward: a time that does not exist runs as much later as the clocks jumped
    ("30 2 * * *", "America/Chicago", "2024-03-08T12:00",
     ["2024-03-09T02:30-06:00", "2024-03-10T03:30-05:00", "2024-03-11T02:30-05:00", "2024-03-12T02:30-05:00"]),
    ("0 2 * * *", "Europe/Berlin", "2025-03-28T12:00",
     ["2025-03-29T02:00+01:00", "2025-03-30T03:00+02:00", "2025-03-31T02:00+02:00", "2025-04-01T02:00+02:00"]),
    # other zones: London (change at 01:00), the southern hemisphere, a 30-minute change (Lord Howe)
    ("30 1 * * *", "Europe/London", "2025-03-29T12:00", ["2025-03-30T02:30+01:00", "2025-03-31T01:30+01:00"]),
    ("30 1 * * *", "Europe/London", "2025-10-25T12:00", ["2025-10-26T01:30+00:00", "2025-10-27T01:30+00:00"]),
    ("30 2 * * *", "Australia/Sydney", "2025-10-04T12:00", ["2025-10-05T03:30+11:00", "2025-10-06T02:30+11:00"]),
    ("30 2 * * *", "Australia/Sydney", "2025-04-05T12:00", ["2025-04-06T02:30+10:00", "2025-04-07T02:30+10:00"]),
    ("15 2 * * *", "Australia/Lord_Howe", "2025-10-04T12:00", ["2025-10-05T02:45+11:00", "2025-10-06T02:15+11:00"]),
    # weekly, the change day being the day of the week
    ("0 2 * * 0", "Europe/Berlin", "2025-10-20T12:00", ["2025-10-26T02:00+01:00", "2025-11-02T02:00+01:00"]),
    ("0 2 * * 0", "Europe/Berlin", "2025-03-24T12:00", ["2025-03-30T03:00+02:00", "2025-04-06T02:00+02:00"]),
    # hours '*': every hour that happens runs, the repeated one twice, the missing one never
    ("0 * * * *", "Europe/Berlin", "2025-10-26T00:30",
     ["2025-10-26T01:00+02:00", "2025-10-26T02:00+02:00", "2025-10-26T02:00+01:00", "2025-10-26T03:00+01:00"]),
    ("0 * * * *", "Europe/Berlin", "2025-03-30T00:30",
     ["2025-03-30T01:00+01:00", "2025-03-30T03:00+02:00", "2025-03-30T04:00+02:00", "2025-03-30T05:00+02:00"]),
    ("*/30 * * * *", "America/Chicago", "2024-11-03T00:45",
     ["2024-11-03T01:00-05:00", "2024-11-03T01:30-05:00", "2024-11-03T01:00-06:00", "2024-11-03T01:30-06:00",
      "2024-11-03T02:00-06:00"]),
    ("*/30 * * * *", "America/Chicago", "2024-03-10T01:15",
     ["2024-03-10T01:30-06:00", "2024-03-10T03:00-05:00", "2024-03-10T03:30-05:00"]),
    # hours not '*' (every 2 hours): fixed times, so the repeated 02:00 runs once
    ("0 */2 * * *", "Europe/Berlin", "2025-10-26T00:30",
     ["2025-10-26T02:00+01:00", "2025-10-26T04:00+01:00", "2025-10-26T06:00+01:00"]),
    # Airflow's own quirk for '*' hours: the wall-clock distance to a match days away is added as elapsed
    # time, so across the spring change the first run is 01:00, not 00:00 (Airflow runs then too)
    ("0 * 1 * *", "Europe/Berlin", "2025-03-02T12:00", ["2025-04-01T01:00+02:00", "2025-04-01T02:00+02:00"]),
]  # fmt: skip


@pytest.mark.parametrize(("expression", "zone", "after", "expected"), DST_RUNS)
def test_next_runs_across_dst_are_the_runs_airflow_schedules(
    expression: str, zone: str, after: str, expected: list[str]
) -> None:
    runs = next_runs(expression, zone, count=len(expected), now=datetime.fromisoformat(after))
    # isoformat shows the local time and its UTC offset, so both must match
    assert [run.isoformat(timespec="minutes") for run in runs] == expected
    assert all(run.tzinfo == ZoneInfo(zone) for run in runs)
    # instants, not wall clocks: Python compares two times of one zone by their wall clock, ignoring fold
    assert all(later.timestamp() > earlier.timestamp() for earlier, later in itertools.pairwise(runs))


#: The reported cases in UTC (the instants, whatever the offsets are written as).
DST_RUNS_UTC = [
    ("0 2 * * *", "Europe/Berlin", "2025-10-24T12:00",
     ["2025-10-25T00:00", "2025-10-26T01:00", "2025-10-27T01:00", "2025-10-28T01:00"]),
    ("30 1 * * *", "America/Chicago", "2024-11-01T12:00",
     ["2024-11-02T06:30", "2024-11-03T07:30", "2024-11-04T07:30", "2024-11-05T07:30"]),
    ("30 2 * * *", "America/Chicago", "2024-03-08T12:00",
     ["2024-03-09T08:30", "2024-03-10T08:30", "2024-03-11T07:30", "2024-03-12T07:30"]),
    ("0 2 * * *", "Europe/Berlin", "2025-03-28T12:00",
     ["2025-03-29T01:00", "2025-03-30T01:00", "2025-03-31T00:00", "2025-04-01T00:00"]),
]  # fmt: skip


@pytest.mark.parametrize(("expression", "zone", "after", "expected_utc"), DST_RUNS_UTC)
def test_next_runs_across_dst_in_utc(expression: str, zone: str, after: str, expected_utc: list[str]) -> None:
    runs = next_runs(expression, zone, count=4, now=datetime.fromisoformat(after))
    utc = [run.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="minutes") for run in runs]
    assert utc == expected_utc


def test_next_runs_from_a_repeated_hour_or_an_aware_now_in_another_zone() -> None:
    # now in the second 02:xx of Berlin's autumn change (fold=1): the next daily 02:00 is the next day's
    second = datetime(2025, 10, 26, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Berlin"))
    assert [r.isoformat() for r in next_runs("0 2 * * *", "Europe/Berlin", count=1, now=second)] == [
        "2025-10-27T02:00:00+01:00"
    ]
    # the same instant given in UTC
    utc = second.astimezone(timezone.utc)
    assert next_runs("0 * * * *", "Europe/Berlin", count=2, now=utc) == [
        datetime(2025, 10, 26, 3, 0, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(2025, 10, 26, 4, 0, tzinfo=ZoneInfo("Europe/Berlin")),
    ]


def test_next_runs_with_a_naive_or_foreign_now_and_a_count() -> None:
    naive = next_runs("30 * * * *", "Asia/Kolkata", count=3, now=datetime(2026, 1, 1, 10, 45))
    assert [(run.hour, run.minute) for run in naive] == [(11, 30), (12, 30), (13, 30)]
    assert str(naive[0].tzinfo) == "Asia/Kolkata"
    utc_now = datetime(2026, 1, 1, 0, 0, tzinfo=timezone.utc)  # 05:30 in Kolkata
    runs = next_runs("0 6 * * *", "Asia/Kolkata", count=2, now=utc_now)
    assert runs[0] - utc_now == timedelta(minutes=30)
    assert next_runs("0 6 * * *", "UTC", count=0) == []
    assert len(next_runs("0 6 * * *", "UTC")) == 5  # default: from now


def test_next_runs_refuses_bad_input() -> None:
    with pytest.raises(ConfigError) as caught:
        next_runs("0 2 * * *", "Mars/Olympus")
    assert caught.value.field == "timezone"
    with pytest.raises(ConfigError) as caught:
        next_runs("0 2 * * * *", "UTC")
    assert caught.value.field == "schedule"


def test_timezones_are_canonicalised_and_typos_get_a_suggestion() -> None:
    assert validate_timezone("UTC") == "UTC"
    assert validate_timezone("europe/berlin") == "Europe/Berlin"
    assert validate_timezone(" America/New_York ") == "America/New_York"
    with pytest.raises(ConfigError) as caught:
        validate_timezone("Europe/Berln")
    assert caught.value.field == "timezone"
    assert "Did you mean 'Europe/Berlin'?" in caught.value.one_line()
    with pytest.raises(ConfigError, match="unknown timezone"):
        validate_timezone("Nowhere/Special")
    with pytest.raises(ConfigError, match="is empty"):
        validate_timezone("")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("daily", "0 2 * * *"),
        ("Weekly", "0 2 * * 1"),
        ("on demand", None),
        ("none", None),
        ("on-demand", None),
        (None, None),
        ("15 4 * * *", "15 4 * * *"),
    ],
)
def test_resolve_schedule_takes_presets_words_and_cron(value: str | None, expected: str | None) -> None:
    assert resolve_schedule(value) == expected


def test_resolve_schedule_rejects_unknown_words_as_cron() -> None:
    with pytest.raises(ConfigError, match="has 1 field"):
        resolve_schedule("fortnightly")
