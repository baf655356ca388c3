"""``workflowConfig.openMetadataServerConfig``: the OpenMetadata server and its bot JWT."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from core.config.hosts import normalize_openmetadata_url
from core.config.models.base import FilterPattern, _Model
from core.secrets import register_secret

__all__ = ["JWTClientConfig", "OpenMetadataServerConfig"]


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
