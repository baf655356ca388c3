"""The SQL the emulator understands, its statement records and SQL error answers.

The SQL is ``SELECT 1``, the engine's ``system.access.table_lineage`` query and its statements on the
``system.lakeflow`` timeline tables; anything else fails with the error class Databricks SQL gives it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.emulators.databricks.protocol import api_error, invalid_parameter

LINEAGE_TABLE = "system.access.table_lineage"
LINEAGE_COLUMNS = (
    ("entity_type", "STRING"),
    ("entity_id", "STRING"),
    ("source_table_full_name", "STRING"),
    ("target_table_full_name", "STRING"),
    ("last_seen", "TIMESTAMP"),
)
SELECT_ONE = re.compile(r"select\s+1", re.IGNORECASE)
FROM_TABLE = re.compile(r"\bfrom\s+([`\w.]+)", re.IGNORECASE)
LINEAGE_QUERY = re.compile(
    r"""select\s+entity_type\s*,\s*entity_id\s*,\s*source_table_full_name\s*,\s*target_table_full_name\s*,
        \s*max\s*\(\s*event_time\s*\)\s+as\s+last_seen
        \s+from\s+(?P<table>[`\w.]+)
        \s+where\s+event_date\s*>=\s*:since_date
        \s+and\s+entity_type\s+in\s*\((?P<types>[^)]*)\)
        \s+and\s+entity_id\s+in\s*\((?P<ids>[^)]*)\)
        \s+and\s+source_table_full_name\s+is\s+not\s+null
        \s+and\s+target_table_full_name\s+is\s+not\s+null
        \s+group\s+by\s+entity_type\s*,\s*entity_id\s*,\s*source_table_full_name\s*,\s*target_table_full_name
    """,
    re.IGNORECASE | re.VERBOSE,
)
RUN_TIMELINE = "system.lakeflow.job_run_timeline"
TASK_TIMELINE = "system.lakeflow.job_task_run_timeline"
LAKEFLOW_TABLES = (RUN_TIMELINE, TASK_TIMELINE)
#: the engine's statements on the timeline tables (core/databricks/system_tables.py), matched loosely:
#: the table, the workspace and job id filters and the grouping decide the answer
TIMELINE_PROBE = re.compile(
    r"select job_id from (?P<table>[`\w.]+) where workspace_id = :workspace_id limit 1", re.IGNORECASE
)
TIMELINE_WATERMARK = re.compile(
    r"select unix_millis\(max\(period_end_time\)\) as watermark from (?P<table>[`\w.]+) "
    r"where workspace_id = :workspace_id and period_end_time >= :since",
    re.IGNORECASE,
)
TIMELINE_GROUPED = re.compile(
    r"select .* from (?P<table>[`\w.]+) where workspace_id = :workspace_id and period_start_time >= :since "
    r"and job_id in \((?P<ids>[^)]*)\) group by (?P<keys>[\w ,]+)",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"'((?:[^']|'')*)'")
_SQL_LIST_ITEM = re.compile(r"\s*'(?:[^']|'')*'\s*")
DATE_LITERAL = re.compile(r"\d{4}-\d{2}-\d{2}")
_WAIT_TIMEOUT = re.compile(r"(\d+)s")


@dataclass
class StatementRecord:
    """One submitted SQL statement; its result is computed at submit time, revealed after polls."""

    statement_id: str
    polls_left: int
    columns: list[tuple[str, str]] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    error: tuple[str, str, str] | None = None  # (error_code, message, sql_state)
    canceled: bool = False
    truncated: bool = False


class SqlError(Exception):
    """A statement-level failure: ``args[0]`` is ``(error_code, message, sql_state)``."""


def wait_timeout_seconds(raw: Any) -> int:
    """The ``wait_timeout`` of a statement submission, in seconds.

    Args:
        raw: the request's value, e.g. ``"10s"`` (the Statement Execution API takes ``<n>s``).

    Returns:
        ``0`` (answer at once, asynchronous) or 5 to 50 seconds, the range the API reference allows.

    Raises:
        HttpError: 400 ``INVALID_PARAMETER_VALUE`` for any other value.
    """
    match = _WAIT_TIMEOUT.fullmatch(str(raw))
    seconds = int(match.group(1)) if match else -1
    if seconds != 0 and not 5 <= seconds <= 50:
        raise invalid_parameter(f"wait_timeout must be 0s or between 5s and 50s, got {raw!r}")
    return seconds


