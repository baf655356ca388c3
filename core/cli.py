"""``dbx-pipeline``: ingest, test-connection, preview, emulate, generate and wizard from a shell.

Exit codes: 0 success; 1 the run had failures (a run that stopped also says why in one line on stderr); 2 bad
config or connection (one line on stderr naming the field and what to do, never a traceback); 141 the
reader of stdout went away (``| head``); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.errors import ConfigError, IngestionError
from core.generate.defaults import DEFAULT_DAG_ID, DEFAULT_OPENMETADATA_VERSION
from core.http_policy import CHECK_STEP_TIMEOUT_S
from core.secrets import redact

if TYPE_CHECKING:  # pydantic and the models: imported by the commands that read a config, not by --help
    from core.config import WorkflowConfig
    from core.report import ProgressEvent

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: the reader of stdout went away (``| head``): 128 + SIGPIPE, what a shell reports for a killed writer
EXIT_BROKEN_PIPE = 141


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2 like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"dbx-pipeline: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dbx-pipeline", description="Databricks Jobs and Lakeflow pipelines into OpenMetadata."
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ingest = commands.add_parser("ingest", help="run the ingestion described by a workflow YAML")
    ingest.add_argument("-c", "--config", required=True, help="workflow YAML (OpenMetadata's format)")
    ingest.add_argument("--dry-run", action="store_true", help="read everything, write nothing")
    ingest.add_argument("--workers", type=int, default=None, help="parallel pipelines (default 16)")
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")
    ingest.add_argument(
        "-v", "--verbose", action="store_true", help="with --dry-run, also list the unchanged pipelines"
    )
    _add_log_level(ingest)

    test = commands.add_parser("test-connection", help="check both connections step by step")
    test.add_argument("-c", "--config", required=True)
    test.add_argument(
        "--timeout",
        type=float,
        default=CHECK_STEP_TIMEOUT_S,
        help=f"seconds per step (default {CHECK_STEP_TIMEOUT_S:g})",
    )
    test.add_argument("--json", action="store_true")
    _add_log_level(test)

    preview = commands.add_parser("preview", help="list every pipeline and whether the filters keep it")
    preview.add_argument("-c", "--config", required=True)
    preview.add_argument("--json", action="store_true", help="one JSON object per line")
    preview.add_argument(
        "--names-only", action="store_true", help="skip task details (faster on big workspaces)"
    )
    _add_log_level(preview)

    bench = commands.add_parser("bench", help="measure a full ingestion against emulators (a table)")
    bench.add_argument("--jobs", type=int, default=2000)
    bench.add_argument("--tasks", type=int, default=3)
    bench.add_argument("--runs", type=int, default=5)
    bench.add_argument("--pipelines", type=int, default=0, help="DLT pipelines (default 0)")
    bench.add_argument("--latency-ms", type=float, default=50.0)
    bench.add_argument("--workers", type=int, nargs="+", default=[16], help="one run per value")
    bench.add_argument("--no-lineage", action="store_true")
    bench.add_argument(
        "--rate-limits",
        default="off",
        metavar="off|documented",
        help="the Databricks emulator's per-endpoint request limits (default off; see emulate --help)",
    )
    bench.add_argument(
        "--om-cost-ms-per-entity", type=float, default=0.0, help="OpenMetadata server time per entity written"
    )
    bench.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="pipelines per bulk PUT (sink.config.bulk_sink_batch_size)",
    )
    bench.add_argument(
        "--status-source",
        choices=("rest", "systemTables", "auto"),
        default="rest",
        help="where run statuses are read (workflowConfig.config.statusSource; default rest)",
    )
    bench.add_argument(
        "--preview", action="store_true", help="measure the filter preview instead of ingestion"
    )
    bench.add_argument(
        "--rerun",
        action="store_true",
        help="also measure a second run of the same, unchanged workspace (what a scheduled rerun costs)",
    )
    bench.add_argument(
        "--startup",
        action="store_true",
        help="measure how soon dbx-pipeline ingest sends its first Databricks request (5 process starts)",
    )
    bench.add_argument(
        "--official",
        metavar="PYTHON",
        help="also run OpenMetadata's own connector with this interpreter (openmetadata-ingestion installed), "
        "same model, no lineage",
    )
    bench.add_argument("--json", action="store_true")

    emulate = commands.add_parser("emulate", help="start a local Databricks or OpenMetadata emulator")
    emulate.add_argument("target", choices=["databricks", "openmetadata"])
    emulate.add_argument("--port", type=int, default=0)
    emulate.add_argument("--jobs", type=int, default=50)
    emulate.add_argument("--tasks", type=int, default=3)
    emulate.add_argument("--runs", type=int, default=5)
    emulate.add_argument("--pipelines", type=int, default=5)
    emulate.add_argument("--latency-ms", type=float, default=0.0)
    emulate.add_argument("--seed", type=int, default=0)
    emulate.add_argument(
        "--rate-limits",
        default="off",
        metavar="off|documented",
        help="databricks: per-endpoint request limits, 429 + Retry-After above them: off (default), "
        "documented (Databricks' published figures, core/emulators/databricks/limits.py) or "
        "ROUTE=RPS,... (may start with documented, e.g. documented,jobs/runs/list=5)",
    )
    emulate.add_argument(
        "--cost-ms-per-entity",
        type=float,
        default=0.0,
        help="openmetadata: server time per entity written, on top of --latency-ms (a bulk body of N "
        "pipelines costs N times it; default 0)",
    )
    emulate.add_argument(
        "--stale-task-runs",
        action="store_true",
        help="let some runs name a task the job no longer has (shows the engine's trimming warning)",
    )
    emulate.add_argument(
        "--recorded",
        metavar="PATH",
        help="serve a recorded workspace file instead of a generated one (databricks); seed its tables "
        "and users (openmetadata). See core/emulators/recorded.py for the format",
    )

    generate = commands.add_parser(
        "generate",
        help="write the workflow YAML, an Airflow DAG (Airflow 2.7+ and 3.x) and the engine's wheel for it",
    )
    generate.add_argument(
        "-c",
        "--config",
        required=True,
        action="append",
        help="workflow YAML to deploy; repeat it for several Databricks workspaces (each its own service, "
        "the same OpenMetadata server): one DAG maps a task over them",
    )
    generate.add_argument(
        "--out", required=True, help="folder to write <dag_id>.yaml, <dag_id>.py and the engine's wheel into"
    )
    generate.add_argument("--engine", choices=["core", "openmetadata"], default="core")
    generate.add_argument(
        "--schedule",
        default="daily",
        help="cron expression, or hourly|daily|weekly|monthly|none (default daily)",
    )
    generate.add_argument("--timezone", default="UTC", help="IANA timezone of the schedule (default UTC)")
    generate.add_argument("--dag-id", default=DEFAULT_DAG_ID, help=f"the DAG id (default {DEFAULT_DAG_ID})")
    generate.add_argument(
        "--secrets",
        choices=["env", "variable", "connection", "inline"],
        default="env",
        help="where secrets come from",
    )
    generate.add_argument("--dialect", choices=["1.x", "2.x"], default="2.x", help="OpenMetadata server line")
    generate.add_argument(
        "--openmetadata-version",
        default=DEFAULT_OPENMETADATA_VERSION,
        help=f"openmetadata-ingestion release (engine openmetadata; default {DEFAULT_OPENMETADATA_VERSION})",
    )
    generate.add_argument(
        "--python",
        help="absolute path of a Python on the workers that has the engine's wheel installed: the task runs "
        "it instead of creating a virtualenv (engine core)",
    )
    generate.add_argument(
        "--wheelhouse",
        help="folder (absolute path on the workers) or URL of wheels: the task's virtualenv installs from it "
        "alone, offline (pip --no-index --find-links)",
    )
    generate.add_argument(
        "--no-report-runs",
        dest="report_runs",
        action="store_false",
        help="do not report each run to the service's ingestion pipeline (the Ingestions tab in OpenMetadata)",
    )
    wizard = commands.add_parser(
        "wizard",
        help="serve the setup wizard in the browser (this machine only, unless --host says otherwise)",
    )
    wizard.add_argument(
        "--port", type=_port, default=None, help="port to listen on (default 8501, or the next free one)"
    )
    wizard.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)",
    )
    return parser


def _port(text: str) -> int:
    """``--port``: a whole number from 1 to 65535.

    Raises:
        argparse.ArgumentTypeError: anything else (argparse prints it as a usage error, exit 2).
    """
    if not text.strip().isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 65535, got {text!r}")
    return int(text)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _add_log_level(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        help="print log lines of this level and above on stderr (default: only when workflowConfig.loggerLevel "
        "is set in the YAML; the report says what happened)",
    )


def _log_level(args: argparse.Namespace, config: WorkflowConfig) -> str:
    """``--log-level``, else ``workflowConfig.loggerLevel`` when the YAML sets it, else ERROR (quiet)."""
    if args.log_level:
        return str(args.log_level)
    settings = config.workflow_config
    return settings.logger_level if "logger_level" in settings.model_fields_set else "ERROR"


def _load(args: argparse.Namespace) -> WorkflowConfig:
    """The workflow config of ``-c``, with logging set up as the command line asks."""
    from core.config import load_workflow_config
    from core.workflow import configure_logging

    config = load_workflow_config(args.config)
    configure_logging(_log_level(args, config))
    return config


class _ProgressLine:
    """The live ``ingest`` line on stderr: pipelines done of listed, rate and ETA (tqdm).

    Fed by the engine's ``on_event`` (on the calling thread). "Done" counts every listed pipeline that
    needs nothing more: filtered out, undecodable, or written; the listing streams, so "listed" grows
    until it completes and the ETA settles then. tqdm redraws at most every 0.1 s and clears the line
    when closed, so the report printed on stdout afterwards never shares a line with it.
    """

    def __init__(self) -> None:
        """Open the bar on stderr (log records go through it while it is open)."""
        from tqdm import tqdm
        from tqdm.contrib.logging import logging_redirect_tqdm

        self._bar = tqdm(
            total=0, unit=" pipelines", desc="connecting", file=sys.stderr, leave=False, dynamic_ncols=True
        )
        self._logging = logging_redirect_tqdm()
        self._logging.__enter__()
        self._phase = ""

    def __call__(self, event: ProgressEvent) -> None:
        """Show one engine event."""
        done = event.listed - (event.kept - event.processed)
        self._bar.total = max(event.listed, done)
        self._bar.set_description_str(event.phase, refresh=False)
        self._bar.set_postfix_str(f"{event.failures} failed" if event.failures else "", refresh=False)
        self._bar.update(done - self._bar.n)
        if event.phase != self._phase:  # a new phase shows at once, whatever tqdm's redraw interval
            self._phase = event.phase
            self._bar.refresh()

    def close(self) -> None:
        """Clear the line and stop redirecting log records."""
        self._logging.__exit__(None, None, None)
        self._bar.close()


def _wants_progress(args: argparse.Namespace) -> bool:
    """A live line only for a person at a terminal: not with ``--json``, a pipe, or in an Airflow task."""
    if args.json or os.environ.get("AIRFLOW_CTX_DAG_ID"):
        return False
    return sys.stderr.isatty()


def _ingest(args: argparse.Namespace) -> int:
    from core.workflow import Workflow

    if args.workers is not None and args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    config = _load(args)
    progress = _ProgressLine() if _wants_progress(args) else None
    workflow = Workflow(
        config,
        workers=args.workers,
        dry_run=args.dry_run,
        log_level=_log_level(args, config),
        on_event=progress,
    )
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: workflow.stop())  # Airflow stops tasks with SIGTERM
    try:
        report = workflow.execute()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if progress is not None:
            progress.close()
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:  # a dry run's report ends with its diff: what would be created, changed and deleted
        print(report.render(verbose=args.verbose))
    if isinstance(report.fatal, IngestionError):  # the run stopped: the one line to act on, in any format
        print(f"dbx-pipeline: {report.fatal.one_line()}", file=sys.stderr)
        if _is_connection_problem(report.fatal, started=bool(report.written)):
            return EXIT_USAGE
    return workflow.result_status()


def _is_connection_problem(error: Exception | None, *, started: bool) -> bool:
    """Credentials refused, or a server unreachable before anything was written: the user's input."""
    from core.errors import (
        ConnectionCheckError,
        SinkAuthError,
        SinkUnavailableError,
        SourceAuthError,
        SourceUnavailableError,
    )

    if isinstance(error, (SourceAuthError, SinkAuthError, ConnectionCheckError)):
        return True
    return not started and isinstance(error, (SourceUnavailableError, SinkUnavailableError))


