"""Shape helpers for raw Databricks JSON: read one item's fields, warn on a wrong shape, fail on a fatal one.

:class:`_Reader` collects the warnings of one item (``job 42: settings.tags is a list, expected an object;
ignored``) and builds the :class:`DecodeError` for a field the item cannot do without. ``as_int`` and
``item_id`` read the API's int64 ids and numbers, sent as numbers or numeric strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from core.errors import DecodeError

__all__ = ["as_int", "item_id"]

_DECIMAL = re.compile(r"-?[0-9]+")


def _type_name(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "a boolean", type(None): "null"}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


class _Reader:
    """Reads one item's fields; optional fields of the wrong shape become warnings."""

    def __init__(self, what: str, item: str | None) -> None:
        self.what = what
        self.item = item
        self.warnings: list[str] = []

    def warn(self, path: str, problem: str) -> None:
        self.warnings.append(f"{self.what} {self.item}: {path} {problem}; ignored")

    def fail(self, path: str, problem: str) -> DecodeError:
        return DecodeError(self.what, self.item, path, problem)

    def _wrong(self, parent: Mapping[str, Any], key: str, path: str, expected: str) -> None:
        value = parent.get(key)
        if value is not None:
            self.warn(path, f"is {_type_name(value)}, expected {expected}")

    def obj(self, parent: Mapping[str, Any], key: str, path: str) -> dict[str, Any] | None:
        value = parent.get(key)
        if isinstance(value, dict):
            return value
        self._wrong(parent, key, path, "an object")
        return None

    def array(self, parent: Mapping[str, Any], key: str, path: str) -> list[Any]:
        value = parent.get(key)
        if isinstance(value, list):
            return value
        self._wrong(parent, key, path, "a list")
        return []

    def text(self, parent: Mapping[str, Any], key: str, path: str) -> str | None:
        value = parent.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        self._wrong(parent, key, path, "text")
        return None

    def integer(self, parent: Mapping[str, Any], key: str, path: str) -> int | None:
        value = parent.get(key)
        number = as_int(value)
        if number is None:
            self._wrong(parent, key, path, "a whole number")
        return number

    def flag(self, parent: Mapping[str, Any], key: str) -> bool:
        value = parent.get(key)
        return value is True or (isinstance(value, str) and value.strip().lower() == "true")

    def paused(self, parent: Mapping[str, Any], path: str) -> bool:
        """``pause_status`` as a flag; absent means UNPAUSED (the API's default)."""
        status = self.text(parent, "pause_status", f"{path}.pause_status")
        return status is not None and status.strip().upper() == "PAUSED"


def as_int(value: object) -> int | None:
    """An int64 as the API sends it: a number, or a numeric string (the SDK accepts both)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):  # ASCII digits only: int("²") raises
        return int(value.strip())
    return None


def item_id(raw: object, *keys: str) -> str | None:
    """The id of a raw item for messages (first of ``keys`` that is set), or None."""
    if not isinstance(raw, Mapping):
        return None
    for key in keys:
        value = raw.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def _require_mapping(raw: object, what: str, item: str | None) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise DecodeError(what, item, "(the item)", f"is {_type_name(raw)}, expected an object")
    return raw
