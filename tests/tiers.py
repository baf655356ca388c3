"""The test tiers: which tests are ``slow`` (outside ``pytest -m "not slow"``) and why.

``tests/conftest.py`` adds the markers at collection; the README's table says what each tier costs. The
fast tier must stay under a minute on a 2-core machine: when a test outside these lists grows past ~1.5 s
(``pytest -m "not slow" --durations=30`` shows it), add it to :data:`SLOW_TESTS` with its time.
"""

from __future__ import annotations

#: directory -> markers for every test in it (all of them also ``slow``)
SLOW_DIRS: dict[str, tuple[str, ...]] = {
    "airflow": ("airflow",),  # three cached virtualenvs, ~800 MB each (tests/airflow/conftest.py)
    "browser": ("browser",),  # Chromium driving a real `streamlit run`
    "setup": ("readme",),  # the README's two commands on Debian's python3 in a fresh clone
    "faults": (),  # fault injection: every test waits out retries, backoff or timeouts (~2 min)
    "wizard": (),  # Streamlit AppTest: ~0.2 s a test, ~25 s together
}
#: tests (every parameter of them) that use OpenMetadata's own package: its virtualenv or Airflow's
OPENMETADATA_INGESTION = (
    "tests/airflow/test_openmetadata_ingestion.py::",
    "tests/airflow/test_payload_contract.py::",  # the engine's request bodies against the package's models
    "tests/airflow/test_dags_test.py::test_openmetadata_engine_dag_runs_metadataworkflow_in_its_virtualenv",
)
#: "path::function" -> seconds measured (2 cores, warm, on a quiet machine): the tests outside SLOW_DIRS
#: that take over ~1.5 s. A name that no longer exists fails tests/unit/test_tiers.py.
SLOW_TESTS: dict[str, float] = {
    "tests/unit/test_check_timeouts.py::test_a_step_whose_server_hangs_ends_at_the_timeout_despite_the_sdks_retries": 1.6,
    "tests/unit/test_check_timeouts.py::test_an_openmetadata_server_that_hangs_ends_each_step_at_the_timeout": 1.6,
    "tests/e2e/test_cli.py::test_500_job_workspace_ingests_completely_and_rerun_changes_nothing": 15.4,
    "tests/e2e/test_cli_output.py::test_log_lines_appear_only_when_asked": 7.0,
    "tests/e2e/test_diff.py::test_the_dry_run_names_exactly_the_changed_the_deleted_and_the_filtered_job": 7.0,
    "tests/e2e/test_cli_output.py::test_a_run_that_stops_says_why_in_one_stderr_line": 5.0,
    "tests/e2e/test_cli_output.py::test_a_dry_run_of_the_file_sink_writes_no_file_and_skips_the_unused_server": 2.5,
    "tests/e2e/test_cli_output.py::test_a_successful_ingest_prints_the_report_once_and_nothing_on_stderr": 2.2,
    "tests/e2e/test_cli_output.py::test_refused_credentials_give_exactly_one_stderr_line": 1.8,
    "tests/e2e/test_cli_output.py::test_test_connection_writes_each_failure_to_stderr": 1.6,
    "tests/unit/test_launcher.py::test_the_wizard_starts_from_any_directory_and_answers_its_health_check": 1.0,
    "tests/e2e/test_progress.py::test_no_line_with_json_or_in_an_airflow_task": 4.0,
    "tests/e2e/test_progress.py::test_a_terminal_gets_a_live_line_and_stdout_only_the_report": 2.5,
    "tests/e2e/test_progress.py::test_no_line_when_stderr_is_not_a_terminal": 2.0,
    "tests/e2e/test_ingest.py::test_listing_failure_fails_the_run_and_deletes_nothing": 5.4,
    "tests/e2e/test_ingest.py::test_an_edge_skipped_for_a_missing_table_is_written_once_the_table_exists": 2.0,
    "tests/e2e/test_bench.py::test_bench_startup_times_each_process_to_its_first_databricks_request": 3.0,
    "tests/e2e/test_ingest.py::test_rate_limited_databricks_is_retried": 3.3,
    "tests/e2e/test_bench.py::test_bench_under_documented_limits_prints_the_model_it_ran_under": 5.8,
    "tests/e2e/test_rate_limits.py::test_documented_limits_slow_the_run_but_every_pipeline_and_status_is_written": 5.6,
    "tests/e2e/test_ingest.py::test_changed_job_is_rewritten_and_override_metadata_always_writes": 2.2,
    "tests/e2e/test_ingest.py::test_pipelines_the_filter_now_excludes_are_soft_deleted": 2.2,
    "tests/e2e/test_ingest.py::test_one_rejected_pipeline_fails_alone": 1.9,
    "tests/e2e/test_ingest.py::test_run_detail_is_stored_on_current_servers_and_left_out_for_older_ones": 1.8,
    "tests/e2e/test_ingest.py::test_rerun_changes_nothing": 1.6,
    "tests/e2e/test_ingest.py::test_deleted_job_is_soft_deleted_on_the_next_complete_run": 1.6,
    "tests/e2e/test_robustness.py::test_stop_interrupts_cleanly_and_deletes_nothing": 4.5,
    "tests/e2e/test_robustness.py::test_no_secret_in_logs_reports_or_file_sink_at_debug": 1.8,
    "tests/e2e/test_cases_from_the_field.py::test_http_path_cluster_path_with_lineage_off_runs": 3.0,
    "tests/e2e/test_cases_from_the_field.py::test_retry_attempts_one_task_status_per_key_from_the_latest_attempt": 2.3,
    "tests/e2e/test_cases_from_the_field.py::test_trigger_kinds_schedule_interval_and_state": 2.0,
    "tests/e2e/test_cases_from_the_field.py::test_http_path_legacy_connection_arguments_reach_the_lineage_statement": 1.6,
    "tests/properties/test_no_crash.py::test_mutated_jobs_decode_or_raise_decode_error_and_map_or_raise_mapping_error": 7.0,
    "tests/properties/test_no_crash.py::test_mutated_runs_decode_or_raise_decode_error_and_map_to_one_of_four_statuses": 6.9,
    "tests/properties/test_workspace.py::test_broken_items_cost_only_themselves": 5.6,
    "tests/properties/test_workspace.py::test_a_well_formed_job_maps_exactly": 3.2,
    "tests/properties/test_no_crash.py::test_a_terminated_or_ended_run_is_never_pending": 2.9,
    "tests/properties/test_no_crash.py::test_sdk_model_jobs_decode_and_map": 2.7,
    "tests/properties/test_workspace.py::test_a_rerun_writes_no_pipeline_and_the_same_statuses": 2.7,
    "tests/properties/test_no_crash.py::test_sdk_model_runs_decode_and_map_to_one_of_four_statuses": 2.2,
    "tests/unit/test_transport.py::test_openmetadata_429_goes_through_the_gate": 2.0,
    "tests/unit/test_transport.py::test_one_429_pauses_every_databricks_worker": 1.8,
    "tests/unit/test_transport.py::test_workers_run_in_listing_order": 1.6,
    # Measured on a busy machine (load ~9 on 2 cores): the figure is the CPU seconds of the test and its
    # subprocesses, which is about its wall time on a quiet one.
    # cold: mypy analyses pydantic, the SDK and Streamlit too (18.5 s CPU; 35-50 s wall when busy); ~1 s warm
    "tests/unit/test_types.py::test_mypy_passes": 18.5,
    "tests/e2e/test_ingest.py::test_dry_run_writes_nothing": 1.8,  # three runs of the workspace
    "tests/e2e/test_cli.py::test_console_script_is_installed": 1.6,  # `python -m core.cli` imports the engine
    # these two share a module fixture: one `ingest` subprocess over trigger-kinds/more.json
    "tests/e2e/test_cases_from_the_field.py::test_trigger_kinds_every_kind_paused_and_unpaused": 1.6,
    "tests/e2e/test_cases_from_the_field.py::test_trigger_kinds_state_follows_the_pause_status_for_every_kind": 1.6,
}  # fmt: skip
