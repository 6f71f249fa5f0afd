"""Time limits (Art. 3, Art. 6: local settings) and the due date of each open task."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from ..calendar import UnknownCalendarYear, WorkingCalendar
from ..models import Jurisdiction, Step, TaskDeadline, TimeLimit
from ..procedure import STEPS

if TYPE_CHECKING:
    from viewflow.workflow.models import Task

# Art. 3, Art. 6: each banner may set its own; until it does, the procedure table's defaults apply.
DEFAULT_TIME_LIMITS: dict[str, tuple[int, str]] = {s.node: (s.days, s.unit) for s in STEPS}


def create_default_time_limits(*, jurisdiction: Jurisdiction) -> None:
    TimeLimit.objects.bulk_create(
        [
            TimeLimit(jurisdiction=jurisdiction, step=step, days=days, unit=unit)
            for step, (days, unit) in DEFAULT_TIME_LIMITS.items()
        ],
        ignore_conflicts=True,
    )


def time_limit(*, jurisdiction_id: int, step: str) -> tuple[int, str]:
    row = TimeLimit.objects.filter(jurisdiction_id=jurisdiction_id, step=step).values_list("days", "unit").first()
    return row or DEFAULT_TIME_LIMITS[step]


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
