"""``dbx-pipeline bench``: a full ingestion against emulators with a given size and latency, measured.

The emulators run in their own processes (``dbx-pipeline emulate``), so the peak RSS printed is the
engine's alone and the engine's threads do not share a GIL with the servers. The floor is what the
network alone forces for this workload: the sequential listing pages, and every per-pipeline call
(runs pages, pipeline PUT, status PUT, lineage lookups and writes) spread over the workers, each costing
one latency; and, under rate limits, each limited endpoint's calls at its documented rate (2,000
``runs/list`` calls at 20 requests per second need 99 s whatever the latency). Our time divided by it says
how close to those limits the engine runs.

The table states the model it ran under, as each emulator reports it (``GET /_emulator/calls``): the
latency per request on each side, the Databricks rate limits (off, or each endpoint's requests per
second), OpenMetadata's cost per entity (``none`` when its emulator models none) and the workers; next to
wall time, peak RSS and the floor it gives the calls per pipeline on each side and the 429s received.
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

from core.errors import ConfigError

__all__ = [
    "BenchResult",
    "BenchSpec",
    "format_preview",
    "format_table",
    "run_bench",
    "run_bench_runs",
    "run_preview_bench",
]

PAGE = 100
#: the Databricks emulator's routes that read runs (429s not included: they are not work done)
RUN_ROUTES = ("jobs/runs/list", "jobs/runs/get")
#: the OpenMetadata emulator's route of a lineage fingerprint stored (``PATCH /v1/pipelines/{id}``)
FINGERPRINT_ROUTE = "PATCH pipelines/id"


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
    rate_limits: str = "off"
    #: OpenMetadata emulator's server time per entity written (``emulate --cost-ms-per-entity``)
    om_cost_ms_per_entity: float = 0.0
    #: ``sink.config.bulk_sink_batch_size`` (None: the sink's default; 1: one PUT per pipeline)
    batch_size: int | None = None
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
    #: what each emulator modelled: side -> {"latency_ms", "rate_limits", "cost_ms_per_entity"}
    model: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: 429s each side answered (requests over a rate limit; counted in the calls above)
    throttled: dict[str, int] = field(default_factory=dict)
    #: ``first`` (into an empty catalogue) or ``rerun`` (the same workspace again, nothing changed)
    run: str = "first"

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (``bench --json``)."""
        return {
            "spec": vars(self.spec), "model": self.model, "wall_s": round(self.wall_s, 3),
            "floor_s": round(self.floor_s, 3), "x_floor": round(self.vs_floor, 3),
            "peak_rss_mb": round(self.peak_rss_mb, 1), "databricks_calls": self.databricks_calls,
            "openmetadata_calls": self.openmetadata_calls, "calls_per_pipeline": self.calls_per_pipeline,
            "throttled": self.throttled, "run": self.run, "report": self.report,
        }  # fmt: skip

    @property
    def calls_per_pipeline(self) -> dict[str, float]:
        """Requests per kept pipeline on each side (429s included: each one is a request sent)."""
        kept = max(1, int(self.report.get("kept", self.spec.jobs + self.spec.pipelines)))
        return {
            "databricks": round(self.databricks_calls / kept, 2),
            "openmetadata": round(self.openmetadata_calls / kept, 2),
        }

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
        if target == "databricks":
            args += ["--rate-limits", spec.rate_limits]
        if target == "openmetadata" and spec.om_cost_ms_per_entity:
            args += ["--cost-ms-per-entity", str(spec.om_cost_ms_per_entity)]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline() if self.process.stdout else ""
        if " on " not in line:
            self.process.kill()
            said = (self.process.stderr.read() if self.process.stderr else "").strip().splitlines()
            if said and said[-1].startswith("dbx-pipeline: "):  # the emulator refused an option: one line
                raise ConfigError(
                    f"the {target} emulator refused its options: {said[-1].removeprefix('dbx-pipeline: ')}"
                )
            raise RuntimeError(f"the {target} emulator did not start: {' '.join(said)[-2000:]}")
        self.url = line.split(" on ", 1)[1].split(" ", 1)[0]

    def stats(self) -> dict[str, Any]:
        """``{"calls": {route: n}, "total": n, "model": {...}}`` from the emulator's counters endpoint."""
        answer: dict[str, Any] = requests.get(f"{self.url}/_emulator/calls", timeout=10).json()
        return answer

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
        "sink": {
            "type": "metadata-rest",
            "config": {} if spec.batch_size is None else {"bulk_sink_batch_size": spec.batch_size},
        },
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


