"""Retrying the Databricks failures databricks-sdk does not, and paging with a loop guard.

databricks-sdk retries 429, 503 and connection errors within its time budget, but a 500, 502 or 504, a
body that is not JSON, or a response cut short fails the call at once (measured against the emulator).
On a 20,000-job listing one such blip would fail the whole run, so idempotent reads get a few more
attempts with :mod:`core.http_policy`'s backoff (tenacity). Errors the SDK already retried until its budget
ran out (``TimeoutError``) and every 4xx are not retried again.

Token paging is done here, at page grain, so a server that hands back a page token it already gave
cannot loop a listing forever: that is an error, and the listing counts as incomplete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError, DeadlineExceeded, InternalError, TemporarilyUnavailable
from tenacity import retry_if_exception

from core.databricks.errors import translate
from core.errors import SourceError, SourceUnavailableError
from core.http_policy import DATABRICKS_ATTEMPTS, DATABRICKS_CALL_BUDGET_S, retrying

__all__ = ["MAX_PAGES", "bodies", "call", "is_transient", "pages"]

T = TypeVar("T")

ATTEMPTS = DATABRICKS_ATTEMPTS
MAX_PAGES = 100_000  # 10 million jobs at 100 per page: beyond that something is wrong


def is_transient(err: BaseException) -> bool:
    """True for failures worth another attempt that the SDK did not already retry."""
    if isinstance(err, (InternalError, DeadlineExceeded, TemporarilyUnavailable)):
        return True
    if type(err) is DatabricksError:  # 502 and other statuses the SDK has no class for
        return True
    return isinstance(err, (requests.exceptions.JSONDecodeError, requests.exceptions.ChunkedEncodingError))


def call(
    what: str, fn: Callable[..., T], *args: Any, budget_s: float = DATABRICKS_CALL_BUDGET_S, **kwargs: Any
) -> T:
    """``fn(*args, **kwargs)`` with transient failures retried; any failure raised as a SourceError."""
    attempts = retrying(attempts=ATTEMPTS, budget_s=budget_s, retry=retry_if_exception(is_transient))
    try:
        return attempts(fn, *args, **kwargs)
    except SourceError:
        raise
    except (DatabricksError, requests.RequestException, TimeoutError, ValueError, KeyError, TypeError) as err:
        raise translate(err, what) from err


def bodies(
    client: WorkspaceClient,
    path: str,
    query: dict[str, Any],
    what: str,
    *,
    budget_s: float = DATABRICKS_CALL_BUDGET_S,
) -> Iterator[dict[str, Any]]:
    """Raw JSON bodies of a token-paged GET, through the SDK's ApiClient (auth, SDK retries, error mapping).

    Follows ``next_page_token`` (sent back as ``page_token`` with the original query) until a page has
    none. An empty body is an empty page.

    Raises:
        SourceError: when a page fails (see :func:`call`).
        SourceUnavailableError: when a page is not a JSON object, the server repeats a page token (a
            loop) or never stops: the listing is then incomplete.
    """
    query = dict(query)
    headers = {"Accept": "application/json"}
    if client.config.workspace_id:
        headers["X-Databricks-Workspace-Id"] = client.config.workspace_id
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        body = call(what, client.api_client.do, "GET", path, query=query, headers=headers, budget_s=budget_s)
        if body is None or body == "":
            body = {}
        if not isinstance(body, dict):
            raise SourceUnavailableError(
                f"Databricks sent a page that is not a JSON object while {what}; the listing counts as incomplete",
                hint="Retry later; if it persists, report it to Databricks support",
            )
        yield body
        token = body.get("next_page_token")
        if not token:
            return
        if token in seen:
            raise SourceUnavailableError(
                f"Databricks returned the same page token twice while {what}; stopped to avoid an endless "
                "loop, and the listing counts as incomplete",
                hint="Retry later; if it persists, report it to Databricks support",
            )
        seen.add(token)
        query["page_token"] = token
    raise SourceUnavailableError(f"more than {MAX_PAGES:,} pages while {what}; the listing was stopped")


def pages(
    client: WorkspaceClient,
    path: str,
    query: dict[str, Any],
    items_key: str,
    what: str,
    *,
    budget_s: float = DATABRICKS_CALL_BUDGET_S,
) -> Iterator[list[Any]]:
    """The ``items_key`` array of each page of a token-paged GET (see :func:`bodies`).

    Items are raw JSON, unchecked: :mod:`core.databricks.decode` reads them one by one. A page without
    ``items_key`` is empty (the API leaves it out when there is nothing).

    Raises:
        SourceUnavailableError: when ``items_key`` holds something other than a list: the page cannot
            be read, so the listing is incomplete (never mistaken for a smaller workspace).
    """
    for body in bodies(client, path, query, what, budget_s=budget_s):
        items = body.get(items_key)
        if items is not None and not isinstance(items, list):
            raise SourceUnavailableError(
                f"Databricks sent a page whose {items_key!r} is not a list while {what}; the listing "
                "counts as incomplete",
                hint="Retry later; if it persists, report it to Databricks support",
            )
        yield items or []
