"""Issue 15 part 1: the task boxes are queries an index serves (migration 0018), so their cost follows the page."""

import pytest
from django.db import connection

from tests import support
from workflows import selectors


def test_the_queue_holds_the_new_tasks_of_the_users_organization_only(banner, other_banner):
    request = support.to_under_review(banner)
    support.to_under_review(other_banner)
    queue = list(selectors.task_box(user=banner.users["justice"], box="queue"))
    assert [t.flow_task.name for t in queue] == ["legality_review"]
    assert {t.process.artifact_object_id for t in queue} == {request.pk}
    assert list(selectors.task_box(user=banner.users["naji"], box="queue")) == []


def test_a_claimed_task_leaves_the_queue_for_the_inbox_and_a_done_one_the_archive(banner):
    from workflows import actions

    request = support.to_under_review(banner)
    justice = banner.users["justice"]
    task = support.open_task(request, "legality_review")
    actions.claim_task(task=task, actor=justice)
    assert list(selectors.task_box(user=justice, box="queue")) == []
    assert [t.pk for t in selectors.task_box(user=justice, box="inbox")] == [task.pk]
    actions.give_bureau_opinion(task=task, actor=justice, passes=True, reasoning="合法")
    assert list(selectors.task_box(user=justice, box="inbox")) == []
    assert task.pk in {t.pk for t in selectors.task_box(user=justice, box="archive")}


def test_the_queue_query_has_no_owner_permission_is_null_branch(banner):
    """Viewflow's `owner_permission IS NULL OR …` matches every non-human task and defeats any index."""
    sql = str(selectors.task_box(user=banner.users["office"], box="queue").query)
    assert "owner_permission" in sql and "IS NULL" not in sql.split("WHERE", 1)[1].split("ORDER BY")[0]


def _crowd_other_organizations_tasks(process_pk: int, other_user_pk: int, rows: int = 3000) -> None:
    """Many tasks of other organizations and people (new, assigned, finished), as at a thousand banners."""
    with connection.cursor() as cursor:
        for status, permission, owner, finished in (
            ("NEW", "admission.org_0", None, None),
            ("ASSIGNED", "admission.org_0", other_user_pk, None),
            ("DONE", "admission.org_0", other_user_pk, "now()"),
        ):
            cursor.execute(
                "INSERT INTO viewflow_task (flow_task, flow_task_type, status, created, finished, token, owner_id,"
                " owner_permission, process_id, data)"
                f" SELECT 'workflows/flows.AdmissionFlow.legality_review', 'HUMAN', %s, now(), {finished or 'NULL'},"
                " 'start', %s, %s, %s, '{}' FROM generate_series(1, %s)",
                [status, owner, permission, process_pk, rows],
            )
        cursor.execute("ANALYZE viewflow_task")


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("box", "index"),
    [
        ("queue", "viewflow_task_queue_idx"),
        ("inbox", "viewflow_task_inbox_idx"),
        ("archive", "viewflow_task_archive_idx"),
    ],
)
def test_each_box_is_read_through_its_partial_index_among_many_other_tasks(banner, box, index):
    if connection.vendor != "postgresql":
        pytest.skip("the plans are PostgreSQL's (set DATABASE_URL)")
    request = support.to_under_review(banner)
    _crowd_other_organizations_tasks(support.open_task(request, "lead_review").process_id, banner.users["office2"].pk)
    queryset = selectors.task_box(user=banner.users["office"], box=box)[:25]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
