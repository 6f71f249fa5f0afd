"""Reads about tasks: the boxes (Viewflow's inbox, queue, archive) and who holds a case now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from admission.calendar import WorkingCalendar
from admission.compiled import CompiledQuery
from admission.models import DutyRequest, Organization, RequestState, Step, TaskDeadline, Track
from admission.permissions import (
    VIEW_PROCESS_PERMISSION,
    membership_of,
    organization_id_from_permission,
    permissions_of,
)
from admission.procedure import step
from admission.selectors import search_requests

from .flows import AdmissionFlow
from .models import AdmissionProcess

BOXES = ("inbox", "queue", "archive")


URGENCIES = ("overdue", "soon")
SOON_WORKING_DAYS = 2
TASK_SORTS = {
    "due": "deadline__due_date",
    "arrived": "created",
    "finished": "finished",
    "case": "process__artifact_object_id",
}


def _box(*, user, box: str) -> QuerySet[Task]:
    """Viewflow's inbox, queue and archive of the admission flow, as queries the indexes of migration 0018 serve.

    Viewflow's queue reads `owner_permission IN (…) OR owner_permission IS NULL OR owner_id = …`: the IS NULL branch
    (every non-human task) keeps an index from being used, so its cost follows the whole table. Every human task of
    this flow carries an organization's permission (workflows.flows.PERMISSION_OF), so the queue is exactly the new
    tasks carrying a permission the user holds; the permissions come from the membership, not the standard backend.
    The inbox is the user's actionable work: their own open tasks and their unit's queue.
    """
    tasks = Task.objects.filter(process__flow_class=AdmissionFlow, flow_task_type="HUMAN")
    if box == "archive":
        return tasks.filter(owner=user, finished__isnull=False)
    held = sorted(permissions_of(membership_of(user)) - {VIEW_PROCESS_PERMISSION})
    queue = Q(status=STATUS.NEW, owner_permission__in=held)
    if box == "queue":
        return tasks.filter(queue)
    return tasks.filter(queue | Q(owner=user, status=STATUS.ASSIGNED))


@dataclass(frozen=True)
class TaskFilter:
    """What a task list is narrowed to and ordered by, as kept in the page's address."""

    search: str = ""  # case number, duty name, department, township
    step: str = ""
    state: str = ""  # the case's
    urgency: str = ""  # "overdue", "soon"
    track: str = ""
    year: int | None = None
    sort: str = ""  # a TASK_SORTS key, "-" in front for descending


def task_box(*, user, box: str, filters: TaskFilter = TaskFilter()) -> QuerySet[Task]:
    """The inbox is the user's actionable work: the unit's unclaimed tasks first, then the user's own, each by
    urgency (due date, provisional ones too; tasks without one first). The queue is the unit's unclaimed tasks.
    Nobody outside a body (a superuser, an administrator) has tasks to act on."""
    if box not in BOXES:
        raise ValueError(box)
    if box != "archive" and membership_of(user) is None:
        return Task.objects.none()
    queryset = _narrowed(_box(user=user, box=box).select_related("process", "owner", "deadline"), user, filters)
    key = filters.sort.removeprefix("-")
    if key in TASK_SORTS:
        field = F(TASK_SORTS[key])
        order = field.desc(nulls_last=True) if filters.sort.startswith("-") else field.asc(nulls_first=True)
        return queryset.order_by(order, "pk")
    if box == "archive":
        return queryset.order_by("-finished", "pk")
    return queryset.order_by(
        F("owner").asc(nulls_first=True), F("deadline__due_date").asc(nulls_first=True), "created", "pk"
    )


def _narrowed(queryset: QuerySet[Task], user, filters: TaskFilter) -> QuerySet[Task]:
    if filters.step in Step.values:
        queryset = queryset.filter(flow_task=getattr(AdmissionFlow, filters.step))
    if filters.search or filters.state or filters.track or filters.year:
        requests = search_requests(DutyRequest.objects.all(), filters.search)
        if filters.state:
            requests = requests.filter(state=filters.state)
        if filters.track:
            requests = requests.filter(track=filters.track)
        if filters.year:
            requests = requests.filter(created_at__year=filters.year)
        queryset = queryset.filter(process__artifact_object_id__in=requests.values("pk"))
    if filters.urgency in URGENCIES:
        today = timezone.localdate()
        if filters.urgency == "overdue":
            queryset = queryset.filter(deadline__due_date__lt=today)
        else:
            membership = membership_of(user)
            jurisdiction_id = membership.organization.jurisdiction_id if membership else None
            horizon = WorkingCalendar(jurisdiction_id).add(today, SOON_WORKING_DAYS)
            queryset = queryset.filter(deadline__due_date__lte=horizon)
    return queryset


