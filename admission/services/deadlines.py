"""Time limits (Art. 3, Art. 6: local settings) and the due date of each open task."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, cast

from django.db import transaction
from django.utils import timezone
from viewflow.workflow.status import STATUS

from ..calendar import WorkingCalendar, missing_year_instruction
from ..inheritance import up_the_levels
from ..models import AuditAction, DayUnit, Jurisdiction, JurisdictionLevel, Step, TaskDeadline, TimeLimit
from ..procedure import STEPS, ActingBody
from ..versioned_cache import VersionedCache
from .audit import record_event
from .transitions import action_memo, insert_at_action_end

if TYPE_CHECKING:
    from viewflow.workflow.models import Task

# Art. 3, Art. 6: each banner may set its own; until it does, the procedure table's defaults apply.
DEFAULT_TIME_LIMITS: dict[str, tuple[int, str]] = {s.node: (s.days, s.unit) for s in STEPS}
OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
TIMED_STEPS = frozenset(Step.values)  # Django builds Step.values anew at every read


# Steps a league's or city's body performs: their time limits are the city's own, set on the city (issue 15).
CITY_STEPS = frozenset(s.node for s in STEPS if s.acting_body == ActingBody.CITY_GOVERNMENT)


# Each banner's time limits, kept until a time limit or a jurisdiction's place in the hierarchy changes (receivers.py,
# create_default_time_limits, setup.attach_banners): a new task's deadline then needs no query for them.
_TIME_LIMITS: VersionedCache[dict[str, tuple[int, str]]] = VersionedCache("time_limits", 60)


def forget_time_limits() -> None:
    """After a time limit changed, or a jurisdiction's parent: every banner's time limits are read again."""
    _TIME_LIMITS.forget()


def create_default_time_limits(*, jurisdiction: Jurisdiction) -> None:
    """A banner gets the defaults of its steps, a city those of the city's steps; each may change them after."""
    city = jurisdiction.level != JurisdictionLevel.BANNER
    TimeLimit.objects.bulk_create(
        [
            TimeLimit(jurisdiction=jurisdiction, step=step, days=days, unit=unit)
            for step, (days, unit) in DEFAULT_TIME_LIMITS.items()
            if (step in CITY_STEPS) == city
        ],
        ignore_conflicts=True,
    )
    forget_time_limits()  # a bulk insert sends no signal


def time_limits(*, jurisdiction_id: int) -> dict[str, tuple[int, str]]:
    """Every step's time limit for the banner: its own, else its city's, else the region's (inherited unless
    overridden), else the procedure's default; one query, then from the cache until they change, and kept for the
    rest of the action when inside one (a split opens three reviews, each with its deadline)."""
    memo = action_memo()
    key = ("time_limits", jurisdiction_id)
    if memo is not None and key in memo:
        return cast("dict[str, tuple[int, str]]", memo[key])

    def read() -> dict[str, tuple[int, str]]:
        rows = up_the_levels(TimeLimit.objects.all(), jurisdiction_id).order_by("-depth")
        limits = dict(DEFAULT_TIME_LIMITS)
        limits.update({step: (days, unit) for step, days, unit in rows.values_list("step", "days", "unit")})
        return limits  # nearest last: it won

    limits = _TIME_LIMITS.get(jurisdiction_id, read)
    if memo is not None:
        memo[key] = limits
    return limits


def time_limit(*, jurisdiction_id: int, step: str) -> tuple[int, str]:
    """The banner's time limit for the step (time_limits)."""
    return time_limits(jurisdiction_id=jurisdiction_id)[step]


def _count(calendar: WorkingCalendar, *, start: date, days: int, unit: str) -> tuple[date, str]:
    """The due date, and — when it was counted on a year whose schedule is not entered (暂估) — what the
    administrator must enter."""
    due = calendar.add(start, days, unit)
    estimated = calendar.estimated_years(start, due) if unit != DayUnit.NATURAL else []
    return due, " ".join(missing_year_instruction(year) for year in estimated)


def set_deadline(*, task: Task, jurisdiction_id: int) -> TaskDeadline | None:
    """Fix the due date of a new human task. A year whose schedule nobody has entered is counted on the statutory
    holidays: the clerk sees a provisional (暂估) date, the administrator what to enter."""
    step = task.flow_task.name
    if step not in TIMED_STEPS:
        return None
    days, unit = time_limit(jurisdiction_id=jurisdiction_id, step=step)
    due, problem = _count(
        WorkingCalendar(jurisdiction_id), start=timezone.localdate(task.created), days=days, unit=unit
    )
    # A new task has no deadline yet: an INSERT, not update_or_create's lookup inside two savepoints; inside an
    # action, one with the other new tasks' deadlines at its end (nothing in it reads them; the announcement of the
    # new task, which names its due date, runs after the commit).
    return insert_at_action_end(
        TaskDeadline(
            task=task, jurisdiction_id=jurisdiction_id, step=step, days=days, unit=unit, due_date=due, problem=problem
        )
    )


@transaction.atomic
def recompute_open_deadlines(*, reason: str, only_provisional: bool = False) -> int:
    """Count every open task's due date again on the calendar as it now stands (after the administrator entered a
    year's schedule or a local day); returns how many changed. Each task keeps the time limit it was given."""
    deadlines = TaskDeadline.objects.filter(task__status__in=OPEN).select_related("task").order_by("pk")
    if only_provisional:
        deadlines = deadlines.exclude(problem="", due_date__isnull=False)
    calendars: dict[int, WorkingCalendar] = {}
    changed = []
    for deadline in deadlines.select_for_update(of=("self",)):
        calendar = calendars.setdefault(deadline.jurisdiction_id, WorkingCalendar(deadline.jurisdiction_id))
        due, problem = _count(
            calendar, start=timezone.localdate(deadline.task.created), days=deadline.days, unit=deadline.unit
        )
        if (due, problem) != (deadline.due_date, deadline.problem):
            deadline.due_date, deadline.problem = due, problem
            changed.append(deadline)
    TaskDeadline.objects.bulk_update(changed, ["due_date", "problem"])
    if changed:
        record_event(
            duty_request=None,
            actor=None,
            action=AuditAction.ADMIN_CHANGE,
            note=_note(reason, len(changed)),
            data={"deadlines": [d.pk for d in changed][:500], "count": len(changed)},
        )
    return len(changed)


def _note(reason: str, count: int) -> str:
    return f"{reason}：重新计算 {count} 项未办结任务的到期日"
