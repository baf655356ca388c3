"""A small, real HTTP server that the Databricks and OpenMetadata emulators are built on.

Why not a mock library: the engine talks to Databricks through ``databricks-sdk`` and to OpenMetadata
through a pooled ``requests`` session, and both must be exercised over real sockets (retries, pooling,
timeouts, connection resets). Why not plain ``http.server``: it answers in several small writes, which
with Nagle's algorithm and delayed ACKs adds ~40 ms to every reply and would make every latency figure
wrong. This server sets ``TCP_NODELAY`` and writes each response in one ``sendall``.

Features shared by both emulators:
- routing by method + regular expression on the path;
- configurable latency per request (simulates a remote API);
- fault injection (status codes with optional ``Retry-After``, connection resets, slow replies that
  exceed the client's read timeout, truncated or non-JSON bodies), each fault matching a method/path
  pattern and firing a fixed number of times or with a seeded probability;
- per-route rate limits (:class:`RateLimiter`, a token bucket per route): a request over its route's
  limit gets 429 with ``Retry-After``, counted as ``throttled:<route>``;
- per-route call counters for benchmarks and tests;
- holds (:meth:`EmulatorServer.hold`): matching requests wait at a gate until the test releases them, so a
  test can stop a run at a known point instead of guessing with sleeps.

Layout: ``messages`` (request, response, error, route), ``faults`` (faults and holds), ``ratelimit``
(token buckets), ``handler`` (one connection's request handling) and ``server`` (:class:`EmulatorServer`).
"""

from core.emulators.http.faults import Fault, FaultKind, Hold
from core.emulators.http.messages import STATS_PATH, Handler, HttpError, Request, Response, Route
from core.emulators.http.ratelimit import RateLimiter, TokenBucket, retry_after_header
from core.emulators.http.server import EmulatorServer

__all__ = [
    "STATS_PATH",
    "EmulatorServer",
    "Fault",
    "FaultKind",
    "Handler",
    "Hold",
    "HttpError",
    "RateLimiter",
    "Request",
    "Response",
    "Route",
    "TokenBucket",
    "retry_after_header",
]
