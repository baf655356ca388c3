"""The Databricks side: client construction, listing, runs and lineage (the only users of databricks-sdk)."""
