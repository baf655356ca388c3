"""Which OpenMetadata server versions this connector speaks (1.x and 2.x), and what to say about others."""

from __future__ import annotations

import re

__all__ = ["SUPPORTED_MAJORS", "version_warning"]

#: The OpenMetadata server lines whose API this connector speaks.
SUPPORTED_MAJORS = (1, 2)


def version_warning(version: str) -> str | None:
    """A sentence saying the server's version is not one this connector supports (1.x, 2.x), or None.

    Args:
        version: what ``GET /v1/system/version`` answered (e.g. ``"2.0.7"``).

    Returns:
        None for a supported release; else a warning naming the version and what to do.
    """
    match = re.match(r"\s*v?(\d+)\.(\d+)", version)
    if match is None:
        return (
            f"OpenMetadata reports version {version!r}, which is not a release number; this connector "
            "supports OpenMetadata 1.x and 2.x"
        )
    major = int(match.group(1))
    if major in SUPPORTED_MAJORS:
        return None
    todo = "upgrade the server" if major < SUPPORTED_MAJORS[0] else "check for a newer dbx-pipeline"
    return (
        f"OpenMetadata {version} is not a supported version (this connector supports 1.x and 2.x); "
        f"{todo}: writes may be rejected or mapped wrongly"
    )
