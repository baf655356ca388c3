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