def rate_floor_seconds(limits: dict[str, float], route_calls: dict[str, int]) -> float:
    """The time the rate limits alone force: the slowest limited endpoint's calls at its rate.

    A full bucket lets one second's worth (``rate`` requests, at least 1) through at once, so ``n`` calls
    to an endpoint limited to ``rate`` per second need at least ``(n - rate) / rate`` seconds.

    Args:
        limits: endpoint (route name) -> requests per second.
        route_calls: endpoint -> calls it answered (429s not included: they are not work done).

    Returns:
        Seconds (0 without limits).
    """
    return max(
        (max(0.0, route_calls.get(route, 0) - max(1.0, rate)) / rate for route, rate in limits.items()),
        default=0.0,
    )


def floor_seconds(
    spec: BenchSpec,
    report: dict[str, Any],
    setup_calls: int = 4,
    limits: dict[str, float] | None = None,
    route_calls: dict[str, int] | None = None,
    om_calls: dict[str, int] | None = None,
) -> float:
    """The time the network and the rate limits force on this workload (see the module docstring).

    The runs calls are the ones the Databricks emulator answered when ``route_calls`` says (the system
    tables path reads most runs in a few statements and pays ``runs/get`` only for what they lack, and a
    rerun skips runs already stored), else the REST path's one ``runs/list`` page per pipeline.
    ``om_calls`` adds the lineage fingerprints stored (one PATCH per pipeline whose edges changed).
    """
    rate_floor = rate_floor_seconds(limits or {}, route_calls or {})
    latency = spec.latency_ms / 1000.0
    listing = math.ceil(max(spec.jobs, 1) / PAGE) + math.ceil(max(spec.pipelines, 1) / PAGE)
    pipelines = report.get("kept", spec.jobs + spec.pipelines)
    if route_calls and any(route.startswith("jobs/runs/") for route in route_calls):
        runs_calls = sum(route_calls.get(route, 0) for route in RUN_ROUTES)
    else:
        runs_calls = pipelines * max(1, math.ceil(spec.runs / 25))
    # one status PUT per pipeline that had statuses to send (a rerun sends few or none)
    status_puts = min(pipelines, report.get("statuses", pipelines)) if spec.runs else 0
    pipeline_puts = report.get("created", 0) + report.get("updated", 0)  # unchanged ones get no PUT
    lineage_calls = report.get("lineageEdges", 0) + report.get("tableLookups", 0)  # each distinct table once
    lineage_calls += (om_calls or {}).get(FINGERPRINT_ROUTE, 0)
    per_pipeline = runs_calls + status_puts + pipeline_puts + lineage_calls
    return max(rate_floor, float((setup_calls + max(listing, per_pipeline / spec.workers)) * latency))


def run_bench(spec: BenchSpec) -> BenchResult:
    """Start both emulators, run one full ingestion into an empty catalogue, and measure it."""
    return run_bench_runs(spec, rerun=False)[0]


def run_bench_runs(spec: BenchSpec, *, rerun: bool, official: str | None = None) -> list[BenchResult]:
    """Start both emulators, run a full ingestion, and with ``rerun`` the same one again; measure each.

    Args:
        spec: the workload, the emulators' model and the engine settings.
        rerun: also measure a second run over the unchanged workspace and the catalogue the first filled
            (what a scheduled rerun with nothing new costs).
        official: an interpreter with ``openmetadata-ingestion``: then OpenMetadata's own connector runs
            too, on fresh emulators of the same model, without lineage (:mod:`core.bench_official`).

    Returns:
        One result per run, ``first`` then ``rerun``; the peak RSS is the process's peak so far.
    """
    databricks = _Emulator("databricks", spec)
    openmetadata = _Emulator("openmetadata", spec)
    try:
        results = [_measure(spec, databricks, openmetadata, "first")]
        if rerun:
            results.append(_measure(spec, databricks, openmetadata, "rerun"))
    finally:
        databricks.close()
        openmetadata.close()
    if official:
        results.append(_measure_official(spec, official))
    return results


def _measure_official(spec: BenchSpec, python: str) -> BenchResult:
    """OpenMetadata's own connector on fresh emulators of the same model (an empty catalogue)."""
    from core.bench_official import official_config, run_official

    databricks = _Emulator("databricks", spec)
    openmetadata = _Emulator("openmetadata", spec)
    try:
        measured = run_official(
            python, databricks.url, official_config(_config(spec, databricks.url, openmetadata.url))
        )
        dbx, om = databricks.stats(), openmetadata.stats()
    finally:
        databricks.close()
        openmetadata.close()
    created = om["calls"].get("PUT pipelines", 0)
    return BenchResult(
        spec=spec,
        wall_s=float(measured["wall_s"]),
        databricks_calls=int(dbx["total"]),
        openmetadata_calls=int(om["total"]),
        peak_rss_mb=float(measured["peak_rss_mb"]),
        floor_s=0.0,
        report={"kept": spec.jobs + spec.pipelines, "created": created, "failures": []},
        model={"databricks": dbx["model"], "openmetadata": om["model"]},
        throttled={"databricks": _throttled(dbx["calls"]), "openmetadata": _throttled(om["calls"])},
        run="official",
    )


