"""The bot tokens the OpenMetadata emulator accepts, and the messages of its JWT filter.

Messages copied from OpenMetadata's ``JwtFilter`` and authorizer (401 ``Not Authorized! Token not present`` /
``Expired token!`` / ``Invalid token``; 403 for a principal without ``EditAll``).
"""

from __future__ import annotations

from core.emulators.http import Request
from core.emulators.openmetadata.constants import BOT_NAME, READ_ONLY_BOT_NAME
from core.emulators.openmetadata.errors import om_error

# The tokens look like real OM bot JWTs (RS256 header; payload with iss "open-metadata.org", sub, isBot,
# tokenType BOT; a 64-byte signature) but are fixed strings compared verbatim: the emulator checks no
# signature, and tests must be able to paste them into a workflow config.
_JWT_HEADER = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IkdiMzg5YS05Zjc2LWdkanMtYTkyai0wMjQyYms5NDM1NiJ9"

DEFAULT_JWT = (
    _JWT_HEADER + ".eyJpc3MiOiJvcGVuLW1ldGFkYXRhLm9yZyIsInN1YiI6ImluZ2VzdGlvbi1ib3QiLCJyb2xlcyI6WyJJbmdlc3Rp"
    "b25Cb3RSb2xlIl0sImVtYWlsIjoiaW5nZXN0aW9uLWJvdEBvcGVuLW1ldGFkYXRhLm9yZyIsImlzQm90Ijp0cnVlLCJ0b2tlblR5cGUi"
    "OiJCT1QiLCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6bnVsbH0"
    ".Mj-C4O1F38SZsUu9QUQWUJB7fIkVq82EKPXw59mthJa5NqgwZxNgT5af2CygjsyP30Mh4emVArv379daUH6KIA"
)
"""Bot JWT of ``ingestion-bot`` (no expiry): full read/write access."""

READ_ONLY_JWT = (
    _JWT_HEADER + ".eyJpc3MiOiJvcGVuLW1ldGFkYXRhLm9yZyIsInN1YiI6InJlYWRvbmx5LWJvdCIsInJvbGVzIjpbIkRhdGFDb25z"
    "dW1lciJdLCJlbWFpbCI6InJlYWRvbmx5LWJvdEBvcGVuLW1ldGFkYXRhLm9yZyIsImlzQm90Ijp0cnVlLCJ0b2tlblR5cGUiOiJCT1Qi"
    "LCJpYXQiOjE3NjcyMjU2MDAsImV4cCI6bnVsbH0"
    ".pfWyIaOZseMrXms6jfgX9idz3ZBmLlD1rTEbiOW6N-gVzbTFXb9Z0tNIVu82lCAJnoqGKL8A9Pd9AGq6accYsg"
)
"""Bot JWT of ``readonly-bot``: GETs succeed, every write gets 403."""

EXPIRED_JWT = (
    _JWT_HEADER + ".eyJpc3MiOiJvcGVuLW1ldGFkYXRhLm9yZyIsInN1YiI6ImluZ2VzdGlvbi1ib3QiLCJyb2xlcyI6WyJJbmdlc3Rp"
    "b25Cb3RSb2xlIl0sImVtYWlsIjoiaW5nZXN0aW9uLWJvdEBvcGVuLW1ldGFkYXRhLm9yZyIsImlzQm90Ijp0cnVlLCJ0b2tlblR5cGUi"
    "OiJCT1QiLCJpYXQiOjE3MzU2ODk2MDAsImV4cCI6MTczODM2ODAwMH0"
    ".egFIl6nOHEZYryhlMsaiHGKfvX3J5hzLHiauRvWLH8o6GMOqFbA8oO4Js_m4BifR2-ISryTtNLD6H_PGv-vOkg"
)
"""An ``ingestion-bot`` JWT whose ``exp`` lies in the past: every authenticated call gets 401."""

MSG_TOKEN_MISSING = "Not Authorized! Token not present"
MSG_TOKEN_EXPIRED = "Expired token!"
MSG_TOKEN_INVALID = "Invalid token"
MSG_READ_ONLY = "Principal: CatalogPrincipal{name='readonly-bot'} operations [EditAll] not allowed"

WRITE_METHODS = frozenset({"PUT", "POST", "PATCH", "DELETE"})


def principal_for(request: Request, *, jwt: str, read_only_jwt: str | None, expired_jwt: str | None) -> str:
    """The bot a request acts as, from its ``Authorization: Bearer <JWT>`` header (OM's ``JwtFilter``).

    Tokens are compared verbatim (no signature check). Error messages never contain the token.

    Args:
        request: the request; only its ``authorization`` header and method are read.
        jwt: the ingestion bot's token (read and write).
        read_only_jwt: a token that may read only, or ``None``.
        expired_jwt: a token answered as expired, or ``None``.

    Returns:
        ``BOT_NAME`` or ``READ_ONLY_BOT_NAME``.

    Raises:
        HttpError: 401 (no bearer token, an expired or an unknown one) or 403 (a write by the read-only bot).
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise om_error(401, MSG_TOKEN_MISSING)
    if expired_jwt is not None and token == expired_jwt:
        raise om_error(401, MSG_TOKEN_EXPIRED)
    if token == jwt:
        return BOT_NAME
    if read_only_jwt is not None and token == read_only_jwt:
        if request.method in WRITE_METHODS:
            raise om_error(403, MSG_READ_ONLY)
        return READ_ONLY_BOT_NAME
    raise om_error(401, MSG_TOKEN_INVALID)
