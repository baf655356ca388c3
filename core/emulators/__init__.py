"""Real HTTP servers on 127.0.0.1 that emulate Databricks and OpenMetadata, for tests, demos and benchmarks.

- :mod:`core.emulators.http`: the server both are built on (routing, latency, faults, holds, counters);
- :mod:`core.emulators.databricks`: the Databricks REST API over a workspace's data;
- :mod:`core.emulators.workspace`: a generated workspace of any size; :mod:`core.emulators.recorded`: one
  written down by hand and served unchanged;
- :mod:`core.emulators.openmetadata`: the OpenMetadata REST API with its validations and upsert rules.

The engine never imports this package at module level (``tests/emulators/test_engine_imports.py``):
``dbx-pipeline emulate``, ``bench`` and the wizard's demo mode import it when they start an emulator.
"""
