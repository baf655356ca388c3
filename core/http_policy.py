"""Timeouts, retries, backoff and rate-limit pauses for both servers (Databricks and OpenMetadata).

Every number that decides how long a call may take, how often it is tried again and how long to wait
in between lives here, so the two clients cannot drift apart:

- one backoff formula for every retry: before retry ``n`` (1, 2, ...) wait
  ``min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (n - 1))`` plus up to ``BACKOFF_JITTER_S`` of random jitter
  (0.5 s, 1 s, 2 s, 4 s, 8 s, 8 s ... each plus jitter) so workers that failed together do not retry
  together;
- a 429 (or a 503 with ``Retry-After``) is not backed off per thread: it closes the shared
  :class:`~core.ratelimit.RateGate` for ``Retry-After`` seconds (``DEFAULT_PAUSE_S`` when the server
  gives none, at most ``MAX_PAUSE_S``), which every worker waits at; OpenMetadata's client also
  pauses the default for a 503 without ``Retry-After`` before asking again;
- :func:`retrying` builds the tenacity ``Retrying`` both clients retry with.

Sources: databricks-sdk's own defaults (a 300 s retry budget and 60 s per request, which block for five
minutes on an unreachable host; at most 2 s between its own retries), and the failures measured against
the emulators in ``core/emulators`` (``tests/faults``).
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # tenacity is imported where a retry is built, so `dbx-pipeline --help` does not pay for it
    from tenacity import RetryCallState, Retrying, retry_base
    from tenacity.stop import stop_base
    from tenacity.wait import wait_base

__all__ = [
    "BACKOFF_BASE_S",
    "BACKOFF_JITTER_S",
    "BACKOFF_MAX_S",
    "CHECK_RETRIES",
    "CHECK_STEP_TIMEOUT_S",
    "DATABRICKS_ATTEMPTS",
    "DATABRICKS_CALL_BUDGET_S",
    "DATABRICKS_CERT_HINT",
    "DEFAULT_PAUSE_S",
    "MAX_PAUSE_S",
    "OPENMETADATA_CERT_HINT",
    "OPENMETADATA_RETRIED_STATUSES",
    "OPENMETADATA_RETRIES",
    "OPENMETADATA_TIMEOUT_S",
    "PREFLIGHT_MAX_S",
    "PREVIEW_TIMEOUT_S",
    "STATEMENT_POLL_S",
    "STATEMENT_WAIT_S",
    "TLS_HINT",
    "AttemptAbandonedError",
    "AttemptWatch",
    "SdkTimeouts",
    "backoff",
    "before_attempt",
    "certificate_message",
    "databricks_timeouts",
    "failed_attempt",
    "lineage_wait_budget_s",
    "retrying",
    "watching_attempts",
]

# -- backoff (both servers) ---------------------------------------------------------------------------

#: Seconds before the first retry; doubled for each further one.
BACKOFF_BASE_S = 0.5
#: The longest pause between two tries of one call, in seconds (before jitter).
BACKOFF_MAX_S = 8.0
#: Up to this many random seconds added to each pause.
BACKOFF_JITTER_S = 0.5

# -- rate limits (both servers, through the shared RateGate) ------------------------------------------

#: Seconds every worker pauses after a 429 that carries no ``Retry-After``.
DEFAULT_PAUSE_S = 1.0
#: The longest pause a ``Retry-After`` may impose, in seconds (a larger value is capped).
MAX_PAUSE_S = 120.0

# -- Databricks -------------------------------------------------------------------------------------

#: Tries of one idempotent read for failures the SDK does not retry itself (500, 502, 504, garbled).
DATABRICKS_ATTEMPTS = 4
#: Seconds all tries of one Databricks call may take together, unless the caller gives a budget.
DATABRICKS_CALL_BUDGET_S = 60.0
#: The longest per-request socket timeout given to the SDK, in seconds.
DATABRICKS_MAX_HTTP_TIMEOUT_S = 60.0
#: The SDK's longest pause between two of its own retries, in seconds.
SDK_RETRY_PAUSE_S = 2.0

# -- OpenMetadata ------------------------------------------------------------------------------------

#: Per-request socket timeout (connect and read), in seconds.
OPENMETADATA_TIMEOUT_S = 30.0
#: Retries of one OpenMetadata call after its first try (every call is idempotent).
OPENMETADATA_RETRIES = 5
#: Retries of one OpenMetadata call in a connection check (a check should answer quickly).
CHECK_RETRIES = 1
#: Statuses retried with backoff; 429 and 503 wait at the shared rate gate instead (see the module docstring).
OPENMETADATA_RETRIED_STATUSES = (500, 502, 504)

# -- what each caller may spend ----------------------------------------------------------------------

#: What to do when a server accepts TCP but not TLS (the connection check and the Databricks adapter say it).
TLS_HINT = (
    "Is it https? A proxy in between? Check the scheme and port of the address, any proxy settings "
    "(HTTPS_PROXY), and certificate verification"
)
#: What to do when Databricks' certificate is not trusted (the SDK verifies with requests' defaults).
DATABRICKS_CERT_HINT = (
    "Give the CA bundle that signs it (a company proxy's or your own CA) in REQUESTS_CA_BUNDLE, or fix "
    "the server's certificate"
)
#: What to do when OpenMetadata's certificate is not trusted (``verifySSL`` and ``sslConfig`` decide).
OPENMETADATA_CERT_HINT = (
    "Give its CA bundle in sslConfig.caCertificate with verifySSL: validate (or in REQUESTS_CA_BUNDLE), "
    "or set verifySSL: ignore for a test server"
)


def certificate_message(reason: str, where: str | None = None) -> str:
    """The one sentence for a certificate the client does not trust.

    Args:
        reason: OpenSSL's verify message (``self-signed certificate``).
        where: ``host:port``, when known.

    Returns:
        ``the server's certificate is not trusted: self-signed certificate (host:port)``.
    """
    return f"the server's certificate is not trusted: {reason}" + (f" ({where})" if where else "")


#: ``test-connection``: seconds each step may take, unless ``--timeout`` says otherwise.
CHECK_STEP_TIMEOUT_S = 20.0
#: The wizard's live preview: its listing waits at most this, or ``connectionTimeout`` if shorter.
PREVIEW_TIMEOUT_S = 30.0
#: The preflight TCP connect to each server waits at most this, or the caller's timeout if shorter.
PREFLIGHT_MAX_S = 10.0
#: A SQL statement: how long one ``statements`` call waits on the server before answering (the API's
#: ``wait_timeout``, 5 to 50 s), and the pause between polls of a statement still running, in seconds.
STATEMENT_WAIT_S = 30
STATEMENT_POLL_S = 1.0
#: A lineage statement may run (queued on a cold warehouse, then executing) at least this long, and
#: ``LINEAGE_WAIT_FACTOR x connectionTimeout`` when that is longer, in seconds.
LINEAGE_WAIT_MIN_S = 60.0
LINEAGE_WAIT_FACTOR = 5.0


def lineage_wait_budget_s(connection_timeout_s: float) -> float:
    """Seconds one lineage statement may take: ``max(LINEAGE_WAIT_MIN_S, 5 x connectionTimeout)``."""
    return max(LINEAGE_WAIT_MIN_S, LINEAGE_WAIT_FACTOR * connection_timeout_s)


@dataclass(frozen=True)
class SdkTimeouts:
    """What databricks-sdk's ``Config`` is given: whole seconds, never 0 (the SDK reads 0 as "default")."""

    #: total budget of the SDK's retries of one call (429/503/connection errors, read timeouts)
    retry_timeout_seconds: int
    #: per-request socket timeout
    http_timeout_seconds: int


