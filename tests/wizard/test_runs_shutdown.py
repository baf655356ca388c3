"""The wizard's server stopped (SIGTERM, Ctrl-C) during a run: the run is recorded as stopped, not as an error;
killed outright (SIGKILL), it leaves the run's last checkpoint, which reads as stopped with its server.

A child process plays the server: it installs Streamlit's own signal handler (which stops the server and
lets the main thread end, as ``streamlit run`` does), starts a run over the demo emulators (slowed down so
the run is mid-way), and waits. The test sends SIGTERM and reads the run's record from the wizard's
database in the shared data directory (``DBX_PIPELINE_HOME``).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ui.services.runs import ORPHANED, run_record
from ui.store import close_stores, run_history

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import sys, threading, time
from types import SimpleNamespace

from streamlit.web.bootstrap import _set_up_signal_handler

from ui import services
from ui.services import runs
from ui.services.demo import start_demo
from ui.state import WizardState

stopped = threading.Event()
_set_up_signal_handler(SimpleNamespace(stop=stopped.set))  # Streamlit's SIGTERM/SIGINT handler
state = WizardState()
services.apply_demo(state)
from ui.services import saved
from ui.store import open_store
# a saved ingestion: the store records runs of ingestions it holds (and of unsaved, per-session ones)
state.ingestion_id = open_store().create_ingestion("", saved.settings_text(state), saved.SETTINGS_VERSION).id
demo = start_demo()
demo["databricks"].latency_ms = 50
demo["openmetadata"].latency_ms = 200
job = runs.start_run(state, dry_run=False)
deadline = time.monotonic() + 60
while time.monotonic() < deadline and not job.done:
    if job.event is not None and job.event.processed >= 16:
        break
    time.sleep(0.05)
print(("RUN " if not job.done else "DONE ") + job.run_id, flush=True)
stopped.wait(60)
print("server stopped", flush=True)
"""


def test_sigterm_during_a_run_records_it_stopped_by_the_server_with_counts_that_agree() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline().split()
        assert first and first[0] == "RUN", (first, child.stderr.read() if child.stderr else "")
        run_id = first[1]
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    assert "server stopped" in out, out
    assert "cannot schedule new futures" not in err and "Traceback" not in err, err
    close_stores()
    record = run_history().get(run_id)
    assert record is not None
    assert record.outcome == "stopped", (record.outcome, record.error)
    assert record.error == ORPHANED
    report = record.report
    assert report is not None and report["interrupted"] and not report["fatal"], report
    assert "RuntimeError" not in record.log and "internal error" not in record.log
    rows = [row for row in report["pipelines"] if row["outcome"] == "created"]
    assert 0 < report["created"] < report["kept"], "stopped mid-way"
    assert len(rows) == report["created"] == record.counts["created"]


KILLED_CHILD = r"""
import time

from ui import services
from ui.services import runs, saved
from ui.services.demo import start_demo
from ui.state import WizardState
from ui.store import open_store, run_history

state = WizardState()
services.apply_demo(state)
state.ingestion_id = open_store().create_ingestion("", saved.settings_text(state), saved.SETTINGS_VERSION).id
demo = start_demo()
demo["openmetadata"].latency_ms = 200  # slow writes: the run is mid-way for a long while
runs.CHECKPOINT_EVERY_S = 0.2
job = runs.start_run(state, dry_run=False)
deadline = time.monotonic() + 60
while time.monotonic() < deadline and not job.done:
    record = run_history().get(job.run_id)
    if record is not None and record.counts.get("created", 0) >= 8:
        break
    time.sleep(0.05)
print(("RUN " if not job.done else "DONE ") + job.run_id, flush=True)
time.sleep(120)  # killed here, mid-run
"""


def test_a_killed_server_leaves_its_run_with_the_numbers_pipelines_and_log_of_its_last_checkpoint() -> None:
    """SIGKILL (an OOM kill, a crash): no hook runs, so the run's record is its last checkpoint, read as such."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_CHILD], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        first = child.stdout.readline().split()
        assert first and first[0] == "RUN", (first, child.stderr.read() if child.stderr else "")
        run_id = first[1]
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    close_stores()
    record = run_record(run_id)  # this process runs nothing: the record is an orphan
    assert record is not None and record.outcome == "stopped"
    assert record.checkpoint_at is not None and record.finished_at == record.checkpoint_at
    assert re.fullmatch(
        r"the wizard's server stopped during this run; its numbers, pipelines and log are as of the last "
        r"checkpoint at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, and a rerun picks up where it left off",
        record.error or "",
    ), record.error
    report = record.report
    assert report is not None and not report["listingComplete"]
    created = [row for row in report["pipelines"] if row["outcome"] == "created"]
    assert 8 <= len(created) == record.counts["created"]
    assert record.counts["failed"] == 0
    assert f"run {run_id} started" in record.log and "phase listing" in record.log
    assert "ended:" not in record.log and "Traceback" not in record.log
    assert record.log.endswith(": the server stopped after it)\n")


STREAMLIT = r"""
import sys, threading
marker = sys.argv[1]
threading._register_atexit(lambda: open(marker, "w").write("hooks ran"))
port, sys.argv = sys.argv[2], ["streamlit", "run", "ui/streamlit_app.py", "--server.port", sys.argv[2]]
from streamlit.web.cli import main
main()
"""


def test_sigterm_to_streamlit_run_reaches_the_hooks_that_stop_runs(tmp_path: Path) -> None:
    """The wizard's real server (``streamlit run``) ends on SIGTERM through Python's threading exit hooks.

    That is where :func:`ui.services.runs.stop_runs_at_shutdown` runs; the test above relies on it.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    marker = tmp_path / "hooks"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", STREAMLIT, str(marker), port, "--server.headless", "true"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                    if answer.read().strip() == b"ok":
                        break
            except OSError:
                time.sleep(0.1)
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, err
    assert marker.exists() and marker.read_text() == "hooks ran", err