def check_result_format(body: dict[str, Any]) -> None:
    """Refuse a ``disposition``/``format`` pair the real API refuses, or the emulator cannot serve.

    Args:
        body: the statement submission's JSON body (``disposition`` defaults to ``INLINE``, ``format``
            to ``JSON_ARRAY``, as in the API reference).

    Raises:
        HttpError: 400 ``INVALID_PARAMETER_VALUE`` for an unknown value or an ``INLINE`` result in a
            format other than ``JSON_ARRAY`` (the real API's rule); 501 ``NOT_IMPLEMENTED`` for
            ``EXTERNAL_LINKS``, which the emulator does not serve.
    """
    disposition = body.get("disposition", "INLINE")
    fmt = body.get("format", "JSON_ARRAY")
    if disposition not in ("INLINE", "EXTERNAL_LINKS") or fmt not in ("JSON_ARRAY", "ARROW_STREAM", "CSV"):
        raise invalid_parameter(f"Invalid disposition/format: {disposition}/{fmt}")
    if disposition == "INLINE" and fmt != "JSON_ARRAY":
        raise invalid_parameter(f"The format {fmt} is only supported with EXTERNAL_LINKS disposition")
    if disposition == "EXTERNAL_LINKS":
        raise api_error(501, "NOT_IMPLEMENTED", "The Databricks emulator only serves INLINE results")


def named_parameter(parameters: list[dict[str, Any]], name: str) -> str:
    """The value of the statement parameter ``:name``.

    Args:
        parameters: the submission's ``parameters``, each ``{"name", "value", "type"?}``.
        name: the parameter's name without the colon.

    Returns:
        The value as text (every parameter value travels as a string).

    Raises:
        SqlError: ``UNBOUND_SQL_PARAMETER`` (SQLSTATE 42P02, message copied from Databricks SQL) when no
            parameter of that name has a value.
    """
    for parameter in parameters:
        if parameter.get("name") == name and parameter.get("value") is not None:
            return str(parameter["value"])
    raise SqlError(
        (
            "BAD_REQUEST",
            f"[UNBOUND_SQL_PARAMETER] Found the unbound parameter: {name}. "
            "Please, fix `args` and provide a mapping of the parameter to either a SQL literal or "
            "collection constructor functions. SQLSTATE: 42P02",
            "42P02",
        )
    )


def sql_string_list(text: str) -> list[str]:
    """The values of a ``'a', 'b'`` SQL list; anything but quoted literals is a syntax error."""
    items = text.split(",")  # an empty ``IN ()`` is a syntax error in Databricks SQL, too
    if not all(_SQL_LIST_ITEM.fullmatch(item) for item in items):
        raise SqlError(syntax_error(text))
    return [value.replace("''", "'") for value in _QUOTED.findall(text)]


def table_not_found(name: str) -> tuple[str, str, str]:
    """Databricks SQL's ``TABLE_OR_VIEW_NOT_FOUND`` (SQLSTATE 42P01) for ``name``, message copied from it.

    Args:
        name: the table as the statement wrote it.

    Returns:
        ``(error_code, message, sql_state)``, the statement-level error a :class:`SqlError` carries.
    """
    return (
        "BAD_REQUEST",
        f"[TABLE_OR_VIEW_NOT_FOUND] The table or view `{name}` cannot be found. Verify the "
        "spelling and correctness of the schema and catalog. SQLSTATE: 42P01",
        "42P01",
    )


def syntax_error(text: str) -> tuple[str, str, str]:
    """Databricks SQL's ``PARSE_SYNTAX_ERROR`` (SQLSTATE 42601) at the statement's first token.

    Args:
        text: the statement (whitespace-normalised).

    Returns:
        ``(error_code, message, sql_state)``; the message adds what the emulator does understand.
    """
    token = (text.split() or ["<EOF>"])[0]
    return (
        "BAD_REQUEST",
        f"[PARSE_SYNTAX_ERROR] Syntax error at or near '{token}'. SQLSTATE: 42601 "
        "(the Databricks emulator understands only SELECT 1 and the table_lineage query)",
        "42601",
    )