def databricks_timeouts(
    connection_timeout_s: float,
    *,
    retry_timeout_s: float | None = None,
    http_timeout_s: float | None = None,
) -> SdkTimeouts:
    """The SDK's time budgets for a workspace whose ``connectionTimeout`` is ``connection_timeout_s``.

    Args:
        connection_timeout_s: ``serviceConnection.config.connectionTimeout``, in seconds.
        retry_timeout_s: overrides the retry budget; by default ``connectionTimeout``, but at least two
            request timeouts plus the SDK's pause between them, so one slow answer is retried instead
            of using up the budget.
        http_timeout_s: overrides the per-request timeout; by default
            ``min(connectionTimeout, DATABRICKS_MAX_HTTP_TIMEOUT_S)``.

    Returns:
        Both budgets rounded up to whole seconds, at least 1.
    """
    http_timeout = (
        http_timeout_s
        if http_timeout_s is not None
        else min(connection_timeout_s, DATABRICKS_MAX_HTTP_TIMEOUT_S)
    )
    retry_timeout = (
        retry_timeout_s
        if retry_timeout_s is not None
        else max(connection_timeout_s, 2 * http_timeout + SDK_RETRY_PAUSE_S)
    )
    return SdkTimeouts(
        retry_timeout_seconds=max(1, math.ceil(retry_timeout)),
        http_timeout_seconds=max(1, math.ceil(http_timeout)),
    )


