"""The generated bundle (workflow YAML, DAG, deploy README), byte for byte, for a matrix of inputs.

Each case is one directory under ``tests/data/dags/`` holding exactly the files :func:`render_bundle`
returns. The cases cover every branch of the generators: both YAML dialects, both engines, the four
secret sources, schedules (default, preset, alias, cron, on demand) in several timezones, retries, owners,
tags, e-mail settings, a custom YAML file name, the file sink, and a service name that forces ``DOC_MD``
into ``repr`` form, an interpreter named for the engine, an offline wheelhouse, a deadline alert, and DAGs of several
workspaces (one mapped task and one YAML each, secrets named per workspace). ``start_date`` is always
given, the README's next runs are computed from a fixed moment and the engine's wheel is a stand-in of a
fixed name and size, so the files depend neither on the day the test runs nor on the engine's source.

``UPDATE_GOLDEN=1 python -m pytest tests/generate/test_golden_bundles.py`` rewrites the golden files.
Only do that for a change whose new output you have read (``git diff tests/data/dags``) and meant: a
restructuring of the generators must leave every file as it is.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import core.generate.bundle
from core.config import WorkflowConfig, parse_workflow_config
from core.generate.bundle import load_config_for_generate, render_bundle
from core.generate.dag import DEFAULT_WHEEL_NAME, DagOptions
from core.generate.schedule import next_runs
from core.generate.wheel import EngineWheel
from core.generate.yaml_render import Dialect

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "dags"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
#: the README's "next runs" are counted from here (a Monday; Europe's clocks change on 29 March 2026)
NOW = datetime(2026, 3, 23, 12, 0, tzinfo=ZoneInfo("UTC"))
START = date(2026, 1, 5)
#: the engine's wheel as the README names it (its real size changes with every change of the engine)
WHEEL = EngineWheel(DEFAULT_WHEEL_NAME, bytes(370_000))


@dataclass(frozen=True)
class Case:
    """One bundle: which config (see :func:`_config`), the YAML dialect and the ``DagOptions``."""

    config: str
    options: dict[str, Any] = field(default_factory=dict)
    dialect: Dialect = "2.x"
    #: more workspaces of the same DAG: (service name, Databricks address) each, same credentials' kind
    more_workspaces: tuple[tuple[str, str], ...] = ()


CASES: dict[str, Case] = {
    "core-env-defaults": Case("pat", {}),
    "core-env-docs-1x": Case("docs", {"dag_id": "docs_example"}, dialect="1.x"),
    "core-variable-weekly-berlin": Case(
        "oauth",
        {
            "dag_id": "team.dbx-pipelines",
            "secrets": "variable",
            "schedule": "weekly",
            "timezone": "europe/berlin",
            "owner": "analytics",
            "retries": 0,
            "retry_delay_minutes": 0,
            "tags": ["catalog", "prod"],
        },
    ),
    "core-connection-cron-new-york": Case(
        "oauth-headers",
        {
            "dag_id": "dbx_connection",
            "secrets": "connection",
            "schedule": "*/30 6-18 * * mon-fri",
            "timezone": "America/New_York",
            "start_date": date(2026, 3, 1),
            "retries": 4,
            "retry_delay_minutes": 10,
            "execution_timeout_minutes": 45,
            "email": ["oncall@example.com", " data@example.com ", " "],
            "email_on_failure": True,
            "email_on_retry": True,
            "yaml_filename": "prod_workflow.yml",
            "deadline_minutes": 90,
        },
    ),
    "core-inline-on-demand": Case("pat", {"dag_id": "dbx_inline", "secrets": "inline", "schedule": None}),
    "core-env-azure-file-sink": Case(
        "azure-file",
        {"dag_id": "dbx_file", "schedule": "@daily", "timezone": "Asia/Tokyo", "tags": []},
    ),
    "core-env-email-without-alerts": Case(
        "backslash",
        {"dag_id": "dbx_backslash", "schedule": "monthly", "email": ["a@example.com"]},
    ),
    "core-python-interpreter": Case(
        "pat", {"dag_id": "dbx_external", "python": "/opt/dbx-pipeline/bin/python", "secrets": "variable"}
    ),
    "core-env-offline-wheelhouse": Case(
        "pat", {"dag_id": "dbx_offline", "wheelhouse": "/srv/airflow/wheels"}
    ),
    "core-env-three-workspaces": Case(
        "pat",
        {"dag_id": "dbx_fleet", "schedule": "hourly"},
        more_workspaces=(
            ("sales.databricks", "https://adb-2222222222222222.2.azuredatabricks.net"),
            ("hr-workspace", "https://dbc-hr-0001.cloud.databricks.com"),
        ),
    ),
    "core-connection-two-workspaces-on-demand": Case(
        "oauth-headers",
        {
            "dag_id": "dbx_pair",
            "secrets": "connection",
            "schedule": None,
            "deadline_minutes": 30,
            "email": ["oncall@example.com"],
        },
        more_workspaces=(("finance", "https://dbc-finance.cloud.databricks.com"),),
    ),
    "openmetadata-env-hourly": Case(
        "pat", {"dag_id": "om_env", "engine": "openmetadata", "schedule": "hourly"}
    ),
    "openmetadata-variable-build-version": Case(
        "azure",
        {
            "dag_id": "om_variable",
            "engine": "openmetadata",
            "secrets": "variable",
            "openmetadata_version": "2.0.7.0",
            "schedule": "0 3 * * *",
            "timezone": "Europe/Berlin",
        },
    ),
    "openmetadata-connection-on-demand": Case(
        "oauth-headers",
        {
            "dag_id": "om_connection",
            "engine": "openmetadata",
            "secrets": "connection",
            "schedule": "on demand",
            "owner": "platform team",
            "email": ["oncall@example.com"],
            "email_on_retry": True,
        },
    ),
    "openmetadata-inline-1x": Case(
        "pat",
        {
            "dag_id": "om_inline_1x",
            "engine": "openmetadata",
            "secrets": "inline",
            "openmetadata_version": "1.9.12",
            "execution_timeout_minutes": 1,
        },
        dialect="1.x",
    ),
}


def _config(kind: str, rich_raw: Callable[..., dict[str, Any]], docs_example: Path) -> WorkflowConfig:
    if kind == "docs":
        return load_config_for_generate(docs_example, secrets="env")
    return parse_workflow_config(_raw(kind, rich_raw))


def _raw(kind: str, rich_raw: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    auth = kind.split("-")[0] if kind != "backslash" else "pat"
    raw = rich_raw(auth, extra_headers=kind.endswith("-headers"))
    if kind.endswith("-file"):
        raw["sink"] = {"type": "file", "config": {"filename": "pipelines.jsonl"}}
        del raw["workflowConfig"]["openMetadataServerConfig"]
    if kind == "backslash":
        raw["source"]["serviceName"] = "prod\\databricks"
    if kind not in ("oauth", "azure-file"):  # the openmetadata engine's connector needs https on 443
        raw["source"]["serviceConnection"]["config"]["hostPort"] = (
            "https://dbc-1234abcd-5678.cloud.databricks.com"
        )
    return raw


def _configs(case: Case, rich_raw: Callable[..., dict[str, Any]]) -> list[WorkflowConfig]:
    """The case's workspaces: its config, then one per ``more_workspaces`` entry."""
    configs = [parse_workflow_config(_raw(case.config, rich_raw))]
    for service, host in case.more_workspaces:
        raw = _raw(case.config, rich_raw)
        raw["source"]["serviceName"] = service
        raw["source"]["serviceConnection"]["config"]["hostPort"] = host
        configs.append(parse_workflow_config(raw))
    return configs


