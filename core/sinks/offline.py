"""Sinks that need no server: ``file`` (JSON lines, one record per line) and ``console``.

They receive exactly the request bodies ``metadata-rest`` would send, which makes them useful for
dry runs, diffs between runs, and feeding other tools.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import IO, Any

from typing_extensions import override

from core.errors import ConfigError
from core.openmetadata.payloads import CreatePipelineRequest, CreatePipelineServiceRequest, PipelineStatus
from core.sinks.base import Change, EntityRef, Sink

__all__ = ["ConsoleSink", "FileSink", "JsonLinesSink", "OfflineLookups"]

_CONSOLE = {"kind": "console", "location": "standard output"}


def _absolute(filename: str) -> Path:
    """``filename`` as the file sink opens it (``~`` expanded), made absolute against the working directory."""
    return Path(filename).expanduser().absolute()


class OfflineLookups(Sink):
    """What the offline sinks know, with no output: the inner sink of a dry run of ``file`` or ``console``.

    No users or tables are known (owners are skipped, lineage goes by table name) and there is no catalogue
    to list; it is never written to (:class:`~core.sinks.dryrun.DryRunSink` answers every write).
    """

    resolves_entities = False

    def __init__(self, kind: str, filename: str = "") -> None:
        """Stand in for the sink named ``kind`` (``file`` or ``console``), as the report names it.

        Args:
            kind: ``file`` or ``console``.
            filename: the file sink's ``sink.config.filename``: where a real run would write.
        """
        self.kind = kind
        self.filename = filename

    @override
    def target(self) -> dict[str, str]:
        if self.kind == "file":
            return {"kind": "file", "location": str(_absolute(self.filename))}
        return dict(_CONSOLE)


class JsonLinesSink(Sink):
    """Writes each record as one JSON line to a text stream."""

    kind = "jsonl"
    resolves_entities = False

    def __init__(self, stream: IO[str]) -> None:
        """Write to ``stream`` (not closed here: :meth:`close` of a subclass decides).

        Args:
            stream: an open text stream; lines from several workers are serialised by a lock.
        """
        self.stream = stream
        self._lock = threading.Lock()

    def _emit(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, sort_keys=True, separators=(",", ":"))
        with self._lock:
            self.stream.write(line + "\n")

    @override
    def ensure_service(self, request: CreatePipelineServiceRequest) -> EntityRef:
        self._emit({"kind": "pipelineService", "request": request})
        return EntityRef(id=request["name"], fqn=request["name"], type="pipelineService")

    @override
    def put_pipeline(self, request: CreatePipelineRequest) -> tuple[EntityRef, Change]:
        self._emit({"kind": "pipeline", "request": request})
        fqn = f"{request['service']}.{request['name']}"
        return EntityRef(id=fqn, fqn=fqn, type="pipeline"), "written"

    @override
    def put_statuses(self, fqn: str, statuses: list[PipelineStatus]) -> int:
        if statuses:
            self._emit({"kind": "pipelineStatus", "pipeline": fqn, "statuses": statuses})
        return len(statuses)

    @override
    def ensure_tags(self, classification: str, description: str, tags: dict[str, str]) -> None:
        if tags:
            self._emit({"kind": "tags", "classification": classification, "tags": sorted(tags)})

    @override
    def put_lineage(self, source: EntityRef, target: EntityRef, pipeline: EntityRef) -> None:
        self._emit({"kind": "lineage", "from": source.fqn, "to": target.fqn, "pipeline": pipeline.fqn})


class FileSink(JsonLinesSink):
    """JSON lines into ``sink.config.filename`` (replaced on each run)."""

    kind = "file"

    def __init__(self, filename: str) -> None:
        """Open (create or truncate) ``filename``, making its folder when missing.

        Args:
            filename: the path from ``sink.config.filename``; ``~`` is expanded.

        Raises:
            ConfigError: ``sink.config.filename`` when the file cannot be written.
        """
        path = _absolute(filename)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            stream = path.open("w", encoding="utf-8")
        except OSError as err:
            raise ConfigError(
                f"cannot write {path}: {err.strerror}",
                field="sink.config.filename",
                hint="Choose a writable path",
            ) from None
        super().__init__(stream)
        self.path = path

    @override
    def target(self) -> dict[str, str]:
        return {"kind": "file", "location": str(self.path)}

    @override
    def close(self) -> None:
        self.stream.close()


class ConsoleSink(JsonLinesSink):
    """JSON lines on standard output."""

    kind = "console"

    def __init__(self, stream: IO[str] | None = None) -> None:
        """Write to ``stream``, standard output by default."""
        super().__init__(stream or sys.stdout)

    @override
    def target(self) -> dict[str, str]:
        return dict(_CONSOLE)

    @override
    def close(self) -> None:
        self.stream.flush()
