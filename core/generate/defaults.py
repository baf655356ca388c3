"""The generated DAG's defaults, in a module with no imports, so ``dbx-pipeline --help`` can show them.

:class:`core.generate.options.DagOptions` and the ``generate`` command's arguments both read these; the
options module itself loads pydantic, which ``--help`` must not pay for (``tests/engine/test_import_cost.py``).
"""

from __future__ import annotations

__all__ = ["DEFAULT_DAG_ID", "DEFAULT_OPENMETADATA_VERSION"]

#: the DAG id when none is given (also the DAG file's and the YAML's name stem)
DEFAULT_DAG_ID = "databricks_pipelines_to_openmetadata"
#: the OpenMetadata server release the ``openmetadata`` engine installs when none is given
DEFAULT_OPENMETADATA_VERSION = "2.0.7"
