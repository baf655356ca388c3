"""Where the tests find things outside their own files: ``../shared`` and OpenMetadata's JSON schemas.

No test names a machine path. ``../shared`` is the folder beside this checkout (``DBX_PIPELINE_SHARED``
overrides it); it is optional. OpenMetadata's schemas come from ``../shared/reference`` when it is there
and otherwise from the copy vendored in ``tests/data/openmetadata-schemas/`` (the files the tests reach,
see its README), so the contract tests run on any clone. ``tests/unit/test_vendored_schemas.py`` checks the
copy against the reference whenever both exist.

No test needs ``../shared`` and none skips without it: the one check that compares with it
(``tests/unit/test_vendored_schemas.py``) compares with the checksums recorded from it when it is absent.
(Test modules cannot import ``conftest.py``, hence this module.)
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCHEMA_BASE = "https://open-metadata.org/schema/"
#: the OpenMetadata 1.13 schema files the tests reach, copied from ../shared/reference (Apache-2.0)
VENDORED_SCHEMAS = REPO / "tests" / "data" / "openmetadata-schemas"


def shared_dir() -> Path:
    """``$DBX_PIPELINE_SHARED``, else the ``shared`` folder beside this checkout (it may not exist)."""
    override = os.environ.get("DBX_PIPELINE_SHARED")
    return Path(override).expanduser().resolve() if override else REPO.parent / "shared"


def reference_schemas() -> Path:
    """The full reference schema tree under ``../shared`` (it may not exist)."""
    return shared_dir() / "reference" / "openmetadata-spec" / "json" / "schema"


def schema_root() -> Path:
    """OpenMetadata's JSON schema tree: ``../shared``'s reference copy when present, else the vendored one."""
    reference = reference_schemas()
    return reference if reference.is_dir() else VENDORED_SCHEMAS