def _test_connection(args: argparse.Namespace) -> int:
    from core.checks import check_databricks, check_openmetadata

    config = _load(args)
    steps = check_databricks(config, args.timeout) + check_openmetadata(config, args.timeout)
    if args.json:
        print(json.dumps([step.as_dict() for step in steps], indent=2))
    else:
        for step in steps:
            mark = {True: "PASS", False: "FAIL", None: "SKIP"}[step.ok]
            line = f"[{mark}] {step.side}: {step.name} ({step.duration_ms:.0f} ms) {step.detail}".rstrip()
            if step.error:
                line += f" - {step.error}"
                if step.hint:
                    line += f". {step.hint}"
            print(line)
    for step in steps:  # one line on stderr per failure, whatever the output format
        if step.ok is False:
            where = f"{step.field}: " if step.field else ""
            hint = f". {step.hint}" if step.hint else ""
            print(
                f"dbx-pipeline: {step.side} check failed ({step.name.lower()}): {where}{step.error}{hint}",
                file=sys.stderr,
            )
    return EXIT_OK if all(step.ok is not False for step in steps) else EXIT_USAGE


def _preview(args: argparse.Namespace) -> int:
    from core.factory import create_source
    from core.preview import iter_preview

    config = _load(args)
    source = create_source(config, lineage=False).source
    kept = total = 0
    for row in iter_preview(config, source, with_tasks=not args.names_only):
        total += 1
        kept += row.kept
        if args.json:
            print(json.dumps(row.as_dict()), flush=False)
        else:
            tasks = f"{row.tasks}+" if row.tasks_truncated else str(row.tasks)
            mark = "KEEP" if row.kept else "skip"
            print(f"{mark}  {row.id:<36} {row.name[:48]:<48} {tasks:>4} tasks  {row.reason}")
    if not args.json:
        print(f"{kept} of {total} will be ingested")
    return EXIT_OK