def next_task(*, user) -> Task | None:
    """Where to go after finishing a task: the most urgent of the unit's queue, else of the user's own tasks."""
    return task_box(user=user, box="queue").first() or task_box(user=user, box="inbox").first()


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


def task_rows(tasks, *, duty_request: DutyRequest | None = None) -> list[dict]:
    """Each task with its case, the organization holding it and its time left, in a fixed number of queries.
    `duty_request`: the case of all the tasks, when the caller has it (not read again)."""
    tasks = list(tasks)
    today = timezone.localdate()
    calendars: dict[int, WorkingCalendar] = {}
    if duty_request is not None:
        requests = {duty_request.pk: duty_request}
    else:
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


# Read by every task page and every action posted from one: compiled once (admission.compiled).
_TASKS_WITH_HOLDER = CompiledQuery(lambda pk: Task.objects.select_related("process", "owner").filter(pk=pk))


def task_with_holder(*, pk: int) -> Task:
    """The task with its process and its owner, as the task pages show and act on it (Task.DoesNotExist when none)."""
    return _TASKS_WITH_HOLDER.get(pk=pk)


def lost_to_a_colleague(*, user, task: Task) -> bool:
    """`task` was one the user could have taken (their unit's, their role's), and someone else took or finished it."""
    return bool(task.owner_permission) and task.owner_id != user.pk and user.has_perm(task.owner_permission)


def can_work_on(*, user, task: Task) -> bool:
    """Only someone acting for a body works on tasks (not a superuser as such, whatever Viewflow allows)."""
    if membership_of(user) is None:
        return False
    if task.owner_id == user.pk:
        return True
    return task.status == STATUS.NEW and task.flow_task.can_assign(user, task)


# Every human task of a case, oldest first: the one read behind the case page's current steps, the time its steps
# took and its procedure map. Compiled once per process (admission.compiled); the content type's key is a parameter,
# not part of the statement: a database whose content types are made again (a test's flush) gives them new keys.
_CASE_TASKS = CompiledQuery(
    lambda request_id, content_type_id: (
        Task.objects.filter(
            process__in=AdmissionProcess.objects.filter(
                artifact_content_type_id=content_type_id, artifact_object_id=request_id
            ),
            flow_task_type="HUMAN",
        )
        .select_related("process", "owner", "deadline")
        .order_by("created", "pk")
    )
)


def case_tasks(*, duty_request: DutyRequest) -> list[Task]:
    """Every human task of the case (AdmissionProcess.for_request's), oldest first, with its process, owner and
    deadline: what current_steps, step_durations and procedure_map are made from, read once for the three."""
    content_type = ContentType.objects.get_for_model(DutyRequest)  # cached by Django after the first request
    return _CASE_TASKS.all(request_id=duty_request.pk, content_type_id=content_type.pk)


def current_steps(*, duty_request: DutyRequest, tasks: list[Task] | None = None) -> list[dict]:
    """The case's open steps, oldest first, as task_rows. `tasks`: case_tasks' when the caller has read them."""
    if tasks is None:
        tasks = case_tasks(duty_request=duty_request)
    return task_rows([t for t in tasks if t.status in OPEN], duty_request=duty_request)


def step_durations(*, duty_request: DutyRequest, tasks: list[Task] | None = None) -> list[dict]:
    """Finished steps of the case with the working days each took (against its time limit), in the order they
    finished. `tasks`: case_tasks' when the caller has read them."""
    if tasks is None:
        tasks = case_tasks(duty_request=duty_request)
    finished = sorted(
        (t for t in tasks if t.finished is not None and t.status != STATUS.CANCELED), key=lambda t: (t.finished, t.pk)
    )
    calendar = WorkingCalendar(duty_request.jurisdiction_id)
    rows = []
    for t in finished:
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


def procedure_map(
    *, duty_request: DutyRequest, tasks: list[Task] | None = None, open_steps: list[dict] | None = None
) -> list[dict]:
    """Each step of the procedure for this case: done (when, by whom), current (who holds it, due when), not taken
    (a branch the case did not or cannot go), or still ahead. A bounded number of queries; none when the caller has
    read case_tasks (`tasks`) and current_steps of them (`open_steps`)."""
    every = case_tasks(duty_request=duty_request) if tasks is None else tasks
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
    if open_steps is None:
        open_steps = task_rows([t for t in tasks if t.status in OPEN], duty_request=duty_request)
    current = {row["task"].pk: row for row in open_steps}
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
                        "provisional": bool(row["time"].get("provisional")),
                        "overdue": bool(row["time"].get("overdue")),
                    }
                    for row in open_rows
                ],
            }
        )
    return steps
