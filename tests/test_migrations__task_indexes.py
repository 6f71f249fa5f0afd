"""Issue 15: migration 0026 leaves the task tables only the indexes the application reads (fewer indexes written per
completion), and gives Viewflow's others back, as Viewflow made them, on the way down."""

from django.db import connection

BEFORE = [("admission", "0025_jurisdiction_settings")]

KEPT = {
    "viewflow_task": {
        "viewflow_task_process_id_619bc849",
        "viewflow_task_owner_id_01b087bd",
        "viewflow_task_queue_idx",
        "viewflow_task_inbox_idx",
        "viewflow_task_archive_idx",
    },
    "viewflow_task_previous": {
        "viewflow_task_previous_from_task_id_to_task_id_a979d787_uniq",
        "viewflow_task_previous_to_task_id_7d3a2081",
    },
}

# Each as Viewflow's migrations created it on PostgreSQL (the `_like` ones exist there only).
DROPPED = {
    "viewflow_task_status_ffb4516b": "ON public.viewflow_task USING btree (status)",
    "viewflow_task_status_ffb4516b_like": "ON public.viewflow_task USING btree (status varchar_pattern_ops)",
    "viewflow_task_created_7518aa4b": "ON public.viewflow_task USING btree (created)",
    "viewflow_task_scheduled_bbd49899": "ON public.viewflow_task USING btree (scheduled)",
    "viewflow_task_external_task_id_2f93bc2f": "ON public.viewflow_task USING btree (external_task_id)",
    "viewflow_task_external_task_id_2f93bc2f_like": (
        "ON public.viewflow_task USING btree (external_task_id varchar_pattern_ops)"
    ),
    "viewflow_task_owner_permission_content_type_id_5fc72a99": (
        "ON public.viewflow_task USING btree (owner_permission_content_type_id)"
    ),
    "viewflow_task_artifact_content_type_id_50385e8d": "ON public.viewflow_task USING btree (artifact_content_type_id)",
    "viewflow_task_seed_content_type_id_bed3f17b": "ON public.viewflow_task USING btree (seed_content_type_id)",
    "viewflow_task_previous_from_task_id_da5536f6": "ON public.viewflow_task_previous USING btree (from_task_id)",
}


def _indexes(table: str) -> set[str]:
    """The table's index names, its primary key left out (PostgreSQL names it, SQLite does not)."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {name for name, c in constraints.items() if (c["index"] or c["unique"]) and not c["primary_key"]}


def _dropped_here() -> set[str]:
    return {name for name in DROPPED if connection.vendor == "postgresql" or not name.endswith("_like")}


def test_the_task_tables_keep_only_the_indexes_the_application_reads(db):
    for table, kept in KEPT.items():
        assert _indexes(table) == kept


def test_0026_gives_viewflows_indexes_back_as_they_were_and_drops_them_again(migrated):
    migrated(BEFORE)
    present = _indexes("viewflow_task") | _indexes("viewflow_task_previous")
    assert _dropped_here() <= present
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)", [sorted(DROPPED)])
            definitions = dict(cursor.fetchall())
        assert definitions == {name: f"CREATE INDEX {name} {rest}" for name, rest in DROPPED.items()}

    migrated([("admission", "0026_drop_unused_task_indexes")])
    for table, kept in KEPT.items():
        assert _indexes(table) == kept
