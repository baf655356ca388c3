"""``dbx-pipeline bench`` states the model it ran under and a floor that accounts for rate limits."""

from __future__ import annotations

import pytest

from core.bench import BenchResult, BenchSpec, floor_seconds, format_table, rate_floor_seconds
from core.emulators.databricks.limits import DOCUMENTED


def _result(rate_limits: dict[str, float], cost: float | None) -> BenchResult:
    spec = BenchSpec(jobs=2000, workers=16, rate_limits="documented" if rate_limits else "off")
    return BenchResult(
        spec=spec,
        wall_s=120.0,
        databricks_calls=2100,
        openmetadata_calls=6000,
        peak_rss_mb=90.0,
        floor_s=99.0,
        report={"kept": 2000, "failures": []},
        model={
            "databricks": {"latency_ms": 50.0, "rate_limits": rate_limits, "cost_ms_per_entity": None},
            "openmetadata": {"latency_ms": 50.0, "rate_limits": {}, "cost_ms_per_entity": cost},
        },
        throttled={"databricks": 80, "openmetadata": 0},
    )


def test_the_table_states_latency_limits_cost_and_workers_with_calls_per_pipeline() -> None:
    table = format_table([_result(dict(DOCUMENTED), None)])
    assert "Databricks:   50 ms per request; rate limits jobs/get 20/s, jobs/list 20/s," in table
    assert "jobs/runs/list 20/s*" in table and "(*: a figure Databricks does not publish" in table
    assert "OpenMetadata: 50 ms per request; cost per entity none" in table
    header, _, row = table.splitlines()[-3:]
    assert header.split()[:6] == ["run", "statuses", "jobs", "tasks", "runs", "workers"] and "429s" in header
    cells = row.split()
    assert cells[:2] == ["first", "rest"] and cells[5] == "16"  # which run, where statuses came from, workers
    assert "1.05" in cells and "3.00" in cells and "80" in cells  # calls per pipeline each side, the 429s


def test_the_table_says_when_limits_are_off_and_prints_an_openmetadata_cost_when_modelled() -> None:
    table = format_table([_result({}, 12.5)])
    assert "rate limits off" in table and "cost per entity 12.5 ms" in table and "(*" not in table


def test_json_carries_the_model_and_calls_per_pipeline() -> None:
    data = _result(dict(DOCUMENTED), None).as_dict()
    assert data["model"]["databricks"]["rate_limits"] == DOCUMENTED
    assert data["calls_per_pipeline"] == {"databricks": 1.05, "openmetadata": 3.0}
    assert data["throttled"] == {"databricks": 80, "openmetadata": 0}


def test_under_a_limit_of_n_per_second_the_floor_is_the_limited_calls_over_n() -> None:
    # 2,000 runs/list calls at 20 a second: the first 20 pass at once, the rest at the rate
    assert rate_floor_seconds({"jobs/runs/list": 20}, {"jobs/runs/list": 2000}) == pytest.approx(99.0)
    assert rate_floor_seconds({}, {"jobs/runs/list": 2000}) == 0.0
    assert rate_floor_seconds({"jobs/get": 20}, {"jobs/runs/list": 2000}) == 0.0  # never called
    spec = BenchSpec(jobs=2000, runs=5, latency_ms=50, workers=16)
    report = {"kept": 2000, "created": 2000}
    network = floor_seconds(spec, report)
    assert network < 30  # 2,000 x (runs page + pipeline PUT + status PUT) / 16 workers x 50 ms
    limited = floor_seconds(spec, report, limits=dict(DOCUMENTED), route_calls={"jobs/runs/list": 2000})
    assert limited == pytest.approx(99.0)


@pytest.mark.parametrize("command", ["bench", "emulate"])
@pytest.mark.parametrize("value", ["sometimes", "jobs/get=0", "jobs/get=fast"])
def test_a_bad_rate_limits_flag_is_one_line_naming_it(
    command: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.cli import main

    args = [command, *(["databricks"] if command == "emulate" else []), "--rate-limits", value]
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "--rate-limits" in err and "Give off, documented or ROUTE=RPS items" in err


def test_a_rerun_row_says_what_it_wrote_and_its_floor_counts_only_what_it_sent() -> None:
    spec = BenchSpec(jobs=2000, workers=16, runs=5, lineage=False)
    first = {"kept": 2000, "created": 2000, "statuses": 10_000, "failures": []}
    rerun = {"kept": 2000, "unchanged": 2000, "statuses": 0, "statusesSkipped": 10_000, "failures": []}
    # an idle rerun still lists runs (one page per job) but sends no pipeline or status PUT
    assert floor_seconds(spec, rerun) < floor_seconds(spec, first) / 2
    result = _result({}, None)
    result.run, result.report = "rerun", rerun
    row = format_table([result]).splitlines()[-1].split()
    assert row[0] == "rerun" and "0/0/0" in row  # pipelines/statuses/lineage edges written
