"""Workflow configuration: OpenMetadata's YAML format, validated up front."""

from core.config.loader import MAX_CONFIG_BYTES, load_workflow_config, parse_workflow_config, parse_yaml_text
from core.config.models import (
    AzureAdSetup,
    DatabricksConnection,
    DatabricksOAuth,
    FilterPattern,
    OpenMetadataServerConfig,
    PersonalAccessToken,
    PipelineMetadataConfig,
    SinkConfig,
    WorkflowConfig,
)

__all__ = [
    "MAX_CONFIG_BYTES",
    "AzureAdSetup",
    "DatabricksConnection",
    "DatabricksOAuth",
    "FilterPattern",
    "OpenMetadataServerConfig",
    "PersonalAccessToken",
    "PipelineMetadataConfig",
    "SinkConfig",
    "WorkflowConfig",
    "load_workflow_config",
    "parse_workflow_config",
    "parse_yaml_text",
]
