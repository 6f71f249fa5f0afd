"""Reads about tasks: the boxes (Viewflow's inbox, queue, archive) and who holds a case now."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from admission.calendar import UnknownCalendarYear, WorkingCalendar
from admission.models import DutyRequest, Organization, TaskDeadline
from admission.permissions import (
    VIEW_PROCESS_PERMISSION,
    membership_of,
    organization_id_from_permission,
    permissions_of,
)

from .flows import AdmissionFlow
from .models import AdmissionProcess

BOXES = ("inbox", "queue", "archive")


URGENCIES = ("overdue", "soon")
SOON_WORKING_DAYS = 2


def _box(*, user, box: str) -> QuerySet[Task]:
    """Viewflow's inbox, queue and archive of the admission flow, as queries the indexes of migration 0014 serve.

    Viewflow's queue reads `owner_permission IN (…) OR owner_permission IS NULL OR owner_id = …`: the IS NULL branch
    (every non-human task) keeps an index from being used, so its cost follows the whole table. Every human task of
    this flow carries an organization's permission (workflows.flows.PERMISSION_OF), so the queue is exactly the new
    tasks carrying a permission the user holds; the permissions come from the membership, not the standard backend.
    """
    tasks = Task.objects.filter(process__flow_class=AdmissionFlow, flow_task_type="HUMAN")
    if box == "queue":
        if user.is_superuser:  # as Viewflow: a superuser may take any task
            return tasks.filter(status=STATUS.NEW)
        held = sorted(permissions_of(membership_of(user)) - {VIEW_PROCESS_PERMISSION})
        return tasks.filter(status=STATUS.NEW, owner_permission__in=held)
    if box == "inbox":
        return tasks.filter(owner=user, status=STATUS.ASSIGNED)
    return tasks.filter(owner=user, finished__isnull=False)


def task_box(*, user, box: str, urgency: str = "") -> QuerySet[Task]:
    """Open boxes are ordered by urgency: tasks whose due date cannot be computed first, then by due date."""
    if box not in BOXES:
        raise ValueError(box)
    queryset = _box(user=user, box=box).select_related("process", "owner", "deadline")
    if box == "archive":
        return queryset.order_by("-finished", "pk")
    if urgency in URGENCIES:
        today = timezone.localdate()
        if urgency == "overdue":
            queryset = queryset.filter(deadline__due_date__lt=today)
        else:
            membership = membership_of(user)
            horizon = _horizon(membership.organization.jurisdiction_id if membership else None, today)
            queryset = queryset.filter(Q(deadline__due_date__lte=horizon) | Q(deadline__problem__gt=""))
    return queryset.order_by(F("deadline__due_date").asc(nulls_first=True), "created", "pk")


def _horizon(jurisdiction_id, today):
    try:
        return WorkingCalendar(jurisdiction_id).add(today, SOON_WORKING_DAYS)
    except UnknownCalendarYear:
        return today + timedelta(days=SOON_WORKING_DAYS)


def time_left(*, deadline, calendar: WorkingCalendar, today) -> dict:
    """What a task row shows about its time limit."""
    if deadline is None:
        return {}
    if deadline.due_date is None:
        return {"due_date": None, "problem": deadline.problem}
    try:
        left = calendar.working_days_between(today, deadline.due_date)
    except UnknownCalendarYear as error:
        return {"due_date": deadline.due_date, "problem": str(error)}
    return {
        "due_date": deadline.due_date,
        "days_left": left,
        "overdue": deadline.due_date < today,
        "overdue_days": max(-left, 0),
        "soon": 0 <= left <= SOON_WORKING_DAYS,
    }


def task_rows(tasks) -> list[dict]:
    """Each task with its case, the organization holding it and its time left, in a fixed number of queries."""
    tasks = list(tasks)
    today = timezone.localdate()
    calendars: dict[int, WorkingCalendar] = {}
    request_ids = {t.process.artifact_object_id for t in tasks}
    requests = DutyRequest.objects.select_related("department").in_bulk(request_ids)
    org_ids = {organization_id_from_permission(t.owner_permission) for t in tasks} - {None}
    organizations = Organization.objects.in_bulk(org_ids)
    rows = []
    for t in tasks:
        deadline = _deadline(t)
        time = {}
        if deadline is not None and t.finished is None:
            calendar = calendars.setdefault(deadline.jurisdiction_id, WorkingCalendar(deadline.jurisdiction_id))
            time = time_left(deadline=deadline, calendar=calendar, today=today)
        rows.append(
            {
                "task": t,
                "title": t.flow_task.task_title,
                "duty_request": requests.get(t.process.artifact_object_id),
                "organization": organizations.get(organization_id_from_permission(t.owner_permission)),
                "time": time,
            }
        )
    return rows


def _deadline(task: Task):
    try:
        return task.deadline
    except TaskDeadline.DoesNotExist:
        return None


def can_work_on(*, user, task: Task) -> bool:
    if task.owner_id == user.pk:
        return True
    return task.status == STATUS.NEW and task.flow_task.can_assign(user, task)


def current_steps(*, duty_request: DutyRequest) -> list[dict]:
    tasks = (
        Task.objects.filter(
            process__in=AdmissionProcess.for_request(duty_request),
            status__in=(STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED),
            flow_task_type="HUMAN",
        )
        .select_related("process", "owner", "deadline")
        .order_by("created", "pk")
    )
    return task_rows(tasks)


def step_durations(*, duty_request: DutyRequest) -> list[dict]:
    """Finished steps of the case with the working days each took (against its time limit)."""
    tasks = (
        Task.objects.filter(
            process__in=AdmissionProcess.for_request(duty_request),
            flow_task_type="HUMAN",
            finished__isnull=False,
        )
        .exclude(status=STATUS.CANCELED)
        .select_related("owner", "deadline")
        .order_by("finished", "pk")
    )
    calendar = WorkingCalendar(duty_request.jurisdiction_id)
    rows = []
    for t in tasks:
        try:
            took = calendar.working_days_between(timezone.localdate(t.created), timezone.localdate(t.finished))
        except UnknownCalendarYear:
            took = None
        deadline = _deadline(t)
        rows.append(
            {
                "task": t,
                "title": t.flow_task.task_title,
                "working_days": took,
                "limit": deadline.days if deadline else None,
                "late": bool(deadline and deadline.due_date and timezone.localdate(t.finished) > deadline.due_date),
            }
        )
    return rows
