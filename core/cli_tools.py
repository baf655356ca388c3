"""The developer commands of ``dbx-pipeline``: ``bench`` and ``emulate`` (moved out of :mod:`core.cli`).

Both start the emulators (imported only here, when the command runs), so nothing in them weighs on
``dbx-pipeline --help`` or the ingestion commands.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from typing import Any

from core.cli import EXIT_FAILED, EXIT_OK
from core.errors import ConfigError

__all__ = ["bench_command", "emulate_command"]


def bench_command(args: argparse.Namespace) -> int:
    """``dbx-pipeline bench``: the engine against emulators in child processes, measured; a table or JSON.

    Returns:
        0, or 1 when a measured run had failures.

    Raises:
        ConfigError: a bad option (one line naming it).
    """
    from core.bench import BenchSpec, format_preview, format_table, run_bench_runs

    if args.jobs < 1 or args.latency_ms < 0 or min(args.workers) < 1:
        raise ConfigError("--jobs and --workers must be at least 1 and --latency-ms not negative")
    _check_rate_limits(args.rate_limits)
    if args.official is not None and not args.official.strip():
        raise ConfigError(
            "give the path of a Python interpreter that has openmetadata-ingestion", field="--official"
        )
    if args.startup and (args.preview or args.rerun or args.official):
        raise ConfigError(
            "--startup measures process start alone; run it without --preview, --rerun or --official",
            field="--startup",
        )
    if args.startup:
        from core.bench_startup import format_startup, measure_startup

        startup = measure_startup()
        print(json.dumps(startup, indent=2) if args.json else format_startup(startup))
        return EXIT_OK
    if args.preview:
        from core.bench import run_preview_bench

        result = run_preview_bench(
            BenchSpec(jobs=args.jobs, tasks=args.tasks, runs=args.runs, latency_ms=args.latency_ms)
        )
        print(json.dumps(result, indent=2) if args.json else format_preview(result))
        return EXIT_OK
    results = []
    for workers in args.workers:
        spec = BenchSpec(
            jobs=args.jobs, tasks=args.tasks, runs=args.runs, pipelines=args.pipelines,
            latency_ms=args.latency_ms, workers=workers, lineage=not args.no_lineage, rate_limits=args.rate_limits,
            om_cost_ms_per_entity=args.om_cost_ms_per_entity, batch_size=args.batch_size,
            status_source=args.status_source,
        )  # fmt: skip
        official = args.official if workers == args.workers[-1] else None  # once, after the engine's rows
        for measured in run_bench_runs(spec, rerun=args.rerun, official=official):
            results.append(measured)
            how = "one after another" if measured.run == "official" else f"with {workers} workers"
            print(f"{measured.run}: {args.jobs} jobs {how} in {measured.wall_s:.1f} s", file=sys.stderr)
    if args.json:
        print(json.dumps([result.as_dict() for result in results], indent=2))
    else:
        print(format_table(results))
    return EXIT_OK if all(not r.report.get("failures") for r in results) else EXIT_FAILED


def _check_rate_limits(value: str) -> None:
    from core.emulators.databricks.limits import parse_rate_limits

    try:
        parse_rate_limits(value)
    except ValueError as err:
        raise ConfigError(
            str(err), field="--rate-limits", hint="Give off, documented or ROUTE=RPS items"
        ) from None


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def emulate_command(args: argparse.Namespace) -> int:
    """``dbx-pipeline emulate``: serve one emulator until Ctrl-C or SIGTERM.

    Returns:
        0 once stopped.

    Raises:
        ConfigError: a bad option, an unreadable recorded file or a busy port (one line naming it).
    """
    import errno

    from core.emulators.workspace import Workspace, WorkspaceSpec

    workspace: Any
    if args.recorded:
        from core.emulators.recorded import RecordedWorkspace

        try:
            workspace = RecordedWorkspace.load(args.recorded)
        except (OSError, ValueError) as err:
            raise ConfigError(
                f"cannot read {args.recorded}: {getattr(err, 'strerror', None) or err}",
                field="--recorded",
                hint="Give a recorded workspace JSON file (format: core/emulators/recorded.py)",
            ) from None
    else:
        workspace = Workspace(
            WorkspaceSpec(
                jobs=args.jobs,
                tasks=args.tasks,
                runs=args.runs,
                pipelines=args.pipelines,
                seed=args.seed,
                stale_task_runs=args.stale_task_runs,
            )
        )
    if args.target == "databricks":
        from core.emulators.databricks import DatabricksEmulator

        try:
            server: Any = DatabricksEmulator(
                workspace,
                port=args.port,
                latency_ms=args.latency_ms,
                seed=args.seed,
                rate_limits=args.rate_limits,
            )
        except ValueError as err:
            raise ConfigError(
                str(err), field="--rate-limits", hint="Give off, documented or ROUTE=RPS items"
            ) from None
        extra = f"token: {server.token}"
        if args.recorded:
            extra += f"; recorded: {args.recorded}"
    else:
        from core.emulators.openmetadata import build_openmetadata_emulator

        server = build_openmetadata_emulator(
            port=args.port,
            latency_ms=args.latency_ms,
            seed=args.seed,
            cost_ms_per_entity=args.cost_ms_per_entity,
        )
        server.seed_from_workspace(workspace)
        extra = "JWT: see core.emulators.openmetadata.DEFAULT_JWT"
    try:
        server.start()
    except OSError as err:
        if err.errno != errno.EADDRINUSE:
            raise
        raise ConfigError(
            f"port {args.port} is already in use (an emulator from an earlier start may still be running)",
            field="--port",
            hint="Stop it (pkill -f 'dbx-pipeline emulate') or choose another --port",
        ) from None
    print(f"{args.target} emulator on {server.url} ({extra}); Ctrl-C or SIGTERM to stop", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return EXIT_OK
