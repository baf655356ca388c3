"""Where pipelines go: OpenMetadata's REST API, a JSON-lines file, or the console."""

from __future__ import annotations

from core.config.models import WorkflowConfig
from core.sinks.base import EntityRef, Sink
from core.sinks.offline import ConsoleSink, FileSink
from core.sinks.openmetadata import OpenMetadataSink

__all__ = ["ConsoleSink", "EntityRef", "FileSink", "OpenMetadataSink", "Sink", "create_sink"]


def create_sink(config: WorkflowConfig, *, workers: int = 8, dry_run: bool = False) -> Sink:
    """The sink named by ``sink.type``."""
    kind = config.sink.type
    if kind == "file":
        return FileSink(config.sink.config.filename or "")
    if kind == "console":
        return ConsoleSink()
    assert config.server is not None  # guaranteed by WorkflowConfig validation
    return OpenMetadataSink(config.server, pool_size=max(4, workers * 2), dry_run=dry_run)
