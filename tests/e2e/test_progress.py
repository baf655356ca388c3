"""``dbx-pipeline ingest``'s live progress line: on a terminal's stderr only, never in the report.

Each test starts the command in its own process, stdout on a pipe and stderr on a pseudo-terminal (or a
pipe), as a shell at a terminal (or a redirect, or Airflow) would.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path
from typing import Any

from core.cli import _ProgressLine
from core.report import ProgressEvent

REPO = Path(__file__).resolve().parents[2]


def quiet(config: dict) -> dict:
    """The config without ``workflowConfig.loggerLevel`` (the suite's fixture sets INFO)."""
    config["workflowConfig"].pop("loggerLevel", None)
    return config


def dbx_on_a_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``dbx-pipeline`` with stderr on a pseudo-terminal; returns (exit code, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a 120-column terminal
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer of the terminal has gone
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "core.cli", *args],
            stdout=subprocess.PIPE,
            stderr=slave,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
            cwd=REPO,
            check=False,
        )
    finally:
        os.close(slave)
    reader.join(timeout=10)
    os.close(master)
    return process.returncode, process.stdout.decode(), b"".join(chunks).decode(errors="replace")


def test_a_terminal_gets_a_live_line_and_stdout_only_the_report(config: dict, yaml_file: Any) -> None:
    code, out, terminal = dbx_on_a_terminal("ingest", "-c", str(yaml_file(quiet(config))))
    assert code == 0, out + terminal
    listed = int(re.search(r"^Listed\s+(\d+)$", out, re.M).group(1))  # type: ignore[union-attr]
    assert f"{listed}/{listed}" in terminal  # pipelines done of listed, once all are done
    assert "pipelines/s" in terminal or "s/ pipelines" in terminal  # the rate
    assert "<" in terminal  # tqdm's "elapsed<remaining": the ETA
    assert "\r" in terminal  # redrawn in place
    assert out.count("Service ") == 1 and "\r" not in out and "pipelines/s" not in out


def test_no_line_with_json_or_in_an_airflow_task(config: dict, yaml_file: Any) -> None:
    path = str(yaml_file(quiet(config)))
    code, out, terminal = dbx_on_a_terminal("ingest", "-c", path, "--json")
    assert code == 0 and out.lstrip().startswith("{")
    assert terminal.strip() == ""
    code, out, terminal = dbx_on_a_terminal("ingest", "-c", path, env={"AIRFLOW_CTX_DAG_ID": "dbx"})
    assert code == 0 and out.count("Service ") == 1
    assert terminal.strip() == ""


def test_no_line_when_stderr_is_not_a_terminal(config: dict, yaml_file: Any) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "ingest", "-c", str(yaml_file(quiet(config)))],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""


def test_the_line_counts_filtered_and_written_pipelines_as_done(capsys: Any) -> None:
    line = _ProgressLine()
    line(ProgressEvent(phase="ingesting", listed=120, processed=50, kept=100, failures=2, elapsed_s=1.0))
    assert (line._bar.n, line._bar.total) == (70, 120)  # 20 filtered out + 50 written; 50 in flight
    line(ProgressEvent(phase="done", listed=120, processed=100, kept=100, failures=2, elapsed_s=2.0))
    assert (line._bar.n, line._bar.total) == (120, 120)
    line.close()
    assert "2 failed" in capsys.readouterr().err
