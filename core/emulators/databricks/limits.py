"""The request rate limits the Databricks emulator can apply, per endpoint per workspace.

Source: the "API rate limits" table of Databricks' "Resource limits" page,
https://docs.databricks.com/aws/en/resources/limits (the page says its figures are current as of
2026-09-02; read on 2026-11-29 through the transcription in github.com/api-evangelist/
databricks-asset-bundles, rate-limits/databricks-asset-bundles-rate-limits.yml at commit c731c25, as
the page itself was not reachable from here). What it documents for the endpoints the engine calls:

- Jobs API, "create, get, list, reset, run-now": 20 requests per second per workspace, so ``jobs/list``
  and ``jobs/get`` get 20;
- Jobs API, ``runs/get``: 100 requests per second per workspace;
- Jobs API, ``runs/list``: not named in the table. We apply the Jobs API's 20 requests per second of its
  other reads (an assumption, marked as such in :data:`ASSUMED`): the engine sends one ``runs/list`` per
  job, so this limit sets the floor of a REST-mode run (2,000 jobs need at least 100 s).
- Pipelines API and SQL Statement Execution API: no request rate is published (the Statement Execution
  API documents sizes, 25 MiB per INLINE result, not rates), so ``documented`` leaves them unlimited.

The page documents neither the status nor the headers of a refused request. The emulator answers like
the platform does in the field: 429 with ``{"error_code": "REQUEST_LIMIT_EXCEEDED", "message": ...}``
(the body databricks-sdk maps to ``TooManyRequests``; see databricks/databricks-sdk-py#274 for the code
in the wild) and ``Retry-After`` in whole seconds, which databricks-sdk reads with ``int()`` and sleeps
for (``errors/customizer.py``, 0.162.0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = ["ASSUMED", "DOCUMENTED", "SOURCE", "describe_limits", "parse_rate_limits"]

SOURCE = "https://docs.databricks.com/aws/en/resources/limits (API rate limits; figures as of 2026-09-02)"

#: Route name (as the emulator registers it) -> requests per second per workspace.
DOCUMENTED: dict[str, float] = {
    "jobs/list": 20.0,
    "jobs/get": 20.0,
    "jobs/runs/list": 20.0,
    "jobs/runs/get": 100.0,
}
#: Routes in :data:`DOCUMENTED` whose figure the page does not name (see the module docstring).
ASSUMED = frozenset({"jobs/runs/list"})


def parse_rate_limits(
    value: str | Mapping[str, float] | None, routes: set[str] | None = None
) -> dict[str, float]:
    """Rate limits from a CLI or constructor value.

    Args:
        value: ``None``, ``""`` or ``"off"`` (no limits); ``"documented"`` (:data:`DOCUMENTED`); a mapping of
            route name to requests per second; or a comma-separated string of ``route=rps`` items, which may
            start with ``documented`` to change some documented figures (``documented,jobs/runs/list=5``).
        routes: the route names that exist; a limit on any other name is refused.

    Returns:
        Route name -> requests per second (empty: no limits).

    Raises:
        ValueError: an unknown word or route, or a rate that is not a positive number.
    """
    if value is None or (isinstance(value, str) and value.strip() in ("", "off")):
        return {}
    if isinstance(value, Mapping):
        return _checked(dict(value), routes)
    limits: dict[str, float] = {}
    base: dict[str, float] = {}
    for item in (part.strip() for part in value.split(",")):
        if item == "documented":  # the base wherever it stands: a ROUTE=RPS item always overrides it
            base = dict(DOCUMENTED)
            continue
        name, sep, rate = item.partition("=")
        if not sep:
            raise ValueError(f"rate limits: expected off, documented or ROUTE=RPS items, not {item!r}")
        try:
            limits[name.strip()] = float(rate)
        except ValueError:
            raise ValueError(f"rate limits: {rate!r} for {name.strip()} is not a number") from None
    return _checked({**base, **limits}, routes)


def _checked(limits: dict[str, float], routes: set[str] | None) -> dict[str, float]:
    for name, rate in limits.items():
        if routes is not None and name not in routes:
            raise ValueError(f"rate limits: no route {name!r} (routes: {', '.join(sorted(routes))})")
        if not (rate > 0 and math.isfinite(rate)):
            raise ValueError(f"rate limits: {name} needs a positive, finite rate, not {rate!r}")
    return limits


def describe_limits(limits: Mapping[str, float]) -> str:
    """``"off"`` or ``"jobs/list 20/s, jobs/runs/list 20/s*, ..."`` (``*``: not on the page, assumed)."""
    if not limits:
        return "off"
    return ", ".join(
        f"{name} {rate:g}/s{'*' if name in ASSUMED and rate == DOCUMENTED[name] else ''}"
        for name, rate in sorted(limits.items())
    )
