"""The ``sourceHash`` a pipeline is stored with: what its job said, and which of its lineage edges are held.

OpenMetadata stores ``sourceHash`` (1 to 32 characters) with every entity; it moves no version when it
alone changes, and a JSON Patch may set it (``PipelineUpdater.entitySpecificUpdate`` records it like any
field; open-metadata/OpenMetadata ``PipelineRepository``, seen 2026-11-29). We keep two fingerprints in it:

- characters 1-20: the ``CreatePipelineRequest``'s (md5 of its canonical JSON): equal to the new
  request's means the server holds exactly this pipeline, so the PUT is skipped;
- characters 21-32: the pipeline's lineage edges (sha256 of its sorted ``source -> target`` table names)
  as of the last run that found every one of them held or wrote it, or :data:`NO_LINEAGE`. Equal to
  the edge set the source gives now means a rerun needs no table lookups and no writes for them.

A fingerprint vouches for what this tool wrote, not for what OpenMetadata still holds: an edge deleted there
by hand, or lost with a table that was hard-deleted and created again, would never come back while the
pipeline's edge set stays the same. So each pipeline's edges are checked again one day in every
:data:`RECHECK_DAYS` (:func:`recheck_due`; the day depends on the pipeline, so a daily schedule checks a
seventh of them each run): reads only, and an edge found missing is written again.

A hash written before the lineage part existed (the request's 32-character md5) keeps its first 20
characters, so upgrading rewrites no pipeline; its last 12 match no edge set, so the first run after
the upgrade checks each edge once more and stores the lineage part.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from core.openmetadata.payloads import CreatePipelineRequest

__all__ = [
    "LINEAGE_CHARS",
    "NO_LINEAGE",
    "RECHECK_DAYS",
    "REQUEST_CHARS",
    "compose",
    "lineage_fingerprint",
    "recheck_due",
    "request_fingerprint",
    "split",
]

REQUEST_CHARS = 20
LINEAGE_CHARS = 12
#: the lineage part of a pipeline whose edges were never all held
NO_LINEAGE = "0" * LINEAGE_CHARS
#: every pipeline's edges are checked against OpenMetadata again at least this often, in days
RECHECK_DAYS = 7
_DAY_MS = 86_400_000


def request_fingerprint(request: CreatePipelineRequest) -> str:
    """The request part: the first 20 hex characters of the md5 of the request's canonical JSON.

    ``sourceHash`` itself is left out, so the fingerprint does not depend on what was stored before.
    """
    body = {key: value for key, value in request.items() if key != "sourceHash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.md5(canonical.encode(), usedforsecurity=False).hexdigest()[:REQUEST_CHARS]


def lineage_fingerprint(edges: Iterable[tuple[str, str]]) -> str:
    """The lineage part for a set of ``(source table, target table)`` names (order and repeats ignored)."""
    text = "\n".join(f"{source}\t{target}" for source, target in sorted(set(edges)))
    return hashlib.sha256(text.encode()).hexdigest()[:LINEAGE_CHARS]


def split(stored: str | None) -> tuple[str | None, str | None]:
    """A stored ``sourceHash`` as (request part, lineage part); None for a part it does not have."""
    if not stored:
        return None, None
    lineage = stored[REQUEST_CHARS:] if len(stored) == REQUEST_CHARS + LINEAGE_CHARS else None
    return stored[:REQUEST_CHARS], lineage


def compose(request_part: str, lineage_part: str | None) -> str:
    """The 32-character ``sourceHash`` of a request part and a lineage part (:data:`NO_LINEAGE` if None)."""
    return request_part + (lineage_part or NO_LINEAGE)


def recheck_due(pipeline_fqn: str, now_ms: int) -> bool:
    """Whether ``now_ms`` (epoch ms, UTC) falls on the pipeline's day to check its edges again.

    One day in :data:`RECHECK_DAYS`, fixed per pipeline by its fully qualified name, so the checks of a
    large service spread evenly over the days instead of landing on one run.
    """
    slot = int(hashlib.sha256(pipeline_fqn.encode()).hexdigest()[:8], 16) % RECHECK_DAYS
    return (now_ms // _DAY_MS) % RECHECK_DAYS == slot