def _measure(spec: BenchSpec, databricks: _Emulator, openmetadata: _Emulator, run: str) -> BenchResult:
    """One ingestion against the running emulators, with their counters reset first."""
    from core.workflow import Workflow

    databricks.reset()
    openmetadata.reset()
    workflow = Workflow.create(_config(spec, databricks.url, openmetadata.url), workers=spec.workers)
    started = time.perf_counter()
    report = workflow.execute()
    wall = time.perf_counter() - started
    summary = report.as_dict()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    dbx, om = databricks.stats(), openmetadata.stats()
    limits = dbx["model"]["rate_limits"]
    return BenchResult(
        spec=spec,
        wall_s=wall,
        databricks_calls=int(dbx["total"]),
        openmetadata_calls=int(om["total"]),
        peak_rss_mb=peak_kb / 1024.0,
        floor_s=floor_seconds(spec, summary, limits=limits, route_calls=dbx["calls"], om_calls=om["calls"]),
        report=summary,
        model={"databricks": dbx["model"], "openmetadata": om["model"]},
        throttled={"databricks": _throttled(dbx["calls"]), "openmetadata": _throttled(om["calls"])},
        run=run,
    )


def _throttled(calls: dict[str, int]) -> int:
    return sum(n for name, n in calls.items() if name.startswith("throttled:"))


def describe_model(result: BenchResult) -> list[str]:
    """The model one run ran under, one line per side, plus the engine's workers."""
    from core.emulators.databricks.limits import describe_limits

    dbx = result.model.get("databricks", {})
    om = result.model.get("openmetadata", {})
    cost = om.get("cost_ms_per_entity")
    return [
        f"Databricks:   {dbx.get('latency_ms', result.spec.latency_ms):g} ms per request; rate limits "
        f"{describe_limits(dbx.get('rate_limits') or {})}",
        f"OpenMetadata: {om.get('latency_ms', result.spec.latency_ms):g} ms per request; cost per entity "
        f"{'none' if cost is None else f'{cost:g} ms'}",
        f"engine:       {result.spec.workers} workers; statuses from {result.spec.status_source}; pipelines "
        f"{'one PUT each' if not result.spec.batch_size or result.spec.batch_size <= 1 else f'in bulk, {result.spec.batch_size} a request'}",
    ]


def format_table(results: list[BenchResult]) -> str:
    """The model each run ran under (``*``: a limit Databricks does not publish, assumed), then a table."""
    header = (
        "run", "statuses", "jobs", "tasks", "runs", "workers", "Databricks calls", "per pipeline", "429s", "OpenMetadata calls",
        "per pipeline", "wall s", "jobs/s", "peak RSS MB", "floor s", "x floor", "written", "failures",
    )  # fmt: skip
    rows = [header]
    models: list[str] = []
    for r in results:
        s = r.spec
        per = r.calls_per_pipeline
        official = r.run == "official"  # OpenMetadata's connector: sequential, REST, no lineage, no floor
        for line in describe_model(r)[: 2 if official else 3]:
            if line not in models:
                models.append(line)
        rows.append((
            r.run, "rest" if official else s.status_source, str(s.jobs), str(s.tasks), str(s.runs),
            "1" if official else str(s.workers), str(r.databricks_calls),
            f"{per['databricks']:.2f}", str(r.throttled.get("databricks", 0)), str(r.openmetadata_calls),
            f"{per['openmetadata']:.2f}", f"{r.wall_s:.1f}", f"{r.jobs_per_s:.0f}", f"{r.peak_rss_mb:.0f}",
            "-" if official else f"{r.floor_s:.1f}", "-" if official else f"{r.vs_floor:.2f}",
            _written(r.report), str(len(r.report.get("failures", []))),
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    if any("*" in line for line in models):
        models.append(
            "(*: a figure Databricks does not publish, assumed; core/emulators/databricks/limits.py)"
        )
    return "\n".join(["model:", *(f"  {line}" for line in models), "", *lines])


def _written(report: dict[str, Any]) -> str:
    """What the run sent OpenMetadata: ``pipelines/statuses/lineage edges`` (``0/0/0`` for an idle rerun).

    ``-``: not known (the official connector's row: its emulator counts requests, not statuses).
    """
    pipelines = report.get("created", 0) + report.get("updated", 0)
    return f"{pipelines}/{report.get('statuses', '-')}/{report.get('lineageEdges', 0)}"


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
