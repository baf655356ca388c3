"""Generators for deploying an ingestion to the user's own Apache Airflow.

The wizard and the ``dbx-pipeline generate`` command both call these, so what a user downloads from the
wizard and what the CLI writes are byte-for-byte the same files:

- :mod:`core.generate.schedule`: cron validation, plain-English descriptions and next run times;
- :mod:`core.generate.yaml_render`: the workflow YAML in the 1.x (``token:``) or 2.x (``authType:``)
  dialect, secrets as ``${ENV_VAR}`` references;
- :mod:`core.generate.options`: ``DagOptions``, the user's choices for the DAG (a validated pydantic model);
- :mod:`core.generate.dag`: an Airflow DAG file that parses on Airflow 2.7+ and 3.x, its task reporting
  each run to the service's ingestion pipeline in OpenMetadata;
- :mod:`core.generate.workspaces`: several Databricks workspaces in one DAG (one YAML, service, set of
  secret names and mapped task each);
- :mod:`core.generate.wheel`: the engine as a wheel, which the DAG installs in its task's own virtualenv;
- :mod:`core.generate.bundle`: the YAML(s), the DAG, the engine's wheel and a deploy README together;
- :mod:`core.generate.template`: renders ``templates/`` (``dag.py.jinja``, ``README.md.jinja``), the
  files as they are written, with Jinja2.
"""
