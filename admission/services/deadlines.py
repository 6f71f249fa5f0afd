"""Time limits (Art. 3, Art. 6: local settings) and the due date of each open task."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Case, Q, Value, When
from django.utils import timezone

from ..calendar import UnknownCalendarYear, WorkingCalendar
from ..models import Jurisdiction, JurisdictionLevel, Step, TaskDeadline, TimeLimit
from ..procedure import STEPS, ActingBody

if TYPE_CHECKING:
    from viewflow.workflow.models import Task

# Art. 3, Art. 6: each banner may set its own; until it does, the procedure table's defaults apply.
DEFAULT_TIME_LIMITS: dict[str, tuple[int, str]] = {s.node: (s.days, s.unit) for s in STEPS}


# Steps a league's or city's body performs: their time limits are the city's own, set on the city (issue 15).
CITY_STEPS = frozenset(s.node for s in STEPS if s.acting_body == ActingBody.CITY_GOVERNMENT)


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


def time_limit(*, jurisdiction_id: int, step: str) -> tuple[int, str]:
    """The banner's own time limit for the step, else its city's, else the region's (inherited unless overridden),
    else the procedure's default: one query."""
    nearest = (
        TimeLimit.objects.filter(step=step)
        .filter(
            Q(jurisdiction_id=jurisdiction_id)
            | Q(jurisdiction__children__id=jurisdiction_id)
            | Q(jurisdiction__children__children__id=jurisdiction_id)
        )
        .annotate(
            depth=Case(
                When(jurisdiction_id=jurisdiction_id, then=Value(0)),
                When(jurisdiction__children__id=jurisdiction_id, then=Value(1)),
                default=Value(2),
            )
        )
        .order_by("depth")
        .values_list("days", "unit")
        .first()
    )
    return nearest or DEFAULT_TIME_LIMITS[step]


def set_deadline(*, task: Task, jurisdiction_id: int) -> TaskDeadline | None:
    """Fix the due date of a new human task. A calendar gap leaves it empty, with the reason shown on the task:
    the case goes on, and the administrator is told exactly which year to enter."""
    step = task.flow_task.name
    if step not in Step.values:
        return None
    days, unit = time_limit(jurisdiction_id=jurisdiction_id, step=step)
    start = timezone.localdate(task.created)
    try:
        due, problem = WorkingCalendar(jurisdiction_id).add(start, days, unit), ""
    except UnknownCalendarYear as error:
        due, problem = None, str(error)
    # A new task has no deadline yet: one INSERT, not update_or_create's lookup inside two savepoints.
    return TaskDeadline.objects.create(
        task=task, jurisdiction_id=jurisdiction_id, step=step, days=days, unit=unit, due_date=due, problem=problem
    )
