"""The workflow YAML root (``source``, ``sink``, ``workflowConfig``) and its cross-section checks."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from core.config.models.base import _Model
from core.config.models.server import OpenMetadataServerConfig
from core.config.models.sink import SinkConfig
from core.config.models.source import Source

__all__ = ["STATUS_SOURCES", "StatusSourceName", "WorkflowConfig", "WorkflowSettings"]

#: ``workflowConfig.config.statusSource``: where run statuses are read (``auto`` is the default)
StatusSourceName = Literal["auto", "rest", "systemTables"]
STATUS_SOURCES: tuple[StatusSourceName, ...] = ("auto", "rest", "systemTables")


_LOG_LEVEL = re.compile(r"^(DEBUG|INFO|WARN|WARNING|ERROR)$")


class WorkflowSettings(_Model):
    """``workflowConfig``."""

    logger_level: Literal["DEBUG", "INFO", "WARN", "WARNING", "ERROR"] = "INFO"
    raise_on_error: bool = True
    success_threshold: int = Field(default=90, ge=0, le=100)
    open_metadata_server_config: OpenMetadataServerConfig | None = None
    config: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _status_source_known(self) -> WorkflowSettings:
        # ``config`` is the free-form block OpenMetadata's own model allows (``workers`` lives there too),
        # so the YAML still loads in openmetadata-ingestion; the value is checked here.
        raw = self.config.get("statusSource", "auto")
        if raw not in STATUS_SOURCES:
            message = f"must be one of {', '.join(STATUS_SOURCES)}, got {raw!r}"
            raise _located(type(self).__name__, ("config", "statusSource"), message, raw)
        return self

    @property
    def status_source(self) -> StatusSourceName:
        """``config.statusSource``: ``auto`` (system tables when readable, else REST), ``rest``, ``systemTables``."""
        raw = self.config.get("statusSource", "auto")
        return next(name for name in STATUS_SOURCES if name == raw)

    @field_validator("logger_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) and _LOG_LEVEL.match(value.upper()) else value


class WorkflowConfig(_Model):
    """The whole workflow YAML: ``source``, ``sink``, ``workflowConfig``."""

    source: Source
    sink: SinkConfig = Field(default_factory=SinkConfig)
    workflow_config: WorkflowSettings = Field(default_factory=WorkflowSettings)
    processor: dict[str, Any] | None = None
    ingestion_pipeline_fqn: str | None = Field(default=None, alias="ingestionPipelineFQN")
    pipeline_run_id: str | None = None
    enable_streamable_logs: bool = False

    @model_validator(mode="after")
    def _server_needed(self) -> WorkflowConfig:
        if self.sink.type == "metadata-rest" and self.workflow_config.open_metadata_server_config is None:
            # A ValidationError raised here keeps its own location, so the error names the missing field
            # (a plain ValueError from a root validator would have no field at all).
            message = "is required for the metadata-rest sink (hostPort and securityConfig.jwtToken)"
            raise _located(type(self).__name__, ("workflowConfig", "openMetadataServerConfig"), message, None)
        return self

    @model_validator(mode="after")
    def _http_path_for_lineage(self) -> WorkflowConfig:
        connection = self.source.connection
        problem = connection.http_path_problem()
        if problem is None or not self.source.options.include_lineage:
            return self
        # Lineage is asked for and httpPath cannot serve it: name the field the value came from.
        base = ("source", "serviceConnection", "config")
        loc: tuple[str, ...]
        if connection.http_path_field == "httpPath":
            loc, message = (*base, "httpPath"), problem
        else:
            loc, message = base, f"{connection.http_path_field} {problem}"
        raise ValidationError.from_exception_data(
            type(self).__name__,
            [
                InitErrorDetails(
                    type=PydanticCustomError("value_error", message), loc=loc, input=connection.http_path
                )
            ],
        )

    def http_path_warning(self) -> str | None:
        """A warning when ``httpPath`` is not a SQL warehouse path but lineage is off, so it is unused."""
        connection = self.source.connection
        problem = connection.http_path_problem()
        if problem is None:
            return None
        return (
            f"source.serviceConnection.config.{connection.http_path_field} {problem}; it is not used "
            "because includeLineage is false"
        )

    @property
    def server(self) -> OpenMetadataServerConfig | None:
        """Shortcut to ``workflowConfig.openMetadataServerConfig``."""
        return self.workflow_config.open_metadata_server_config


def _located(model: str, loc: tuple[str, ...], message: str, value: Any) -> ValidationError:
    """A validation error at ``loc`` (a model validator's own errors would name no field)."""
    details = InitErrorDetails(type=PydanticCustomError("value_error", message), loc=loc, input=value)
    return ValidationError.from_exception_data(model, [details])
