"""The OpenMetadata schemas vendored in tests/data are the reference's, byte for byte (no drift)."""

from __future__ import annotations

import json

from tests.paths import VENDORED_SCHEMAS, reference_schemas, skip_without_shared

ENTRY_POINTS = (
    "api/data/createPipeline.json",
    "entity/data/pipeline.json",
    "metadataIngestion/workflow.json",
    "metadataIngestion/pipelineServiceMetadataPipeline.json",
    "entity/services/connections/pipeline/databricksPipelineConnection.json",
)


def test_the_vendored_copy_holds_the_entry_points_and_its_licence() -> None:
    for relative in ENTRY_POINTS:
        json.loads((VENDORED_SCHEMAS / relative).read_text())
    assert "Apache License" in (VENDORED_SCHEMAS / "LICENSE").read_text()
    assert "1.13" in (VENDORED_SCHEMAS / "README.md").read_text()


def test_the_vendored_copy_equals_the_reference() -> None:
    skip_without_shared("compares tests/data/openmetadata-schemas with ../shared/reference")
    reference = reference_schemas()
    assert reference.is_dir(), f"../shared exists but has no reference schemas at {reference}"
    vendored = sorted(p.relative_to(VENDORED_SCHEMAS) for p in VENDORED_SCHEMAS.rglob("*.json"))
    assert len(vendored) > 100, vendored
    differ = [str(p) for p in vendored if not (reference / p).is_file()]
    differ += [str(p) for p in vendored if (reference / p).is_file() and (reference / p).read_bytes() != (VENDORED_SCHEMAS / p).read_bytes()]  # fmt: skip
    assert not differ, f"tests/data/openmetadata-schemas differs from {reference}: {differ}"
