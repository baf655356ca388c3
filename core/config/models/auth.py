"""Databricks authentication: personal access token, OAuth M2M, Azure AD service principal (``authType``)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Discriminator, Field, SecretStr, Tag

from core.config.models.base import _Model

__all__ = ["AUTH_TAGS", "AzureAdSetup", "DatabricksAuth", "DatabricksOAuth", "PersonalAccessToken"]


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
