"""Fully qualified names as OpenMetadata builds them (``service.name``, a part with a dot in quotes)."""

from __future__ import annotations

from core.openmetadata.payloads import CreatePipelineRequest

__all__ = ["pipeline_fqn", "quote_name"]


def quote_name(name: str) -> str:
    """One FQN part: OpenMetadata puts a name that contains a dot in double quotes."""
    return f'"{name}"' if "." in name else name


def pipeline_fqn(request: CreatePipelineRequest) -> str:
    """The fully qualified name OpenMetadata gives the pipeline of ``request`` (``service.name``)."""
    return f"{request['service']}.{quote_name(request['name'])}"
