"""OpenMetadata's error answers: ``{"code": status, "message": ...}`` (CatalogExceptionMessage wording)."""

from __future__ import annotations

from core.emulators.http import HttpError


def om_error(status: int, message: str, headers: dict[str, str] | None = None) -> HttpError:
    """An :class:`HttpError` with OpenMetadata's error body ``{"code": status, "message": ...}``."""
    return HttpError(status, {"code": status, "message": message}, headers)


def entity_not_found(entity_type: str, key: str) -> HttpError:
    """OM's ``CatalogExceptionMessage.entityNotFound``: ``<type> instance for <key> not found``."""
    return om_error(404, f"{entity_type} instance for {key} not found")


def bad_request(message: str) -> HttpError:
    """A 400 with OpenMetadata's error body, e.g. a schema violation ``[query param limit must be ...]``."""
    return om_error(400, message)
