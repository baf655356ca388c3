"""The two fingerprints a pipeline's ``sourceHash`` carries (core.mapping.fingerprint)."""

from __future__ import annotations

import hashlib
import json

from hypothesis import given
from hypothesis import strategies as st

from core.mapping import fingerprint
from core.openmetadata.payloads import CreatePipelineRequest

REQUEST: CreatePipelineRequest = {"name": "1001", "service": "dbx", "tasks": [{"name": "a"}]}


def test_the_hash_is_32_characters_the_schema_allows() -> None:
    composed = fingerprint.compose(fingerprint.request_fingerprint(REQUEST), None)
    assert len(composed) == 32 and composed.endswith(fingerprint.NO_LINEAGE)
    assert fingerprint.split(composed) == (composed[:20], fingerprint.NO_LINEAGE)


def test_a_hash_written_before_the_lineage_part_keeps_the_pipeline_unchanged() -> None:
    """The earlier sourceHash was the request's whole md5: its first 20 characters still match."""
    canonical = json.dumps(REQUEST, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    legacy = hashlib.md5(canonical.encode(), usedforsecurity=False).hexdigest()
    request_part, lineage_part = fingerprint.split(legacy)
    assert request_part == fingerprint.request_fingerprint(REQUEST)
    assert lineage_part != fingerprint.lineage_fingerprint([("a.b.c", "a.b.d")])


def test_the_stored_hash_itself_does_not_change_the_request_part() -> None:
    with_hash: CreatePipelineRequest = {**REQUEST, "sourceHash": "x" * 32}
    assert fingerprint.request_fingerprint(with_hash) == fingerprint.request_fingerprint(REQUEST)


def test_other_hashes_split_into_what_they_have() -> None:
    assert fingerprint.split(None) == (None, None)
    assert fingerprint.split("abc") == ("abc", None)  # another tool's hash: no lineage part to trust


names = st.text(alphabet="abcdef._", min_size=1, max_size=12)


@given(st.lists(st.tuples(names, names), min_size=1, max_size=8))
def test_the_lineage_part_ignores_order_and_repeats(edges: list[tuple[str, str]]) -> None:
    expected = fingerprint.lineage_fingerprint(edges)
    assert fingerprint.lineage_fingerprint(reversed(edges + edges)) == expected
    assert len(expected) == fingerprint.LINEAGE_CHARS
    assert fingerprint.lineage_fingerprint([*edges[1:], ("new", "edge")]) != expected


def test_each_pipeline_is_due_for_a_check_one_day_in_seven_and_the_days_spread() -> None:
    day = 86_400_000
    start = 1_795_000_000_000
    fqns = [f"svc.{1000 + i}" for i in range(700)]
    due_days = {fqn: [d for d in range(14) if fingerprint.recheck_due(fqn, start + d * day)] for fqn in fqns}
    assert all(len(days) == 2 and days[1] - days[0] == fingerprint.RECHECK_DAYS for days in due_days.values())
    per_day = [sum(fingerprint.recheck_due(fqn, start + d * day) for fqn in fqns) for d in range(7)]
    assert sum(per_day) == len(fqns) and max(per_day) < 2 * len(fqns) / 7  # no day carries the week