@pytest.mark.parametrize("name", sorted(CASES))
def test_bundle_matches_its_golden_files(
    name: str,
    rich_raw: Callable[..., dict[str, Any]],
    docs_example: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(core.generate.bundle, "next_runs", functools.partial(next_runs, now=NOW))
    monkeypatch.setattr(core.generate.bundle, "engine_wheel", lambda: WHEEL)
    case = CASES[name]
    options = DagOptions(**{"start_date": START, **case.options})
    if case.more_workspaces:
        files = render_bundle(_configs(case, rich_raw), options, dialect=case.dialect)
    else:
        files = render_bundle(_config(case.config, rich_raw, docs_example), options, dialect=case.dialect)
    folder = GOLDEN / name
    if UPDATE:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.iterdir():
            stale.unlink()
        for file_name, content in files.items():
            (folder / file_name).write_bytes(content.encode("utf-8"))
    assert folder.is_dir(), f"{name}: no golden files (UPDATE_GOLDEN=1)"
    assert sorted(path.name for path in folder.iterdir()) == sorted(files)
    for file_name, content in files.items():
        expected = (folder / file_name).read_bytes().decode("utf-8")
        assert content == expected, f"{name}/{file_name} differs from its golden file"


def test_every_golden_folder_is_a_case() -> None:
    """A case removed from :data:`CASES` must take its golden files with it."""
    assert sorted(path.name for path in GOLDEN.iterdir()) == sorted(CASES)
