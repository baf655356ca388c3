"""Where pipelines go: OpenMetadata's REST API, a JSON-lines file, or the console; a dry run wraps one.

``OpenMetadataSink`` is imported on first use, so ``core.sinks.base`` (what the engine needs) loads
without ``requests`` or the OpenMetadata client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.config.models import WorkflowConfig
from core.sinks.base import EntityRef, Sink
from core.sinks.dryrun import DryRunSink
from core.sinks.offline import ConsoleSink, FileSink, OfflineLookups

if TYPE_CHECKING:
    from core.sinks.openmetadata import OpenMetadataSink

__all__ = ["ConsoleSink", "DryRunSink", "EntityRef", "FileSink", "OpenMetadataSink", "Sink", "create_sink"]


def create_sink(config: WorkflowConfig, *, workers: int = 8, dry_run: bool = False) -> Sink:
    """The sink named by ``sink.type``.

    Args:
        config: the validated workflow config.
        workers: the engine's worker count (the OpenMetadata connection pool is sized for it).
            Pipelines go in bulk only when ``sink.config.bulk_sink_batch_size`` is set (above 1);
            unset, each gets its own PUT (:data:`core.sinks.openmetadata.DEFAULT_BATCH_SIZE`).
        dry_run: wrap the sink in a :class:`DryRunSink`: reads still go to the server, nothing is written.
            For the ``file`` and ``console`` sinks the file is not even opened (a dry run writes nothing).

    Returns:
        A sink ready to use; the caller closes it.
    """
    kind = config.sink.type
    if kind in ("file", "console"):
        if dry_run:
            return DryRunSink(OfflineLookups(kind, config.sink.config.filename or ""))
        return FileSink(config.sink.config.filename or "") if kind == "file" else ConsoleSink()
    from core.sinks.openmetadata import DEFAULT_BATCH_SIZE, OpenMetadataSink

    assert config.server is not None  # guaranteed by WorkflowConfig validation
    options = config.sink.config
    batch_size = (
        options.bulk_sink_batch_size
        if "bulk_sink_batch_size" in options.model_fields_set
        else DEFAULT_BATCH_SIZE
    )
    sink = OpenMetadataSink(config.server, pool_size=max(4, workers * 2), batch_size=batch_size)
    return DryRunSink(sink) if dry_run else sink


def __getattr__(name: str) -> Any:
    """``core.sinks.OpenMetadataSink``, imported when first asked for."""
    if name == "OpenMetadataSink":
        from core.sinks.openmetadata import OpenMetadataSink

        return OpenMetadataSink
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
