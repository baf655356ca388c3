"""Pure functions from our Databricks records to OpenMetadata request bodies."""
