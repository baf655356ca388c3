"""``source``: service name, ``serviceConnection`` and ``sourceConfig`` (what to ingest)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from core.config.models.base import FilterPattern, _Model
from core.config.models.connection import DatabricksConnection

__all__ = ["LineageInformation", "PipelineMetadataConfig", "ServiceConnection", "Source", "SourceConfig"]


class LineageInformation(_Model):
    """Where lineage tables are looked up in OpenMetadata."""

    model_config = ConfigDict(extra="forbid")

    db_service_names: list[str] = Field(default_factory=list)
    storage_service_names: list[str] = Field(default_factory=list)
    messaging_service_names: list[str] = Field(default_factory=list)


class PipelineMetadataConfig(_Model):
    """``source.sourceConfig.config`` (``pipelineServiceMetadataPipeline.json``)."""

    type: Literal["PipelineMetadata"] = "PipelineMetadata"
    include_lineage: bool = True
    include_owners: bool = True
    pipeline_filter_pattern: FilterPattern | None = None
    lineage_information: LineageInformation | None = None
    override_lineage: bool = False
    mark_deleted_pipelines: bool = True
    include_tags: bool = True
    include_un_deployed_pipelines: bool = True
    status_lookback_days: int = Field(default=1, ge=0, le=3650)
    override_metadata: bool = False
    # Newer OpenMetadata releases (2.x UI) write these; accepted so such files load.
    ownership_update_mode: Literal["replace", "append"] | None = None
    include_pipeline_observability: bool | None = None


class SourceConfig(_Model):
    """``source.sourceConfig``."""

    config: PipelineMetadataConfig = Field(default_factory=PipelineMetadataConfig)


class ServiceConnection(_Model):
    """``source.serviceConnection``."""

    config: DatabricksConnection


class Source(_Model):
    """``source``."""

    type: Literal["databrickspipeline"]
    service_name: str = Field(min_length=1, max_length=256)
    service_connection: ServiceConnection
    source_config: SourceConfig = Field(default_factory=SourceConfig)

    @field_validator("type", mode="before")
    @classmethod
    def _lower_type(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("service_name")
    @classmethod
    def _service_name(cls, value: str) -> str:
        if "::" in value or not value.strip():
            raise ValueError("must be a non-empty name without '::'")
        return value

    @property
    def connection(self) -> DatabricksConnection:
        """Shortcut to ``serviceConnection.config``."""
        return self.service_connection.config

    @property
    def options(self) -> PipelineMetadataConfig:
        """Shortcut to ``sourceConfig.config``."""
        return self.source_config.config
