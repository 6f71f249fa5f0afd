"""Issue 15: Viewflow's task indexes that nothing in this application reads, dropped, because every one is written on
every completion. A completion inserts tasks and updates others' status; an update is never HOT (status is in the
predicates of 0018's partial indexes), so each write touches every index of the table: 15 on viewflow_task before this
migration, 6 after. Kept: the primary key, process_id (a case's tasks, the flow's joins and splits), owner_id (a user's
tasks, and the cascade when a user is deleted) and 0018's queue, inbox and archive; on viewflow_task_previous the
primary key, to_task_id (a task's following tasks) and the unique (from_task_id, to_task_id), which serves every lookup
by from_task_id (a task's previous tasks) that the single-column index did.

Dropped, each unread here (checked by grep and by the plans of the completions, the pages and the daily jobs on a
populated database):
- status (and its PostgreSQL-only `_like` twin): the boxes read 0018's partial indexes, a case's tasks go through
  process_id; only the daily reminders and the recount of open due dates filter on status across all tasks: they join
  every deadline anyway, and now scan the task table too (+50 ms each at 116,000 tasks, about 1 s at the L scale's
  2.6 million, in the background once a day).
- created: ordered only within a case (process_id) or a box (0018's indexes end with it).
- scheduled: Viewflow's timer dispatcher (flow.Timer, workflow_timers), which these flows do not use.
- external_task_id (and `_like`): Viewflow's jobs (flow.Job), not used.
- owner_permission_content_type_id, artifact_content_type_id, seed_content_type_id: per-object permissions, task
  artifacts and seeds are never set (always NULL); the indexes would serve only deleting a content type, which
  production never does (remove_stale_contenttypes would scan the table, once).

Viewflow's model still declares these indexes, so Django's migration state keeps them (makemigrations sees no change)
while the database has none. A later Viewflow migration that alters one of these fields needs a migration of ours
after it, depending on it: on SQLite, AlterField rebuilds the table with every index the model declares (these come back,
and 0018's partial indexes, which no model declares, are lost: that migration would have to recreate them too); on
PostgreSQL Django finds indexes by introspection or drops them IF EXISTS, so the drop holds, except that changing a
text column's type (varchar to text, say) creates its `_like` index again. tests/test_migrations__task_indexes.py fails when any of them
comes back. Should the application start using Viewflow's timers or jobs, give scheduled or external_task_id their
index again in a migration of its own.
"""

from django.db import migrations

# As Viewflow's migrations made them (Django's names); the `_like` ones exist on PostgreSQL only.
UNUSED = [
    ("viewflow_task", "viewflow_task_status_ffb4516b", '"status"'),
    ("viewflow_task", "viewflow_task_status_ffb4516b_like", '"status" varchar_pattern_ops'),
    ("viewflow_task", "viewflow_task_created_7518aa4b", '"created"'),
    ("viewflow_task", "viewflow_task_scheduled_bbd49899", '"scheduled"'),
    ("viewflow_task", "viewflow_task_external_task_id_2f93bc2f", '"external_task_id"'),
    ("viewflow_task", "viewflow_task_external_task_id_2f93bc2f_like", '"external_task_id" varchar_pattern_ops'),
    ("viewflow_task", "viewflow_task_owner_permission_content_type_id_5fc72a99", '"owner_permission_content_type_id"'),
    ("viewflow_task", "viewflow_task_artifact_content_type_id_50385e8d", '"artifact_content_type_id"'),
    ("viewflow_task", "viewflow_task_seed_content_type_id_bed3f17b", '"seed_content_type_id"'),
    ("viewflow_task_previous", "viewflow_task_previous_from_task_id_da5536f6", '"from_task_id"'),
]


def drop_unused(apps, schema_editor):
    for _table, name, _columns in UNUSED:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def recreate(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for table, name, columns in UNUSED:
        if postgresql or not name.endswith("_like"):
            schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({columns})')


class Migration(migrations.Migration):
    dependencies = [
        ("admission", "0025_jurisdiction_settings"),
        ("viewflow", "0015_task_scheduled"),
    ]

    # RunPython rather than RunSQL: the way back creates the `_like` indexes on PostgreSQL only.
    operations = [migrations.RunPython(drop_unused, recreate)]
