"""``source.serviceConnection.config``: the Databricks workspace, its credentials and ``httpPath``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator

from core.config.hosts import normalize_databricks_host, warehouse_id_from_http_path
from core.config.models.auth import AzureAdSetup, DatabricksAuth, DatabricksOAuth, PersonalAccessToken
from core.config.models.base import FilterPattern, _Model

__all__ = ["DatabricksConnection"]


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
