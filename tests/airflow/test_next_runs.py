"""The wizard's "next runs" (core.generate.schedule.next_runs) are the runs real Airflow schedules for the
generated DAG, daylight-saving changes included.

Each case is written as a generated DAG (``schedule="<cron>"``, ``start_date`` in the case's timezone) and
loaded by Airflow's DagBag in the Airflow virtualenv (probe_next_runs.py), whose timetable lists its next
runs. On 3.x a cron string gives ``CronTriggerTimetable`` (and ``CronDataIntervalTimetable`` with
``[scheduler] create_cron_data_intervals = True``); on 2.10 it gives ``CronDataIntervalTimetable``. Both run
on the cron's ticks, so the instants must be the same for all three.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.config import parse_workflow_config
from core.generate.bundle import write_bundle
from core.generate.dag import DagOptions
from core.generate.schedule import next_runs

pytestmark = [pytest.mark.airflow, pytest.mark.timeout(900)]

COUNT = 6

#: (expression, timezone, after this local time). The first four are the reported cases
#: (shared/cases/dst-next-runs), then both changes in other zones and shapes (hourly, every 30 minutes,
#: every 2 hours, weekly and monthly on a change day, a change at midnight, a 30-minute change).
CASES: list[tuple[str, str, str]] = [
    ("0 2 * * *", "Europe/Berlin", "2025-10-24T12:00"),
    ("30 1 * * *", "America/Chicago", "2024-11-01T12:00"),
    ("30 2 * * *", "America/Chicago", "2024-03-08T12:00"),
    ("0 2 * * *", "Europe/Berlin", "2025-03-28T12:00"),
    ("30 1 * * *", "Europe/London", "2025-03-29T12:00"),
    ("30 1 * * *", "Europe/London", "2025-10-25T12:00"),
    ("30 2 * * *", "Australia/Sydney", "2025-10-04T12:00"),
    ("30 2 * * *", "Australia/Sydney", "2025-04-05T12:00"),
    ("15 2 * * *", "Australia/Lord_Howe", "2025-10-04T12:00"),
    ("0 0 * * *", "America/Santiago", "2025-09-05T12:00"),
    ("0 2 * * 0", "Europe/Berlin", "2025-10-20T12:00"),
    ("0 2 * * 0", "Europe/Berlin", "2025-03-24T12:00"),
    ("0 * * * *", "Europe/Berlin", "2025-10-26T00:30"),
    ("0 * * * *", "Europe/Berlin", "2025-03-30T00:30"),
    ("*/30 * * * *", "America/Chicago", "2024-11-03T00:45"),
    ("*/30 * * * *", "America/Chicago", "2024-03-10T01:15"),
    ("15 * * * *", "Australia/Sydney", "2025-04-06T01:20"),
    ("0 */2 * * *", "Europe/Berlin", "2025-10-26T00:30"),
    ("0 1-3 * * *", "America/New_York", "2025-11-01T12:00"),
    ("0 * 1 * *", "Europe/Berlin", "2025-03-02T12:00"),
    ("30 2 1 * *", "America/Chicago", "2024-02-15T12:00"),
    ("0 6 * * *", "Asia/Kolkata", "2025-03-28T12:00"),
]

#: (virtualenv, extra environment, the timetable a cron string gives there)
LINES: dict[str, tuple[str, dict[str, str], str]] = {
    "airflow3": ("airflow3", {}, "CronTriggerTimetable"),
    "airflow3-data-intervals": (
        "airflow3",
        {"AIRFLOW__SCHEDULER__CREATE_CRON_DATA_INTERVALS": "True"},
        "CronDataIntervalTimetable",
    ),
    "airflow2": ("airflow2", {}, "CronDataIntervalTimetable"),
}

WORKFLOW: dict[str, Any] = {
    "source": {
        "type": "databrickspipeline",
        "serviceName": "prod_databricks",
        "serviceConnection": {
            "config": {
                "type": "DatabricksPipeline",
                "hostPort": "adb-1234567890123456.7.azuredatabricks.net:443",
                "authType": {"token": "dapi0f1e2d3c4b5a69788796a5b4c3d2e1f0"},
                "httpPath": "/sql/1.0/warehouses/a1b2c3d4e5f6",
            }
        },
        "sourceConfig": {"config": {"type": "PipelineMetadata"}},
    },
    "sink": {"type": "metadata-rest", "config": {}},
    "workflowConfig": {
        "openMetadataServerConfig": {
            "hostPort": "https://openmetadata.example.com/api",
            "authProvider": "openmetadata",
            "securityConfig": {"jwtToken": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJl"},
        }
    },
}


def case_id(case: tuple[str, str, str]) -> str:
    expression, zone, after = case
    return f"{expression}|{zone}|{after}"


def after_utc(zone: str, after: str) -> datetime:
    return datetime.fromisoformat(after).replace(tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def lookback(expression: str) -> timedelta:
    """How far before ``after`` Airflow starts listing: more than one period of the expression."""
    day_of_month, month = expression.split()[2:4]
    return timedelta(days=8 if day_of_month == month == "*" else 35)


@pytest.fixture(scope="session")
def airflow_runs(
    tmp_path_factory: pytest.TempPathFactory,
    venv_for: Callable[[str], Any],
    airflow_env: Callable[..., dict[str, str]],
    probes: Path,
    timings: Any,
) -> Callable[[str], dict[str, Any]]:
    """``airflow_runs(line)``: one DAG per case, all listed by one process of that Airflow."""
    root = tmp_path_factory.mktemp("next-runs")
    cache: dict[str, dict[str, Any]] = {}
    config = parse_workflow_config(WORKFLOW)

    def probe(line: str) -> dict[str, Any]:
        if line in cache:
            return cache[line]
        venv_name, extra_env, _ = LINES[line]
        venv = venv_for(venv_name)
        base = root / line
        cases = []
        for index, case in enumerate(CASES):
            expression, zone, after = case
            folder = base / f"case{index:02d}"
            options = DagOptions(
                dag_id=f"dst_{index:02d}", schedule=expression, timezone=zone, start_date=date(2024, 1, 1)
            )
            write_bundle(config, options, folder)
            start = after_utc(zone, after)
            cases.append(
                {
                    "id": case_id(case),
                    "folder": str(folder),
                    "after": start.isoformat(),
                    "earliest": (start - lookback(expression)).isoformat(),
                    "count": COUNT,
                }
            )
        (base / "cases.json").write_text(json.dumps(cases))
        out = base / "runs.json"
        home = base / "home"
        home.mkdir()
        result = subprocess.run(
            [str(venv.python), str(probes / "probe_next_runs.py"), str(base / "cases.json"), str(out)],
            capture_output=True,
            text=True,
            # PYTHONPATH="": the generated DAGs must load without this project
            env=airflow_env(home, base, PYTHONPATH="", **extra_env),
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        report = json.loads(out.read_text())
        timings.add(f"next runs on Airflow {report['airflow']} ({line}): {len(CASES)} DAGs x {COUNT} runs")
        cache[line] = report
        return report

    return probe


@pytest.mark.parametrize("case", CASES, ids=case_id)
@pytest.mark.parametrize("line", list(LINES))
def test_next_runs_are_the_runs_airflow_schedules(
    line: str, case: tuple[str, str, str], airflow_runs: Callable[[str], dict[str, Any]]
) -> None:
    expression, zone, after = case
    report = airflow_runs(line)
    assert report["airflow"].startswith("2.10." if line == "airflow2" else "3.")
    entry = report["cases"][case_id(case)]
    assert entry["import_errors"] == {}
    assert (entry["timetable"], entry["expression"], entry["timezone"]) == (LINES[line][2], expression, zone)
    airflow = [datetime.fromisoformat(run) for run in entry["runs"]]
    assert len(airflow) == COUNT

    ours = next_runs(expression, zone, count=COUNT, now=datetime.fromisoformat(after))

    def shown(runs: list[datetime]) -> list[str]:
        return [run.astimezone(ZoneInfo(zone)).isoformat(timespec="minutes") for run in runs]

    assert shown(ours) == shown(airflow)  # local time and UTC offset: the same instants
    assert all(str(run.tzinfo) == zone for run in ours)
