"""The generated YAML against OpenMetadata's own JSON schemas (../shared/reference, else the vendored copy).

Every schema file is found by the URI of its *path* (``https://open-metadata.org/schema/<path>``):
some files' ``$id`` does not match where they live (``serviceConnection.json`` claims
``entity/services/serviceConnection.json``...), while the ``$ref``s between them are relative file paths.

The reference's ``databricksPipelineConnection.json`` is the 1.x shape (``token`` required, no ``authType``).
OpenMetadata 2.x replaced ``token`` by ``authType``: one of the personal access token, OAuth M2M and Azure AD
schemas that the reference already holds under ``entity/services/connections/database/databricks/``. The 2.x
dialect is validated against the same schema set with only that connection schema patched to 2.x's shape
(as openmetadata-ingestion 2.0.7's generated model has it: ``authType`` required, no ``token``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT7

from core.config import WorkflowConfig, load_workflow_config
from core.generate.yaml_render import render_workflow_yaml
from tests.paths import SCHEMA_BASE, schema_root

SCHEMAS = schema_root()
BASE = SCHEMA_BASE
WORKFLOW = BASE + "metadataIngestion/workflow.json"
CONNECTION = "entity/services/connections/pipeline/databricksPipelineConnection.json"
AUTH_SCHEMAS = ("personalAccessToken.json", "databricksOAuth.json", "azureAdSetup.json")


def _patched_to_2x(schema: dict[str, Any]) -> dict[str, Any]:
    patched = copy.deepcopy(schema)
    patched["properties"].pop("token")
    patched["properties"]["authType"] = {
        "title": "Authentication Type",
        "oneOf": [{"$ref": f"../database/databricks/{name}"} for name in AUTH_SCHEMAS],
    }
    patched["required"] = ["hostPort", "authType"]
    return patched


@cache
def validator(dialect: str) -> Draft7Validator:
    """A validator of ``openMetadataWorkflowConfig`` where every schema file is found by its path."""

    def retrieve(uri: str) -> Resource:
        relative = uri.removeprefix(BASE)
        path = SCHEMAS / relative
        if not uri.startswith(BASE) or not path.is_file():
            raise NoSuchResource(ref=uri)
        contents = json.loads(path.read_text(encoding="utf-8"))
        if relative == CONNECTION and dialect == "2.x":
            contents = _patched_to_2x(contents)
        contents["$id"] = uri
        return Resource.from_contents(contents, default_specification=DRAFT7)

    registry: Registry = Registry(retrieve=retrieve)
    return Draft7Validator({"$ref": f"{WORKFLOW}#/properties/openMetadataWorkflowConfig"}, registry=registry)


def errors(document: Any, dialect: str) -> list[str]:
    found = list(validator(dialect).iter_errors(document))
    if not found:
        return []
    best: ValidationError = best_match(found)  # type: ignore[assignment]
    return [f"{'.'.join(map(str, best.absolute_path))}: {best.message}"] + [e.message for e in found[:5]]


def test_the_patch_only_changes_the_credentials() -> None:
    original = json.loads((SCHEMAS / CONNECTION).read_text())
    patched = _patched_to_2x(original)
    assert "token" in original["required"] and "authType" not in original["properties"]
    assert set(original["properties"]) - set(patched["properties"]) == {"token"}
    assert set(patched["properties"]) - set(original["properties"]) == {"authType"}
    for name in AUTH_SCHEMAS:  # the three auth schemas really exist in the reference
        assert (SCHEMAS / "entity/services/connections/database/databricks" / name).is_file()


@pytest.mark.parametrize("auth", ["pat", "oauth", "azure"])
@pytest.mark.parametrize("extra_headers", [False, True])
def test_2x_yaml_is_valid_against_the_2x_schema(
    rich: Callable[..., WorkflowConfig], auth: str, extra_headers: bool
) -> None:
    document = yaml.safe_load(render_workflow_yaml(rich(auth, extra_headers=extra_headers), dialect="2.x"))
    assert errors(document, "2.x") == []


@pytest.mark.parametrize("secrets", ["env", "inline"])
def test_1x_yaml_is_valid_against_the_reference_schema_unchanged(
    rich: Callable[..., WorkflowConfig], secrets: str
) -> None:
    document = yaml.safe_load(
        render_workflow_yaml(rich("pat", extra_headers=True), dialect="1.x", secrets=secrets)
    )
    assert errors(document, "1.x") == []


def test_docs_example_renders_valid_in_both_dialects(docs_example: Path) -> None:
    config = load_workflow_config(docs_example)
    for dialect in ("1.x", "2.x"):
        document = yaml.safe_load(render_workflow_yaml(config, dialect=dialect))
        assert errors(document, dialect) == [], dialect
    # The docs example itself is valid 1.x, which shows the unpatched schema is the 1.x contract.
    assert errors(yaml.safe_load(docs_example.read_text()), "1.x") == []


def test_the_dialects_are_not_interchangeable(rich: Callable[..., WorkflowConfig]) -> None:
    """Why the dialect matters: a 2.x file fails the 1.x schema and a 1.x file fails the 2.x one."""
    two = yaml.safe_load(render_workflow_yaml(rich("pat"), dialect="2.x"))
    one = yaml.safe_load(render_workflow_yaml(rich("pat"), dialect="1.x"))
    assert errors(two, "1.x"), "a 2.x file (authType, no token) must fail OpenMetadata 1.x's schema"
    assert errors(one, "2.x"), "a 1.x file (token, no authType) must fail OpenMetadata 2.x's schema"


def test_the_validator_really_checks(rich: Callable[..., WorkflowConfig]) -> None:
    """Guard against a validator that accepts anything (a broken $ref resolves to nothing)."""
    document = yaml.safe_load(render_workflow_yaml(rich("pat"), dialect="2.x"))
    broken = copy.deepcopy(document)
    broken["source"]["sourceConfig"]["config"]["statusLookbackDay"] = 3  # a typo
    assert errors(broken, "2.x")
    broken = copy.deepcopy(document)
    broken["workflowConfig"]["loggerLevel"] = "LOUD"
    assert errors(broken, "2.x")
    broken = copy.deepcopy(document)
    del broken["workflowConfig"]["openMetadataServerConfig"]
    assert errors(broken, "2.x")
