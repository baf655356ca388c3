"""Host metadata, OAuth M2M (discovery and client-credentials tokens) and SCIM ``Me``."""

from __future__ import annotations

import secrets
import time
from typing import Any

from core.emulators.databricks.base import DatabricksBase
from core.emulators.databricks.protocol import TOKEN_TTL_S, basic_credentials, parse_form
from core.emulators.http import Request, Response


class OAuthRoutes(DatabricksBase):
    """``/.well-known/databricks-config``, ``/oidc/...`` and ``/preview/scim/v2/Me``."""

    @staticmethod
    def _base_url(request: Request) -> str:
        """The URL the client used, so discovery works behind any port mapping."""
        return f"http://{request.headers.get('host', '127.0.0.1')}"

    def _host_metadata(self, request: Request) -> dict[str, Any]:
        """SDK 0.162 derives ``discovery_url`` for OAuth from ``oidc_endpoint``: it must be non-empty."""
        metadata = {"oidc_endpoint": f"{self._base_url(request)}/oidc", "cloud": "aws"}
        if self.workspace.workspace_id is not None:  # a recorded workspace may not have one
            metadata["workspace_id"] = str(self.workspace.workspace_id)
        return metadata

    def _oidc_discovery(self, request: Request) -> dict[str, Any]:
        base = f"{self._base_url(request)}/oidc"
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/v1/authorize",
            "token_endpoint": f"{base}/v1/token",
            "jwks_uri": f"{base}/jwks.json",
            "response_types_supported": ["code", "id_token"],
            "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
            "scopes_supported": ["all-apis", "offline_access", "sql", "openid", "profile", "email"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }

    def _oidc_token(self, request: Request) -> Response:
        """Client-credentials grant; the SDK sends HTTP Basic auth and a form body."""
        form = parse_form(request.body)
        client_id, client_secret = basic_credentials(request.headers.get("authorization", ""))
        client_id = client_id or form.get("client_id", "")
        client_secret = client_secret or form.get("client_secret", "")
        if form.get("grant_type") != "client_credentials":
            return Response(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Only client_credentials is supported by the emulator",
                },
            )
        valid = secrets.compare_digest(client_id, self.client_id) and secrets.compare_digest(
            client_secret, self.client_secret
        )
        if not valid:
            return Response(
                401, {"error": "invalid_client", "error_description": "Client authentication failed"}
            )
        access_token = f"eyJemulator.{secrets.token_urlsafe(24)}"
        with self._state_lock:
            self._oauth_tokens[access_token] = time.time() + TOKEN_TTL_S
        return Response(
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": TOKEN_TTL_S,
                "scope": form.get("scope", "all-apis"),
            },
        )

    # -- SCIM ---------------------------------------------------------------------------------------

    def _scim_me(self, request: Request) -> dict[str, Any] | Response:
        credential = request.headers.get("authorization", "").partition(" ")[2].strip()
        schemas = [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:workspace:2.0:User",
        ]
        if self._principal(credential) == "oauth":
            return {
                "id": "7000000000000001",
                "userName": self.client_id,
                "displayName": self.client_id,
                "active": True,
                "schemas": schemas,
                "entitlements": [{"value": "workspace-access"}],
            }
        local = self.me.split("@")[0]
        body = {
            "id": "6000000000000001",
            "userName": self.me,
            "displayName": local.title(),
            "active": True,
            "name": {"givenName": local.title(), "familyName": "Emulated"},
            "emails": [{"value": self.me, "type": "work", "primary": True}],
            "groups": [{"display": "users", "type": "direct", "value": "111", "$ref": "Groups/111"}],
            "entitlements": [{"value": "workspace-access"}],
            "schemas": schemas,
        }
        if self.workspace.workspace_id is None:
            return body
        # every workspace answer carries the org id; databricks-sdk's get_workspace_id() reads it here
        return Response(200, body, {"X-Databricks-Org-Id": str(self.workspace.workspace_id)})
