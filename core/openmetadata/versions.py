"""Which OpenMetadata server versions this connector speaks (1.x and 2.x), and what to say about others."""

from __future__ import annotations

import re

__all__ = ["BULK_PIPELINES_SINCE", "SUPPORTED_MAJORS", "supports_bulk_pipelines", "version_warning"]

#: The OpenMetadata server lines whose API this connector speaks.
SUPPORTED_MAJORS = (1, 2)
#: The first release line with ``PUT /v1/pipelines/bulk`` (PipelineResource.bulkCreateOrUpdate), added by
#: open-metadata/OpenMetadata PR #24262 "Bulk update APIs for Data Assets", merged 2025-11-10
#: (https://github.com/open-metadata/OpenMetadata/pull/24262, seen 2026-11-29). The sink does not rely on
#: it alone: a 404/405 from the endpoint also turns bulk writes off for the rest of the run.
BULK_PIPELINES_SINCE = (1, 11)


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


def supports_bulk_pipelines(version: str | None) -> bool | None:
    """Whether a server of ``version`` has ``PUT /v1/pipelines/bulk``.

    Args:
        version: what ``GET /v1/system/version`` answered, or None when unknown.

    Returns:
        False for a release before :data:`BULK_PIPELINES_SINCE`, True from it on, None when the version
        does not say (unknown, or not a release number): the first bulk call's answer decides.
    """
    match = re.match(r"\s*v?(\d+)\.(\d+)", version or "")
    if match is None:
        return None
    return (int(match.group(1)), int(match.group(2))) >= BULK_PIPELINES_SINCE
