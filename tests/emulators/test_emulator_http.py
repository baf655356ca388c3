"""The emulators' shared HTTP server: holds (the gate tests use to park a run at a known point) and fault kinds."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests

from core.emulators.http import EmulatorServer, Fault, FaultKind


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as instance:
        instance.add_route("GET", r"/a/\d+", lambda request: {"a": request.path})
        instance.add_route("GET", r"/b", lambda request: {"b": True})
        yield instance


def _get_in_thread(url: str, answers: list[requests.Response]) -> threading.Thread:
    thread = threading.Thread(target=lambda: answers.append(requests.get(url, timeout=60)), daemon=True)
    thread.start()
    return thread


def test_held_requests_wait_until_released_and_others_pass(server: EmulatorServer) -> None:
    answers: list[requests.Response] = []
    with server.hold(r"^/a/", after=1) as gate:
        assert requests.get(f"{server.url}/a/1", timeout=10).json() == {"a": "/a/1"}  # the first passes
        threads = [_get_in_thread(f"{server.url}/a/{n}", answers) for n in (2, 3)]
        gate.wait_until_held(2)
        assert requests.get(f"{server.url}/b", timeout=10).json() == {"b": True}  # not matching: passes
        assert answers == []  # both are still parked at the gate
        assert (gate.seen, gate.held) == (3, 2)
        assert server.calls["/a/\\d+"] == 1  # held requests have not reached their handler yet
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answer.json()["a"] for answer in answers) == ["/a/2", "/a/3"]
    assert requests.get(f"{server.url}/a/4", timeout=10).status_code == 200  # released: gate stays open
    assert server.holds == []  # released holds are dropped


def test_hold_matches_method(server: EmulatorServer) -> None:
    with server.hold(r"/b", method="POST") as gate:
        assert requests.get(f"{server.url}/b", timeout=10).status_code == 200
        assert gate.seen == gate.held == 0


def test_wait_until_held_names_what_never_arrived(server: EmulatorServer) -> None:
    gate = server.hold(r"/never")
    with pytest.raises(TimeoutError, match=r"0 of 1 requests held at \* '/never'"):
        gate.wait_until_held(timeout_s=0.01)  # nothing can arrive: the timeout's length does not matter
    gate.release()


def test_stopping_the_server_releases_held_requests() -> None:
    server = EmulatorServer().start()
    server.add_route("GET", r"/a", lambda request: {"a": True})
    gate = server.hold(r"/a")
    answers: list[requests.Response] = []
    thread = _get_in_thread(f"{server.url}/a", answers)
    gate.wait_until_held()
    server.stop()
    assert gate.released
    thread.join(timeout=60)
    assert [answer.status_code for answer in answers] == [200]  # answered on its open connection


# -- fault kinds -------------------------------------------------------------------------------------


def test_an_unknown_fault_kind_is_refused_naming_the_valid_kinds(server: EmulatorServer) -> None:
    valid = "valid kinds: status, reset, delay, truncate, not_json"
    with pytest.raises(ValueError, match=f"unknown fault kind 'rest'; {valid}"):
        server.inject(kind="rest", path=r"/b")
    with pytest.raises(ValueError, match=f"unknown fault kind 'timeout'; {valid}"):
        Fault(kind="timeout")
    fault = Fault(kind=FaultKind.RESET)
    fault.kind = "slow"  # reassigned after construction: inject checks again
    with pytest.raises(ValueError, match="unknown fault kind 'slow'"):
        server.inject(fault)
    assert server.faults == []  # nothing refused was registered
    assert requests.get(f"{server.url}/b", timeout=10).json() == {"b": True}


def test_fault_kinds_compare_equal_to_their_strings_and_strings_become_members(
    server: EmulatorServer,
) -> None:
    assert FaultKind.NOT_JSON == "not_json"
    assert f"fault:{FaultKind.NOT_JSON}" == "fault:not_json"
    fault = server.inject(kind="status", status=503, path=r"/b", times=1)
    assert fault.kind is FaultKind.STATUS
    assert requests.get(f"{server.url}/b", timeout=10).status_code == 503
    assert server.calls["fault:status"] == 1
    server.inject(Fault(kind=FaultKind.NOT_JSON, path=r"/b", times=1))
    answer = requests.get(f"{server.url}/b", timeout=10)
    assert (answer.status_code, answer.headers["Content-Type"]) == (200, "text/html")
    assert server.calls["fault:not_json"] == 1


def test_holds_over_http_park_requests_until_released_and_are_never_held_themselves(
    server: EmulatorServer,
) -> None:
    """A test whose emulator runs in another process (the wizard's demo) holds it through ``/_emulator/holds``."""
    everything = requests.post(f"{server.url}/_emulator/holds", json={"path": ""}, timeout=10)
    assert everything.status_code == 200, everything.text
    requests.post(f"{server.url}/_emulator/holds/release", timeout=10)  # a hold on every path: still answered
    added = requests.post(
        f"{server.url}/_emulator/holds", json={"path": r"^/a/", "method": "get", "after": 1}, timeout=10
    )
    assert added.json() == {"hold": 2}
    assert requests.get(f"{server.url}/a/1", timeout=10).status_code == 200  # the first passes
    answers: list[requests.Response] = []
    thread = _get_in_thread(f"{server.url}/a/2", answers)
    gate = server.holds[-1]
    gate.wait_until_held()
    listed = requests.get(f"{server.url}/_emulator/holds", timeout=10).json()["holds"]
    assert listed[-1] == {
        "path": "^/a/",
        "method": "GET",
        "after": 1,
        "seen": 2,
        "held": 1,
        "released": False,
    }
    assert answers == []
    assert requests.post(f"{server.url}/_emulator/holds/release", timeout=10).json() == {"released": 2}
    thread.join(timeout=60)
    assert [answer.json() for answer in answers] == [{"a": "/a/2"}]
    assert requests.get(f"{server.url}/_emulator/holds", timeout=10).json()["holds"][-1]["released"] is True


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"path": "("}, "not a hold: missing"),
        ({"after": "two"}, "not a hold: invalid literal"),
        ([1], "JSON object"),
    ],
)
def test_a_bad_hold_over_http_is_refused_in_one_sentence(
    server: EmulatorServer, spec: object, problem: str
) -> None:
    answer = requests.post(f"{server.url}/_emulator/holds", json=spec, timeout=10)
    assert answer.status_code == 400 and problem in answer.json()["message"]
    assert server.holds == []
    assert requests.get(f"{server.url}/b", timeout=10).status_code == 200
