"""Classifications and tags: create-or-update and reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.emulators.http import Request, Response
from core.emulators.openmetadata.errors import bad_request, entity_not_found
from core.emulators.openmetadata.names import fqn_add, quote_name, split_fqn
from core.emulators.openmetadata.schemas import CREATE_CLASSIFICATION, CREATE_TAG
from core.emulators.openmetadata.store import EntityStore


class TagRoutes(EntityStore):
    """``/classifications`` and ``/tags``."""

    def _put_classification(self, request: Request) -> Response:
        body = CREATE_CLASSIFICATION.validate(self._body(request))
        self._reject_domains(body)
        entity, status = self._upsert_classification(body)
        return Response(status, entity)

    def _upsert_classification(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
        name = body["name"]
        classification_id = self._new_id("classification", name)
        candidate: dict[str, Any] = {
            "id": classification_id,
            "name": name,
            "fullyQualifiedName": quote_name(name),
            "description": body["description"],
            "mutuallyExclusive": bool(body.get("mutuallyExclusive", False)),
            "provider": body.get("provider", "user"),
            "owners": self._resolve_owners(body.get("owners")),
            "href": self._href("classifications", classification_id),
            "deleted": False,
        }
        if body.get("displayName"):
            candidate["displayName"] = body["displayName"]
        entity, status = self._upsert("classification", self._classifications, name, candidate)
        self._by_id[classification_id] = ("classification", name)
        return entity, status

    def _get_classification(self, request: Request) -> dict[str, Any]:
        name = self._path_param(request, "name")
        entity = self._classifications.get(split_fqn(name)[0])
        if entity is None:
            raise entity_not_found("classification", name)
        return entity

    def _put_tag(self, request: Request) -> Response:
        body = CREATE_TAG.validate(self._body(request))
        self._reject_domains(body)
        entity, status = self._upsert_tag(body)
        return Response(status, entity)

    def _upsert_tag(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
        """A tag under its parent tag (``parent``) or at the root of its ``classification``."""
        parent = None
        if body.get("parent"):
            parent = self._tags.get(body["parent"])
            if parent is None:
                raise entity_not_found("tag", body["parent"])
            classification_name = parent["classification"]["name"]
        elif body.get("classification"):
            classification_name = body["classification"]
        else:
            raise bad_request("[classification must not be null]")
        classification = self._classifications.get(classification_name)
        if classification is None:
            raise entity_not_found("classification", classification_name)
        parent_fqn = parent["fullyQualifiedName"] if parent else classification["fullyQualifiedName"]
        fqn = fqn_add(parent_fqn, body["name"])
        tag_id = self._new_id("tag", fqn)
        candidate: dict[str, Any] = {
            "id": tag_id,
            "name": body["name"],
            "fullyQualifiedName": fqn,
            "description": body["description"],
            "classification": self._ref(classification, "classification"),
            "mutuallyExclusive": bool(body.get("mutuallyExclusive", False)),
            "provider": body.get("provider", "user"),
            "deprecated": False,
            "disabled": False,
            "owners": self._resolve_owners(body.get("owners")),
            "href": self._href("tags", tag_id),
            "deleted": False,
        }
        if parent is not None:
            candidate["parent"] = self._ref(parent, "tag")
        for key in ("displayName", "style", "associatedTags"):
            if body.get(key):
                candidate[key] = body[key]
        entity, status = self._upsert("tag", self._tags, fqn, candidate)
        self._by_id[tag_id] = ("tag", fqn)
        return entity, status

    def _get_tag(self, request: Request) -> dict[str, Any]:
        fqn = self._path_param(request, "fqn")
        tag = self._tags.get(fqn)
        if tag is None:
            raise entity_not_found("tag", fqn)
        return tag
