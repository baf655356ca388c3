"""Run by the openmetadata-ingestion virtualenv's python: validate workflow YAML files with the official model.

``python probe_omconfig.py OUT.json FILE...``. ``${NAME}`` references are expanded from the environment
first, as ``metadata ingest -c`` does (``os.path.expandvars``); then OpenMetadata's own pydantic model of the
workflow (``OpenMetadataWorkflowConfig``, generated from its JSON schemas) validates the mapping.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import yaml


def main() -> None:
    warnings.simplefilter("ignore")
    from metadata.generated.schema.entity.services.connections.pipeline.databricksPipelineConnection import (
        DatabricksPipelineConnection,
    )
    from metadata.generated.schema.metadataIngestion.workflow import OpenMetadataWorkflowConfig

    out, files = Path(sys.argv[1]), sys.argv[2:]
    report = {}
    for name in files:
        document = yaml.safe_load(os.path.expandvars(Path(name).read_text(encoding="utf-8")))
        try:
            model = OpenMetadataWorkflowConfig.model_validate(document)
        except Exception as err:  # noqa: BLE001 -- pydantic.ValidationError or any crash: report it, the test decides
            # The workflow model tries every connection type; the Databricks model alone says what is wrong.
            try:
                DatabricksPipelineConnection.model_validate(document["source"]["serviceConnection"]["config"])
                focused = None
            except Exception as connection_error:  # noqa: BLE001 -- whatever it raises is the report
                focused = str(connection_error)
            report[name] = {"ok": False, "error": str(err)[:2000], "connection_error": focused}
            continue
        connection = model.source.serviceConnection.root.config
        auth = getattr(connection, "authType", None)
        report[name] = {
            "ok": True,
            "connection": type(connection).__name__,
            "auth": type(auth).__name__ if auth is not None else None,
            "host_port": connection.hostPort,
        }
    out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
