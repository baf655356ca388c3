"""The emulators' per-endpoint rate limits: the token bucket (on an injected clock), the documented table,
and the Databricks emulator's 429 as databricks-sdk reads it."""

from __future__ import annotations

import pytest
import requests
from databricks.sdk.errors import TooManyRequests
from databricks.sdk.errors.parser import _Parser

from core.emulators.databricks import DatabricksEmulator
from core.emulators.databricks.limits import DOCUMENTED, describe_limits, parse_rate_limits
from core.emulators.http import RateLimiter, TokenBucket, retry_after_header


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_full_bucket_lets_one_seconds_worth_through_then_says_when_the_next_token_comes() -> None:
    clock = Clock()
    bucket = TokenBucket(4, clock=clock)
    assert [bucket.take() for _ in range(4)] == [0.0] * 4
    assert bucket.take() == pytest.approx(0.25)
    clock.now += 0.1
    assert bucket.take() == pytest.approx(0.15)  # a refused request takes no token: the wait only shrinks
    clock.now += 0.15
    assert bucket.take() == 0.0
    assert bucket.take() == pytest.approx(0.25)


def test_the_bucket_refills_at_its_rate_up_to_its_burst_and_no_further() -> None:
    clock = Clock()
    bucket = TokenBucket(2, burst=3, clock=clock)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    clock.now += 60  # a long idle time refills to the burst, not to 120 tokens
    assert [bucket.take() == 0.0 for _ in range(4)] == [True, True, True, False]


def test_a_slow_limit_still_lets_one_request_through() -> None:
    clock = Clock()
    bucket = TokenBucket(0.5, clock=clock)  # one request every two seconds
    assert bucket.take() == 0.0
    assert bucket.take() == pytest.approx(2.0)


@pytest.mark.parametrize(("rate", "burst"), [(0, None), (-1, None), (5, 0)])
def test_a_bucket_needs_a_positive_rate_and_burst(rate: float, burst: float | None) -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(rate, burst)


def test_the_limiter_keeps_one_bucket_per_route_and_never_refuses_an_unlimited_one() -> None:
    clock = Clock()
    limiter = RateLimiter({"jobs/runs/list": 1, "jobs/get": 2}, clock)
    assert limiter.check("jobs/runs/list") == 0.0
    assert limiter.check("jobs/runs/list") == pytest.approx(1.0)
    assert [limiter.check("jobs/get") for _ in range(2)] == [0.0, 0.0]  # its own bucket
    assert all(limiter.check("pipelines/list") == 0.0 for _ in range(1000))


@pytest.mark.parametrize(("wait", "header"), [(0.01, "1"), (1.0, "1"), (1.2, "2"), (30.0, "30")])
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(wait: float, header: str) -> None:
    assert retry_after_header(wait) == header


def test_rate_limit_settings_parse_off_documented_and_custom_numbers() -> None:
    assert parse_rate_limits(None) == parse_rate_limits("off") == parse_rate_limits("") == {}
    assert parse_rate_limits("documented") == DOCUMENTED
    assert DOCUMENTED["jobs/runs/list"] == 20 and DOCUMENTED["jobs/runs/get"] == 100
    assert parse_rate_limits("documented,jobs/runs/list=5") == {**DOCUMENTED, "jobs/runs/list": 5.0}
    assert parse_rate_limits("jobs/get=2.5") == {"jobs/get": 2.5}
    assert parse_rate_limits({"jobs/get": 3}) == {"jobs/get": 3}
    assert describe_limits({}) == "off"
    assert describe_limits(DOCUMENTED) == (
        "jobs/get 20/s, jobs/list 20/s, jobs/runs/get 100/s, jobs/runs/list 20/s*"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("sometimes", "expected off, documented or ROUTE=RPS"),
        ("jobs/get=fast", "is not a number"),
        ("jobs/get=0", "positive, finite rate"),
        ("no/such/route=3", "no route 'no/such/route'"),
    ],
)
def test_bad_rate_limit_settings_say_what_is_wrong(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DatabricksEmulator(rate_limits=value)


def test_limits_are_off_unless_asked() -> None:
    emulator = DatabricksEmulator()
    assert emulator.rate_limiter is None and emulator.model()["rate_limits"] == {}


def test_a_request_over_the_limit_gets_databricks_429_that_the_sdk_maps_to_too_many_requests() -> None:
    clock = Clock()
    with DatabricksEmulator(rate_limits="jobs/runs/list=2", clock=clock) as emulator:
        url = f"{emulator.url}/api/2.2/jobs/runs/list"
        headers = {"Authorization": f"Bearer {emulator.token}"}
        answers = [requests.get(url, headers=headers, timeout=10) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        refused = answers[2]
        assert refused.headers["Retry-After"] == "1"
        body = refused.json()
        assert body["error_code"] == "REQUEST_LIMIT_EXCEEDED" and "2 requests per second" in body["message"]
        error = _Parser().get_api_error(refused)
        assert isinstance(error, TooManyRequests) and error.retry_after_secs == 1
        assert requests.get(f"{emulator.url}/api/2.2/jobs/list", headers=headers, timeout=10).ok  # unlimited
        clock.now += 0.5  # one token back
        assert requests.get(url, headers=headers, timeout=10).status_code == 200
        calls = requests.get(f"{emulator.url}/_emulator/calls", timeout=10).json()
        assert calls["calls"]["jobs/runs/list"] == 3 and calls["calls"]["throttled:jobs/runs/list"] == 1
        assert calls["model"]["rate_limits"] == {"jobs/runs/list": 2.0}


def test_a_route_item_overrides_documented_wherever_documented_stands() -> None:
    from core.emulators.databricks.limits import DOCUMENTED, parse_rate_limits

    before = parse_rate_limits("documented,jobs/list=5")
    after = parse_rate_limits("jobs/list=5,documented")
    assert before == after and before["jobs/list"] == 5
    assert {k: v for k, v in after.items() if k != "jobs/list"} == {
        k: v for k, v in DOCUMENTED.items() if k != "jobs/list"
    }


@pytest.mark.parametrize("value", ["jobs/list=inf", "jobs/list=nan"])
def test_a_rate_must_be_finite(value: str) -> None:
    from core.emulators.databricks.limits import parse_rate_limits

    with pytest.raises(ValueError, match="positive, finite rate"):
        parse_rate_limits(value)
