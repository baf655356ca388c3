"""The base of every workflow-YAML model (camelCase aliases, unknown keys forbidden) and ``FilterPattern``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from core.secrets import register_secret

__all__ = ["FilterPattern"]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


class _Model(BaseModel):
    """Base: camelCase aliases, unknown keys forbidden, Python names accepted too."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        alias_generator=_camel,
        validate_default=False,
        hide_input_in_errors=True,
    )

    def model_post_init(self, context: Any, /) -> None:
        """Register every secret field's value so logs and errors can mask it (see core.secrets)."""
        for name in type(self).model_fields:
            value = getattr(self, name, None)
            if isinstance(value, SecretStr):
                register_secret(value.get_secret_value())


class FilterPattern(_Model):
    """OpenMetadata's include / exclude regex lists (``type/filterPattern.json``)."""

    includes: list[str] = Field(default_factory=list)
    excludes: list[str] = Field(default_factory=list)
