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

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    SecretStr,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from core.config.hosts import (
    normalize_databricks_host,
    normalize_openmetadata_url,
    warehouse_id_from_http_path,
)
from core.secrets import register_secret

__all__ = [
    "AzureAdSetup",
    "DatabricksConnection",
    "DatabricksOAuth",
    "FilterPattern",
    "LineageInformation",
    "OpenMetadataServerConfig",
    "PersonalAccessToken",
    "PipelineMetadataConfig",
    "SinkConfig",
    "SinkOptions",
    "SourceConfig",
    "WorkflowConfig",
    "WorkflowSettings",
]


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


# -- Databricks authentication ---------------------------------------------------------------------


class PersonalAccessToken(_Model):
    """``authType: {token: ...}`` (OpenMetadata 2.x) or the classic top-level ``token``."""

    token: SecretStr = Field(min_length=1)


class DatabricksOAuth(_Model):
    """OAuth machine-to-machine with a Databricks service principal."""

    client_id: str = Field(min_length=1)
    client_secret: SecretStr = Field(min_length=1)


class AzureAdSetup(_Model):
    """Azure Active Directory service principal for Azure Databricks."""

    azure_client_id: str = Field(min_length=1)
    azure_client_secret: SecretStr = Field(min_length=1)
    azure_tenant_id: str = Field(min_length=1)


def _auth_kind(value: Any) -> str | None:
    """Which auth model a raw ``authType`` mapping is, judged by its keys (no trial-and-error union)."""
    if isinstance(value, BaseModel):
        return {PersonalAccessToken: "pat", DatabricksOAuth: "oauth", AzureAdSetup: "azure"}.get(type(value))
    if not isinstance(value, dict):
        return None
    keys = set(value)
    if keys & {"azureClientId", "azureClientSecret", "azureTenantId", "azure_client_id"}:
        return "azure"
    if keys & {"clientId", "clientSecret", "client_id", "client_secret"}:
        return "oauth"
    return "pat"


DatabricksAuth = Annotated[
    Annotated[PersonalAccessToken, Tag("pat")]
    | Annotated[DatabricksOAuth, Tag("oauth")]
    | Annotated[AzureAdSetup, Tag("azure")],
    Discriminator(
        _auth_kind,
        custom_error_type="auth_type",
        custom_error_message=(
            "must be a mapping: {token: ...}, {clientId: ..., clientSecret: ...} or "
            "{azureClientId: ..., azureClientSecret: ..., azureTenantId: ...}"
        ),
    ),
]

#: discriminator tags that pydantic puts into error locations; the loader drops them from dotted paths
AUTH_TAGS = frozenset({"pat", "oauth", "azure"})


class FilterPattern(_Model):
    """OpenMetadata's include / exclude regex lists (``type/filterPattern.json``)."""

    includes: list[str] = Field(default_factory=list)
    excludes: list[str] = Field(default_factory=list)


class DatabricksConnection(_Model):
    """``source.serviceConnection.config`` (``databricksPipelineConnection.json``)."""

    type: Literal["DatabricksPipeline"] = "DatabricksPipeline"
    host_port: str
    token: SecretStr | None = None
    auth_type: DatabricksAuth | None = None
    connection_timeout: float = Field(default=120, gt=0, le=3600)
    http_path: str | None = None
    connection_arguments: dict[str, Any] = Field(default_factory=dict)
    pipeline_filter_pattern: FilterPattern | None = None
    supports_metadata_extraction: bool | None = None
    lineage_look_back_days: int = Field(default=90, ge=1, le=365)
    _http_path_field: str = PrivateAttr(default="httpPath")

    @field_validator("host_port")
    @classmethod
    def _normalise_host(cls, value: str) -> str:
        return normalize_databricks_host(value)

    @model_validator(mode="after")
    def _resolve(self) -> DatabricksConnection:
        if (
            self.token is not None
            and self.auth_type is not None
            and not (
                isinstance(self.auth_type, PersonalAccessToken)
                and self.auth_type.token.get_secret_value() == self.token.get_secret_value()
            )
        ):
            raise ValueError("give either token (OpenMetadata 1.x) or authType (2.x), not both")
        if self.token is None and self.auth_type is None:
            raise ValueError(
                "no credentials: add authType: {token: ...} (or token: ... for OpenMetadata 1.x)"
            )
        if self.http_path is None:
            legacy = self.connection_arguments.get("http_path") or self.connection_arguments.get("httpPath")
            if isinstance(legacy, str) and legacy.strip():
                self.http_path = legacy.strip()
                self._http_path_field = "connectionArguments.http_path"
        return self

    @field_validator("http_path")
    @classmethod
    def _check_http_path(cls, value: str | None) -> str | None:
        # Any shape is accepted here, as OpenMetadata's connector does: httpPath is only used for lineage,
        # so WorkflowConfig checks it only when includeLineage is on (see http_path_problem).
        if value is None or not value.strip():
            return None
        return value.strip()

    def http_path_problem(self) -> str | None:
        """Why ``httpPath`` cannot serve the lineage query (a cluster path, another shape), or None."""
        if self.http_path is None:
            return None
        try:
            warehouse_id_from_http_path(self.http_path)
        except ValueError as err:
            return str(err)
        return None

    @property
    def http_path_field(self) -> str:
        """Where ``http_path`` came from: ``httpPath``, or ``connectionArguments.http_path`` (1.x)."""
        return self._http_path_field

    @property
    def base_url(self) -> str:
        """The normalised workspace URL (``host_port`` after validation)."""
        return self.host_port

    @property
    def auth(self) -> PersonalAccessToken | DatabricksOAuth | AzureAdSetup:
        """The one auth method in force, whichever YAML form declared it."""
        if self.auth_type is not None:
            return self.auth_type
        assert self.token is not None  # guaranteed by _resolve
        return PersonalAccessToken(token=self.token)

    @property
    def auth_kind(self) -> Literal["pat", "oauth-m2m", "azure-client-secret"]:
        """The databricks-sdk ``auth_type`` name for :attr:`auth`."""
        auth = self.auth
        if isinstance(auth, DatabricksOAuth):
            return "oauth-m2m"
        if isinstance(auth, AzureAdSetup):
            return "azure-client-secret"
        return "pat"

    @property
    def warehouse_id(self) -> str | None:
        """SQL warehouse id from ``httpPath``, used for Unity Catalog lineage queries (None if not one)."""
        return (
            None
            if self.http_path is None or self.http_path_problem()
            else warehouse_id_from_http_path(self.http_path)
        )


