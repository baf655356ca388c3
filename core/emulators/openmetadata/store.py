"""Create-or-update (PUT) semantics shared by every entity, and owner/tag resolution."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core.emulators.openmetadata.base import OpenMetadataBase
from core.emulators.openmetadata.errors import bad_request, entity_not_found, om_error
from core.emulators.openmetadata.names import split_fqn
from core.emulators.openmetadata.versioning import (
    NO_VERSION_KEYS,
    diff_fields,
    entity_content,
    merge_tag_labels,
    next_version,
    now_ms,
)


class EntityStore(OpenMetadataBase):
    """OM's create-or-update rules: versions, bot PUT rules, restore of soft-deleted entities, owners, tags."""

    def _resolve_owners(self, refs: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        """Turn ``[{id, type}]`` into full references; a missing user or any team is a 404 like OM's."""
        owners = []
        for ref in refs or []:
            if ref["type"] not in {"user", "team"}:
                raise bad_request(f"Entity type {ref['type']} can not be an owner")
            found = self._by_id.get(ref["id"].lower())
            if found is None or found[0] != ref["type"]:
                raise entity_not_found(ref["type"], ref["id"])
            user = self._users[found[1]]
            owners.append(self._ref(user, "user"))
        return owners

    def _resolve_tags(self, labels: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        """Check every label names an existing tag and normalise it; enforce mutually exclusive groups."""
        resolved: dict[str, dict[str, Any]] = {}
        for label in labels or []:
            fqn = label["tagFQN"]
            if label["source"] == "Glossary":
                raise entity_not_found("glossaryTerm", fqn)
            tag = self._tags.get(fqn)
            if tag is None:
                raise entity_not_found("tag", fqn)
            resolved[fqn] = {
                "tagFQN": fqn,
                "name": tag["name"],
                "description": tag.get("description", ""),
                "source": label["source"],
                "labelType": label["labelType"],
                "state": label["state"],
            }
        self._check_mutually_exclusive(list(resolved))
        return [resolved[key] for key in sorted(resolved)]

    def _check_mutually_exclusive(self, tag_fqns: list[str]) -> None:
        seen: dict[str, str] = {}
        for fqn in tag_fqns:
            classification = split_fqn(fqn)[0]
            if not self._classifications.get(classification, {}).get("mutuallyExclusive"):
                continue
            if classification in seen:
                raise bad_request(
                    f"Tag labels {seen[classification]} and {fqn} are mutually exclusive and can't be "
                    "assigned together"
                )
            seen[classification] = fqn

    @staticmethod
    def _reject_domains(body: Mapping[str, Any]) -> None:
        """The emulator has no domains or data products, so naming one is a 404, as it would be on OM."""
        for domain in body.get("domains") or []:
            raise entity_not_found("domain", domain)
        for product in body.get("dataProducts") or []:
            raise entity_not_found("dataProduct", product)

    # -- create-or-update core --------------------------------------------------------------------------

    def _apply_bot_put_rules(self, original: Mapping[str, Any], updated: dict[str, Any]) -> dict[str, Any]:
        """EntityRepository.EntityUpdater for a PUT by a bot: what the server keeps from the original."""
        if not self.bot_put_preserves_user_edits:
            return updated
        merged = dict(updated)
        for key in ("description", "displayName"):
            if original.get(key):
                merged[key] = original[key]
        if not merged.get("owners") and original.get("owners"):
            merged["owners"] = original["owners"]
        if "tags" in original or "tags" in merged:
            merged["tags"] = merge_tag_labels(original.get("tags") or [], merged.get("tags") or [])
        if "extension" in original:
            merged["extension"] = original["extension"]
        else:
            merged.pop("extension", None)
        return merged

    def _upsert(
        self,
        kind: str,
        store: dict[str, dict[str, Any]],
        key: str,
        candidate: dict[str, Any],
        merge: Callable[[Mapping[str, Any], dict[str, Any]], dict[str, Any]] | None = None,
    ) -> tuple[dict[str, Any], int]:
        """Store ``candidate`` under ``key`` with OM's versioning; return (stored entity, HTTP status).

        New -> 201, version 0.1. Existing -> 200; the version moves by 0.1 only when content changed (a
        restore of a soft-deleted entity is a change). ``sourceHash`` is stored without a version bump.
        """
        original = store.get(key)
        if original is None:
            entity = {
                **candidate,
                "version": 0.1,
                "updatedAt": now_ms(),
                "updatedBy": self._current_principal(),
            }
            store[key] = entity
            self._counters[f"{kind}.created"] += 1
            self._principal.change = "entityCreated"
            return entity, 201
        merged = (merge or self._apply_bot_put_rules)(original, {**candidate, "deleted": False})
        old = entity_content(original, NO_VERSION_KEYS)
        new = entity_content(merged, NO_VERSION_KEYS)
        if old == new:
            if original.get("sourceHash") != merged.get("sourceHash"):
                store[key] = self._with_source_hash(original, merged.get("sourceHash"))
            self._counters[f"{kind}.unchanged"] += 1
            self._principal.change = "entityNoChange"
            return store[key], 200
        change = {**diff_fields(old, new), "previousVersion": original["version"]}
        entity = {
            **merged,
            "version": next_version(original["version"]),
            "updatedAt": now_ms(),
            "updatedBy": self._current_principal(),
            "changeDescription": change,
        }
        store[key] = entity
        self._counters[f"{kind}.updated"] += 1
        self._principal.change = "entityUpdated"
        if original.get("deleted"):
            self._counters[f"{kind}.restored"] += 1
        return entity, 200

    @staticmethod
    def _with_source_hash(entity: Mapping[str, Any], source_hash: str | None) -> dict[str, Any]:
        """A copy of ``entity`` carrying a new ``sourceHash`` (or none), with no version change."""
        updated = {key: value for key, value in entity.items() if key != "sourceHash"}
        if source_hash is not None:
            updated["sourceHash"] = source_hash
        return updated

    def _refuse_existing(self, kind: str, store: Mapping[str, dict[str, Any]], key: str) -> None:
        """POST is create-only: an existing entity is a 409, as on a real server."""
        if key in store:
            self._counters[f"{kind}.conflict"] += 1
            raise om_error(409, "Entity already exists")
