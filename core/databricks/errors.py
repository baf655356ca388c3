"""Turning databricks-sdk and network exceptions into our errors, with a sentence a user can act on.

Only the Databricks adapter catches SDK exceptions; everything above it sees :mod:`core.errors` types.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import requests
from databricks.sdk.errors import (
    DatabricksError,
    NotFound,
    PermissionDenied,
    TooManyRequests,
    Unauthenticated,
)

from core.errors import SourceAuthError, SourceError, SourceUnavailableError, while_doing
from core.http_policy import DATABRICKS_CERT_HINT, TLS_HINT, certificate_message
from core.secrets import redact

__all__ = ["AUTH_FIELD", "source_errors", "translate", "untrusted_reason"]

AUTH_FIELD = "source.serviceConnection.config.authType"


def _short(err: BaseException) -> str:
    text = str(err).split(". Config:", 1)[0]  # the SDK appends its config (masked) to auth errors
    return redact(" ".join(text.split()))[:300]


def translate(err: BaseException, what: str) -> SourceError:
    """Our error for an exception raised while doing ``what``, with a message a user can act on.

    Args:
        err: what the SDK, ``requests`` or the JSON decoding raised (a :class:`SourceError` is returned as is).
        what: the operation, completing "while ...": ``"listing jobs"``, ``"reading run 42"``.

    Returns:
        :class:`SourceAuthError` for refused credentials (401/403, OAuth ``invalid_client``),
        :class:`SourceUnavailableError` for no or an unusable answer, a 404 from an API that is not there,
        or another SDK failure; a plain :class:`SourceError` otherwise. Messages are redacted.
    """
    if isinstance(err, SourceError):
        return err
    if isinstance(err, (Unauthenticated, PermissionDenied)):
        return SourceAuthError(
            f"{while_doing('Databricks refused the credentials', what)}: {_short(err)}",
            field=AUTH_FIELD,
            hint="Check the token (or client id/secret) and that it may list jobs in this workspace",
        )
    cause = err.__cause__ if isinstance(err, TimeoutError) and err.__cause__ else err
    if isinstance(cause, (Unauthenticated, PermissionDenied)):
        return translate(cause, what)
    gave_up = _gave_up(err, cause, what)
    if gave_up is not None:
        return gave_up
    if isinstance(err, ValueError) and any(
        word in str(err) for word in ("invalid_client", "unauthorized_client", "invalid_grant")
    ):
        return SourceAuthError(  # the SDK's OAuth token exchange raises plain ValueErrors
            f"{while_doing('Databricks refused the OAuth client credentials', what)}: {_short(err)}",
            field=AUTH_FIELD,
            hint="Check clientId and clientSecret of the service principal",
        )
    if isinstance(err, (requests.RequestException, ValueError)):
        return SourceUnavailableError(f"Databricks sent an unusable answer while {what}: {_short(err)}")
    if isinstance(err, NotFound):
        return _not_found(err, what)
    if isinstance(err, DatabricksError):
        return SourceUnavailableError(f"Databricks failed while {what}: {_short(err)}")
    return SourceError(f"unexpected error while {what}: {type(err).__name__}: {_short(err)}")


@contextlib.contextmanager
def source_errors(what: str) -> Iterator[None]:
    """Re-raise any SDK, HTTP or parsing exception in the block as a :class:`SourceError`.

    Args:
        what: the operation, for the message (see :func:`translate`).

    Raises:
        SourceError: the translation of a ``DatabricksError``, ``requests`` exception, ``TimeoutError``,
            ``ValueError``, ``KeyError`` or ``TypeError`` raised in the block; other exceptions pass.
    """
    try:
        yield
    except SourceError:
        raise
    except (DatabricksError, requests.RequestException, TimeoutError, ValueError, KeyError, TypeError) as err:
        raise translate(err, what) from err


def _ssl_reason(err: BaseException) -> str:
    """The SSL library's reason in an SSL error (``WRONG_VERSION_NUMBER``), not urllib3's whole chain."""
    text = str(err)
    found = re.search(r"\[SSL: ([A-Z0-9_]+)\]([^(']*)", text)
    if found:
        return f"{found.group(1)}{found.group(2).rstrip()}".strip()
    return "certificate verify failed" if "certificate verify failed" in text else "no TLS answer"


def untrusted_reason(err: BaseException) -> str | None:
    """OpenSSL's reason when ``err`` is a certificate the client does not trust, else None.

    ``[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)``
    gives ``self-signed certificate``.
    """
    found = re.search(r"certificate verify failed: ([^(')\"]+)", str(err))
    if found:
        return found.group(1).strip()
    return "certificate verify failed" if "CERTIFICATE_VERIFY_FAILED" in str(err) else None


def _where(err: BaseException) -> str | None:
    """``host:port`` of the request that failed, when urllib3's message names it."""
    found = re.search(r"host='([^']+)', port=(\d+)", str(err))
    return f"{found.group(1)}:{found.group(2)}" if found else None


def _gave_up(err: BaseException, cause: BaseException, what: str) -> SourceError | None:
    """The error for a call the SDK retried until its budget ran out, or None if ``err`` is not one.

    A run of 429s means Databricks answered, over and over: a rate limit, not the network.
    """
    if isinstance(cause, TooManyRequests):
        return SourceUnavailableError(
            f"Databricks kept refusing requests over its rate limit (429) while {what}: {_short(cause)}",
            hint="Lower workflowConfig.config.workers, run at a quieter time, or raise connectionTimeout "
            "(the budget for waiting the limit out)",
        )
    if isinstance(cause, requests.exceptions.SSLError):  # a ConnectionError too, with its own cause
        untrusted = untrusted_reason(cause)
        if untrusted is not None:
            return SourceUnavailableError(
                certificate_message(untrusted, _where(cause)),
                field="source.serviceConnection.config.hostPort",
                hint=DATABRICKS_CERT_HINT,
            )
        return SourceUnavailableError(
            f"the server did not complete a TLS handshake while {what} ({_ssl_reason(cause)})",
            field="source.serviceConnection.config.hostPort",
            hint=TLS_HINT,
        )
    if isinstance(err, TimeoutError) or isinstance(cause, (requests.ConnectionError, requests.Timeout)):
        return SourceUnavailableError(
            f"Databricks did not answer while {what}: {_short(cause)}",
            field="source.serviceConnection.config.hostPort",
            hint="Check the host and the network, or raise connectionTimeout",
        )
    return None


def _not_found(err: NotFound, what: str) -> SourceError:
    """A 404: a missing job or pipeline (``RESOURCE_DOES_NOT_EXIST``), or no such API at ``hostPort``."""
    if (err.error_code or "") in ("", "ENDPOINT_NOT_FOUND"):
        # the API itself is not there: hostPort points at something that is not a Databricks workspace
        # (or has a path in it)
        return SourceUnavailableError(
            f"the server does not answer like a Databricks workspace while {what}: {_short(err)}",
            field="source.serviceConnection.config.hostPort",
            hint="Use the workspace URL, e.g. https://adb-1234567890123456.7.azuredatabricks.net",
        )
    return SourceError(f"Databricks has no such object ({what}): {_short(err)}")