def _bench(args: argparse.Namespace) -> int:
    from core.cli_tools import bench_command  # the developer commands load only when used

    return bench_command(args)


def _emulate(args: argparse.Namespace) -> int:
    from core.cli_tools import emulate_command

    return emulate_command(args)


def _wizard(args: argparse.Namespace) -> int:
    from core.launcher import launch  # Streamlit runs in its own process; nothing heavy is imported here

    return launch(args.host, args.port)


def _load_for_generate(path: str, args: argparse.Namespace) -> WorkflowConfig:
    """One of ``generate``'s workflows; with several, an error names the file it is about."""
    from core.generate.bundle import load_config_for_generate

    try:
        return load_config_for_generate(path, secrets=args.secrets)
    except ConfigError as err:
        if len(args.config) == 1:
            raise
        raise ConfigError(
            f"{err.message} (in {path})", field=err.field, hint=err.hint, problems=err.problems
        ) from None


def _generate(args: argparse.Namespace) -> int:
    """Write <dag_id>.yaml, <dag_id>.py and the engine's wheel (core.generate) and say how to deploy them."""
    from pathlib import Path

    from core.generate.bundle import write_bundle
    from core.generate.dag import DagOptions

    options = DagOptions(
        dag_id=args.dag_id,
        schedule=args.schedule,
        timezone=args.timezone,
        engine=args.engine,
        secrets=args.secrets,
        openmetadata_version=args.openmetadata_version,
        python=args.python,
        wheelhouse=args.wheelhouse,
        report_runs=args.report_runs,
    )
    configs = [_load_for_generate(path, args) for path in args.config]
    paths = write_bundle(configs, options, Path(args.out), dialect=args.dialect)
    for path in paths:
        print(f"wrote {path}")
    secrets = {
        "env": "environment variables of the workers",
        "variable": "Airflow Variables",
        "connection": "Airflow Connections",
        "inline": "the YAML itself (inline: keep it private)",
    }[args.secrets]
    if options.python:
        engine = f"install {paths[-1].name} for {options.python} on the workers"
    elif args.engine == "core":
        engine = "nothing to install: the task installs the engine's wheel in its own virtualenv"
    else:
        engine = "nothing to install: the task installs openmetadata-ingestion in its own virtualenv"
    deploy = [str(path) for path in paths if not path.name.endswith(".README.md")]
    print(f"Deploy: cp {' '.join(deploy)} $AIRFLOW_HOME/dags/")
    print(
        f"Then: {engine}; secrets come from {secrets} (names in the DAG's doc and {options.dag_id}.README.md)."
    )
    print(
        "Check: airflow dags reserialize && airflow dags list-import-errors && "
        f"airflow dags test {options.dag_id}"
    )
    return EXIT_OK


_COMMANDS = {
    "ingest": _ingest,
    "test-connection": _test_connection,
    "preview": _preview,
    "bench": _bench,
    "emulate": _emulate,
    "generate": _generate,
    "wizard": _wizard,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except ConfigError as err:
        print(f"dbx-pipeline: {err.one_line()}", file=sys.stderr)
        return EXIT_USAGE
    except IngestionError as err:
        print(f"dbx-pipeline: {err.one_line()}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("dbx-pipeline: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `dbx-pipeline preview | head`: the reader has gone, which is not an error
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as err:  # noqa: BLE001 -- a bug: still one line for the user; the type helps a bug report
        print(f"dbx-pipeline: internal error: {type(err).__name__}: {redact(err)}", file=sys.stderr)
        return EXIT_FAILED


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush cannot raise BrokenPipeError again.

    The recipe of the Python documentation, "Note on SIGPIPE" (library/signal.html).
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
