"""``dbx-pipeline bench``: a full ingestion against emulators with a given size and latency, measured.

The emulators run in their own processes (``dbx-pipeline emulate``), so the peak RSS printed is the
engine's alone and the engine's threads do not share a GIL with the servers. The floor is what the
network alone forces for this workload: the sequential listing pages, and every per-pipeline call
(runs pages, pipeline PUT, status PUT, lineage lookups and writes) spread over the workers, each costing
one latency. Our time divided by it says how close to the network's limit the engine runs.
"""

from __future__ import annotations

import math
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import requests

__all__ = ["BenchResult", "BenchSpec", "format_preview", "format_table", "run_bench", "run_preview_bench"]

PAGE = 100


@dataclass(frozen=True)
class BenchSpec:
    """The workload and the engine settings."""

    jobs: int = 2000
    tasks: int = 3
    runs: int = 5
    pipelines: int = 0
    latency_ms: float = 50.0
    workers: int = 16
    seed: int = 0
    lineage: bool = True
    lookback_days: int = 7
    #: ``workflowConfig.config.statusSource``; the floor below models the REST path
    status_source: str = "rest"


@dataclass
class BenchResult:
    """What one benchmark run measured."""

    spec: BenchSpec
    wall_s: float
    databricks_calls: int
    openmetadata_calls: int
    peak_rss_mb: float
    floor_s: float
    report: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (``bench --json``)."""
        return {
            "spec": vars(self.spec), "wall_s": round(self.wall_s, 3), "floor_s": round(self.floor_s, 3),
            "x_floor": round(self.vs_floor, 3), "peak_rss_mb": round(self.peak_rss_mb, 1),
            "databricks_calls": self.databricks_calls, "openmetadata_calls": self.openmetadata_calls,
            "report": self.report,
        }  # fmt: skip

    @property
    def jobs_per_s(self) -> float:
        """Pipelines ingested per second."""
        return self.spec.jobs / self.wall_s if self.wall_s else 0.0

    @property
    def vs_floor(self) -> float:
        """Wall time as a multiple of the floor."""
        return self.wall_s / self.floor_s if self.floor_s else math.inf


class _Emulator:
    """One emulator in a child process, stopped on exit."""

    def __init__(self, target: str, spec: BenchSpec) -> None:
        args = [
            sys.executable, "-m", "core.cli", "emulate", target,
            "--jobs", str(spec.jobs), "--tasks", str(spec.tasks), "--runs", str(spec.runs),
            "--pipelines", str(spec.pipelines), "--latency-ms", str(spec.latency_ms), "--seed", str(spec.seed),
        ]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline() if self.process.stdout else ""
        if " on " not in line:
            self.process.kill()
            raise RuntimeError(
                f"the {target} emulator did not start: {self.process.stderr.read() if self.process.stderr else ''}"
            )
        self.url = line.split(" on ", 1)[1].split(" ", 1)[0]

    def calls(self) -> int:
        return int(requests.get(f"{self.url}/_emulator/calls", timeout=10).json()["total"])

    def reset(self) -> None:
        requests.post(f"{self.url}/_emulator/reset", timeout=10)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _config(spec: BenchSpec, databricks_url: str, openmetadata_url: str) -> dict[str, Any]:
    # Imported here, not at the top: the engine's modules load no emulator until one is used.
    from core.emulators.openmetadata import DEFAULT_JWT

    source_config: dict[str, Any] = {
        "type": "PipelineMetadata",
        "statusLookbackDays": spec.lookback_days,
        "includeLineage": spec.lineage,
        "markDeletedPipelines": True,
        "lineageInformation": {"dbServiceNames": ["unity_catalog"]},
    }
    return {
        "source": {
            "type": "databrickspipeline",
            "serviceName": "bench",
            "serviceConnection": {
                "config": {
                    "type": "DatabricksPipeline",
                    "hostPort": databricks_url,
                    "authType": {"token": "dapi-emulator-token"},
                    "httpPath": "/sql/1.0/warehouses/emulatorwh",
                }
            },
            "sourceConfig": {"config": source_config},
        },
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {
            "loggerLevel": "WARN",
            "config": {"statusSource": spec.status_source},
            "openMetadataServerConfig": {
                "hostPort": f"{openmetadata_url}/api",
                "authProvider": "openmetadata",
                "securityConfig": {"jwtToken": DEFAULT_JWT},
            },
        },
    }


def floor_seconds(spec: BenchSpec, report: dict[str, Any], setup_calls: int = 4) -> float:
    """The time the network alone forces on this workload (see the module docstring)."""
    latency = spec.latency_ms / 1000.0
    listing = math.ceil(max(spec.jobs, 1) / PAGE) + math.ceil(max(spec.pipelines, 1) / PAGE)
    pipelines = report.get("kept", spec.jobs + spec.pipelines)
    runs_pages = pipelines * max(1, math.ceil(spec.runs / 25))
    status_puts = pipelines if spec.runs else 0
    pipeline_puts = report.get("created", 0) + report.get("updated", 0) + report.get("unchanged", 0)
    lineage_calls = report.get("lineageEdges", 0) + report.get("tableLookups", 0)  # each distinct table once
    per_pipeline = runs_pages + status_puts + pipeline_puts + lineage_calls
    return float((setup_calls + max(listing, per_pipeline / spec.workers)) * latency)


def run_bench(spec: BenchSpec) -> BenchResult:
    """Start both emulators, run one full ingestion, and measure it."""
    from core.workflow import Workflow

    databricks = _Emulator("databricks", spec)
    openmetadata = _Emulator("openmetadata", spec)
    try:
        databricks.reset()
        openmetadata.reset()
        workflow = Workflow.create(_config(spec, databricks.url, openmetadata.url), workers=spec.workers)
        started = time.perf_counter()
        report = workflow.execute()
        wall = time.perf_counter() - started
        summary = report.as_dict()
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return BenchResult(
            spec=spec,
            wall_s=wall,
            databricks_calls=databricks.calls(),
            openmetadata_calls=openmetadata.calls(),
            peak_rss_mb=peak_kb / 1024.0,
            floor_s=floor_seconds(spec, summary),
            report=summary,
        )
    finally:
        databricks.close()
        openmetadata.close()


def format_table(results: list[BenchResult]) -> str:
    """A plain-text table, one row per run."""
    header = (
        "jobs", "tasks", "runs", "latency ms", "workers", "Databricks calls", "OpenMetadata calls",
        "wall s", "jobs/s", "peak RSS MB", "floor s", "x floor", "failures",
    )  # fmt: skip
    rows = [header]
    for r in results:
        s = r.spec
        rows.append((
            str(s.jobs), str(s.tasks), str(s.runs), f"{s.latency_ms:g}", str(s.workers), str(r.databricks_calls),
            str(r.openmetadata_calls), f"{r.wall_s:.1f}", f"{r.jobs_per_s:.0f}", f"{r.peak_rss_mb:.0f}",
            f"{r.floor_s:.1f}", f"{r.vs_floor:.2f}", str(len(r.report.get("failures", []))),
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def run_preview_bench(spec: BenchSpec) -> dict[str, Any]:
    """Time the filter preview of a workspace, with and without task details, against its floor.

    The floor is the sequential listing pages (100 jobs each) times the latency: a listing cannot be
    parallelised because each page token comes from the previous page.
    """
    from core.config import parse_workflow_config
    from core.factory import create_source
    from core.preview import iter_preview

    databricks = _Emulator(
        "databricks", BenchSpec(jobs=spec.jobs, tasks=spec.tasks, runs=0, latency_ms=spec.latency_ms)
    )
    try:
        config = parse_workflow_config(_config(spec, databricks.url, "http://127.0.0.1:9/api"))
        source = create_source(config, lineage=False).source
        floor = (math.ceil(spec.jobs / PAGE) + 1) * spec.latency_ms / 1000.0  # + the DLT listing page
        result: dict[str, Any] = {
            "jobs": spec.jobs,
            "latency_ms": spec.latency_ms,
            "floor_s": round(floor, 2),
        }
        for label, with_tasks in (("names_only", False), ("with_tasks", True)):
            started = time.perf_counter()
            first = None
            rows = 0
            for _row in iter_preview(config, source, with_tasks=with_tasks):
                rows += 1
                if first is None:
                    first = time.perf_counter() - started
            wall = time.perf_counter() - started
            result[label] = {
                "rows": rows,
                "first_row_s": round(first or 0.0, 3),
                "wall_s": round(wall, 2),
                "x_floor": round(wall / floor, 2) if floor else None,
            }
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)
        return result
    finally:
        databricks.close()


def format_preview(result: dict[str, Any]) -> str:
    """The preview benchmark as a small table."""
    lines = [f"preview of {result['jobs']} jobs at {result['latency_ms']:g} ms: floor {result['floor_s']} s"]
    lines.append(f"{'mode':<12} {'rows':>7} {'first row s':>12} {'wall s':>8} {'x floor':>8}")
    for mode in ("names_only", "with_tasks"):
        row = result[mode]
        lines.append(
            f"{mode:<12} {row['rows']:>7} {row['first_row_s']:>12} {row['wall_s']:>8} {row['x_floor']:>8}"
        )
    return "\n".join(lines)
