"""The engine's modules load no emulator: the emulators are test and demo equipment, imported when used.

Checked in a fresh interpreter, since this test process has imported the emulators long before.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.paths import REPO

ENGINE_MODULES = ("core.engine", "core.workflow", "core.cli", "core.bench")


def test_importing_the_engine_loads_no_emulator_module() -> None:
    script = textwrap.dedent(
        f"""
        import importlib, json, sys
        for name in {ENGINE_MODULES!r}:
            importlib.import_module(name)
        loaded = sorted(m for m in sys.modules if m.startswith("core.emulators"))
        importlib.import_module("core.emulators.openmetadata")  # control: the check sees an emulator import
        control = "core.emulators.openmetadata" in sys.modules
        print(json.dumps({{"engine": sorted(set({ENGINE_MODULES!r}) & set(sys.modules)),
                           "emulators": loaded, "control": control}}))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["engine"] == sorted(ENGINE_MODULES)  # every engine module really was imported
    assert seen["emulators"] == [], f"importing the engine loaded emulator modules: {seen['emulators']}"
    assert seen["control"] is True
