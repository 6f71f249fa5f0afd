"""Time limits (Art. 3, Art. 6: local settings) and the due date of each open task."""

from __future__ import annotations

from django.utils import timezone

from ..calendar import UnknownCalendarYear, WorkingCalendar
from ..models import DayUnit, Jurisdiction, Step, TaskDeadline, TimeLimit

# procedure.md "Time limits": consultation reply 5 working days, intake 3, joint review 15, supplement 10.
# The joint review's 15 is shared: 10 for each body's opinion (in parallel), 5 to consolidate.
DEFAULT_TIME_LIMITS: dict[str, tuple[int, str]] = {
    Step.CONSULT: (5, DayUnit.WORKING),
    Step.REVISE: (10, DayUnit.WORKING),
    Step.SUBMIT: (10, DayUnit.WORKING),
    Step.INTAKE: (3, DayUnit.WORKING),
    Step.SUPPLEMENT: (10, DayUnit.WORKING),
    Step.LEAD_REVIEW: (10, DayUnit.WORKING),
    Step.LEGALITY_REVIEW: (10, DayUnit.WORKING),
    Step.DATA_REVIEW: (10, DayUnit.WORKING),
    Step.GIVE_ADVICE: (5, DayUnit.WORKING),
    Step.CONSOLIDATE: (5, DayUnit.WORKING),
    Step.BANNER_DECISION: (10, DayUnit.WORKING),
    Step.CITY_DECISION: (30, DayUnit.WORKING),
}


def create_default_time_limits(*, jurisdiction: Jurisdiction) -> None:
    TimeLimit.objects.bulk_create(
        [TimeLimit(jurisdiction=jurisdiction, step=step, days=days, unit=unit)
         for step, (days, unit) in DEFAULT_TIME_LIMITS.items()],
        ignore_conflicts=True,
    )


def time_limit(*, jurisdiction_id: int, step: str) -> tuple[int, str]:
    row = TimeLimit.objects.filter(jurisdiction_id=jurisdiction_id, step=step).values_list("days", "unit").first()
    return row or DEFAULT_TIME_LIMITS[step]


def set_deadline(*, task, jurisdiction_id: int) -> TaskDeadline | None:
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
    deadline, _created = TaskDeadline.objects.update_or_create(
        task=task, defaults={"jurisdiction_id": jurisdiction_id, "step": step, "days": days, "unit": unit,
                             "due_date": due, "problem": problem},
    )
    return deadline
