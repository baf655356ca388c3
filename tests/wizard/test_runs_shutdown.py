"""The wizard's server stopped (SIGTERM, Ctrl-C) during a run: the run is recorded as stopped, not as an error.

A child process plays the server: it installs Streamlit's own signal handler (which stops the server and
lets the main thread end, as ``streamlit run`` does), starts a run over the demo emulators (slowed down so
the run is mid-way), and waits. The test sends SIGTERM and reads the run's record from the wizard's
database in the shared data directory (``DBX_PIPELINE_HOME``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ui.services.runs import ORPHANED
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
state.ingestion_id = "shutdown-test"
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
