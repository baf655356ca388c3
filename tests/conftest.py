"""Shared fixtures: real emulators on 127.0.0.1 and workflow configs pointing at them; the test tiers.

Every test runs with the ambient ``DATABRICKS_*`` variables removed and ``HOME`` in a temp dir, so
nothing on the machine (a developer's ~/.databrickscfg, a CI secret) can leak into what is tested.

Tiers (markers, registered in pyproject.toml; the README has a table of what each costs): ``slow`` is
everything outside the fast tier (``pytest -m "not slow"``, under a minute on 2 cores): the directories in
``SLOW_DIRS`` and the tests in ``SLOW_TESTS`` (``tests/tiers.py``), each measured at over ~1.5 s.
``airflow``, ``openmetadata_ingestion``, ``browser`` and ``readme`` mark what needs the cached
virtualenvs, Chromium, or Debian's own ``python3``; they are all ``slow`` too.

Paths outside the checkout (``../shared``, OpenMetadata's schemas) come from ``tests/paths.py``. A test
that skips because ``../shared`` is missing is listed in a loud block at the end of the run.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.emulators.databricks import DatabricksEmulator
from core.emulators.openmetadata import DEFAULT_JWT, OpenMetadataEmulator
from core.emulators.workspace import Workspace, WorkspaceSpec
from tests.tiers import OPENMETADATA_INGESTION, SLOW_DIRS, SLOW_TESTS

_ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.resolve()
        try:
            relative = path.relative_to(_ROOT).as_posix()
        except ValueError:
            continue
        parts = relative.split("/")
        markers: list[str] = []
        if len(parts) > 2 and parts[0] == "tests" and parts[1] in SLOW_DIRS:
            markers += ["slow", *SLOW_DIRS[parts[1]]]
        key = f"{relative}::{getattr(item, 'originalname', item.name)}"
        if key in SLOW_TESTS:
            markers.append("slow")
        if any(key.startswith(prefix) for prefix in OPENMETADATA_INGESTION):
            markers.append("openmetadata_ingestion")
        for marker in dict.fromkeys(markers):
            item.add_marker(marker)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for key in list(os.environ):
        if key.startswith(("DATABRICKS_", "ARM_", "AZURE_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture
def workspace() -> Workspace:
    """A small but complete workspace: 30 jobs (one with 120+ tasks), 3 DLT pipelines, 5 runs each."""
    return Workspace(WorkspaceSpec(jobs=30, tasks=4, runs=5, pipelines=3, big_jobs=1, seed=7))


@pytest.fixture
def databricks(workspace: Workspace) -> Iterator[DatabricksEmulator]:
    with DatabricksEmulator(workspace) as server:
        yield server


@pytest.fixture
def openmetadata(workspace: Workspace) -> Iterator[OpenMetadataEmulator]:
    with OpenMetadataEmulator() as server:
        server.seed_from_workspace(workspace)
        yield server


def make_config(
    databricks: DatabricksEmulator,
    openmetadata: OpenMetadataEmulator | None,
    *,
    source: dict[str, Any] | None = None,
    connection: dict[str, Any] | None = None,
    sink: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A 2.x-dialect workflow config for the emulators; ``source``/``connection`` entries override."""
    config: dict[str, Any] = {
        "source": {
            "type": "databrickspipeline",
            "serviceName": "dbx_emulated",
            "serviceConnection": {
                "config": {
                    "type": "DatabricksPipeline",
                    "hostPort": databricks.url,
                    "authType": {"token": databricks.token},
                    "httpPath": f"/sql/1.0/warehouses/{databricks.warehouse_id}",
                    "connectionTimeout": 20,
                    **(connection or {}),
                }
            },
            "sourceConfig": {
                "config": {
                    "type": "PipelineMetadata",
                    "statusLookbackDays": 7,
                    "lineageInformation": {"dbServiceNames": ["unity_catalog"]},
                    **(source or {}),
                }
            },
        },
        "sink": sink or {"type": "metadata-rest", "config": {}},
        "workflowConfig": {"loggerLevel": "INFO"},
    }
    if openmetadata is not None:
        config["workflowConfig"]["openMetadataServerConfig"] = {
            "hostPort": f"{openmetadata.url}/api",
            "authProvider": "openmetadata",
            "securityConfig": {"jwtToken": DEFAULT_JWT},
        }
    return config


def write_config(path: Path, config: dict[str, Any]) -> Path:
    """Write a config as YAML and return the path."""
    path.write_text(yaml.safe_dump(copy.deepcopy(config), sort_keys=False))
    return path


@pytest.fixture
def config(databricks: DatabricksEmulator, openmetadata: OpenMetadataEmulator) -> dict[str, Any]:
    """The default config for the two emulators."""
    return make_config(databricks, openmetadata)


@pytest.fixture
def config_for() -> Any:
    """``make_config`` itself, for tests that need overrides (test modules cannot import conftest)."""
    return make_config


@pytest.fixture
def yaml_file(tmp_path: Path) -> Any:
    """``write_config`` bound to a temp dir: ``yaml_file(config) -> Path``."""
    return lambda config, name="workflow.yaml": write_config(tmp_path / name, config)


@pytest.fixture
def between_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """No pipeline is due for its weekly lineage check (``core.mapping.fingerprint.recheck_due``), so a
    rerun's lineage calls do not depend on the day the test runs."""
    from core.mapping import fingerprint

    monkeypatch.setattr(fingerprint, "recheck_due", lambda _fqn, _now_ms: False)
