"""The engine: Databricks Jobs and Lakeflow/DLT pipelines into an OpenMetadata catalog.

Subpackages by job: ``config`` (the workflow YAML), ``databricks`` (reading the workspace), ``mapping``
(Databricks shapes to OpenMetadata's), ``sinks`` (where entities are written), ``generate`` (the deployable
YAML and Airflow DAG), ``emulators`` (local Databricks and OpenMetadata servers for tests and the demo).
"""