def backoff() -> wait_base:
    """The one backoff formula, as a tenacity wait (see the module docstring)."""
    from tenacity import wait_exponential, wait_random

    return wait_exponential(multiplier=BACKOFF_BASE_S, max=BACKOFF_MAX_S) + wait_random(0, BACKOFF_JITTER_S)


def retrying(
    *,
    attempts: int,
    retry: retry_base,
    budget_s: float | None = None,
    wait: wait_base | Callable[[RetryCallState], float] | None = None,
    before_sleep: Callable[[RetryCallState], Any] | None = None,
    retry_error_callback: Callable[[RetryCallState], Any] | None = None,
) -> Retrying:
    """A tenacity ``Retrying`` with this module's backoff.

    Args:
        attempts: tries in all, the first included (at least 1).
        retry: which outcomes (exceptions or results) are worth another try.
        budget_s: stop trying once this many seconds have passed since the first try (None: no limit).
        wait: the pause before each retry; :func:`backoff` unless given.
        before_sleep: called before each pause (e.g. to close a rate gate).
        retry_error_callback: called with the last outcome when tries run out; its value is returned
            (None: the last exception is raised again, as it was).

    Returns:
        A ``Retrying``: call it as ``retrying(...)(fn, *args, **kwargs)``.
    """
    from tenacity import Retrying, stop_after_attempt, stop_after_delay

    stop: stop_base = stop_after_attempt(max(1, attempts))
    if budget_s is not None:
        stop = stop | stop_after_delay(budget_s)
    return Retrying(
        stop=stop,
        wait=wait if wait is not None else backoff(),
        retry=retry,
        before_sleep=before_sleep,
        retry_error_callback=retry_error_callback,
        reraise=True,
    )


# -- attempts of a step that may be abandoned (the connection check) ---------------------------------


class AttemptAbandonedError(Exception):
    """Raised at the next request of a check step that was abandoned at its deadline.

    Not a ``requests`` error, so neither client retries it: the abandoned thread stops at once.
    """


@dataclass
class AttemptWatch:
    """What one thread's requests met: the failures of its tries, and whether its step gave up."""

    errors: list[BaseException] = field(default_factory=list)
    abandoned: bool = False


_WATCH = threading.local()


@contextlib.contextmanager
def watching_attempts(watch: AttemptWatch) -> Iterator[AttemptWatch]:
    """Record in ``watch`` the failed tries of every request this thread sends (see :func:`failed_attempt`)."""
    previous = getattr(_WATCH, "watch", None)
    _WATCH.watch = watch
    try:
        yield watch
    finally:
        _WATCH.watch = previous


def before_attempt() -> None:
    """Called by a client before each try of a request.

    Raises:
        AttemptAbandonedError: the check step of this thread has given up; no more requests.
    """
    watch: AttemptWatch | None = getattr(_WATCH, "watch", None)
    if watch is not None and watch.abandoned:
        raise AttemptAbandonedError("the check step was abandoned at its deadline")


def failed_attempt(err: BaseException) -> None:
    """Called by a client when a try failed without an answer (TLS, connection, timeout)."""
    watch: AttemptWatch | None = getattr(_WATCH, "watch", None)
    if watch is not None:
        del watch.errors[:-4]  # only the last few are ever read
        watch.errors.append(err)
