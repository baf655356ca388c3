"""``sink``: ``metadata-rest``, ``file`` or ``console``, and its options."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from core.config.models.base import _Model

__all__ = ["SinkConfig", "SinkOptions"]


class SinkOptions(_Model):
    """``sink.config``. OpenMetadata's metadata-rest options are accepted; ``filename`` is for ``file``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    filename: str | None = None
    bulk_sink_batch_size: int = Field(default=100, ge=1)
    enable_async_pipeline: bool = False
    async_pipeline_workers: int | None = Field(default=None, ge=1)
    override_metadata: bool | None = None


class SinkConfig(_Model):
    """``sink``: ``metadata-rest`` (OpenMetadata REST API), ``file`` (JSON lines) or ``console``."""

    type: Literal["metadata-rest", "file", "console"] = "metadata-rest"
    config: SinkOptions = Field(default_factory=SinkOptions)

    @model_validator(mode="after")
    def _file_needs_name(self) -> SinkConfig:
        if self.type == "file" and not self.config.filename:
            raise ValueError("the file sink needs config.filename, e.g. filename: pipelines.jsonl")
        return self