# -- sourceConfig ---------------------------------------------------------------------------------


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


# -- sink -------------------------------------------------------------------------------------------


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


# -- workflowConfig ----------------------------------------------------------------------------------


class JWTClientConfig(_Model):
    """``securityConfig`` for ``authProvider: openmetadata``."""

    jwt_token: SecretStr = Field(min_length=1)


class OpenMetadataServerConfig(_Model):
    """``workflowConfig.openMetadataServerConfig`` (``openMetadataConnection.json``)."""

    host_port: str = "http://localhost:8585/api"
    auth_provider: Literal[
        "basic",
        "azure",
        "google",
        "okta",
        "auth0",
        "aws-cognito",
        "custom-oidc",
        "ldap",
        "saml",
        "openmetadata",
    ] = "openmetadata"
    security_config: JWTClientConfig | None = None
    verify_ssl: Literal["no-ssl", "ignore", "validate"] = Field(default="no-ssl", alias="verifySSL")
    ssl_config: dict[str, Any] | None = None
    cluster_name: str = "openmetadata"
    type: Literal["OpenMetadata"] = "OpenMetadata"
    secrets_manager_provider: str | None = None
    secrets_manager_loader: str | None = None
    api_version: str = "v1"
    enable_version_validation: bool = True
    store_service_connection: bool = True
    force_entity_overwriting: bool = False
    limit_records: int = 1000
    extra_headers: dict[str, str] | None = None
    # Indexing switches of the connection schema: accepted for compatibility, not used by this connector.
    include_topics: bool = True
    include_tables: bool = True
    include_dashboards: bool = True
    include_pipelines: bool = True
    include_ml_models: bool = True
    include_users: bool = True
    include_teams: bool = True
    include_glossary_terms: bool = True
    include_tags: bool = True
    include_policy: bool = True
    include_messaging_services: bool = True
    include_database_services: bool = True
    include_pipeline_services: bool = True
    elastics_search: dict[str, Any] | None = None
    schema_filter_pattern: FilterPattern | None = None
    table_filter_pattern: FilterPattern | None = None
    database_filter_pattern: FilterPattern | None = None
    supports_data_insight_extraction: bool | None = None
    supports_elastic_search_reindexing_extraction: bool | None = None

    @field_validator("host_port")
    @classmethod
    def _normalise(cls, value: str) -> str:
        return normalize_openmetadata_url(value)

    @field_validator("extra_headers")
    @classmethod
    def _register_headers(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for header_value in (value or {}).values():
            register_secret(header_value)
        return value

    @model_validator(mode="after")
    def _jwt_needed(self) -> OpenMetadataServerConfig:
        if self.auth_provider == "openmetadata" and self.security_config is None:
            raise ValueError(
                "authProvider openmetadata needs securityConfig.jwtToken (the ingestion bot's JWT)"
            )
        return self

    @property
    def jwt(self) -> str | None:
        """The bot JWT, for the Authorization header only."""
        return self.security_config.jwt_token.get_secret_value() if self.security_config else None

    @property
    def verify(self) -> bool | str:
        """``requests``' ``verify`` argument: a CA bundle path, True, or False for ``ignore``."""
        if self.verify_ssl == "ignore":
            return False
        ca = (self.ssl_config or {}).get("caCertificate")
        return ca if (self.verify_ssl == "validate" and ca) else True


_LOG_LEVEL = re.compile(r"^(DEBUG|INFO|WARN|WARNING|ERROR)$")


class WorkflowSettings(_Model):
    """``workflowConfig``."""

    logger_level: Literal["DEBUG", "INFO", "WARN", "WARNING", "ERROR"] = "INFO"
    raise_on_error: bool = True
    success_threshold: int = Field(default=90, ge=0, le=100)
    open_metadata_server_config: OpenMetadataServerConfig | None = None
    config: dict[str, Any] = Field(default_factory=dict)

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
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError("value_error", message),
                        loc=("workflowConfig", "openMetadataServerConfig"),
                        input=None,
                    )
                ],
            )
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
