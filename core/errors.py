"""The one error hierarchy of the engine, grouped by what the caller should do.

- :class:`ConfigError` and :class:`ConnectionCheckError`: the user must fix an input; the CLI prints
  the one-line message and exits with code 2; the wizard shows it at the field named by ``field``.
- :class:`SourceError` / :class:`SinkError` subclasses marked ``fatal``: the run cannot go on (bad
  credentials, a listing that failed part-way); the run stops and reports.
- :class:`ItemError` subclasses: one pipeline failed; it is reported and the rest of the run goes on.

Every message is built to be safe to print: secrets are never formatted into them, and
:func:`core.secrets.redact` is applied to anything that comes from a remote server.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConnectionCheckError",
    "IngestionError",
    "InvalidPatternError",
    "ItemError",
    "MappingError",
    "RunInterrupted",
    "SinkAuthError",
    "SinkError",
    "SinkRejectedError",
    "SinkUnavailableError",
    "SourceAuthError",
    "SourceError",
    "SourceUnavailableError",
]


class IngestionError(Exception):
    """Root of every error the engine raises on purpose. Anything else is a bug."""

    #: dotted config path the error is about (``source.serviceConnection.config.hostPort``), if any
    field: str | None = None
    #: what the user should do about it, one sentence
    hint: str | None = None

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None) -> None:
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
        super().__init__(message, field=field, hint=hint)
        self.problems = problems or [(field, message)]


class InvalidPatternError(ConfigError):
    """A filter regex does not compile; carries the pattern and the ``re.error`` text."""

    def __init__(self, pattern: str, reason: str, *, field: str | None = None) -> None:
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

    fatal = True


class SourceAuthError(SourceError):
    """Databricks refused the credentials (401/403)."""


class SourceUnavailableError(SourceError):
    """Databricks kept failing after the SDK's retries (429, 5xx, timeouts, resets)."""


class SinkError(IngestionError):
    """OpenMetadata side; ``status_code`` is the HTTP status when there was one."""

    fatal = True

    def __init__(self, message: str, *, status_code: int | None = None, **kwargs: str | None) -> None:
        super().__init__(message, **kwargs)
        self.status_code = status_code


class SinkAuthError(SinkError):
    """401/403 from OpenMetadata: the JWT is wrong, expired or may not write. Aborts the run."""


class SinkUnavailableError(SinkError):
    """OpenMetadata kept failing (5xx, timeouts) after retries. Aborts the run."""


class ItemError(IngestionError):
    """One pipeline failed; the run records it and goes on."""

    fatal = False


class SinkRejectedError(SinkError, ItemError):
    """400/404/409/422 for one payload: that pipeline fails, the rest land."""

    fatal = False


class MappingError(ItemError):
    """A Databricks object could not be mapped to an OpenMetadata request."""


class RunInterrupted(IngestionError):
    """The run was stopped (Ctrl-C, SIGTERM, ``Workflow.stop()``) before it finished."""
