"""The workflow config to OpenMetadata's ``CreatePipelineServiceRequest`` (the pipeline service)."""

from __future__ import annotations

from core.config.models import WorkflowConfig
from core.openmetadata.payloads import CreatePipelineServiceRequest

__all__ = ["SERVICE_TYPE", "service_request"]

#: OpenMetadata's ``pipelineServiceType`` for Databricks (``entity/services/pipelineService.json``).
SERVICE_TYPE = "DatabricksPipeline"


def service_request(config: WorkflowConfig) -> CreatePipelineServiceRequest:
    """``CreatePipelineServiceRequest`` for the configured service.

    The connection is stored only when ``storeServiceConnection`` is on (or there is no server), and
    then without its credentials (``token``, ``authType``) or filter.

    Args:
        config: the validated workflow config.

    Returns:
        The request body for ``PUT /v1/services/pipelineServices``.
    """
    request: CreatePipelineServiceRequest = {
        "name": config.source.service_name,
        "serviceType": SERVICE_TYPE,
        "description": "Databricks Jobs and Lakeflow pipelines, ingested by dbx-pipeline.",
    }
    server = config.server
    if server is None or server.store_service_connection:
        connection = config.source.connection.model_dump(by_alias=True, exclude_none=True, mode="json")
        for secret in ("token", "authType"):  # never store credentials in the catalogue
            connection.pop(secret, None)
        connection.pop("pipelineFilterPattern", None)
        request["connection"] = {"config": connection}
    return request
