"""The OpenMetadata schemas vendored in tests/data are the reference's, byte for byte (no drift).

``SHA256SUMS`` beside them records each file's checksum as copied from ``../shared/reference``. With the
reference beside the checkout the copy is compared with it (and the record with both); without it, with the
record. Either way the test runs: nothing here skips because ``../shared`` is missing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.paths import VENDORED_SCHEMAS, reference_schemas

ENTRY_POINTS = (
    "api/data/createPipeline.json",
    "entity/data/pipeline.json",
    "metadataIngestion/workflow.json",
    "metadataIngestion/pipelineServiceMetadataPipeline.json",
    "entity/services/connections/pipeline/databricksPipelineConnection.json",
)
MANIFEST = VENDORED_SCHEMAS / "SHA256SUMS"


def _recorded() -> dict[str, str]:
    """``relative path -> sha256`` from ``SHA256SUMS`` (``sha256sum``'s format)."""
    pairs = (line.split(maxsplit=1) for line in MANIFEST.read_text().splitlines() if line.strip())
    return {path.strip(): digest for digest, path in pairs}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_vendored_copy_holds_the_entry_points_and_its_licence() -> None:
    for relative in ENTRY_POINTS:
        json.loads((VENDORED_SCHEMAS / relative).read_text())
    assert "Apache License" in (VENDORED_SCHEMAS / "LICENSE").read_text()
    assert "1.13" in (VENDORED_SCHEMAS / "README.md").read_text()


def test_the_vendored_copy_equals_the_reference() -> None:
    recorded = _recorded()
    vendored = sorted(p.relative_to(VENDORED_SCHEMAS).as_posix() for p in VENDORED_SCHEMAS.rglob("*.json"))
    assert len(vendored) > 100, vendored
    assert sorted(recorded) == vendored, "SHA256SUMS does not list exactly the vendored schema files"
    drifted = [path for path in vendored if _sha256(VENDORED_SCHEMAS / path) != recorded[path]]
    assert not drifted, f"vendored schemas differ from the checksums recorded from the reference: {drifted}"
    reference = reference_schemas()
    if reference.is_dir():  # the team's copy is beside the checkout: compare with it too
        differ = [
            p for p in vendored if not (reference / p).is_file() or _sha256(reference / p) != recorded[p]
        ]
        assert not differ, f"tests/data/openmetadata-schemas differs from {reference}: {differ}"
