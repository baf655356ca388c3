"""pydantic models of OpenMetadata's workflow YAML for the Databricks Pipeline connector.

Field names are snake_case in Python and keep OpenMetadata's camelCase keys as aliases, so a YAML file
written for ``metadata ingest -c`` loads unchanged. Every model forbids unknown keys (the loader turns
those errors into a dotted path with a did-you-mean hint). Defaults are the JSON schemas' defaults
(../shared/reference): ``connectionTimeout`` 120, ``includeLineage`` true, ``statusLookbackDays`` 1...

Both generations of the connection are accepted: the classic form (``token:`` directly under
``serviceConnection.config``, ``connectionArguments.http_path``) and the OpenMetadata 2.x form
(``authType: {token: ...}`` or OAuth / Azure service principal, ``httpPath``). After validation,
:attr:`DatabricksConnection.auth` always holds one resolved auth object and ``http_path`` is filled from
either place.
"""

from core.config.models.auth import (
    AUTH_TAGS,
    AzureAdSetup,
    DatabricksAuth,
    DatabricksOAuth,
    PersonalAccessToken,
)

# private, but core/config/loader.py imports it from here
from core.config.models.auth import _auth_kind as _auth_kind
from core.config.models.base import FilterPattern
from core.config.models.connection import DatabricksConnection
from core.config.models.server import JWTClientConfig, OpenMetadataServerConfig
from core.config.models.sink import SinkConfig, SinkOptions
from core.config.models.source import (
    LineageInformation,
    PipelineMetadataConfig,
    ServiceConnection,
    Source,
    SourceConfig,
)
from core.config.models.workflow import WorkflowConfig, WorkflowSettings

__all__ = [
    "AUTH_TAGS",
    "AzureAdSetup",
    "DatabricksAuth",
    "DatabricksConnection",
    "DatabricksOAuth",
    "FilterPattern",
    "JWTClientConfig",
    "LineageInformation",
    "OpenMetadataServerConfig",
    "PersonalAccessToken",
    "PipelineMetadataConfig",
    "ServiceConnection",
    "SinkConfig",
    "SinkOptions",
    "Source",
    "SourceConfig",
    "WorkflowConfig",
    "WorkflowSettings",
]
