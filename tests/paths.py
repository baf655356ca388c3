"""Where the tests find things outside their own files: ``../shared`` and OpenMetadata's JSON schemas.

No test names a machine path. ``../shared`` is the folder beside this checkout (``DBX_PIPELINE_SHARED``
overrides it); it is optional. OpenMetadata's schemas come from ``../shared/reference`` when it is there
and otherwise from the copy vendored in ``tests/data/openmetadata-schemas/`` (the files the tests reach,
see its README), so the contract tests run on any clone. ``tests/unit/test_vendored_schemas.py`` checks the
copy against the reference whenever both exist.

A test that really cannot run without ``../shared`` calls :func:`skip_without_shared`: it skips with a
reason that ``tests/conftest.py`` collects and prints as a loud block at the end of the run, never quietly.
(Test modules cannot import ``conftest.py``, hence this module.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCHEMA_BASE = "https://open-metadata.org/schema/"
#: the OpenMetadata 1.13 schema files the tests reach, copied from ../shared/reference (Apache-2.0)
VENDORED_SCHEMAS = REPO / "tests" / "data" / "openmetadata-schemas"
#: the prefix of every skip reason that means "../shared is missing" (the terminal summary looks for it)
MISSING_SHARED = "needs ../shared"


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


def skip_without_shared(what: str) -> None:
    """Skip the calling test, loudly, when ``../shared`` is missing: ``what`` says what it needed."""
    if not shared_dir().is_dir():
        pytest.skip(f"{MISSING_SHARED} ({shared_dir()}): {what}")
