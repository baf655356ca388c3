"""The engine as a wheel, for the bundle: built from this project's own source tree by pip (PEP 517).

The generated DAG installs the engine into a virtualenv of its own from a wheel that travels with the
bundle, so nothing is installed into the Airflow workers' environment. The wheel is built the standard
way, by ``pip wheel --no-deps`` on a copy of the source tree: setuptools (the build backend named in
pyproject.toml) writes its metadata, nothing here does. The copy keeps the build's ``build/`` and
``*.egg-info`` out of the user's checkout and lets two builds run side by side.

The build is reproducible: ``SOURCE_DATE_EPOCH`` is fixed, so the same sources give the same bytes (and
the same sha256, which the DAG uses to refuse a damaged wheel and to key Airflow's virtualenv cache).
It is memoised per source digest, in this process and on disk under the cache folder
(``$DBX_PIPELINE_CACHE``, else ``~/.cache/dbx-pipeline``), so the wizard rebuilds nothing between two
downloads of the same code.

Without a source tree (``dbx-pipeline`` installed from a wheel, not editable), the wheel is put back
together from the installed distribution's own files, which are the wheel's: its ``.dist-info`` (METADATA,
WHEEL, entry points, written by setuptools) as installed, only ``RECORD`` recomputed as the binary
distribution format asks (https://packaging.python.org/en/latest/specifications/binary-distribution-format/,
seen 2026-11-29), and the installer's own files (INSTALLER, REQUESTED, direct_url.json) left out. When
neither exists, :func:`engine_wheel` raises a :class:`~core.errors.ConfigError` saying what to do.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError

__all__ = ["DISTRIBUTION", "EngineWheel", "engine_wheel", "source_tree"]

#: the project's distribution name (pyproject.toml's ``[project] name``)
DISTRIBUTION = "dbx-pipeline"
#: what the wheel is built from, relative to the source tree's root
_SOURCES = ("pyproject.toml", "README.md", "core", "ui")
_SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", ".ruff_cache")
#: 1980-01-01, the earliest time a zip entry can carry: every build of the same sources is byte-identical
_SOURCE_DATE_EPOCH = "315532800"
_BUILD_TIMEOUT_S = 600
_NAME_LINE = re.compile(r'^name\s*=\s*"dbx-pipeline"\s*$', re.M)

_LOCK = threading.Lock()
_BUILT: dict[str, EngineWheel] = {}


@dataclass(frozen=True)
class EngineWheel:
    """A built wheel of the engine.

    Attributes:
        filename: the wheel's standard file name, with the version: ``dbx_pipeline-0.1.0-py3-none-any.whl``.
        content: the wheel's bytes.
    """

    filename: str
    content: bytes

    def __repr__(self) -> str:
        return f"EngineWheel({self.filename!r}, {self.size} bytes)"

    @property
    def size(self) -> int:
        """The wheel's size in bytes."""
        return len(self.content)

    @property
    def sha256(self) -> str:
        """The hex sha256 of the wheel (pip's ``#sha256=`` URL fragment checks it on install)."""
        return hashlib.sha256(self.content).hexdigest()

    @property
    def version(self) -> str:
        """The version in the file name (``0.1.0``)."""
        return self.filename.split("-")[1]


