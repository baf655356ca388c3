"""``dbx-pipeline wizard``: serve the Streamlit wizard from any directory, bound to this machine by default.

The wizard handles credentials, so where it listens must not depend on where it is started from:
Streamlit reads ``.streamlit/config.toml`` only from the working directory, the user's home and the
script's folder (``streamlit/config.py``, ``get_config_files``), and an installed package has none of
them. The launcher passes :data:`STREAMLIT_SETTINGS` as ``streamlit run`` flags instead, which outrank
every config file and environment variable (the order documented in ``get_config_options``). The
repository's ``.streamlit/config.toml`` (used by ``streamlit run ui/streamlit_app.py`` from a checkout)
holds the same settings; ``tests/unit/test_launcher.py`` keeps the two equal.

Nothing heavy is imported here: the process becomes Streamlit's only once the command is run.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "DEFAULT_HOST",
    "EXPOSED_HINT",
    "STREAMLIT_SETTINGS",
    "WIZARD_EXTRA_HINT",
    "launch",
    "wizard_argv",
    "wizard_env",
]

#: Where the wizard listens unless ``--host`` says otherwise: this machine only.
DEFAULT_HOST = "127.0.0.1"
#: The one line printed (exit 2) when Streamlit is not installed.
WIZARD_EXTRA_HINT = 'the wizard needs Streamlit, which is not installed: pip install "dbx-pipeline[wizard]"'
#: Said (on stderr) when ``--host`` is not this machine only.
EXPOSED_HINT = "anyone who can reach that address can use it; keep it behind a firewall or use the default"
#: The wizard's server settings (``section.option`` -> value), as in the repository's
#: ``.streamlit/config.toml``: localhost only, headless, XSRF protection, 1 MB uploads (a workflow YAML),
#: no usage statistics, a minimal toolbar and no error details shown to the browser.
STREAMLIT_SETTINGS: dict[str, str | int | bool] = {
    "server.address": DEFAULT_HOST,
    "server.headless": True,
    "server.enableXsrfProtection": True,
    "server.maxUploadSize": 1,
    "browser.gatherUsageStats": False,
    "browser.serverAddress": DEFAULT_HOST,
    "client.toolbarMode": "minimal",
    "client.showErrorDetails": "none",
}
#: Addresses that mean "every interface": no single address to show the browser.
_WILDCARDS = frozenset({"0.0.0.0", "::", ""})


def _loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (``localhost``, ``127.x.x.x``, ``::1``)."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: only the resolver knows
        return False


def _port_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be listened on now (Streamlit would otherwise print its own line, exit 1)."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:  # only "in use" is ours to say; any other refusal is Streamlit's
            return err.errno != errno.EADDRINUSE
    return True


def app_path() -> Path:
    """The wizard's entry script, ``ui/streamlit_app.py``, of the package this launcher belongs to."""
    return Path(__file__).resolve().parents[1] / "ui" / "streamlit_app.py"


def _flag(value: str | int | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def wizard_argv(host: str = DEFAULT_HOST, port: int | None = None, python: str = sys.executable) -> list[str]:
    """The command that serves the wizard: ``python -m streamlit run <app> --<option> <value> ...``.

    Args:
        host: the address to listen on (:data:`DEFAULT_HOST` by default; ``0.0.0.0`` for every interface).
        port: the port; None lets Streamlit take 8501, or the next free one.
        python: the interpreter to run Streamlit with (this one by default).

    Returns:
        The argv, with every setting of :data:`STREAMLIT_SETTINGS` as a flag (the address is ``host``).
    """
    settings = {**STREAMLIT_SETTINGS, "server.address": host, "browser.serverAddress": host}
    if host in _WILDCARDS:
        del settings["browser.serverAddress"]  # Streamlit then shows its own local and network URLs
    if port is not None:
        settings["server.port"] = port
    argv = [python, "-m", "streamlit", "run", str(app_path())]
    for option, value in settings.items():
        argv += [f"--{option}", _flag(value)]
    return argv


def wizard_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The child's environment: ``environ`` with this package's root first on ``PYTHONPATH``.

    Streamlit puts the script's own folder (``ui/``) on ``sys.path``, not its parent, so the app's
    ``from ui import ...`` must find the package this launcher belongs to, whatever the working directory.
    """
    root = str(app_path().parents[1])
    rest = [part for part in environ.get("PYTHONPATH", "").split(os.pathsep) if part and part != root]
    return {**environ, "PYTHONPATH": os.pathsep.join([root, *rest])}


def streamlit_installed() -> bool:
    """Whether Streamlit can be imported (without importing it)."""
    return importlib.util.find_spec("streamlit") is not None


def launch(host: str = DEFAULT_HOST, port: int | None = None) -> int:
    """Serve the wizard: this process becomes Streamlit's (``exec``), so signals reach it directly.

    Ctrl-C, or a SIGTERM from a service manager, stops Streamlit itself; there is no parent left to
    orphan it.

    Args:
        host: the address to listen on.
        port: the port, or None for Streamlit's default (8501, or the next free one).

    Returns:
        2, after one line on stderr, when Streamlit is not installed or the port asked for is in use;
        otherwise it does not return.
    """
    if not streamlit_installed():
        print(f"dbx-pipeline: {WIZARD_EXTRA_HINT}", file=sys.stderr)
        return 2
    if not _loopback(host):
        print(
            f"dbx-pipeline: the wizard handles credentials and now listens on {host}: {EXPOSED_HINT}",
            file=sys.stderr,
        )
    if port is not None and not _port_free(host, port):
        print(f"dbx-pipeline: --port: port {port} on {host} is in use; choose another (or leave --port out)",
              file=sys.stderr)  # fmt: skip
        return 2
    argv = wizard_argv(host, port)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, wizard_env(os.environ))  # replaces this process (or raises OSError)
