"""Reads about tasks: the boxes (Viewflow's inbox, queue, archive) and who holds a case now."""

from __future__ import annotations

from django.db.models import QuerySet
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from admission.models import DutyRequest, Organization
from admission.permissions import organization_id_from_permission

from .models import AdmissionProcess

BOXES = ("inbox", "queue", "archive")


def _flows():
    from .flows import AdmissionFlow

    return [AdmissionFlow]


def task_box(*, user, box: str) -> QuerySet[Task]:
    manager = Task.objects
    queryset = {"inbox": manager.inbox, "queue": manager.queue, "archive": manager.archive}[box](_flows(), user)
    order = "-finished" if box == "archive" else "created"
    return queryset.select_related("process", "owner").order_by(order, "pk")


def task_rows(tasks) -> list[dict]:
    """Each task with its case and the organization holding it, in three queries whatever the page size."""
    tasks = list(tasks)
    request_ids = {t.process.artifact_object_id for t in tasks}
    requests = DutyRequest.objects.select_related("department").in_bulk(request_ids)
    org_ids = {organization_id_from_permission(t.owner_permission) for t in tasks} - {None}
    organizations = Organization.objects.in_bulk(org_ids)
    return [
        {
            "task": t,
            "title": t.flow_task.task_title,
            "duty_request": requests.get(t.process.artifact_object_id),
            "organization": organizations.get(organization_id_from_permission(t.owner_permission)),
        }
        for t in tasks
    ]


def can_work_on(*, user, task: Task) -> bool:
    if task.owner_id == user.pk:
        return True
    return task.status == STATUS.NEW and task.flow_task.can_assign(user, task)


def current_steps(*, request: DutyRequest) -> list[dict]:
    tasks = Task.objects.filter(
        process__in=AdmissionProcess.for_request(request),
        status__in=(STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED),
        flow_task_type="HUMAN",
    ).select_related("process", "owner").order_by("created", "pk")
    return task_rows(tasks)
