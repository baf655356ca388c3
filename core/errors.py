"""The one error hierarchy of the engine, grouped by what the caller should do.

- :class:`ConfigError` and :class:`ConnectionCheckError`: the user must fix an input; the CLI prints
  the one-line message and exits with code 2; the wizard shows it at the field named by ``field``.
- :class:`SourceError` / :class:`SinkError`: a server side failed; whether that stops the run or costs one
  pipeline depends on where it happened.
- :class:`ItemError` subclasses: one pipeline (or lineage edge, or delete) failed; it is reported and the
  rest of the run goes on.

What each class does in each place of a run is one table, :data:`FAILURE_POLICY`, at the end of this
module; the engine reads it through :func:`outcome_of` and nothing else decides.

Every message is built to be safe to print: secrets are never formatted into them, and
:func:`core.secrets.redact` is applied to anything that comes from a remote server.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


def while_doing(head: str, what: str) -> str:
    """``"<head> while <what>"``, without the clause when it only repeats the head.

    ``what`` is an operation such as ``"checking the credentials"``: when its object (``"the
    credentials"``) is already named in ``head`` (``"Databricks refused the credentials"``), the clause
    would say it twice, so ``head`` is returned alone.

    Args:
        head: the sentence so far (``"OpenMetadata refused the JWT"``).
        what: the operation, completing "while ...".

    Returns:
        The sentence, never naming the same thing twice.
    """
    _verb, _, thing = what.strip().partition(" ")
    if thing and thing.lower() in head.lower():
        return head
    return f"{head} while {what}"


__all__ = [
    "FAILURE_POLICY",
    "ConfigError",
    "ConnectionCheckError",
    "DecodeError",
    "FailurePolicy",
    "IngestionError",
    "InvalidPatternError",
    "ItemError",
    "MappingError",
    "Outcome",
    "Place",
    "RunInterrupted",
    "SinkAuthError",
    "SinkError",
    "SinkRejectedError",
    "SinkUnavailableError",
    "SourceAuthError",
    "SourceError",
    "SourceUnavailableError",
    "WorkflowExecutionError",
    "as_reported",
    "failure_policy",
    "is_shutdown_refusal",
    "outcome_of",
    "while_doing",
]


class IngestionError(Exception):
    """Root of every error the engine raises on purpose. Anything else is a bug."""

    #: dotted config path the error is about (``source.serviceConnection.config.hostPort``), if any
    field: str | None = None
    #: what the user should do about it, one sentence
    hint: str | None = None

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None) -> None:
        """An error the user can read.

        Args:
            message: what went wrong, safe to print (no secret is ever formatted into it).
            field: the dotted config path it is about, if any.
            hint: what to do about it, one sentence.
        """
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field
        if hint is not None:
            self.hint = hint

    def one_line(self) -> str:
        """The message as one line: ``field: message. hint`` (no traceback, no newlines)."""
        parts = []
        if self.field:
            parts.append(f"{self.field}: ")
        parts.append(self.message.rstrip("."))
        text = "".join(parts)
        if self.hint:
            text += f". {self.hint.rstrip('.')}"
        text = " ".join(text.split())
        return text if text.endswith(("?", "!", ".")) else text + "."

    @property
    def fatal(self) -> bool:
        """True when this error stops the run even inside one pipeline's work (read from FAILURE_POLICY)."""
        return failure_policy(self).pipeline is Outcome.ABORT


class ConfigError(IngestionError, ValueError):
    """Invalid settings: unknown key, wrong type, missing field, bad host, bad regex. Never retried.

    ``problems`` lists every ``(field, message)`` found, so a form can flag each field; the exception's
    own message is the first one (the CLI prints one line).
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        hint: str | None = None,
        problems: list[tuple[str | None, str]] | None = None,
    ) -> None:
        """Invalid settings.

        Args:
            message: the first problem, the one the CLI prints.
            field: its dotted config path.
            hint: what to do about it.
            problems: every ``(field, message)`` found; defaults to the first alone.
        """
        super().__init__(message, field=field, hint=hint)
        self.problems = problems or [(field, message)]


class InvalidPatternError(ConfigError):
    """A filter regex does not compile; carries the pattern and the ``re.error`` text."""

    def __init__(self, pattern: str, reason: str, *, field: str | None = None) -> None:
        """A pattern that ``re.compile`` refused.

        Args:
            pattern: the regular expression as written.
            reason: the ``re.error`` message.
            field: the dotted path of the filter it came from.
        """
        super().__init__(
            f"invalid regular expression {pattern!r} ({reason})",
            field=field,
            hint="Fix the pattern; filters are Python regular expressions matched from the start of the name",
        )
        self.pattern = pattern
        self.reason = reason


class ConnectionCheckError(IngestionError):
    """A server could not be reached or refused the credentials before any work started."""


class SourceError(IngestionError):
    """Databricks side. The original SDK error is kept as ``__cause__``."""


class SourceAuthError(SourceError):
    """Databricks refused the credentials (401/403)."""


class SourceUnavailableError(SourceError):
    """Databricks kept failing after the SDK's retries (429, 5xx, timeouts, resets)."""


class SinkError(IngestionError):
    """OpenMetadata side; ``status_code`` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status_code: int | None = None, **kwargs: str | None) -> None:
        """An OpenMetadata failure.

        Args:
            message: what went wrong (the server's message is redacted before it gets here).
            status_code: the HTTP status, when there was an answer.
            **kwargs: ``field`` and ``hint``, as for :class:`IngestionError`.
        """
        super().__init__(message, **kwargs)
        self.status_code = status_code


class SinkAuthError(SinkError):
    """401/403 from OpenMetadata: the JWT is wrong, expired or may not write. Aborts the run."""


class SinkUnavailableError(SinkError):
    """OpenMetadata kept failing (5xx, timeouts) after retries. Aborts the run."""


class ItemError(IngestionError):
    """One pipeline failed; the run records it and goes on."""


class SinkRejectedError(SinkError, ItemError):
    """400/404/409/422 for one payload: that pipeline fails, the rest land."""


class MappingError(ItemError):
    """A Databricks object could not be mapped to an OpenMetadata request."""


class DecodeError(MappingError):
    """One job, run or pipeline whose JSON cannot be mapped; names the item and the field path.

    Raised by :mod:`core.databricks.decode`; ``item`` is the item's id when it could be read.
    """

    def __init__(self, what: str, item: str | None, path: str, problem: str) -> None:
        """Say which item was skipped and why.

        Args:
            what: the kind of item (``"job"``, ``"run"``, ``"pipeline"``).
            item: its id as the API sent it, or None when it has none.
            path: the JSON path of the field at fault (``settings.tags.team``, ``job_id``).
            problem: what is wrong with it (``"is missing or not a number"``).
        """
        who = f"{what} {item}" if item else f"a {what} with no id"
        super().__init__(f"{who}: {path} {problem}; it was skipped")
        self.item = item
        self.path = path


class RunInterrupted(IngestionError):
    """The run was stopped (Ctrl-C, SIGTERM, ``Workflow.stop()``) before it finished."""


class WorkflowExecutionError(IngestionError):
    """Raised by ``Workflow.raise_from_status`` when the run had failures (never during a run)."""


# -- the failure policy --------------------------------------------------------------------------------


class Place(str, Enum):
    """Where in a run an error happened (the engine's phases, see :mod:`core.engine`).

    Item places sit inside a phase: an error that one lineage edge (one delete) does not absorb goes on
    to the lineage phase's handler (to the run).
    """

    #: the server version, the pipeline service, the catalogue's pipelines of this service
    SETUP = "setup"
    #: listing jobs and DLT pipelines, page by page (the source's ``iter_job_summaries``, ...)
    LISTING = "listing"
    #: one pipeline's work on a worker: completing a job, owners, tags, the PUT, runs, statuses
    PIPELINE = "pipeline"
    #: the lineage query (the :class:`core.source.LineageSource`'s ``edges``) and looking up tables
    LINEAGE = "lineage"
    #: writing one lineage edge (the sink's ``put_lineage``)
    EDGE = "edge"
    #: markDeletedPipelines: listing the service's pipelines in the catalogue
    CLEANUP = "cleanup"
    #: markDeletedPipelines: soft-deleting one pipeline
    DELETE = "delete"


class Outcome(str, Enum):
    """What an error does to the run."""

    #: the run stops: ``report.fatal`` is set, one failure names the error, and deletes are skipped
    #: (``delete_skipped`` says why: the listing did not complete, or the run stopped during lineage or
    #: cleanup)
    ABORT = "aborts the run"
    #: that pipeline (or lineage edge, or delete) fails and is reported; the rest of the run goes on
    COSTS_ONE = "costs one"
    #: the rest of lineage is skipped with one failure; the run goes on (deletes included)
    ENDS_PHASE = "ends lineage"
    #: the run stops as asked: ``report.interrupted``, deletes skipped, no failure recorded
    INTERRUPTS = "interrupts the run"


@dataclass(frozen=True)
class FailurePolicy:
    """One row of :data:`FAILURE_POLICY`: the outcome of one error class in each :class:`Place`.

    ``retried`` says whether the adapter already retried the failure before raising it (the engine
    itself never retries): databricks-sdk retries 429, 503, connection errors and timeouts within its
    budget and :mod:`core.databricks.retry` adds 500/502/504 and unreadable bodies; the OpenMetadata
    sink retries 429, 5xx, resets and cut-off answers.
    """

    setup: Outcome
    listing: Outcome
    pipeline: Outcome
    lineage: Outcome
    edge: Outcome
    cleanup: Outcome
    delete: Outcome
    retried: bool = False

    def at(self, place: Place) -> Outcome:
        """The outcome in ``place``."""
        outcome: Outcome = getattr(self, place.value)
        return outcome


_A, _ONE, _END, _INT = Outcome.ABORT, Outcome.COSTS_ONE, Outcome.ENDS_PHASE, Outcome.INTERRUPTS
_ALWAYS = FailurePolicy(_A, _A, _A, _A, _A, _A, _A)
_STOP = FailurePolicy(_INT, _INT, _INT, _INT, _INT, _INT, _INT)
_ONE_ITEM = FailurePolicy(_A, _A, _ONE, _A, _ONE, _A, _ONE)

#: Every engine error class (and a bug, and Ctrl-C) -> what it does where. Columns: setup, listing,
#: pipeline, lineage, edge, cleanup, delete. Read with :func:`failure_policy` (the first class of the
#: error's MRO in the table), so a new subclass gets its parent's row until it has its own.
FAILURE_POLICY: dict[type[BaseException], FailurePolicy] = {
    # a bug: costs the one pipeline it happened in; anywhere else the run ends with a report
    Exception: FailurePolicy(_A, _A, _ONE, _A, _A, _A, _A),
    KeyboardInterrupt: _STOP,
    RunInterrupted: _STOP,
    IngestionError: _ALWAYS,
    ConfigError: _ALWAYS,
    InvalidPatternError: _ALWAYS,
    ConnectionCheckError: _ALWAYS,
    WorkflowExecutionError: _ALWAYS,  # raised after a run, never inside one
    # Databricks: a failing call costs the pipeline it was for; lineage is optional, so its failure
    # (a warehouse the principal may not query: a 403 too) ends lineage, not the run
    SourceError: FailurePolicy(_A, _A, _ONE, _END, _END, _A, _A),
    # refused credentials: every other pipeline would fail the same way
    SourceAuthError: FailurePolicy(_A, _A, _A, _END, _END, _A, _A),
    SourceUnavailableError: FailurePolicy(_A, _A, _ONE, _END, _END, _A, _A, retried=True),
    # OpenMetadata: nothing more can be written
    SinkError: _ALWAYS,
    SinkAuthError: _ALWAYS,
    SinkUnavailableError: FailurePolicy(_A, _A, _A, _A, _A, _A, _A, retried=True),
    # one payload rejected, one item unreadable: costs that item where there is one
    ItemError: _ONE_ITEM,
    SinkRejectedError: _ONE_ITEM,
    MappingError: _ONE_ITEM,
    DecodeError: _ONE_ITEM,
}


def is_shutdown_refusal(err: BaseException) -> bool:
    """Whether ``err`` is a thread pool refusing work because the interpreter is shutting down.

    When the process ends (SIGTERM, Ctrl-C) Python shuts ``concurrent.futures`` down before it stops the
    run's threads; a run that submits work then gets ``RuntimeError: cannot schedule new futures after
    interpreter shutdown``. That is the run being interrupted, not a bug (:data:`FAILURE_POLICY` reads it
    as Ctrl-C).
    """
    return isinstance(err, RuntimeError) and "interpreter shutdown" in str(err)


def failure_policy(err: BaseException) -> FailurePolicy:
    """The row of :data:`FAILURE_POLICY` for ``err``: its own class's, else its nearest listed ancestor's.

    A ``BaseException`` that is neither an ``Exception`` nor ``KeyboardInterrupt`` (``SystemExit``) has no
    row; it gets the row of ``Exception`` (the engine never catches those, so this is never read).
    """
    if is_shutdown_refusal(err):
        return _STOP
    for cls in type(err).__mro__:
        row = FAILURE_POLICY.get(cls)
        if row is not None:
            return row
    return FAILURE_POLICY[Exception]


def outcome_of(err: BaseException, place: Place) -> Outcome:
    """What ``err`` raised in ``place`` does to the run (see :data:`FAILURE_POLICY`)."""
    return failure_policy(err).at(place)


def as_reported(err: Exception) -> IngestionError:
    """``err`` as the report names it: ours as it is, anything else (a bug) as an internal error."""
    if isinstance(err, IngestionError):
        return err
    return ItemError(f"internal error: {type(err).__name__}: {err}")
