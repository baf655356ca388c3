"""Bugs the properties found in ``core/`` that are not fixed yet: predicates to keep their inputs out
of the property tests (so those keep guarding everything else) and the minimised examples, which are
pinned as ``xfail(strict=True)`` tests in ``test_known_bugs.py``. When a bug is fixed its xfail test
starts passing, pytest reports XPASS(strict) as a failure, and the predicate here must be deleted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

__all__ = ["KNOWN_BUGS", "excluded", "hits_known_bug"]


def excluded() -> bool:
    """False when ``DBX_PROPERTY_KNOWN_BUGS=include``: the properties then meet the known bugs too (to
    check a fix, or that they still find the bugs on their own)."""
    return os.environ.get("DBX_PROPERTY_KNOWN_BUGS") != "include"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _strings(key)
            yield from _strings(child)
    elif isinstance(value, list):
        for child in value:
            yield from _strings(child)


def non_decimal_digits(raw: Any) -> bool:
    """BUG 1: ``decode._as_int`` accepts text whose characters are digits by ``str.isdigit`` but not
    decimal (``"²"``, ``"①"``), and ``int()`` then raises ValueError: out of ``decode_job`` (job_id,
    max_concurrent_runs, created_time), ``decode_run`` (start_time, end_time, attempt_number) and
    ``decode_dlt_update`` (creation_time) comes a ValueError, not a DecodeError. In the job listing it
    escapes ``IngestionEngine.run()`` itself: one such job ends the whole run with a traceback and no report."""
    return any(
        text.strip().lstrip("-").isdigit() and not text.strip().lstrip("-").isdecimal()
        for text in _strings(raw)
    )


def scalar_task_run_ids(raw: Any) -> bool:
    """BUG 2: ``decode._repair_ranks`` iterates ``repair_history[i].task_run_ids`` without checking that it
    is a list: a non-zero number (or ``true``) raises TypeError out of ``decode_run``. In the engine the
    job then fails as "internal error" and none of its statuses is written, not even the good runs'."""
    if not isinstance(raw, dict) or not isinstance(raw.get("repair_history"), list):
        return False
    return any(
        isinstance(item, dict)
        and bool(item.get("task_run_ids"))
        and isinstance(item["task_run_ids"], (int, float))
        for item in raw["repair_history"]
    )


#: name -> (predicate over one raw item, minimised example)
KNOWN_BUGS = {
    "non-decimal digits in a number field": (non_decimal_digits, {"job_id": "²"}),
    "repair_history task_run_ids not a list": (
        scalar_task_run_ids,
        {"run_id": 1, "start_time": 1, "repair_history": [{"task_run_ids": 1}]},
    ),
}


def hits_known_bug(raw: Any) -> bool:
    """Whether a raw item (a job, run, pipeline or update) would trigger a known, pinned bug (always
    False when the exclusion is off: see :func:`excluded`)."""
    return excluded() and any(predicate(raw) for predicate, _ in KNOWN_BUGS.values())
