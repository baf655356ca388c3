"""Keeping tokens, client secrets and JWTs out of every output.

Two mechanisms, because neither alone is enough:
- config models store secrets as :class:`pydantic.SecretStr`, so ``repr``/``str``/``model_dump`` show
  ``**********``;
- every secret value loaded from a config is registered here, and :func:`redact` scrubs registered values
  (and anything that looks like a bearer token or a JWT) from text that reaches logs, errors and reports.
  A logging filter installed by :func:`install_log_redaction` applies it to every log record.
"""

from __future__ import annotations

import logging
import re
import threading

__all__ = ["MASK", "install_log_redaction", "redact", "register_secret"]

MASK = "**********"

_lock = threading.Lock()
_known: set[str] = set()

#: Things that look like credentials even when we were never told about them.
_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),  # JWT
    re.compile(r"\bdapi[0-9a-f]{16,}(-\d+)?\b"),  # Databricks PAT
    # ``token=...``, ``"jwtToken": "..."``, ``client_secret: ...``: a whole key word, so the dotted field
    # names in our own messages (``...securityConfig.jwtToken: OpenMetadata refused ...``) stay readable.
    re.compile(r"(?i)(?<![\w.-])([\w-]*(?:token|secret|password)[\w-]*[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]{4,}"),
]


def register_secret(value: str | None) -> None:
    """Remember a secret value so :func:`redact` removes it wherever it appears.

    Very short values are ignored: masking every ``"x"`` in a log line would make it unreadable and
    protects nothing (a real token is never that short).
    """
    if value and len(value) >= 6:
        with _lock:
            _known.add(value)


def redact(text: object) -> str:
    """``text`` as a string with every known secret and credential-looking substring masked."""
    result = str(text)
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in result:
            result = result.replace(secret, MASK)
    for pattern in _PATTERNS:
        if pattern.groups:
            result = pattern.sub(lambda m: (m.group(1) or "") + MASK, result)
        else:
            result = pattern.sub(MASK, result)
    return result


class _RedactingFilter(logging.Filter):
    """Rewrites each record's message with secrets masked (args are merged first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 -- a bad format string (any error) is the caller's; a log filter must not raise
            return True
        cleaned = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            cleaned_exc = redact(logging.Formatter().formatException(record.exc_info))
            cleaned = f"{cleaned}\n{cleaned_exc}"
            record.exc_info = None
            record.exc_text = None
        record.msg = cleaned
        record.args = ()
        return True


_FILTER = _RedactingFilter()


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the redacting filter to ``logger`` and its handlers, and to the loggers that log request details.

    Those loggers are ``databricks.sdk``, ``urllib3`` and ``core``. Installing twice adds nothing.

    Args:
        logger: the logger whose handlers write the output (root by default).
    """
    targets = [logger or logging.getLogger()]
    targets += [logging.getLogger(name) for name in ("databricks.sdk", "urllib3", "core")]
    for target in targets:
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
        for handler in target.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
