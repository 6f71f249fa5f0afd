"""Issue 15: the task boxes and counts served by indexes, so their cost follows the page, not the database.

Viewflow's task table belongs to Viewflow, so the indexes are created here by SQL (PostgreSQL and SQLite both accept
partial indexes): the queue (new tasks by the permission that routes them), the inbox (assigned tasks by owner) and the
archive (finished tasks by owner, newest first). Our queue query (workflows.selectors) leaves out Viewflow's
`owner_permission IS NULL` branch, which no index can serve.
"""

from django.db import migrations

INDEXES = [
    ("viewflow_task_queue_idx", "(owner_permission, created) WHERE status = 'NEW'"),
    ("viewflow_task_inbox_idx", "(owner_id, created) WHERE status = 'ASSIGNED'"),
    ("viewflow_task_archive_idx", "(owner_id, finished DESC) WHERE finished IS NOT NULL"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("admission", "0017_document_ofd"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON viewflow_task {columns}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, columns in INDEXES
    ]
