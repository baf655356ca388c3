"""Schema-driven request validation: a small mini-language of validators that answer like Jackson does.

OpenMetadata deserialises request bodies with Jackson and then runs bean validation, so the first problem
reported is an unknown key or a type mismatch, then a missing required key. The messages copy theirs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core.emulators.http import HttpError
from core.emulators.openmetadata.errors import bad_request

Validator = Callable[[Any, str], None]
"""Checks one JSON value; ``path`` names it in messages (``tasks[0].name``). Raises a 400 on failure."""


def _json_kind(value: Any) -> str:
    """The name Jackson gives a JSON token kind in its type-mismatch messages."""
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Floating-point"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    return "Object"


def type_error(java_type: str, value: Any, path: str) -> HttpError:
    """Jackson's type-mismatch 400 (``Cannot deserialize value of type `java.lang.Long` from String ...``).

    Args:
        java_type: the Java type the schema field maps to, e.g. ``java.lang.String``.
        value: the JSON value that did not fit.
        path: the field's reference chain, e.g. ``tasks[0].name``.

    Returns:
        The error to raise.
    """
    return bad_request(
        f"Cannot deserialize value of type `{java_type}` from {_json_kind(value)} value "
        f'(through reference chain: "{path}")'
    )


def string_of(min_len: int | None = None, max_len: int | None = None, forbid: str | None = None) -> Validator:
    """A JSON string, optionally bounded like the schema's minLength/maxLength/pattern."""

    def check(value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise type_error("java.lang.String", value, path)
        if (min_len is not None and len(value) < min_len) or (max_len is not None and len(value) > max_len):
            raise bad_request(f"[{path} size must be between {min_len or 0} and {max_len or 2147483647}]")
        if forbid is not None and forbid in value:
            raise bad_request(f'[{path} must match "^((?!{forbid}).)*$"]')

    return check


def integer(value: Any, path: str) -> None:
    """A JSON integer (a Java ``Long``; a boolean is no integer to Jackson).

    Raises:
        HttpError: 400 type mismatch naming ``path``.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise type_error("java.lang.Long", value, path)


def number(value: Any, path: str) -> None:
    """A JSON number (a Java ``Double``; a boolean is no number to Jackson).

    Raises:
        HttpError: 400 type mismatch naming ``path``.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise type_error("java.lang.Double", value, path)


def boolean(value: Any, path: str) -> None:
    """A JSON boolean.

    Raises:
        HttpError: 400 type mismatch naming ``path``.
    """
    if not isinstance(value, bool):
        raise type_error("java.lang.Boolean", value, path)


def any_object(value: Any, path: str) -> None:
    """A JSON object of any content.

    Raises:
        HttpError: 400 type mismatch naming ``path``.
    """
    if not isinstance(value, dict):
        raise type_error("java.lang.Object", value, path)


def any_value(value: Any, path: str) -> None:
    """Accept anything (``extension`` has no declared type)."""


def uuid_string(value: Any, path: str) -> None:
    """A string holding a UUID (entity ids).

    Raises:
        HttpError: 400 type mismatch, or Jackson's ``UUID has to be represented by standard 36-char
            representation`` for a string that is no UUID.
    """
    if not isinstance(value, str):
        raise type_error("java.util.UUID", value, path)
    try:
        uuid.UUID(value)
    except ValueError as err:
        raise bad_request(
            f'Cannot deserialize value of type `java.util.UUID` from String "{value}": UUID has to be '
            f'represented by standard 36-char representation (through reference chain: "{path}")'
        ) from err


def enum_of(java_name: str, values: tuple[str, ...]) -> Validator:
    """A string restricted to ``values``; Jackson reports a miss as a failed enum construction."""
    allowed = frozenset(values)

    def check(value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise type_error(java_name, value, path)
        if value not in allowed:
            raise bad_request(
                f"Cannot construct instance of `{java_name}`, problem: {value} "
                f'(through reference chain: "{path}"; allowed: {", ".join(values)})'
            )

    return check


def list_of(item: Validator) -> Validator:
    """A JSON array whose non-null elements each pass ``item`` (named ``path[i]`` in messages)."""

    def check(value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise type_error("java.util.ArrayList", value, path)
        for index, element in enumerate(value):
            if element is None:
                continue
            item(element, f"{path}[{index}]")

    return check


@dataclass(frozen=True)
class ObjectSpec:
    """The embedded form of one JSON-schema object: its Java class, keys, required keys and closedness.

    ``closed`` mirrors ``"additionalProperties": false``: OM deserialises with Jackson, which rejects an
    unknown key of such a class with ``Unrecognized field "x" (class ...), not marked as ignorable``. Classes
    generated without that flag collect unknown keys instead, so ``closed=False`` accepts them.
    """

    java_class: str
    fields: Mapping[str, Validator]
    required: tuple[str, ...] = ()
    closed: bool = True

    def validate(self, value: Any, path: str = "") -> dict[str, Any]:
        """Check ``value`` in Jackson's order (unknown keys and types first, then bean validation)."""
        if not isinstance(value, dict):
            raise type_error(self.java_class, value, path or self.java_class.rsplit(".", 1)[-1])
        prefix = f"{path}." if path else ""
        for key, item in value.items():
            checker = self.fields.get(key)
            if checker is None:
                if self.closed:
                    raise bad_request(
                        f'Unrecognized field "{key}" (class {self.java_class}), not marked as ignorable'
                    )
                continue
            if item is not None:
                checker(item, f"{prefix}{key}")
        for key in self.required:
            if value.get(key) is None:
                raise bad_request(f"[{prefix}{key} must not be null]")
        return value

    def __call__(self, value: Any, path: str) -> None:
        """Use the spec as the :data:`Validator` of an embedded object (see :meth:`validate`)."""
        self.validate(value, path)
