"""``dbx-pipeline bench`` end to end: both emulators in child processes, the model read back from them.

No figure is asserted: figures come from running ``dbx-pipeline bench``, not from tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.emulators.databricks.limits import DOCUMENTED


def test_bench_under_documented_limits_prints_the_model_it_ran_under() -> None:
    command = [
        sys.executable, "-m", "core.cli", "bench", "--jobs", "60", "--tasks", "2", "--runs", "2",
        "--latency-ms", "0", "--workers", "8", "--no-lineage", "--rate-limits", "documented", "--json",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    (result,) = json.loads(done.stdout)
    assert result["spec"]["rate_limits"] == "documented" and result["spec"]["workers"] == 8
    assert result["model"]["databricks"] == {
        "latency_ms": 0.0,
        "rate_limits": DOCUMENTED,
        "cost_ms_per_entity": None,
    }
    assert result["model"]["openmetadata"]["rate_limits"] == {}
    assert result["report"]["kept"] == 60 and not result["report"]["failures"]
    assert result["throttled"]["databricks"] > 0  # 60 runs/list at local speed meet the 20-a-second limit
    assert result["floor_s"] >= (60 - 20) / 20  # the floor accounts for the limit on runs/list
    assert set(result["calls_per_pipeline"]) == {"databricks", "openmetadata"}


def test_bench_startup_times_each_process_to_its_first_databricks_request() -> None:
    """No figure is asserted: the shape, and that the first request it saw is a Databricks one."""
    from core.bench_startup import format_startup, measure_startup

    result = measure_startup(repeats=2, jobs=3)
    assert len(result["seconds"]) == 2 and 0 < result["min_s"] <= result["median_s"]
    assert result["first_path"].startswith("GET /")  # the SDK's first call (host metadata or a listing)
    line = format_startup(result)
    assert "first Databricks request" in line and "\n" not in line


def test_bench_refuses_conflicting_or_empty_options_in_one_line() -> None:
    for args in (["--official", ""], ["--startup", "--rerun"], ["--startup", "--preview"]):
        done = subprocess.run(
            [sys.executable, "-m", "core.cli", "bench", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2 and done.stdout == "", (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and args[0] in done.stderr


def test_an_official_interpreter_that_fails_is_one_line_without_the_workflows_secrets(tmp_path: Path) -> None:
    """A child that echoes the workflow it was given (as a connector may on a validation error), and one
    that prints a JSON line that is no result: each a one-line ConfigError, no token in it."""
    from core.bench_official import run_official
    from core.errors import ConfigError

    token, jwt = "dapi0123456789abcdef", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJl"
    config = {
        "source": {"serviceConnection": {"config": {"hostPort": "h:1", "authType": {"token": token}}}},
        "workflowConfig": {"openMetadataServerConfig": {"securityConfig": {"jwtToken": jwt}}},
    }
    echo, empty = tmp_path / "echo.sh", tmp_path / "empty.sh"
    echo.write_text("#!/bin/sh\ncat >&2\nexit 1\n")
    empty.write_text("#!/bin/sh\necho '{}'\n")
    for script in (echo, empty):
        script.chmod(0o755)
        with pytest.raises(ConfigError) as caught:
            run_official(str(script), "http://127.0.0.1:9", config)
        line = caught.value.one_line()
        assert "\n" not in line and token not in line and jwt not in line and "--official" in line
