"""Shared Hypothesis settings and the example counter behind ``test-artifacts/hypothesis-examples.json``.

Every property test uses ``settings(BASE, max_examples=examples(n))``: derandomized (the same examples on
every machine and every run, so CI is deterministic), no deadline (a 2-core CI box is slow sometimes), no
example database (nothing is written next to the sources). ``DBX_PROPERTY_SCALE=10`` multiplies every
budget for a longer local search; the default keeps the whole directory well under a minute.

``@counted`` (under ``@given``) counts how many generated examples each test ran to completion; the
conftest prints the totals and writes them to ``test-artifacts/hypothesis-examples.json``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import settings

__all__ = ["BASE", "COUNTS", "counted", "examples"]

F = TypeVar("F", bound=Callable[..., Any])

BASE = settings(derandomize=True, deadline=None, database=None, print_blob=False)

#: test name -> {"calls": bodies started, "examples": bodies that ran to the end without assume() rejecting}
COUNTS: dict[str, dict[str, int]] = {}


def examples(n: int) -> int:
    """``n`` scaled by ``DBX_PROPERTY_SCALE`` (default 1)."""
    return max(1, int(n * float(os.environ.get("DBX_PROPERTY_SCALE", "1"))))


def counted(test: F) -> F:
    """Count the examples a property test runs (put it directly under ``@given``)."""
    name = f"{test.__module__.rsplit('.', 1)[-1]}::{test.__name__}"

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        entry = COUNTS.setdefault(name, {"calls": 0, "examples": 0})
        entry["calls"] += 1
        result = test(*args, **kwargs)
        entry["examples"] += 1
        return result

    return wrapper  # type: ignore[return-value]
