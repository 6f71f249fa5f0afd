"""Reads about tasks: the boxes (Viewflow's inbox, queue, archive) and who holds a case now."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from admission.calendar import UnknownCalendarYear, WorkingCalendar
from admission.models import DutyRequest, Organization, RequestState, TaskDeadline, Track
from admission.permissions import membership_of, organization_id_from_permission
from admission.procedure import step

from .flows import AdmissionFlow
from .models import AdmissionProcess

BOXES = ("inbox", "queue", "archive")


URGENCIES = ("overdue", "soon")
SOON_WORKING_DAYS = 2


def task_box(*, user, box: str, urgency: str = "") -> QuerySet[Task]:
    """Open boxes are ordered by urgency: tasks whose due date cannot be computed first, then by due date."""
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


# The map of the procedure (issue 13 part 4): the steps in the order of the measure, each with the step it branches
# from (a loop: 修改, 补正, 相关部门意见) and its place on the main path.
MAP_STEPS: tuple[tuple[str, str | None, int], ...] = (
    ("consult", None, 0),
    ("revise", "consult", 0),
    ("submit", None, 1),
    ("intake", None, 2),
    ("supplement", "intake", 2),
    ("lead_review", None, 3),
    ("give_advice", "lead_review", 3),
    ("legality_review", None, 3),
    ("data_review", None, 3),
    ("consolidate", None, 4),
    ("banner_decision", None, 5),
    ("city_decision", None, 6),
)
PARALLEL_REVIEW = ("lead_review", "legality_review", "data_review")
OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def _who(task: Task) -> str:
    return (task.owner.get_full_name() or task.owner.get_username()) if task.owner_id else ""


def procedure_map(*, duty_request: DutyRequest) -> list[dict]:
    """Each step of the procedure for this case: done (when, by whom), current (who holds it, due when), not taken
    (a branch the case did not or cannot go), or still ahead. A bounded number of queries."""
    every = list(
        Task.objects.filter(process__in=AdmissionProcess.for_request(duty_request), flow_task_type="HUMAN")
        .select_related("process", "owner", "deadline")
        .order_by("created", "pk")
    )
    tasks = [t for t in every if t.status not in (STATUS.CANCELED, STATUS.REVIVED)]
    # Where a withdrawal stopped the case: the steps whose open tasks it cancelled.
    cancelled = [t for t in every if t.status == STATUS.CANCELED and t.finished]
    last = max((t.finished for t in cancelled), default=None)
    stopped = (
        {t.flow_task.name for t in cancelled if last - t.finished < timedelta(seconds=5)}
        if last and duty_request.state == RequestState.WITHDRAWN
        else set()
    )
    by_node: dict[str, list[Task]] = {}
    for t in tasks:
        by_node.setdefault(t.flow_task.name, []).append(t)
    current = {row["task"].pk: row for row in task_rows([t for t in tasks if t.status in OPEN])}
    reached = max(
        (index for node, _loop, index in MAP_STEPS if node in by_node),
        default=-1,
    )
    closed = duty_request.is_final
    steps = []
    for node, loop_of, index in MAP_STEPS:
        mine = by_node.get(node, [])
        open_rows = [current[t.pk] for t in mine if t.pk in current]
        done = [t for t in mine if t.status == STATUS.DONE]
        if open_rows:
            status = "current"
        elif done:
            status = "done"
        elif closed or reached > index or (node == "city_decision" and duty_request.track == Track.TEMPORARY):
            status = "skipped"
        else:
            status = "ahead"
        last = max(done, key=lambda t: t.finished) if done else None
        steps.append(
            {
                "node": node,
                "title": step(node).title,
                "loop_of": loop_of,
                "parallel": node in PARALLEL_REVIEW,
                "status": status,
                "done_count": len(done),
                "withdrawn_here": status == "skipped" and node in stopped,
                "finished": last.finished if last else None,
                "actor": _who(last) if last else "",
                "holders": [
                    {
                        "who": _who(row["task"]) or (row["organization"].name if row["organization"] else ""),
                        "claimed": bool(row["task"].owner_id),
                        "due_date": row["time"].get("due_date"),
                        "overdue": bool(row["time"].get("overdue")),
                    }
                    for row in open_rows
                ],
            }
        )
    return steps
