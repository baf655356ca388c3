"""A real browser against a real ``streamlit run``: Debian's Chromium driven by Playwright's Python client.

Playwright's own browser download (``playwright install``) cannot work on this network, so the system's
``/usr/bin/chromium`` is used; when it is missing and we are root it is installed with apt (about a
minute). Chromium is started without its background services, which would otherwise keep trying to
reach the internet from this closed network.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The system Chromium, installed with apt when missing (never ``playwright install``)."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package (sudo apt-get install -y chromium) "
            "to run the browser tests"
        )
    print("\n[browser tests] installing Debian's chromium with apt-get (about a minute)...", flush=True)
    for command in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
    ):
        print(f"[browser tests] $ {' '.join(command)}", flush=True)
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
        if result.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    if not CHROMIUM.exists():
        pytest.fail(f"apt-get installed chromium but {CHROMIUM} does not exist")
    print("[browser tests] chromium installed", flush=True)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: ``streamlit run`` that prints every thread's stack to its log on SIGUSR1 (:meth:`StreamlitServer.threads`),
#: so a test that times out waiting for the page says where the server was
SERVE = (
    "import faulthandler, signal, sys; faulthandler.register(signal.SIGUSR1, all_threads=True); "
    "from streamlit.web.cli import main; sys.argv[0] = 'streamlit'; sys.exit(main())"
)


class StreamlitServer:
    """``streamlit run ui/streamlit_app.py`` from the repo root (so .streamlit/config.toml applies)."""

    def __init__(self, log_name: str = "streamlit.log") -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = ARTIFACTS / log_name
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.healthy_at = 0.0

    def start(self) -> StreamlitServer:
        ARTIFACTS.mkdir(exist_ok=True)
        command = [
            sys.executable, "-c", SERVE, "run", "ui/streamlit_app.py",
            "--server.port", str(self.port), "--server.headless", "true",
        ]  # fmt: skip
        env = {key: value for key, value in os.environ.items() if not key.startswith("DATABRICKS_")}
        self.started_at = time.monotonic()
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited early: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        self.healthy_at = time.monotonic()
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("streamlit did not become healthy within 60 s")

    def threads(self, tail_chars: int = 12_000) -> str:
        """Every thread's stack (faulthandler, on SIGUSR1) and the log before it: the end of the server's log."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGUSR1)
            time.sleep(0.5)
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError as err:
            return f"no log: {err}"
        tail = text[-tail_chars:]
        return tail if len(tail) == len(text) else tail.partition("\n")[2]  # from a line's start

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _servers(node: pytest.Item) -> list[StreamlitServer]:
    """The servers a test started (its failure report ends with their threads and logs)."""
    servers: list[StreamlitServer] = node.__dict__.setdefault("streamlit_servers", [])
    return servers


@pytest.fixture
def server(browser: Any, request: pytest.FixtureRequest) -> Iterator[StreamlitServer]:
    """A fresh server per test, started after the browser so timings measure the app, not Chromium."""
    instance = StreamlitServer()
    _servers(request.node).append(instance)
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


FAILURES = ARTIFACTS / "failures"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the test item, so the ``page`` fixture knows whether the test failed."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)
    if report.when == "call" and report.failed:
        page = getattr(item, "funcargs", {}).get("page")
        if page is not None:
            report.sections.append(("the page when the test failed", _page_state(page)))
        for number, instance in enumerate(_servers(item), start=1):
            report.sections.append(
                (
                    f"streamlit server {number} ({instance.log.name}): its log's end and every thread",
                    instance.threads(),
                )
            )


def _page_state(page: Any) -> str:
    """The page's URL, Streamlit's script and connection states, its alerts and the start of its text."""
    lines = [f"url: {page.url}"]
    try:
        app = page.locator("[data-testid='stApp']")
        for attribute in ("data-test-script-state", "data-test-connection-state"):
            lines.append(f"{attribute}: {app.get_attribute(attribute, timeout=2_000)}")
        for alert in page.get_by_test_id("stAlert").all_inner_texts():
            lines.append(f"alert: {' '.join(alert.split())}")
        for exception in page.get_by_test_id("stException").all_inner_texts():
            lines.append(f"exception: {' '.join(exception.split())[:1000]}")
        text = " ".join(page.locator("[data-testid='stMain']").inner_text(timeout=2_000).split())
        lines.append(f"text: {text[:2000]}")
    except Exception as err:  # noqa: BLE001 -- a closed page must not hide the test's own failure
        lines.append(f"(the page could not be read: {type(err).__name__}: {err})")
    return "\n".join(lines)


def _save_failure(page: Any, nodeid: str) -> None:
    """A screenshot and the HTML of a failed test's page in test-artifacts/failures/, named after the test."""
    FAILURES.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("/")[-1])[:150]
    try:
        page.screenshot(path=str(FAILURES / f"{name}.png"), full_page=True)
        (FAILURES / f"{name}.html").write_text(page.content(), encoding="utf-8")
    except Exception as err:  # noqa: BLE001 -- a closed page must not hide the test's own failure
        (FAILURES / f"{name}.txt").write_text(f"no screenshot: {type(err).__name__}: {err}\n")


@pytest.fixture
def start_server(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[[str], StreamlitServer]]:
    """Start another server, as a restart of the wizard does: ``start_server("streamlit-2.log")``.

    Each has its own port and log (under test-artifacts/) and the test's ``DBX_PIPELINE_HOME`` (the
    environment is copied when it starts); every one still running is stopped after the test.
    """
    started: list[StreamlitServer] = []

    def start(log_name: str) -> StreamlitServer:
        instance = StreamlitServer(log_name)
        started.append(instance)
        _servers(request.node).append(instance)
        return instance.start()

    try:
        yield start
    finally:
        for instance in started:
            instance.stop()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser page; when the test fails, its screenshot and HTML go to test-artifacts/failures/."""
    context = browser.new_context(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
    instance = context.new_page()
    instance.set_default_timeout(60_000)  # clicks and waits: generous, so a busy machine is only slower
    yield instance
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        _save_failure(instance, request.node.nodeid)
    context.close()


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each browser test's server saves into its own empty data directory, never the user's.

    Autouse and function-scoped, so it is set before the ``server`` fixture copies the environment.
    """
    home = tmp_path / "dbx-pipeline-home"
    monkeypatch.setenv("DBX_PIPELINE_HOME", str(home))
    return home