def source_tree() -> Path | None:
    """The root of this project's source tree, when the running code comes from one.

    Returns:
        The folder holding ``pyproject.toml`` (``[project] name = "dbx-pipeline"``) next to ``core/``, or
        None when the engine runs from an installed wheel.
    """
    root = Path(__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    return root if _NAME_LINE.search(text) and (root / "core").is_dir() else None


def engine_wheel() -> EngineWheel:
    """The engine's wheel, built from the source tree (or reused when these sources were built before).

    Returns:
        The wheel.

    Raises:
        ConfigError: ``field="engine"``: no source tree to build from, or pip failed (the message ends
            with the tail of pip's output).
    """
    root = source_tree()
    if root is None:
        installed = _installed_wheel()
        if installed is None:
            raise ConfigError(
                f"cannot build the engine's wheel: {DISTRIBUTION} runs neither from its source tree nor from "
                "an installed distribution",
                field="engine",
                hint="Install the project (pip install .) or run from a checkout of it",
            )
        return installed
    digest = _source_digest(root)
    with _LOCK:
        if digest not in _BUILT:
            _BUILT[digest] = _cached(digest) or _build(root, digest)
        return _BUILT[digest]


#: the installer's files in a .dist-info, not the wheel's (https://packaging.python.org/en/latest/
#: specifications/recording-installed-packages/, seen 2026-11-29); RECORD is written anew
_INSTALLER_FILES = frozenset({"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"})
#: every entry of a rebuilt wheel carries this time: the same installed files give the same bytes
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _installed_wheel() -> EngineWheel | None:
    """The wheel put back together from the installed distribution this code runs from, or None."""
    try:
        distribution = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    site = Path(str(distribution.locate_file(""))).resolve()
    if Path(__file__).resolve().parents[2] != site:  # another copy of the engine: not the running one
        return None
    members: dict[str, bytes] = {}
    info_dir = ""
    for entry in distribution.files or []:
        name = entry.as_posix()
        if name.startswith("../") or "__pycache__" in entry.parts or name.endswith((".pyc", ".pyo")):
            continue  # scripts the installer wrote, byte code
        if entry.parts[0].endswith(".dist-info"):
            info_dir = entry.parts[0]
            if entry.name in _INSTALLER_FILES:
                continue
        members[name] = (site / entry).read_bytes()
    tags = [line.split(":", 1)[1].strip() for line in members.get(f"{info_dir}/WHEEL", b"").decode().splitlines()
            if line.startswith("Tag:")]  # fmt: skip
    if not info_dir or len(tags) != 1:
        return None
    return EngineWheel(f"{info_dir.removesuffix('.dist-info')}-{tags[0]}.whl", _zip_wheel(members, info_dir))


def _zip_wheel(members: dict[str, bytes], info_dir: str) -> bytes:
    """The wheel archive: the files in name order, the .dist-info last, RECORD computed from them."""
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    names = sorted(members, key=lambda name: (name.startswith(info_dir), name))
    for name in names:
        digest = base64.urlsafe_b64encode(hashlib.sha256(members[name]).digest()).rstrip(b"=").decode()
        writer.writerow([name, f"sha256={digest}", len(members[name])])
    writer.writerow([f"{info_dir}/RECORD", "", ""])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in [
            *((name, members[name]) for name in names),
            (f"{info_dir}/RECORD", record.getvalue().encode()),
        ]:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def _source_digest(root: Path) -> str:
    """A digest of every file the wheel is built from (names and contents)."""
    digest = hashlib.sha256()
    for name in _SOURCES:
        path = root / name
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if "__pycache__" in file.parts or file.suffix in (".pyc", ".pyo"):
                continue
            digest.update(file.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def _cache_folder(digest: str) -> Path:
    base = os.environ.get("DBX_PIPELINE_CACHE") or Path.home() / ".cache" / "dbx-pipeline"
    return Path(base) / "engine-wheels" / digest[:32]


def _cached(digest: str) -> EngineWheel | None:
    """The wheel built earlier from the same sources, when the disk cache holds it."""
    try:
        wheels = sorted(_cache_folder(digest).glob("*.whl"))
        return EngineWheel(wheels[0].name, wheels[0].read_bytes()) if len(wheels) == 1 else None
    except OSError:
        return None


def _build(root: Path, digest: str) -> EngineWheel:
    with tempfile.TemporaryDirectory(prefix="dbx-pipeline-wheel-") as scratch:
        source, out = Path(scratch) / "source", Path(scratch) / "out"
        source.mkdir()
        for name in _SOURCES:
            if (root / name).is_dir():
                shutil.copytree(root / name, source / name, ignore=_SKIPPED)
            elif (root / name).is_file():
                shutil.copy2(root / name, source / name)
        _run_pip(source, out)
        wheels = sorted(out.glob("*.whl"))
        if len(wheels) != 1:
            raise ConfigError(f"pip wheel wrote {len(wheels)} wheels, expected one", field="engine")
        wheel = EngineWheel(wheels[0].name, wheels[0].read_bytes())
    _store(digest, wheel)
    return wheel


def _run_pip(source: Path, out: Path) -> None:
    # an absolute path: a bare folder name would be looked up on the package index as a project name
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--wheel-dir",
        str(out),
        str(source.resolve()),
    ]
    environment = {
        **os.environ,
        "SOURCE_DATE_EPOCH": _SOURCE_DATE_EPOCH,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=environment,
            timeout=_BUILD_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ConfigError(f"cannot build the engine's wheel: {err}", field="engine") from None
    if result.returncode != 0:
        output = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
        raise ConfigError(
            f"pip could not build the engine's wheel (exit {result.returncode}):\n{output}",
            field="engine",
            hint="pip needs setuptools>=68 and wheel, from the package index or installed (pyproject.toml)",
        )


def _store(digest: str, wheel: EngineWheel) -> None:
    """Keep the wheel in the disk cache; a cache that cannot be written only costs a rebuild next time."""
    folder = _cache_folder(digest)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{wheel.filename}.{os.getpid()}.tmp"
        temporary.write_bytes(wheel.content)
        os.replace(temporary, folder / wheel.filename)
    except OSError:
        return
