"""Reads about tasks: the boxes (Viewflow's inbox, queue, archive) and who holds a case now."""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from admission.calendar import WorkingCalendar
from admission.models import DutyRequest, Organization, TaskDeadline
from admission.permissions import membership_of, organization_id_from_permission

from .flows import AdmissionFlow
from .models import AdmissionProcess

BOXES = ("inbox", "queue", "archive")


URGENCIES = ("overdue", "soon")
SOON_WORKING_DAYS = 2


def task_box(*, user, box: str, urgency: str = "") -> QuerySet[Task]:
    """Open boxes are ordered by urgency: by due date (provisional ones too), tasks without one first."""
    manager = Task.objects
    queryset = {"inbox": manager.inbox, "queue": manager.queue, "archive": manager.archive}[box]([AdmissionFlow], user)
    queryset = queryset.select_related("process", "owner", "deadline")
    if box == "archive":
        return queryset.order_by("-finished", "pk")
    if urgency in URGENCIES:
        today = timezone.localdate()
        if urgency == "overdue":
            queryset = queryset.filter(deadline__due_date__lt=today)
        else:
            membership = membership_of(user)
            jurisdiction_id = membership.organization.jurisdiction_id if membership else None
            horizon = WorkingCalendar(jurisdiction_id).add(today, SOON_WORKING_DAYS)
            queryset = queryset.filter(deadline__due_date__lte=horizon)
    return queryset.order_by(F("deadline__due_date").asc(nulls_first=True), "created", "pk")


def time_left(*, deadline, calendar: WorkingCalendar, today) -> dict:
    """What a task row shows about its time limit: a date counted on a year whose schedule is not entered is
    provisional (暂估), and `problem` says what the administrator must enter (shown to administrators only)."""
    if deadline is None:
        return {}
    if deadline.due_date is None:  # set before provisional dates existed; counted again by the daily run
        return {"due_date": None, "problem": deadline.problem}
    left = calendar.working_days_between(today, deadline.due_date)
    return {
        "due_date": deadline.due_date,
        "provisional": bool(deadline.problem),
        "problem": deadline.problem,
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
        took = calendar.working_days_between(timezone.localdate(t.created), timezone.localdate(t.finished))
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
