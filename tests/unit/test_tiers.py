"""The tier lists name tests that exist, and the markers they add are registered."""

from __future__ import annotations

import re

import pytest

from tests.paths import REPO
from tests.tiers import OPENMETADATA_INGESTION, SLOW_DIRS, SLOW_TESTS

try:
    import tomllib
except ImportError:  # Python 3.10
    from pip._vendor import tomli as tomllib  # type: ignore[no-redef]


@pytest.mark.parametrize("key", [*SLOW_TESTS, *OPENMETADATA_INGESTION])
def test_every_listed_test_exists(key: str) -> None:
    path, _, name = key.partition("::")
    assert (REPO / path).is_file(), f"{key}: no such file (update tests/tiers.py)"
    if name:
        assert re.search(rf"^def {re.escape(name)}\(", (REPO / path).read_text(), re.M), (
            f"{key}: no such test (renamed? update tests/tiers.py)"
        )


def test_every_slow_directory_exists() -> None:
    for directory in SLOW_DIRS:
        assert (REPO / "tests" / directory).is_dir(), directory


def test_every_tier_marker_is_registered() -> None:
    with open(REPO / "pyproject.toml", "rb") as file:
        registered = {
            line.split(":")[0] for line in tomllib.load(file)["tool"]["pytest"]["ini_options"]["markers"]
        }
    used = {"slow", "openmetadata_ingestion"} | {m for markers in SLOW_DIRS.values() for m in markers}
    assert used <= registered, used - registered
